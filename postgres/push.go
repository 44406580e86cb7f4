package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// ListPushSubscriptions implements numeneon.PushStore.
func (s *Store) ListPushSubscriptions(ctx context.Context, userID int64) ([]*numeneon.PushSubscription, error) {
	op := fmt.Sprintf("list push subscriptions of user %d", userID)
	rows, err := s.pool.Query(ctx, `SELECT id, user_id, endpoint, p256dh, auth, created_at
		FROM push_subscriptions WHERE user_id = $1 ORDER BY id`, userID)
	if err != nil {
		return nil, mapError(err, op)
	}
	defer rows.Close()
	var out []*numeneon.PushSubscription
	for rows.Next() {
		sub := &numeneon.PushSubscription{}
		if err := rows.Scan(&sub.ID, &sub.UserID, &sub.Endpoint, &sub.P256dh, &sub.Auth, &sub.CreatedAt); err != nil {
			return nil, mapError(err, op)
		}
		sub.CreatedAt = sub.CreatedAt.UTC()
		out = append(out, sub)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, op)
	}
	return out, nil
}

// SavePushSubscription implements numeneon.PushTx. For an unknown user the
// insert does nothing rather than fail, so the transaction stays usable.
func (t *Tx) SavePushSubscription(ctx context.Context, sub *numeneon.PushSubscription) error {
	err := t.tx.QueryRow(ctx, `INSERT INTO push_subscriptions (user_id, endpoint, p256dh, auth, created_at)
		SELECT $1::bigint, $2::text, $3::text, $4::text, date_trunc('microseconds', now())
		WHERE EXISTS (SELECT 1 FROM users WHERE id = $1)
		ON CONFLICT (endpoint) DO UPDATE SET user_id = excluded.user_id, p256dh = excluded.p256dh, auth = excluded.auth
		RETURNING id, created_at`,
		sub.UserID, sub.Endpoint, sub.P256dh, sub.Auth).Scan(&sub.ID, &sub.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	if err != nil {
		return mapError(err, fmt.Sprintf("save push subscription of user %d", sub.UserID))
	}
	sub.CreatedAt = sub.CreatedAt.UTC()
	return nil
}

// DeletePushSubscription implements numeneon.PushTx.
func (t *Tx) DeletePushSubscription(ctx context.Context, userID int64, endpoint string) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM push_subscriptions WHERE user_id = $1 AND endpoint = $2`, userID, endpoint)
	if err != nil {
		return mapError(err, fmt.Sprintf("delete push subscription of user %d", userID))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Subscription not found.")
	}
	return nil
}

// TrimPushSubscriptions implements numeneon.PushTx.
func (t *Tx) TrimPushSubscriptions(ctx context.Context, userID int64, keep int) (int, error) {
	tag, err := t.tx.Exec(ctx, `DELETE FROM push_subscriptions WHERE user_id = $1 AND id NOT IN (
		SELECT id FROM push_subscriptions WHERE user_id = $1 ORDER BY id DESC LIMIT $2)`, userID, keep)
	if err != nil {
		return 0, mapError(err, fmt.Sprintf("trim push subscriptions of user %d", userID))
	}
	return int(tag.RowsAffected()), nil
}
