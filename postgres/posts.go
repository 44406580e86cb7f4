package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// postSelect selects a post (p) with its author (au, ap), the user whose
// wall it is on (tu, tp) and the user it mentions (mu, mp), its counts and
// whether the viewer ($1) likes it, in the order scanPost reads them. The
// counts are computed from the rows, each an index range, so they are
// always what the rows say and a like never waits on a hot post's row.
const postSelect = `SELECT p.id, p.author_id, p.type, p.content, p.media_url, p.created_at, p.updated_at,
	p.parent_id, p.target_profile_id, p.reply_to_comment_id, p.mentioned_user_id,
	au.username, au.email, au.first_name, au.last_name, au.date_joined, ap.avatar,
	tu.username, tu.email, tu.first_name, tu.last_name, tu.date_joined, tp.avatar,
	mu.username, mu.email, mu.first_name, mu.last_name, mu.date_joined, mp.avatar,
	(SELECT count(*) FROM posts r WHERE r.reply_to_comment_id = p.id),
	(SELECT count(*) FROM post_likes l WHERE l.post_id = p.id),
	(SELECT count(*) FROM posts c WHERE c.parent_id = p.id),
	(SELECT count(*) FROM post_shares s WHERE s.post_id = p.id),
	EXISTS (SELECT 1 FROM post_likes l WHERE l.post_id = p.id AND l.user_id = $1)
	FROM posts p
	JOIN users au ON au.id = p.author_id JOIN profiles ap ON ap.user_id = au.id
	LEFT JOIN users tu ON tu.id = p.target_profile_id LEFT JOIN profiles tp ON tp.user_id = tu.id
	LEFT JOIN users mu ON mu.id = p.mentioned_user_id LEFT JOIN profiles mp ON mp.user_id = mu.id `

// postPage keeps the posts older than the cursor $2, newest first, at most
// $3.
const postPage = ` AND ($2::bigint <= 0 OR p.id < $2) ORDER BY p.id DESC LIMIT $3`

// postUserDest scans the nullable columns of a joined user.
type postUserDest struct {
	username, email, first, last, avatar *string
	joined                               *time.Time
}

func (d *postUserDest) dest() []any {
	return []any{&d.username, &d.email, &d.first, &d.last, &d.joined, &d.avatar}
}

// user returns the scanned user with id, or nil when none was joined.
func (d *postUserDest) user(id *int64) *numeneon.User {
	if id == nil || d.username == nil || d.email == nil || d.first == nil || d.last == nil || d.joined == nil {
		return nil
	}
	u := &numeneon.User{ID: *id, Username: *d.username, Email: *d.email, FirstName: *d.first, LastName: *d.last, DateJoined: *d.joined}
	u.Profile.Avatar = d.avatar
	return u
}

func scanPost(row pgx.Row) (*numeneon.Post, error) {
	p := &numeneon.Post{}
	var author, target, mentioned postUserDest
	dest := []any{&p.ID, &p.AuthorID, &p.Type, &p.Content, &p.MediaURL, &p.CreatedAt, &p.UpdatedAt,
		&p.ParentID, &p.TargetProfileID, &p.ReplyToCommentID, &p.MentionedUserID}
	dest = append(dest, author.dest()...)
	dest = append(dest, target.dest()...)
	dest = append(dest, mentioned.dest()...)
	dest = append(dest, &p.ReplyCount, &p.LikesCount, &p.CommentCount, &p.SharesCount, &p.IsLiked)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	p.Author = author.user(&p.AuthorID)
	p.TargetProfile = target.user(p.TargetProfileID)
	p.MentionedUser = mentioned.user(p.MentionedUserID)
	return p, nil
}

func findPost(ctx context.Context, q querier, id, viewerID int64) (*numeneon.Post, error) {
	p, err := scanPost(q.QueryRow(ctx, postSelect+`WHERE p.id = $2`, viewerID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, "Post not found.")
	}
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("find post %d", id))
	}
	return p, nil
}

// FindPost implements numeneon.PostStore.
func (s *Store) FindPost(ctx context.Context, id, viewerID int64) (*numeneon.Post, error) {
	return findPost(ctx, s.pool, id, viewerID)
}

// FindPost implements numeneon.PostTx.
func (t *Tx) FindPost(ctx context.Context, id, viewerID int64) (*numeneon.Post, error) {
	return findPost(ctx, t.tx, id, viewerID)
}

