package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/numeneon/numeneon"
)

// storySelect selects a story (s) with its owner (u, p), the viewer's view
// and reaction and the story's counts, in the order scanStory reads them.
// The counts are computed, not kept in counters: a story has at most as
// many views and reactions as its owner has friends, each an index range.
const storySelect = `SELECT s.id, s.user_id, s.media_type, s.media_url, s.caption, s.created_at, s.expires_at,
	u.username, u.first_name, u.last_name, p.avatar,
	EXISTS (SELECT 1 FROM story_views v WHERE v.story_id = s.id AND v.viewer_id = @viewer),
	coalesce((SELECT r.reaction_type FROM story_reactions r WHERE r.story_id = s.id AND r.user_id = @viewer), ''),
	(SELECT count(*) FROM story_views v WHERE v.story_id = s.id),
	(SELECT count(*) FROM story_reactions r WHERE r.story_id = s.id AND r.reaction_type = 'heart'),
	(SELECT count(*) FROM story_reactions r WHERE r.story_id = s.id AND r.reaction_type = 'thunder')
	FROM stories s JOIN users u ON u.id = s.user_id JOIN profiles p ON p.user_id = u.id `

// storyPage keeps the unexpired stories older than the cursor story, newest
// first. An unknown cursor selects nothing.
const storyPage = ` AND s.expires_at > @now
	AND (@before = '' OR (s.created_at, s.id) < (SELECT b.created_at, b.id FROM stories b WHERE b.id = @before))
	ORDER BY s.created_at DESC, s.id DESC LIMIT @limit`

const (
	findStorySQL = storySelect + `WHERE s.id = @id`
	// The feed is one range of stories_user per friend, and the viewer's own.
	listFeedStoriesSQL = storySelect + `WHERE s.user_id IN (
		SELECT friend_id FROM friendships WHERE user_id = @viewer UNION ALL SELECT @viewer)` + storyPage
	listUserStoriesSQL = storySelect + `WHERE s.user_id = @owner` + storyPage
)

func scanStory(row scanner) (*numeneon.Story, error) {
	st := &numeneon.Story{User: &numeneon.User{}}
	var avatar sql.NullString
	err := row.Scan(&st.ID, &st.UserID, &st.MediaType, &st.MediaURL, &st.Caption,
		timeColumn{&st.CreatedAt}, timeColumn{&st.ExpiresAt},
		&st.User.Username, &st.User.FirstName, &st.User.LastName, &avatar,
		&st.IsViewed, &st.MyReaction, &st.ViewCount, &st.HeartCount, &st.ThunderCount)
	if err != nil {
		return nil, err
	}
	st.User.ID = st.UserID
	setAvatar(st.User, avatar)
	return st, nil
}

func findStory(ctx context.Context, q queryer, id string, viewerID int64) (*numeneon.Story, error) {
	st, err := scanStory(q.QueryRowContext(ctx, findStorySQL, sql.Named("id", id), sql.Named("viewer", viewerID)))
	if err != nil {
		return nil, fmt.Errorf("find story %s: %w", id, notFound(err, "story"))
	}
	return st, nil
}

// FindStory implements numeneon.StoryStore.
func (s *Store) FindStory(ctx context.Context, id string, viewerID int64) (*numeneon.Story, error) {
	return findStory(ctx, s.rq, id, viewerID)
}

// FindStory implements numeneon.StoryTx.
func (tx *Tx) FindStory(ctx context.Context, id string, viewerID int64) (*numeneon.Story, error) {
	return findStory(ctx, tx.q, id, viewerID)
}

// ListFeedStories implements numeneon.StoryStore.
func (s *Store) ListFeedStories(ctx context.Context, viewerID int64, now time.Time, page numeneon.StoryPage) ([]*numeneon.Story, error) {
	sts, err := s.listStories(ctx, listFeedStoriesSQL, viewerID, now, page)
	if err != nil {
		return nil, fmt.Errorf("list the story feed of user %d: %w", viewerID, err)
	}
	return sts, nil
}

// ListUserStories implements numeneon.StoryStore.
func (s *Store) ListUserStories(ctx context.Context, ownerID, viewerID int64, now time.Time, page numeneon.StoryPage) ([]*numeneon.Story, error) {
	sts, err := s.listStories(ctx, listUserStoriesSQL, viewerID, now, page, sql.Named("owner", ownerID))
	if err != nil {
		return nil, fmt.Errorf("list the stories of user %d: %w", ownerID, err)
	}
	return sts, nil
}

// listStories runs a query built on storySelect and storyPage.
func (s *Store) listStories(ctx context.Context, query string, viewerID int64, now time.Time, page numeneon.StoryPage, args ...any) ([]*numeneon.Story, error) {
	args = append(args, sql.Named("viewer", viewerID), sql.Named("now", formatTime(now)),
		sql.Named("before", page.Before), sql.Named("limit", limitOr(page.Limit)))
	rows, err := s.rq.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var out []*numeneon.Story
	for rows.Next() {
		st, err := scanStory(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err)
	}
	return out, nil
}

// CreateStory implements numeneon.StoryTx.
func (tx *Tx) CreateStory(ctx context.Context, st *numeneon.Story) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO stories (id, user_id, media_type, media_url, caption, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`,
		st.ID, st.UserID, st.MediaType, st.MediaURL, st.Caption, formatTime(st.CreatedAt), formatTime(st.ExpiresAt))
	if err != nil {
		return fmt.Errorf("create story of user %d: %w", st.UserID, dbError(err))
	}
	return nil
}

// DeleteStory implements numeneon.StoryTx. Views and reactions go with the
// story (ON DELETE CASCADE).
func (tx *Tx) DeleteStory(ctx context.Context, id string) error {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM stories WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete story %s: %w", id, dbError(err))
	}
	return affectedOne(res, "delete story "+id, "story")
}

// AddStoryView implements numeneon.StoryTx.
func (tx *Tx) AddStoryView(ctx context.Context, storyID string, viewerID int64, at time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO story_views (story_id, viewer_id, created_at) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`, storyID, viewerID, formatTime(at))
	if err != nil {
		return false, fmt.Errorf("add view of story %s by user %d: %w", storyID, viewerID, storyRefError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("add view of story %s by user %d: %w", storyID, viewerID, err)
	}
	return n == 1, nil
}

