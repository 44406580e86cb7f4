package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/numeneon/numeneon"
)

// ListNotifications implements numeneon.Store.
func (s *Store) ListNotifications(ctx context.Context, userID int64, since int64, limit int) ([]*numeneon.Notification, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT id, type, data, created_at, read FROM notifications
		WHERE user_id = ? AND id > ? ORDER BY id LIMIT ?`, userID, since, limitOr(limit))
	if err != nil {
		return nil, fmt.Errorf("list notifications of user %d: %w", userID, dbError(err))
	}
	defer rows.Close()
	var out []*numeneon.Notification
	for rows.Next() {
		n := &numeneon.Notification{UserID: userID}
		var data string
		if err := rows.Scan(&n.ID, &n.Type, &data, timeColumn{&n.CreatedAt}, &n.Read); err != nil {
			return nil, fmt.Errorf("list notifications of user %d: %w", userID, err)
		}
		n.Data = json.RawMessage(data)
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list notifications of user %d: %w", userID, dbError(err))
	}
	return out, nil
}

// LastNotificationID implements numeneon.Store.
func (s *Store) LastNotificationID(ctx context.Context, userID int64) (int64, error) {
	var id int64
	err := s.rq.QueryRowContext(ctx, `SELECT last_notification_id FROM users WHERE id = ?`, userID).Scan(&id)
	if err != nil {
		return 0, fmt.Errorf("read last notification id of user %d: %w", userID, dbError(err))
	}
	return id, nil
}

// CreateNotification implements numeneon.Tx. The counter update takes
// SQLite's write lock, which this transaction already holds from BEGIN
// IMMEDIATE: ids of a user are handed out one transaction at a time.
func (tx *Tx) CreateNotification(ctx context.Context, n *numeneon.Notification) error {
	var id int64
	err := tx.q.QueryRowContext(ctx, `UPDATE users SET last_notification_id = last_notification_id + 1
		WHERE id = ? RETURNING last_notification_id`, n.UserID).Scan(&id)
	if err != nil {
		return fmt.Errorf("create notification for user %d: %w", n.UserID, notFound(err, "user"))
	}
	data := string(n.Data)
	if len(n.Data) == 0 {
		data = "null"
	}
	t := now()
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO notifications (user_id, id, type, data, created_at, read)
		VALUES (?, ?, ?, ?, ?, ?)`, n.UserID, id, n.Type, data, formatTime(t), n.Read); err != nil {
		return fmt.Errorf("create notification %d for user %d: %w", id, n.UserID, dbError(err))
	}
	n.ID, n.CreatedAt = id, t
	return nil
}

// MarkNotificationsRead implements numeneon.Tx.
func (tx *Tx) MarkNotificationsRead(ctx context.Context, userID, upTo int64) (int64, error) {
	res, err := tx.q.ExecContext(ctx, `UPDATE notifications SET read = 1
		WHERE user_id = ? AND id <= ? AND read = 0`, userID, upTo)
	if err != nil {
		return 0, fmt.Errorf("mark notifications of user %d read: %w", userID, dbError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("mark notifications of user %d read: %w", userID, err)
	}
	return n, nil
}

// The statements of CreateNotifications. The batch travels as one JSON
// array (json_each), so each statement is one fixed text whatever its size:
// the first bumps every notified user's counter by its number of
// notifications and returns the new values, the second inserts the rows
// under the ids the counters skipped over.
const (
	bumpNotificationCountersSQL = `UPDATE users SET last_notification_id = last_notification_id + c.n
		FROM (SELECT value AS user_id, count(*) AS n FROM json_each(?1) GROUP BY value) AS c
		WHERE users.id = c.user_id RETURNING users.id, users.last_notification_id`
	insertNotificationBatchSQL = `INSERT INTO notifications (user_id, id, type, data, created_at, read)
		SELECT value ->> 0, value ->> 1, value ->> 2, value ->> 3, ?2, 0 FROM json_each(?1)`
)

// CreateNotifications implements numeneon.Tx in two statements.
func (tx *Tx) CreateNotifications(ctx context.Context, notes []*numeneon.Notification) error {
	if len(notes) == 0 {
		return nil
	}
	userIDs := make([]int64, len(notes))
	for i, n := range notes {
		userIDs[i] = n.UserID
	}
	users, err := json.Marshal(userIDs)
	if err != nil {
		return fmt.Errorf("encode notified users: %w", err)
	}
	rows, err := tx.q.QueryContext(ctx, bumpNotificationCountersSQL, string(users))
	if err != nil {
		return fmt.Errorf("create %d notifications: %w", len(notes), dbError(err))
	}
	last := make(map[int64]int64)
	for rows.Next() {
		var id, n int64
		if err := rows.Scan(&id, &n); err != nil {
			rows.Close()
			return fmt.Errorf("create %d notifications: %w", len(notes), err)
		}
		last[id] = n
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("create %d notifications: %w", len(notes), dbError(err))
	}
	// Hand out each user's ids in the order of notes, ending at its new
	// last id.
	next := make(map[int64]int64, len(last))
	for _, n := range notes {
		if _, ok := last[n.UserID]; !ok {
			// The counters of the others moved; the caller's Update
			// rolls them back with this error.
			return numeneon.Errorf(numeneon.ENOTFOUND, "user not found")
		}
		next[n.UserID]++
	}
	for id, k := range next {
		next[id] = last[id] - k + 1
	}
	t := now()
	batch := make([][4]any, len(notes))
	for i, n := range notes {
		n.ID, n.CreatedAt = next[n.UserID], t
		next[n.UserID]++
		data := string(n.Data)
		if len(n.Data) == 0 {
			data = "null"
		}
		batch[i] = [4]any{n.UserID, n.ID, n.Type, data}
	}
	rowsJSON, err := json.Marshal(batch)
	if err != nil {
		return fmt.Errorf("encode notifications: %w", err)
	}
	if _, err := tx.q.ExecContext(ctx, insertNotificationBatchSQL, string(rowsJSON), formatTime(t)); err != nil {
		return fmt.Errorf("create %d notifications: %w", len(notes), dbError(err))
	}
	return nil
}

// PruneNotifications implements numeneon.Tx. It deletes by the
// notifications_created index; the users' counters are untouched.
func (tx *Tx) PruneNotifications(ctx context.Context, before time.Time, limit int) (int, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM notifications WHERE (user_id, id) IN (
		SELECT user_id, id FROM notifications WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
		formatTime(before), limitOr(limit))
	if err != nil {
		return 0, fmt.Errorf("prune notifications: %w", dbError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("prune notifications: %w", err)
	}
	return int(n), nil
}