// feedPage selects the ids of a feed page ($1 the viewer, $2 the cursor,
// $3 the limit): the newest top-level posts of the viewer and the
// viewer's friends. Walking the posts newest first and keeping the
// friends' (what "ORDER BY id DESC LIMIT" over "author_id IN (friends)"
// plans to) reads every post written since the page's oldest, by anyone:
// 4.7 s on a 100,000-post table whose friends' posts were not the newest.
// Instead each author is one range of posts_author_idx (an index-only
// scan), bounded from below: the $3-th newest among the authors' newest
// posts is a floor under the whole page, since at least $3 posts reach
// it. So the page costs two short probes per author, whatever the table
// holds (about 3 ms for 500 friends with 40 posts each).
const feedPage = `WITH authors AS MATERIALIZED (
		SELECT friend_id AS id FROM friendships WHERE user_id = $1 UNION ALL SELECT $1
	), heads AS MATERIALIZED (
		SELECT h.id FROM authors a CROSS JOIN LATERAL (
			SELECT p.id FROM posts p WHERE p.author_id = a.id AND p.parent_id IS NULL AND p.id < $2
			ORDER BY p.id DESC LIMIT 1) h
	), page_floor AS (
		SELECT COALESCE((SELECT id FROM heads ORDER BY id DESC OFFSET $3 - 1 LIMIT 1), 0) AS id
	), page AS (
		SELECT q.id FROM authors a CROSS JOIN LATERAL (
			SELECT p.id FROM posts p WHERE p.author_id = a.id AND p.parent_id IS NULL
				AND p.id < $2 AND p.id >= (SELECT id FROM page_floor)
			ORDER BY p.id DESC LIMIT $3) q
		ORDER BY q.id DESC LIMIT $3
	) `

// ListFeedPosts implements numeneon.PostStore in one statement (feedPage).
func (s *Store) ListFeedPosts(ctx context.Context, viewerID int64, page numeneon.Page) ([]*numeneon.Post, error) {
	return s.listPosts(ctx, fmt.Sprintf("list the feed of user %d", viewerID), feedPage+postSelect+`
		WHERE p.id IN (SELECT id FROM page) ORDER BY p.id DESC`,
		viewerID, cursorOf(page), listLimit(page.Limit))
}

// profilePage selects the ids of a profile page ($4 the owner, $2 the
// cursor, $3 the limit): the newest of the owner's own posts (one backward
// range of posts_author_idx, skipping their posts on others' walls) and of
// the posts on the owner's wall (one of posts_wall_idx), so a prolific
// user's page reads about $3 rows of each, not every post they wrote.
const profilePage = `WITH page AS (
		(SELECT p.id FROM posts p WHERE p.author_id = $4 AND p.parent_id IS NULL
			AND (p.target_profile_id IS NULL OR p.target_profile_id = $4) AND p.id < $2
			ORDER BY p.id DESC LIMIT $3)
		UNION
		(SELECT p.id FROM posts p WHERE p.target_profile_id = $4 AND p.parent_id IS NULL AND p.id < $2
			ORDER BY p.id DESC LIMIT $3)
		ORDER BY id DESC LIMIT $3
	) `

// ListProfilePosts implements numeneon.PostStore in one statement
// (profilePage).
func (s *Store) ListProfilePosts(ctx context.Context, ownerID, viewerID int64, page numeneon.Page) ([]*numeneon.Post, error) {
	return s.listPosts(ctx, fmt.Sprintf("list the posts of user %d", ownerID), profilePage+postSelect+`
		WHERE p.id IN (SELECT id FROM page) ORDER BY p.id DESC`,
		viewerID, cursorOf(page), listLimit(page.Limit), ownerID)
}

// cursorOf returns the id a page's posts are below: its Before, or the
// largest id when it has none, so the index range has a bound either way.
func cursorOf(page numeneon.Page) int64 {
	if page.Before <= 0 {
		return math.MaxInt64
	}
	return page.Before
}

// ListPostReplies implements numeneon.PostStore.
func (s *Store) ListPostReplies(ctx context.Context, postID, viewerID int64, page numeneon.Page) ([]*numeneon.Post, error) {
	return s.listPosts(ctx, fmt.Sprintf("list the replies to post %d", postID), postSelect+`
		WHERE p.parent_id = $4`+postPage,
		viewerID, page.Before, listLimit(page.Limit), postID)
}

// listPosts runs one query built on postSelect and postPage.
func (s *Store) listPosts(ctx context.Context, op, sql string, args ...any) ([]*numeneon.Post, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapError(err, op)
	}
	ps, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*numeneon.Post, error) {
		return scanPost(row)
	})
	if err != nil {
		return nil, mapError(err, op)
	}
	return ps, nil
}

// postRefsExist is the condition under which a post row with author $1,
// parent $2, wall $3, comment $4 and mention $5 can be inserted without
// failing a foreign key, which would abort the transaction.
const postRefsExist = `EXISTS (SELECT 1 FROM users WHERE id = $1)
	AND ($2::bigint IS NULL OR EXISTS (SELECT 1 FROM posts WHERE id = $2))
	AND ($3::bigint IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $3))
	AND ($4::bigint IS NULL OR EXISTS (SELECT 1 FROM posts WHERE id = $4))
	AND ($5::bigint IS NULL OR EXISTS (SELECT 1 FROM users WHERE id = $5))`