// SetStoryReaction implements numeneon.StoryTx. The upsert's WHERE leaves
// a reaction of the same type untouched, so "changed" is its row count.
func (tx *Tx) SetStoryReaction(ctx context.Context, storyID string, userID int64, typ string, at time.Time) (bool, error) {
	res, err := tx.q.ExecContext(ctx, `INSERT INTO story_reactions (story_id, user_id, reaction_type, created_at)
		VALUES (?, ?, ?, ?)
		ON CONFLICT (story_id, user_id) DO UPDATE SET reaction_type = excluded.reaction_type, created_at = excluded.created_at
		WHERE story_reactions.reaction_type <> excluded.reaction_type`, storyID, userID, typ, formatTime(at))
	if err != nil {
		return false, fmt.Errorf("set reaction of user %d to story %s: %w", userID, storyID, storyRefError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("set reaction of user %d to story %s: %w", userID, storyID, err)
	}
	return n == 1, nil
}

// DeleteStoryReaction implements numeneon.StoryTx.
func (tx *Tx) DeleteStoryReaction(ctx context.Context, storyID string, userID int64) error {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM story_reactions WHERE story_id = ? AND user_id = ?`, storyID, userID)
	if err != nil {
		return fmt.Errorf("delete reaction of user %d to story %s: %w", userID, storyID, dbError(err))
	}
	return affectedOne(res, fmt.Sprintf("delete reaction of user %d to story %s", userID, storyID), "reaction")
}

// The statements of one cleanup batch. The batch's ids travel as a JSON
// array (json_each), so each statement is one fixed text whatever the
// batch's size. Deleting a story takes its views and reactions with it;
// the stories a message replies to stay, emptied and marked purged.
const (
	expiredStoriesSQL     = `SELECT id FROM stories WHERE purged = 0 AND expires_at <= ? ORDER BY expires_at, id LIMIT ?`
	purgeUnrepliedSQL     = `DELETE FROM stories WHERE id IN (SELECT value FROM json_each(?1)) AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.story_id = stories.id)`
	purgeViewsSQL         = `DELETE FROM story_views WHERE story_id IN (SELECT value FROM json_each(?1))`
	purgeReactionsSQL     = `DELETE FROM story_reactions WHERE story_id IN (SELECT value FROM json_each(?1))`
	markRepliedStoriesSQL = `UPDATE stories SET purged = 1 WHERE id IN (SELECT value FROM json_each(?1))`
)

// PurgeExpiredStories implements numeneon.StoryTx.
func (tx *Tx) PurgeExpiredStories(ctx context.Context, now time.Time, limit int) (int, error) {
	rows, err := tx.q.QueryContext(ctx, expiredStoriesSQL, formatTime(now), limitOr(limit))
	if err != nil {
		return 0, fmt.Errorf("find expired stories: %w", dbError(err))
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("find expired stories: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, fmt.Errorf("find expired stories: %w", dbError(err))
	}
	if len(ids) == 0 {
		return 0, nil
	}
	batch, err := json.Marshal(ids)
	if err != nil {
		return 0, fmt.Errorf("encode expired story ids: %w", err)
	}
	for _, stmt := range []string{purgeUnrepliedSQL, purgeViewsSQL, purgeReactionsSQL, markRepliedStoriesSQL} {
		if _, err := tx.q.ExecContext(ctx, stmt, string(batch)); err != nil {
			return 0, fmt.Errorf("purge %d expired stories: %w", len(ids), dbError(err))
		}
	}
	return len(ids), nil
}

// affectedOne returns ENOTFOUND ("<what> not found") unless res changed a row.
func affectedOne(res sql.Result, op, what string) error {
	n, err := res.RowsAffected()
	if err != nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	if n == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "%s not found", what)
	}
	return nil
}

// storyRefError is dbError for a row that points at a story and a user:
// its foreign-key failure may be either.
func storyRefError(err error) error {
	err = dbError(err)
	if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
		return numeneon.Errorf(numeneon.ENOTFOUND, "story or user not found")
	}
	return err
}

// messageStoryColumns selects the story a message (m) replies to, joined as
// st with messageStoryJoin; scanned by messageStoryDest.
const (
	messageStoryColumns = `st.id, st.media_url, st.media_type, st.expires_at`
	messageStoryJoin    = ` LEFT JOIN stories st ON st.id = m.story_id `
)

// messageStoryDest holds the nullable columns of messageStoryColumns.
type messageStoryDest struct{ id, url, typ, expires sql.NullString }

func (d *messageStoryDest) dest() []any { return []any{&d.id, &d.url, &d.typ, &d.expires} }

// story returns the scanned story, or nil when the message replies to none
// (or to a deleted one).
func (d *messageStoryDest) story() (*numeneon.MessageStory, error) {
	if !d.id.Valid {
		return nil, nil
	}
	ms := &numeneon.MessageStory{ID: d.id.String, MediaURL: d.url.String, MediaType: d.typ.String}
	if err := (timeColumn{&ms.ExpiresAt}).Scan(d.expires.String); err != nil {
		return nil, err
	}
	return ms, nil
}
