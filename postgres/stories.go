package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// storySelect selects a story (s) with its owner (u, p), the viewer's ($1)
// view and reaction and the story's counts, in the order scanStory reads
// them. The counts are computed, not kept in counters: a story has at most
// as many views and reactions as its owner has friends, each an index range.
const storySelect = `SELECT s.id, s.user_id, s.media_type, s.media_url, s.caption, s.created_at, s.expires_at,
	u.username, u.first_name, u.last_name, p.avatar,
	EXISTS (SELECT 1 FROM story_views v WHERE v.story_id = s.id AND v.viewer_id = $1),
	COALESCE((SELECT r.reaction_type FROM story_reactions r WHERE r.story_id = s.id AND r.user_id = $1), ''),
	(SELECT count(*) FROM story_views v WHERE v.story_id = s.id),
	(SELECT count(*) FROM story_reactions r WHERE r.story_id = s.id AND r.reaction_type = 'heart'),
	(SELECT count(*) FROM story_reactions r WHERE r.story_id = s.id AND r.reaction_type = 'thunder')
	FROM stories s JOIN users u ON u.id = s.user_id JOIN profiles p ON p.user_id = u.id `

// storyPage keeps the stories unexpired at $2 and older than the cursor
// story $3, newest first, at most $4. An unknown cursor selects nothing.
const storyPage = ` AND s.expires_at > $2
	AND ($3 = '' OR (s.created_at, s.id) < (SELECT b.created_at, b.id FROM stories b WHERE b.id = $3))
	ORDER BY s.created_at DESC, s.id DESC LIMIT $4`

func scanStory(row pgx.Row) (*numeneon.Story, error) {
	st := &numeneon.Story{User: &numeneon.User{}}
	err := row.Scan(&st.ID, &st.UserID, &st.MediaType, &st.MediaURL, &st.Caption, &st.CreatedAt, &st.ExpiresAt,
		&st.User.Username, &st.User.FirstName, &st.User.LastName, &st.User.Profile.Avatar,
		&st.IsViewed, &st.MyReaction, &st.ViewCount, &st.HeartCount, &st.ThunderCount)
	if err != nil {
		return nil, err
	}
	st.User.ID = st.UserID
	return st, nil
}

func findStory(ctx context.Context, q querier, id string, viewerID int64) (*numeneon.Story, error) {
	st, err := scanStory(q.QueryRow(ctx, storySelect+`WHERE s.id = $2`, viewerID, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, "Story not found.")
	}
	if err != nil {
		return nil, mapError(err, "find story "+id)
	}
	return st, nil
}

// FindStory implements numeneon.StoryStore.
func (s *Store) FindStory(ctx context.Context, id string, viewerID int64) (*numeneon.Story, error) {
	return findStory(ctx, s.pool, id, viewerID)
}

// FindStory implements numeneon.StoryTx.
func (t *Tx) FindStory(ctx context.Context, id string, viewerID int64) (*numeneon.Story, error) {
	return findStory(ctx, t.tx, id, viewerID)
}

// ListFeedStories implements numeneon.StoryStore: one range of
// stories_user_idx per friend, and the viewer's own.
func (s *Store) ListFeedStories(ctx context.Context, viewerID int64, now time.Time, page numeneon.StoryPage) ([]*numeneon.Story, error) {
	return s.listStories(ctx, fmt.Sprintf("list the story feed of user %d", viewerID), storySelect+`
		WHERE s.user_id IN (SELECT friend_id FROM friendships WHERE user_id = $1 UNION ALL SELECT $1)`+storyPage,
		viewerID, now, page.Before, listLimit(page.Limit))
}

// ListUserStories implements numeneon.StoryStore.
func (s *Store) ListUserStories(ctx context.Context, ownerID, viewerID int64, now time.Time, page numeneon.StoryPage) ([]*numeneon.Story, error) {
	return s.listStories(ctx, fmt.Sprintf("list the stories of user %d", ownerID), storySelect+`
		WHERE s.user_id = $5`+storyPage,
		viewerID, now, page.Before, listLimit(page.Limit), ownerID)
}

func (s *Store) listStories(ctx context.Context, op, sql string, args ...any) ([]*numeneon.Story, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapError(err, op)
	}
	sts, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*numeneon.Story, error) {
		return scanStory(row)
	})
	if err != nil {
		return nil, mapError(err, op)
	}
	return sts, nil
}

// CreateStory implements numeneon.StoryTx. An unknown user or a taken id
// makes the insert do nothing rather than fail, so the transaction stays
// usable; a second statement then tells which it was.
func (t *Tx) CreateStory(ctx context.Context, st *numeneon.Story) error {
	op := fmt.Sprintf("create story of user %d", st.UserID)
	err := t.tx.QueryRow(ctx, `INSERT INTO stories (id, user_id, media_type, media_url, caption, created_at, expires_at)
		SELECT $1::text, $2::bigint, $3::text, $4::text, $5::text, $6::timestamptz, $7::timestamptz WHERE EXISTS (SELECT 1 FROM users WHERE id = $2)
		ON CONFLICT DO NOTHING
		RETURNING true`,
		st.ID, st.UserID, st.MediaType, st.MediaURL, st.Caption, st.CreatedAt, st.ExpiresAt).Scan(new(bool))
	if !errors.Is(err, pgx.ErrNoRows) {
		return mapError(err, op)
	}
	var taken bool
	if err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM stories WHERE id = $1)`, st.ID).Scan(&taken); err != nil {
		return mapError(err, op)
	}
	if taken {
		return conflictError("story")
	}
	return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
}

// DeleteStory implements numeneon.StoryTx. Views and reactions go with the
// story (ON DELETE CASCADE).
func (t *Tx) DeleteStory(ctx context.Context, id string) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM stories WHERE id = $1`, id)
	if err != nil {
		return mapError(err, "delete story "+id)
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Story not found.")
	}
	return nil
}

