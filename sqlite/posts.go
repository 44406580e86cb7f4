package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/numeneon/numeneon"
)

// postSelect selects a post (p) with its author (au, ap), the user whose
// wall it is on (tu, tp) and the user it mentions (mu, mp), its counts and
// whether the viewer likes it, in the order scanPost reads them. The counts
// are computed from the rows, each an index range, so they are always
// what the rows say.
const postSelect = `SELECT p.id, p.author_id, p.type, p.content, p.media_url, p.created_at, p.updated_at,
	p.parent_id, p.target_profile_id, p.reply_to_comment_id, p.mentioned_user_id,
	au.username, au.email, au.first_name, au.last_name, au.date_joined, ap.avatar,
	tu.username, tu.email, tu.first_name, tu.last_name, tu.date_joined, tp.avatar,
	mu.username, mu.email, mu.first_name, mu.last_name, mu.date_joined, mp.avatar,
	(SELECT count(*) FROM posts r WHERE r.reply_to_comment_id = p.id),
	(SELECT count(*) FROM post_likes l WHERE l.post_id = p.id),
	(SELECT count(*) FROM posts c WHERE c.parent_id = p.id),
	(SELECT count(*) FROM post_shares s WHERE s.post_id = p.id),
	EXISTS (SELECT 1 FROM post_likes l WHERE l.post_id = p.id AND l.user_id = @viewer)
	FROM posts p
	JOIN users au ON au.id = p.author_id JOIN profiles ap ON ap.user_id = au.id
	LEFT JOIN users tu ON tu.id = p.target_profile_id LEFT JOIN profiles tp ON tp.user_id = tu.id
	LEFT JOIN users mu ON mu.id = p.mentioned_user_id LEFT JOIN profiles mp ON mp.user_id = mu.id `

// postPage keeps the posts older than the cursor, newest first.
const postPage = ` AND (@before <= 0 OR p.id < @before) ORDER BY p.id DESC LIMIT @limit`

const (
	findPostSQL = postSelect + `WHERE p.id = @id`
	// The feed is one range of posts_author per friend, and the viewer's own.
	listFeedPostsSQL = postSelect + `WHERE p.parent_id IS NULL AND p.author_id IN (
		SELECT friend_id FROM friendships WHERE user_id = @viewer UNION ALL SELECT @viewer)` + postPage
	// A profile: the owner's posts not on another's wall (posts_author),
	// and the posts on the owner's wall (posts_wall).
	listProfilePostsSQL = postSelect + `WHERE p.parent_id IS NULL AND (
		(p.author_id = @owner AND (p.target_profile_id IS NULL OR p.target_profile_id = @owner))
		OR p.target_profile_id = @owner)` + postPage
	listPostRepliesSQL = postSelect + `WHERE p.parent_id = @post` + postPage
)

// postUserDest scans the nullable columns of a joined user.
type postUserDest struct {
	username, email, first, last, joined, avatar sql.NullString
}

func (d *postUserDest) dest() []any {
	return []any{&d.username, &d.email, &d.first, &d.last, &d.joined, &d.avatar}
}

// user returns the scanned user with id, or nil when id is nil (no user
// joined).
func (d *postUserDest) user(id *int64) (*numeneon.User, error) {
	if id == nil || !d.username.Valid {
		return nil, nil
	}
	u := &numeneon.User{ID: *id, Username: d.username.String, Email: d.email.String,
		FirstName: d.first.String, LastName: d.last.String}
	if err := (timeColumn{&u.DateJoined}).Scan(d.joined.String); err != nil {
		return nil, err
	}
	setAvatar(u, d.avatar)
	return u, nil
}

func nullID(n sql.NullInt64) *int64 {
	if !n.Valid {
		return nil
	}
	v := n.Int64
	return &v
}