// CreatePost implements numeneon.PostTx. A reference to nothing makes the
// insert do nothing rather than fail, so the transaction stays usable.
func (t *Tx) CreatePost(ctx context.Context, p *numeneon.Post) error {
	at := time.Now().UTC().Truncate(time.Microsecond)
	err := t.tx.QueryRow(ctx, `INSERT INTO posts (author_id, parent_id, target_profile_id, reply_to_comment_id,
			mentioned_user_id, type, content, media_url, created_at, updated_at)
		SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $9 WHERE `+postRefsExist+`
		RETURNING id`,
		p.AuthorID, p.ParentID, p.TargetProfileID, p.ReplyToCommentID, p.MentionedUserID,
		p.Type, p.Content, p.MediaURL, at).Scan(&p.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Post or user not found.")
	}
	if err != nil {
		return mapError(err, fmt.Sprintf("create post of user %d", p.AuthorID))
	}
	p.CreatedAt, p.UpdatedAt = at, at
	return nil
}

// UpdatePost implements numeneon.PostTx.
func (t *Tx) UpdatePost(ctx context.Context, id int64, upd numeneon.PostUpdate) error {
	var media *string
	if upd.MediaURL != nil && *upd.MediaURL != "" {
		media = upd.MediaURL
	}
	tag, err := t.tx.Exec(ctx, `UPDATE posts SET
		content = COALESCE($2, content), type = COALESCE($3, type),
		media_url = CASE WHEN $4 THEN $5 ELSE media_url END, updated_at = $6
		WHERE id = $1`,
		id, upd.Content, upd.Type, upd.MediaURL != nil, media, time.Now().UTC().Truncate(time.Microsecond))
	if err != nil {
		return mapError(err, fmt.Sprintf("update post %d", id))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Post not found.")
	}
	return nil
}

// DeletePost implements numeneon.PostTx. Comments, likes and shares go
// with the post (ON DELETE CASCADE), replies lose their comment (SET NULL).
func (t *Tx) DeletePost(ctx context.Context, id int64) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM posts WHERE id = $1`, id)
	if err != nil {
		return mapError(err, fmt.Sprintf("delete post %d", id))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Post not found.")
	}
	return nil
}

// postAndUserExist is the condition, on parameters $1 (post) and $2
// (user), under which a row pointing at both may be inserted without
// failing its foreign keys.
const postAndUserExist = `EXISTS (SELECT 1 FROM posts WHERE id = $1) AND EXISTS (SELECT 1 FROM users WHERE id = $2)`

// LikePost implements numeneon.PostTx.
func (t *Tx) LikePost(ctx context.Context, postID, userID int64) (bool, error) {
	var wrote, exist bool
	err := t.tx.QueryRow(ctx, `WITH w AS (
			INSERT INTO post_likes (post_id, user_id, created_at)
			SELECT $1, $2, now() WHERE `+postAndUserExist+`
			ON CONFLICT DO NOTHING RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM w), `+postAndUserExist, postID, userID).Scan(&wrote, &exist)
	if err != nil {
		return false, mapError(err, fmt.Sprintf("like post %d as user %d", postID, userID))
	}
	if !wrote && !exist {
		return false, numeneon.Errorf(numeneon.ENOTFOUND, "Post or user not found.")
	}
	return wrote, nil
}

// UnlikePost implements numeneon.PostTx.
func (t *Tx) UnlikePost(ctx context.Context, postID, userID int64) (bool, error) {
	tag, err := t.tx.Exec(ctx, `DELETE FROM post_likes WHERE post_id = $1 AND user_id = $2`, postID, userID)
	if err != nil {
		return false, mapError(err, fmt.Sprintf("unlike post %d as user %d", postID, userID))
	}
	return tag.RowsAffected() == 1, nil
}

// SharePost implements numeneon.PostTx.
func (t *Tx) SharePost(ctx context.Context, postID, userID int64) error {
	var wrote bool
	err := t.tx.QueryRow(ctx, `WITH w AS (
			INSERT INTO post_shares (post_id, user_id, created_at)
			SELECT $1, $2, now() WHERE `+postAndUserExist+` RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM w)`, postID, userID).Scan(&wrote)
	if err != nil {
		return mapError(err, fmt.Sprintf("share post %d as user %d", postID, userID))
	}
	if !wrote {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Post or user not found.")
	}
	return nil
}

// CreateNotifications implements numeneon.Tx: the notifications join the
// queue of the next flush (deferred.go), which writes all of them with one
// statement, pipelined with the commit.
func (t *Tx) CreateNotifications(ctx context.Context, notes []*numeneon.Notification) error {
	for _, n := range notes {
		if err := t.CreateNotification(ctx, n); err != nil {
			return err
		}
	}
	return nil
}

// PruneNotifications implements numeneon.Tx. SKIP LOCKED lets the pruners
// of several processes take different batches.
func (t *Tx) PruneNotifications(ctx context.Context, before time.Time, limit int) (int, error) {
	tag, err := t.tx.Exec(ctx, `DELETE FROM notifications WHERE (user_id, id) IN (
		SELECT user_id, id FROM notifications WHERE created_at < $1
		ORDER BY created_at LIMIT $2 FOR UPDATE SKIP LOCKED)`, before, listLimit(limit))
	if err != nil {
		return 0, mapError(err, "prune notifications")
	}
	return int(tag.RowsAffected()), nil
}
