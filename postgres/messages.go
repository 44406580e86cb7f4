package postgres

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// messageColumns selects a message with its sender's and receiver's id and
// username (all a message shows of them); the query aliases the message m,
// its sender su and its receiver ru.
const messageColumns = `m.id, m.sender_id, m.receiver_id, m.content, m.is_read, m.story_id,
	m.created_at, su.username, ru.username, ` + messageStoryColumns

const messageFrom = `messages m JOIN users su ON su.id = m.sender_id JOIN users ru ON ru.id = m.receiver_id` + messageStoryJoin

func scanMessage(row pgx.Row, extra ...any) (*numeneon.Message, error) {
	var m numeneon.Message
	var sender, receiver numeneon.User
	var replied messageStoryDest
	dest := append([]any{&m.ID, &m.SenderID, &m.ReceiverID, &m.Content, &m.IsRead, &m.StoryID,
		&m.CreatedAt, &sender.Username, &receiver.Username}, replied.dest()...)
	if err := row.Scan(append(dest, extra...)...); err != nil {
		return nil, err
	}
	sender.ID, receiver.ID = m.SenderID, m.ReceiverID
	m.Sender, m.Receiver = &sender, &receiver
	m.Story = replied.story()
	return &m, nil
}

// queryMessagePage runs a query that selects messageColumns newest first and
// returns them ascending, as the message lists are documented.
func (s *Store) queryMessagePage(ctx context.Context, op, sql string, args ...any) ([]*numeneon.Message, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapError(err, op)
	}
	msgs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*numeneon.Message, error) {
		return scanMessage(row)
	})
	if err != nil {
		return nil, mapError(err, op)
	}
	slices.Reverse(msgs)
	return msgs, nil
}

// ListMessages returns the newest page.Limit messages the user sent or
// received (below page.Before when set), ascending by id.
func (s *Store) ListMessages(ctx context.Context, userID int64, page numeneon.Page) ([]*numeneon.Message, error) {
	return s.queryMessagePage(ctx, fmt.Sprintf("list messages of user %d", userID), `
		SELECT `+messageColumns+` FROM `+messageFrom+`
		WHERE (m.sender_id = $1 OR m.receiver_id = $1) AND ($2::bigint = 0 OR m.id < $2::bigint)
		ORDER BY m.id DESC LIMIT $3`, userID, page.Before, listLimit(page.Limit))
}

// ListConversation returns the messages between userID and otherID, paged
// like ListMessages.
func (s *Store) ListConversation(ctx context.Context, userID, otherID int64, page numeneon.Page) ([]*numeneon.Message, error) {
	return s.queryMessagePage(ctx, fmt.Sprintf("list conversation of users %d and %d", userID, otherID), `
		SELECT `+messageColumns+` FROM `+messageFrom+`
		WHERE ((m.sender_id = $1 AND m.receiver_id = $2) OR (m.sender_id = $2 AND m.receiver_id = $1))
		AND ($3::bigint = 0 OR m.id < $3::bigint)
		ORDER BY m.id DESC LIMIT $4`, userID, otherID, page.Before, listLimit(page.Limit))
}

// ListConversations returns the user's inbox in one query: the newest
// message with each other user (DISTINCT ON over both directions) and the
// count of that user's unread messages to the caller, newest first.
func (s *Store) ListConversations(ctx context.Context, userID int64, limit int) ([]*numeneon.Conversation, error) {
	op := fmt.Sprintf("list conversations of user %d", userID)
	rows, err := s.pool.Query(ctx, `
		WITH latest AS (
			SELECT DISTINCT ON (other_id) other_id, id
			FROM (
				SELECT receiver_id AS other_id, id FROM messages WHERE sender_id = $1
				UNION ALL
				SELECT sender_id, id FROM messages WHERE receiver_id = $1
			) mine
			ORDER BY other_id, id DESC
		), unread AS (
			SELECT sender_id AS other_id, count(*) AS n FROM messages
			WHERE receiver_id = $1 AND NOT is_read
			GROUP BY sender_id
		)
		SELECT `+messageColumns+`, `+userColumns+`, COALESCE(unread.n, 0)
		FROM latest
		JOIN messages m ON m.id = latest.id
		JOIN users su ON su.id = m.sender_id
		JOIN users ru ON ru.id = m.receiver_id`+messageStoryJoin+`
		JOIN users u ON u.id = latest.other_id
		JOIN profiles p ON p.user_id = u.id
		LEFT JOIN unread ON unread.other_id = latest.other_id
		ORDER BY m.id DESC
		LIMIT $2`, userID, listLimit(limit))
	if err != nil {
		return nil, mapError(err, op)
	}
	convs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*numeneon.Conversation, error) {
		var (
			c     numeneon.Conversation
			other numeneon.User
		)
		m, err := scanMessage(row, &other.ID, &other.Username, &other.Email, &other.FirstName,
			&other.LastName, &other.PasswordHash, &other.IsActive, &other.DateJoined,
			&other.Profile.ID, &other.Profile.Bio, &other.Profile.Avatar, &other.Profile.Location,
			&other.Profile.Website, &other.Profile.CreatedAt, &other.Profile.UpdatedAt, &c.UnreadCount)
		if err != nil {
			return nil, err
		}
		c.User, c.LastMessage = &other, m
		return &c, nil
	})
	if err != nil {
		return nil, mapError(err, op)
	}
	return convs, nil
}

// CreateMessage queues m for the next flush (deferred.go) and sets m.ID,
// from the store's reserved ids, and m.CreatedAt, from this process's clock
// at the precision PostgreSQL keeps. An unknown sender or receiver fails
// the flush: Update returns ENOTFOUND.
func (t *Tx) CreateMessage(ctx context.Context, m *numeneon.Message) error {
	if t.err != nil {
		return t.err
	}
	id, err := t.store.messageIDs.next(ctx, t.conn)
	if err != nil {
		// Inside a begun transaction the failed statement aborted it.
		t.err = err
		return err
	}
	m.ID = id
	m.CreatedAt = time.Now().UTC().Truncate(time.Microsecond)
	t.msgs = append(t.msgs, *m)
	return nil
}

// MarkMessagesRead marks every unread message from senderID to receiverID
// read and returns how many changed and the largest id among them.
func (t *Tx) MarkMessagesRead(ctx context.Context, receiverID, senderID int64) (marked, lastID int64, err error) {
	err = t.tx.QueryRow(ctx, `WITH changed AS (
			UPDATE messages SET is_read = true
			WHERE receiver_id = $1 AND sender_id = $2 AND NOT is_read
			RETURNING id
		)
		SELECT count(*), COALESCE(max(id), 0) FROM changed`, receiverID, senderID).Scan(&marked, &lastID)
	if err != nil {
		return 0, 0, mapError(err, fmt.Sprintf("mark messages from user %d to %d read", senderID, receiverID))
	}
	return marked, lastID, nil
}