func scanPost(row scanner) (*numeneon.Post, error) {
	p := &numeneon.Post{}
	var (
		media                             sql.NullString
		parent, target, replyTo, mentions sql.NullInt64
		author, targetUser, mentioned     postUserDest
	)
	dest := []any{&p.ID, &p.AuthorID, &p.Type, &p.Content, &media,
		timeColumn{&p.CreatedAt}, timeColumn{&p.UpdatedAt},
		&parent, &target, &replyTo, &mentions}
	dest = append(dest, author.dest()...)
	dest = append(dest, targetUser.dest()...)
	dest = append(dest, mentioned.dest()...)
	dest = append(dest, &p.ReplyCount, &p.LikesCount, &p.CommentCount, &p.SharesCount, &p.IsLiked)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	if media.Valid {
		p.MediaURL = &media.String
	}
	p.ParentID, p.TargetProfileID, p.ReplyToCommentID, p.MentionedUserID = nullID(parent), nullID(target), nullID(replyTo), nullID(mentions)
	var err error
	if p.Author, err = author.user(&p.AuthorID); err != nil {
		return nil, err
	}
	if p.TargetProfile, err = targetUser.user(p.TargetProfileID); err != nil {
		return nil, err
	}
	if p.MentionedUser, err = mentioned.user(p.MentionedUserID); err != nil {
		return nil, err
	}
	return p, nil
}

func findPost(ctx context.Context, q queryer, id, viewerID int64) (*numeneon.Post, error) {
	p, err := scanPost(q.QueryRowContext(ctx, findPostSQL, sql.Named("id", id), sql.Named("viewer", viewerID)))
	if err != nil {
		return nil, fmt.Errorf("find post %d: %w", id, notFound(err, "post"))
	}
	return p, nil
}

// FindPost implements numeneon.PostStore.
func (s *Store) FindPost(ctx context.Context, id, viewerID int64) (*numeneon.Post, error) {
	return findPost(ctx, s.rq, id, viewerID)
}

// FindPost implements numeneon.PostTx.
func (tx *Tx) FindPost(ctx context.Context, id, viewerID int64) (*numeneon.Post, error) {
	return findPost(ctx, tx.q, id, viewerID)
}

// ListFeedPosts implements numeneon.PostStore.
func (s *Store) ListFeedPosts(ctx context.Context, viewerID int64, page numeneon.Page) ([]*numeneon.Post, error) {
	ps, err := s.listPosts(ctx, listFeedPostsSQL, viewerID, page)
	if err != nil {
		return nil, fmt.Errorf("list the feed of user %d: %w", viewerID, err)
	}
	return ps, nil
}

// ListProfilePosts implements numeneon.PostStore.
func (s *Store) ListProfilePosts(ctx context.Context, ownerID, viewerID int64, page numeneon.Page) ([]*numeneon.Post, error) {
	ps, err := s.listPosts(ctx, listProfilePostsSQL, viewerID, page, sql.Named("owner", ownerID))
	if err != nil {
		return nil, fmt.Errorf("list the posts of user %d: %w", ownerID, err)
	}
	return ps, nil
}

// ListPostReplies implements numeneon.PostStore.
func (s *Store) ListPostReplies(ctx context.Context, postID, viewerID int64, page numeneon.Page) ([]*numeneon.Post, error) {
	ps, err := s.listPosts(ctx, listPostRepliesSQL, viewerID, page, sql.Named("post", postID))
	if err != nil {
		return nil, fmt.Errorf("list the replies to post %d: %w", postID, err)
	}
	return ps, nil
}

// listPosts runs a query built on postSelect and postPage: one query
// whatever the page's length.
func (s *Store) listPosts(ctx context.Context, query string, viewerID int64, page numeneon.Page, args ...any) ([]*numeneon.Post, error) {
	args = append(args, sql.Named("viewer", viewerID), sql.Named("before", page.Before), sql.Named("limit", limitOr(page.Limit)))
	rows, err := s.rq.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var out []*numeneon.Post
	for rows.Next() {
		p, err := scanPost(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err)
	}
	return out, nil
}

