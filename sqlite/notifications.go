package sqlite

import (
	"context"
	"encoding/json"
	"fmt"

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
