package postgres

import (
	"context"
	"encoding/json"
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

// CreateNotification queues n for the next flush (deferred.go), which
// takes the user's next id from users.last_notification_id and stores n
// under it, then sets n.ID and n.CreatedAt. The counter's row lock is held
// until commit, so a concurrent writer for the same user waits and gets the
// next id: ids are strictly increasing in commit order, without gaps (a
// rolled-back transaction releases its ids with its lock). An unknown user
// fails the flush: Update returns ENOTFOUND.
func (t *Tx) CreateNotification(ctx context.Context, n *numeneon.Notification) error {
	if t.err != nil {
		return t.err
	}
	// The data is sent as text into a json column, which keeps its bytes
	// exactly; nil data stays NULL.
	var data *string
	if n.Data != nil {
		s := string(n.Data)
		data = &s
	}
	t.notes = append(t.notes, queuedNotification{n: n, userID: n.UserID, typ: n.Type, data: data})
	return nil
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

// StoredEnvelopes returns the envelopes of the stored notifications named by
// refs (UserID and ID), as Notification.Envelope builds them, in one query
// and in no particular order; a notification not found is missing from the
// result. The PostgreSQL channel layer (pglayer) reads with it the events
// whose frames were too long to travel in a notification.
func (s *Store) StoredEnvelopes(ctx context.Context, refs []numeneon.Envelope) ([]numeneon.Envelope, error) {
	users := make([]int64, len(refs))
	ids := make([]int64, len(refs))
	for i, r := range refs {
		users[i], ids[i] = r.UserID, r.ID
	}
	op := fmt.Sprintf("read %d stored notifications", len(refs))
	rows, err := s.pool.Query(ctx, `SELECT n.user_id, n.id, n.type, n.data::text FROM notifications n
		JOIN unnest($1::bigint[], $2::bigint[]) AS r(user_id, id) USING (user_id, id)`, users, ids)
	if err != nil {
		return nil, mapError(err, op)
	}
	envs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (numeneon.Envelope, error) {
		n := numeneon.Notification{}
		var data *string
		if err := row.Scan(&n.UserID, &n.ID, &n.Type, &data); err != nil {
			return numeneon.Envelope{}, err
		}
		if data != nil {
			n.Data = json.RawMessage(*data)
		}
		return n.Envelope(), nil
	})
	if err != nil {
		return nil, mapError(err, op)
	}
	return envs, nil
}