// CreatePost implements numeneon.PostTx. A foreign key that points
// nowhere fails the insert, which SQLite reports as a constraint error
// without ending the transaction.
func (tx *Tx) CreatePost(ctx context.Context, p *numeneon.Post) error {
	t := now()
	err := tx.q.QueryRowContext(ctx, `INSERT INTO posts (author_id, type, content, media_url, parent_id,
		target_profile_id, reply_to_comment_id, mentioned_user_id, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		p.AuthorID, p.Type, p.Content, p.MediaURL, p.ParentID, p.TargetProfileID, p.ReplyToCommentID, p.MentionedUserID,
		formatTime(t), formatTime(t)).Scan(&p.ID)
	if err != nil {
		return fmt.Errorf("create post of user %d: %w", p.AuthorID, postRefError(err))
	}
	p.CreatedAt, p.UpdatedAt = t, t
	return nil
}

// UpdatePost implements numeneon.PostTx.
func (tx *Tx) UpdatePost(ctx context.Context, id int64, upd numeneon.PostUpdate) error {
	var media sql.NullString
	if upd.MediaURL != nil && *upd.MediaURL != "" {
		media = sql.NullString{String: *upd.MediaURL, Valid: true}
	}
	res, err := tx.q.ExecContext(ctx, `UPDATE posts SET
		content = coalesce(@content, content), type = coalesce(@type, type),
		media_url = CASE WHEN @setmedia THEN @media ELSE media_url END, updated_at = @now
		WHERE id = @id`,
		sql.Named("content", upd.Content), sql.Named("type", upd.Type),
		sql.Named("setmedia", upd.MediaURL != nil), sql.Named("media", media),
		sql.Named("now", formatTime(now())), sql.Named("id", id))
	if err != nil {
		return fmt.Errorf("update post %d: %w", id, dbError(err))
	}
	return affectedOne(res, fmt.Sprintf("update post %d", id), "post")
}

// DeletePost implements numeneon.PostTx. Comments, likes and shares go
// with the post (ON DELETE CASCADE), replies lose their comment (SET NULL).
func (tx *Tx) DeletePost(ctx context.Context, id int64) error {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM posts WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete post %d: %w", id, dbError(err))
	}
	return affectedOne(res, fmt.Sprintf("delete post %d", id), "post")
}

// LikePost implements numeneon.PostTx.
func (tx *Tx) LikePost(ctx context.Context, postID, userID int64) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO post_likes (post_id, user_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, postID, userID, formatTime(now()))
	if err != nil {
		return false, fmt.Errorf("like post %d as user %d: %w", postID, userID, postRefError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("like post %d as user %d: %w", postID, userID, err)
	}
	return n == 1, nil
}

// UnlikePost implements numeneon.PostTx.
func (tx *Tx) UnlikePost(ctx context.Context, postID, userID int64) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM post_likes WHERE post_id = ? AND user_id = ?`, postID, userID)
	if err != nil {
		return false, fmt.Errorf("unlike post %d as user %d: %w", postID, userID, dbError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("unlike post %d as user %d: %w", postID, userID, err)
	}
	return n == 1, nil
}

// SharePost implements numeneon.PostTx.
func (tx *Tx) SharePost(ctx context.Context, postID, userID int64) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO post_shares (post_id, user_id, created_at) VALUES (?, ?, ?)`,
		postID, userID, formatTime(now()))
	if err != nil {
		return fmt.Errorf("share post %d as user %d: %w", postID, userID, postRefError(err))
	}
	return nil
}

// postRefError is dbError for a row that points at posts and users: its
// foreign-key failure may be any of them.
func postRefError(err error) error {
	err = dbError(err)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return numeneon.Errorf(numeneon.ENOTFOUND, "post or user not found")
	}
	return err
}
