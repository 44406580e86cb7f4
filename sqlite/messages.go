package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"

	"github.com/numeneon/numeneon"
)

// messageColumns and messageFrom select a message (m) with the short forms
// of its sender (s) and receiver (r), in the order scanMessage reads them.
const (
	messageColumns = `m.id, m.sender_id, m.receiver_id, m.content, m.is_read, m.story_id, m.created_at,
	s.username, s.first_name, s.last_name, r.username, r.first_name, r.last_name, ` + messageStoryColumns
	messageFrom   = ` FROM messages m JOIN users s ON s.id = m.sender_id JOIN users r ON r.id = m.receiver_id` + messageStoryJoin
	messageSelect = `SELECT ` + messageColumns + messageFrom
	// messagePage pages a messageSelect newest first, see listMessages.
	messagePage         = ` AND (@before <= 0 OR m.id < @before) ORDER BY m.id DESC LIMIT @limit`
	listMessagesSQL     = messageSelect + `WHERE (m.sender_id = @user OR m.receiver_id = @user)` + messagePage
	listConversationSQL = messageSelect + `WHERE ((m.sender_id = @a AND m.receiver_id = @b) OR (m.sender_id = @b AND m.receiver_id = @a))` + messagePage
)

func scanMessage(row scanner, extra ...any) (*numeneon.Message, error) {
	m := &numeneon.Message{Sender: &numeneon.User{}, Receiver: &numeneon.User{}}
	var story sql.NullString
	var replied messageStoryDest
	dest := []any{&m.ID, &m.SenderID, &m.ReceiverID, &m.Content, &m.IsRead, &story, timeColumn{&m.CreatedAt},
		&m.Sender.Username, &m.Sender.FirstName, &m.Sender.LastName,
		&m.Receiver.Username, &m.Receiver.FirstName, &m.Receiver.LastName}
	dest = append(dest, replied.dest()...)
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	m.Sender.ID, m.Receiver.ID = m.SenderID, m.ReceiverID
	if story.Valid {
		m.StoryID = &story.String
	}
	var err error
	if m.Story, err = replied.story(); err != nil {
		return nil, err
	}
	return m, nil
}

// listMessages runs a query selecting messageSelect, paged by messagePage,
// and returns the page oldest first, as the client shows a thread.
func (s *Store) listMessages(ctx context.Context, query string, page numeneon.Page, args ...any) ([]*numeneon.Message, error) {
	args = append(args, sql.Named("before", page.Before), sql.Named("limit", limitOr(page.Limit)))
	rows, err := s.rq.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, dbError(err)
	}
	defer rows.Close()
	var out []*numeneon.Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if err := rows.Err(); err != nil {
		return nil, dbError(err)
	}
	slices.Reverse(out)
	return out, nil
}

// ListMessages implements numeneon.Store.
func (s *Store) ListMessages(ctx context.Context, userID int64, page numeneon.Page) ([]*numeneon.Message, error) {
	ms, err := s.listMessages(ctx, listMessagesSQL, page, sql.Named("user", userID))
	if err != nil {
		return nil, fmt.Errorf("list messages of user %d: %w", userID, err)
	}
	return ms, nil
}

// ListConversation implements numeneon.Store.
func (s *Store) ListConversation(ctx context.Context, userID, otherID int64, page numeneon.Page) ([]*numeneon.Message, error) {
	ms, err := s.listMessages(ctx, listConversationSQL, page, sql.Named("a", userID), sql.Named("b", otherID))
	if err != nil {
		return nil, fmt.Errorf("list conversation of users %d and %d: %w", userID, otherID, err)
	}
	return ms, nil
}

// ListConversations implements numeneon.Store in one query: the newest
// message id per peer (a grouped scan of the user's two message indexes),
// joined with the unread count per sender from the partial unread index.
func (s *Store) ListConversations(ctx context.Context, userID int64, limit int) ([]*numeneon.Conversation, error) {
	rows, err := s.rq.QueryContext(ctx, `WITH
		last AS (
			SELECT peer, max(id) AS id FROM (
				SELECT receiver_id AS peer, id FROM messages WHERE sender_id = @user
				UNION ALL
				SELECT sender_id AS peer, id FROM messages WHERE receiver_id = @user
			) GROUP BY peer
		),
		unread AS (
			SELECT sender_id AS peer, count(*) AS n FROM messages
			WHERE receiver_id = @user AND is_read = 0 GROUP BY sender_id
		)
		SELECT `+messageColumns+`, coalesce(unread.n, 0)`+messageFrom+`
		JOIN last ON last.id = m.id
		LEFT JOIN unread ON unread.peer = last.peer
		ORDER BY m.id DESC LIMIT @limit`,
		sql.Named("user", userID), sql.Named("limit", limitOr(limit)))
	if err != nil {
		return nil, fmt.Errorf("list conversations of user %d: %w", userID, dbError(err))
	}
	defer rows.Close()
	var out []*numeneon.Conversation
	for rows.Next() {
		c := &numeneon.Conversation{}
		m, err := scanMessage(rows, &c.UnreadCount)
		if err != nil {
			return nil, fmt.Errorf("list conversations of user %d: %w", userID, err)
		}
		c.LastMessage = m
		c.User = m.Receiver
		if m.SenderID != userID {
			c.User = m.Sender
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list conversations of user %d: %w", userID, dbError(err))
	}
	return out, nil
}

// CreateMessage implements numeneon.Tx.
func (tx *Tx) CreateMessage(ctx context.Context, m *numeneon.Message) error {
	t := now()
	var story any
	if m.StoryID != nil {
		story = *m.StoryID
	}
	err := tx.q.QueryRowContext(ctx, `INSERT INTO messages (sender_id, receiver_id, content, is_read, story_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?) RETURNING id`,
		m.SenderID, m.ReceiverID, m.Content, m.IsRead, story, formatTime(t)).Scan(&m.ID)
	if err != nil {
		return fmt.Errorf("create message from user %d to %d: %w", m.SenderID, m.ReceiverID, dbError(err))
	}
	m.CreatedAt = t
	return nil
}

// MarkMessagesRead implements numeneon.Tx. The count and the last id are
// read first and the update bounded by that id: this connection is the only
// writer, so nothing changes in between.
func (tx *Tx) MarkMessagesRead(ctx context.Context, receiverID, senderID int64) (marked, lastID int64, err error) {
	err = tx.q.QueryRowContext(ctx, `SELECT count(*), coalesce(max(id), 0) FROM messages
		WHERE receiver_id = ? AND sender_id = ? AND is_read = 0`, receiverID, senderID).Scan(&marked, &lastID)
	if err != nil {
		return 0, 0, fmt.Errorf("find unread messages from user %d to %d: %w", senderID, receiverID, dbError(err))
	}
	if marked == 0 {
		return 0, 0, nil
	}
	if _, err := tx.q.ExecContext(ctx, `UPDATE messages SET is_read = 1
		WHERE receiver_id = ? AND sender_id = ? AND is_read = 0 AND id <= ?`, receiverID, senderID, lastID); err != nil {
		return 0, 0, fmt.Errorf("mark messages from user %d to %d read: %w", senderID, receiverID, dbError(err))
	}
	return marked, lastID, nil
}
