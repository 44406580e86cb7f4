package sqlite

import (
	"context"
	"fmt"

	"github.com/numeneon/numeneon"
)

// ListPushSubscriptions implements numeneon.PushStore.
func (s *Store) ListPushSubscriptions(ctx context.Context, userID int64) ([]*numeneon.PushSubscription, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT id, user_id, endpoint, p256dh, auth, created_at
		FROM push_subscriptions WHERE user_id = ? ORDER BY id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list push subscriptions of user %d: %w", userID, dbError(err))
	}
	defer rows.Close()
	var out []*numeneon.PushSubscription
	for rows.Next() {
		sub := &numeneon.PushSubscription{}
		if err := rows.Scan(&sub.ID, &sub.UserID, &sub.Endpoint, &sub.P256dh, &sub.Auth, timeColumn{&sub.CreatedAt}); err != nil {
			return nil, fmt.Errorf("list push subscriptions of user %d: %w", userID, err)
		}
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list push subscriptions of user %d: %w", userID, dbError(err))
	}
	return out, nil
}

// SavePushSubscription implements numeneon.PushTx.
func (tx *Tx) SavePushSubscription(ctx context.Context, sub *numeneon.PushSubscription) error {
	err := tx.q.QueryRowContext(ctx, `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at)
		VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth
		RETURNING id, created_at`,
		sub.UserID, sub.Endpoint, sub.P256dh, sub.Auth, formatTime(now())).Scan(&sub.ID, timeColumn{&sub.CreatedAt})
	if err != nil {
		return fmt.Errorf("save push subscription of user %d: %w", sub.UserID, dbError(err))
	}
	return nil
}

// DeletePushSubscription implements numeneon.PushTx.
func (tx *Tx) DeletePushSubscription(ctx context.Context, userID int64, endpoint string) error {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE user_id = ? AND endpoint = ?`, userID, endpoint)
	if err != nil {
		return fmt.Errorf("delete push subscription of user %d: %w", userID, dbError(err))
	}
	return affectedOne(res, fmt.Sprintf("delete push subscription of user %d", userID), "subscription")
}

// TrimPushSubscriptions implements numeneon.PushTx.
func (tx *Tx) TrimPushSubscriptions(ctx context.Context, userID int64, keep int) (int, error) {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM push_subscriptions WHERE user_id = ?1 AND id NOT IN (
		SELECT id FROM push_subscriptions WHERE user_id = ?1 ORDER BY id DESC LIMIT ?2)`, userID, keep)
	if err != nil {
		return 0, fmt.Errorf("trim push subscriptions of user %d: %w", userID, dbError(err))
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("trim push subscriptions of user %d: %w", userID, err)
	}
	return int(n), nil
}