// storyAndUserExist is the condition, on parameters $1 (story) and $2
// (user), under which a row pointing at both may be inserted without
// failing its foreign keys and aborting the transaction.
const storyAndUserExist = `EXISTS (SELECT 1 FROM stories WHERE id = $1) AND EXISTS (SELECT 1 FROM users WHERE id = $2)`

// AddStoryView implements numeneon.StoryTx.
func (t *Tx) AddStoryView(ctx context.Context, storyID string, viewerID int64, at time.Time) (bool, error) {
	return t.upsertStoryRow(ctx, fmt.Sprintf("add view of story %s by user %d", storyID, viewerID), `
		INSERT INTO story_views (story_id, viewer_id, created_at)
		SELECT $1::text, $2::bigint, $3::timestamptz WHERE `+storyAndUserExist+`
		ON CONFLICT DO NOTHING`, storyID, viewerID, at)
}

// SetStoryReaction implements numeneon.StoryTx. The upsert's WHERE leaves
// a reaction of the same type untouched, so "changed" is its row count.
func (t *Tx) SetStoryReaction(ctx context.Context, storyID string, userID int64, typ string, at time.Time) (bool, error) {
	return t.upsertStoryRow(ctx, fmt.Sprintf("set reaction of user %d to story %s", userID, storyID), `
		INSERT INTO story_reactions (story_id, user_id, created_at, reaction_type)
		SELECT $1::text, $2::bigint, $3::timestamptz, $4::text WHERE `+storyAndUserExist+`
		ON CONFLICT (story_id, user_id) DO UPDATE
		SET reaction_type = excluded.reaction_type, created_at = excluded.created_at
		WHERE story_reactions.reaction_type <> excluded.reaction_type`, storyID, userID, at, typ)
}

// upsertStoryRow runs insert, an INSERT guarded by storyAndUserExist, and
// reports whether it wrote a row. When it wrote none, one more query tells
// an unknown story or user (ENOTFOUND) from a row that was already there.
func (t *Tx) upsertStoryRow(ctx context.Context, op, insert string, args ...any) (bool, error) {
	var wrote, exist bool
	err := t.tx.QueryRow(ctx, `WITH w AS (`+insert+` RETURNING 1)
		SELECT EXISTS (SELECT 1 FROM w), `+storyAndUserExist, args...).Scan(&wrote, &exist)
	if err != nil {
		return false, mapError(err, op)
	}
	if !wrote && !exist {
		return false, numeneon.Errorf(numeneon.ENOTFOUND, "Story or user not found.")
	}
	return wrote, nil
}

// DeleteStoryReaction implements numeneon.StoryTx.
func (t *Tx) DeleteStoryReaction(ctx context.Context, storyID string, userID int64) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM story_reactions WHERE story_id = $1 AND user_id = $2`, storyID, userID)
	if err != nil {
		return mapError(err, fmt.Sprintf("delete reaction of user %d to story %s", userID, storyID))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Reaction not found.")
	}
	return nil
}

// PurgeExpiredStories implements numeneon.StoryTx in one statement. SKIP
// LOCKED lets the cleanup jobs of several processes take different
// batches instead of queueing on each other's. The story deletes and the
// purged marks touch disjoint rows (replied to or not), as one statement
// must; a deleted story's views and reactions would go by cascade anyway.
func (t *Tx) PurgeExpiredStories(ctx context.Context, now time.Time, limit int) (int, error) {
	var n int
	err := t.tx.QueryRow(ctx, `WITH batch AS (
			SELECT s.id, EXISTS (SELECT 1 FROM messages m WHERE m.story_id = s.id) AS replied
			FROM stories s WHERE NOT s.purged AND s.expires_at <= $1
			ORDER BY s.expires_at, s.id LIMIT $2
			FOR UPDATE SKIP LOCKED
		), views AS (
			DELETE FROM story_views WHERE story_id IN (SELECT id FROM batch)
		), reactions AS (
			DELETE FROM story_reactions WHERE story_id IN (SELECT id FROM batch)
		), unreplied AS (
			DELETE FROM stories WHERE id IN (SELECT id FROM batch WHERE NOT replied)
		), replied AS (
			UPDATE stories SET purged = true WHERE id IN (SELECT id FROM batch WHERE replied)
		)
		SELECT count(*) FROM batch`, now, listLimit(limit)).Scan(&n)
	if err != nil {
		return 0, mapError(err, "purge expired stories")
	}
	return n, nil
}

// messageStoryColumns selects the story a message (m) replies to, joined as
// st with messageStoryJoin; scanned by messageStoryDest.
const (
	messageStoryColumns = `st.id, st.media_url, st.media_type, st.expires_at`
	messageStoryJoin    = ` LEFT JOIN stories st ON st.id = m.story_id `
)

// messageStoryDest holds the nullable columns of messageStoryColumns.
type messageStoryDest struct {
	id, url, typ *string
	expires      *time.Time
}

func (d *messageStoryDest) dest() []any { return []any{&d.id, &d.url, &d.typ, &d.expires} }

// story returns the scanned story, or nil when the message replies to none
// (or to a deleted one).
func (d *messageStoryDest) story() *numeneon.MessageStory {
	if d.id == nil || d.url == nil || d.typ == nil || d.expires == nil {
		return nil
	}
	return &numeneon.MessageStory{ID: *d.id, MediaURL: *d.url, MediaType: *d.typ, ExpiresAt: *d.expires}
}
