package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// ListNotifications returns the user's notifications with id > since,
// ascending by id, at most limit of them.
func (s *Store) ListNotifications(ctx context.Context, userID int64, since int64, limit int) ([]*numeneon.Notification, error) {
	op := fmt.Sprintf("list notifications of user %d", userID)
	rows, err := s.pool.Query(ctx, `SELECT id, type, data::text, created_at, read FROM notifications
		WHERE user_id = $1 AND id > $2 ORDER BY id LIMIT $3`, userID, since, listLimit(limit))
	if err != nil {
		return nil, mapError(err, op)
	}
	notes, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*numeneon.Notification, error) {
		n := numeneon.Notification{UserID: userID}
		var data *string
		if err := row.Scan(&n.ID, &n.Type, &data, &n.CreatedAt, &n.Read); err != nil {
			return nil, err
		}
		if data != nil {
			n.Data = json.RawMessage(*data)
		}
		return &n, nil
	})
	if err != nil {
		return nil, mapError(err, op)
	}
	return notes, nil
}

// LastNotificationID implements numeneon.Store.
func (s *Store) LastNotificationID(ctx context.Context, userID int64) (int64, error) {
	var id int64
	err := s.pool.QueryRow(ctx, `SELECT last_notification_id FROM users WHERE id = $1`, userID).Scan(&id)
	if err != nil {
		return 0, mapError(err, fmt.Sprintf("read last notification id of user %d", userID))
	}
	return id, nil
}

// CreateNotification takes the user's next id from users.last_notification_id
// and stores n under it, in one statement. The UPDATE holds the user's row
// lock until commit, so a concurrent writer for the same user waits and gets
// the next id: ids are strictly increasing in commit order, without gaps
// (a rolled-back transaction releases its id with its lock).
func (t *Tx) CreateNotification(ctx context.Context, n *numeneon.Notification) error {
	// The data is sent as text into a json column, which keeps its bytes
	// exactly; nil data stays NULL.
	var data *string
	if n.Data != nil {
		s := string(n.Data)
		data = &s
	}
	err := t.tx.QueryRow(ctx, `WITH next AS (
			UPDATE users SET last_notification_id = last_notification_id + 1
			WHERE id = $1
			RETURNING last_notification_id
		)
		INSERT INTO notifications (user_id, id, type, data)
		SELECT $1, last_notification_id, $2, $3::json FROM next
		RETURNING id, created_at`, n.UserID, n.Type, data).Scan(&n.ID, &n.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	return mapError(err, fmt.Sprintf("create notification for user %d", n.UserID))
}

// MarkNotificationsRead marks the user's unread notifications with id <=
// upTo read and returns how many changed.
func (t *Tx) MarkNotificationsRead(ctx context.Context, userID, upTo int64) (int64, error) {
	tag, err := t.tx.Exec(ctx, `UPDATE notifications SET read = true
		WHERE user_id = $1 AND id <= $2 AND NOT read`, userID, upTo)
	if err != nil {
		return 0, mapError(err, fmt.Sprintf("mark notifications of user %d read", userID))
	}
	return tag.RowsAffected(), nil
}
