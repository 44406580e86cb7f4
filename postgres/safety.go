package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// notBlockedWith1 keeps out of a user list (aliased u) everyone who blocked
// the user $1 or whom $1 blocked.
const notBlockedWith1 = `
	AND NOT EXISTS (SELECT 1 FROM blocks b
		WHERE (b.blocker_id = u.id AND b.blocked_id = $1) OR (b.blocker_id = $1 AND b.blocked_id = u.id))`

// Blocked implements numeneon.SafetyStore.
func (s *Store) Blocked(ctx context.Context, a, b int64) (bool, error) {
	return blockedBetween(ctx, s.pool, a, b)
}

// Blocked implements numeneon.SafetyTx.
func (t *Tx) Blocked(ctx context.Context, a, b int64) (bool, error) {
	return blockedBetween(ctx, t.tx, a, b)
}

func blockedBetween(ctx context.Context, q querier, a, b int64) (bool, error) {
	var blocked bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM blocks
		WHERE (blocker_id = $1 AND blocked_id = $2) OR (blocker_id = $2 AND blocked_id = $1))`, a, b).Scan(&blocked)
	if err != nil {
		return false, mapError(err, fmt.Sprintf("check block between %d and %d", a, b))
	}
	return blocked, nil
}

// ListBlocked implements numeneon.SafetyStore.
func (s *Store) ListBlocked(ctx context.Context, userID int64, page numeneon.Page) ([]*numeneon.User, error) {
	return queryUsers(ctx, s.pool, fmt.Sprintf("list users blocked by %d", userID), `SELECT `+userColumns+`
		FROM blocks b JOIN users u ON u.id = b.blocked_id JOIN profiles p ON p.user_id = u.id
		WHERE b.blocker_id = $1 AND ($2::bigint <= 0 OR u.id < $2::bigint)
		ORDER BY u.id LIMIT $3`, userID, page.Before, listLimit(page.Limit))
}

// ListUsers implements numeneon.SafetyStore.
func (s *Store) ListUsers(ctx context.Context, page numeneon.Page) ([]*numeneon.User, error) {
	return queryUsers(ctx, s.pool, "list users", `SELECT `+userColumns+` FROM `+userFrom+`
		WHERE ($1::bigint <= 0 OR u.id < $1::bigint) ORDER BY u.id DESC LIMIT $2`, page.Before, listLimit(page.Limit))
}

// FindMessage implements numeneon.SafetyStore.
func (s *Store) FindMessage(ctx context.Context, id int64) (*numeneon.Message, error) {
	m := &numeneon.Message{}
	err := s.pool.QueryRow(ctx, `SELECT id, sender_id, receiver_id, content, created_at FROM messages WHERE id = $1`, id).
		Scan(&m.ID, &m.SenderID, &m.ReceiverID, &m.Content, &m.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, "Message not found.")
	}
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("find message %d", id))
	}
	m.CreatedAt = m.CreatedAt.UTC()
	return m, nil
}

// ListReports implements numeneon.SafetyStore.
func (s *Store) ListReports(ctx context.Context, page numeneon.Page) ([]*numeneon.Report, error) {
	const op = "list reports"
	rows, err := s.pool.Query(ctx, `SELECT r.id, r.reporter_id, r.user_id, r.message_id, r.reason, r.created_at,
			ru.username, u.username, m.content
		FROM reports r JOIN users ru ON ru.id = r.reporter_id JOIN users u ON u.id = r.user_id
		LEFT JOIN messages m ON m.id = r.message_id
		WHERE ($1::bigint <= 0 OR r.id < $1::bigint) ORDER BY r.id DESC LIMIT $2`, page.Before, listLimit(page.Limit))
	if err != nil {
		return nil, mapError(err, op)
	}
	defer rows.Close()
	var out []*numeneon.Report
	for rows.Next() {
		r := &numeneon.Report{}
		if err := rows.Scan(&r.ID, &r.ReporterID, &r.UserID, &r.MessageID, &r.Reason, &r.CreatedAt,
			&r.ReporterUsername, &r.Username, &r.MessageContent); err != nil {
			return nil, mapError(err, op)
		}
		r.CreatedAt = r.CreatedAt.UTC()
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, mapError(err, op)
	}
	return out, nil
}

// UserChangesSince implements numeneon.SafetyStore.
func (s *Store) UserChangesSince(ctx context.Context, seq int64, limit int) ([]numeneon.UserChange, error) {
	op := fmt.Sprintf("list user changes after %d", seq)
	rows, err := s.pool.Query(ctx, `SELECT seq, user_id, kind FROM user_changes WHERE seq > $1::bigint ORDER BY seq LIMIT $2`,
		seq, listLimit(limit))
	if err != nil {
		return nil, mapError(err, op)
	}
	out, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (numeneon.UserChange, error) {
		var c numeneon.UserChange
		err := row.Scan(&c.Seq, &c.UserID, &c.Kind)
		return c, err
	})
	if err != nil {
		return nil, mapError(err, op)
	}
	return out, nil
}

// LastUserChange implements numeneon.SafetyStore. The identity's sequence
// keeps growing even when the newest rows were purged; a sequence never
// used reads as 0.
func (s *Store) LastUserChange(ctx context.Context) (int64, error) {
	var seq int64
	err := s.pool.QueryRow(ctx, `SELECT COALESCE(
		(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM user_changes_seq_seq), 0)`).Scan(&seq)
	if err != nil {
		return 0, mapError(err, "find last user change")
	}
	return seq, nil
}

// CreateBlock implements numeneon.SafetyTx. ON CONFLICT DO NOTHING keeps
// the transaction usable after a repeated block.
func (t *Tx) CreateBlock(ctx context.Context, blockerID, blockedID int64) error {
	tag, err := t.tx.Exec(ctx, `INSERT INTO blocks (blocker_id, blocked_id) VALUES ($1, $2) ON CONFLICT DO NOTHING`,
		blockerID, blockedID)
	if err != nil {
		return mapError(err, fmt.Sprintf("block %d by %d", blockedID, blockerID))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ECONFLICT, "Already blocked.")
	}
	return nil
}

// DeleteBlock implements numeneon.SafetyTx.
func (t *Tx) DeleteBlock(ctx context.Context, blockerID, blockedID int64) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM blocks WHERE blocker_id = $1 AND blocked_id = $2`, blockerID, blockedID)
	if err != nil {
		return mapError(err, fmt.Sprintf("unblock %d by %d", blockedID, blockerID))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Block not found.")
	}
	return nil
}

// CreateReport implements numeneon.SafetyTx.
func (t *Tx) CreateReport(ctx context.Context, r *numeneon.Report) error {
	err := t.tx.QueryRow(ctx, `INSERT INTO reports (reporter_id, user_id, message_id, reason, created_at)
		VALUES ($1, $2, $3, $4, date_trunc('microseconds', now())) RETURNING id, created_at`,
		r.ReporterID, r.UserID, r.MessageID, r.Reason).Scan(&r.ID, &r.CreatedAt)
	if err != nil {
		return mapError(err, fmt.Sprintf("create report by %d", r.ReporterID))
	}
	r.CreatedAt = r.CreatedAt.UTC()
	return nil
}

// SetUserActive implements numeneon.SafetyTx.
func (t *Tx) SetUserActive(ctx context.Context, userID int64, active bool) error {
	tag, err := t.tx.Exec(ctx, `UPDATE users SET is_active = $2 WHERE id = $1`, userID, active)
	if err != nil {
		return mapError(err, fmt.Sprintf("set user %d active=%t", userID, active))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	return nil
}

// RecordUserChange implements numeneon.SafetyTx. The table lock (which
// readers do not take) makes writers of changes take turns until commit, so
// seq order is commit order and a process reading "seq > last" never skips a
// change committed late; account changes are rare enough for that.
func (t *Tx) RecordUserChange(ctx context.Context, userID int64, kind string) (int64, error) {
	if _, err := t.tx.Exec(ctx, `LOCK TABLE user_changes IN SHARE ROW EXCLUSIVE MODE`); err != nil {
		return 0, mapError(err, "lock user changes")
	}
	if _, err := t.tx.Exec(ctx, `DELETE FROM user_changes WHERE changed_at < now() - interval '1 hour'`); err != nil {
		return 0, mapError(err, "purge old user changes")
	}
	var seq int64
	err := t.tx.QueryRow(ctx, `INSERT INTO user_changes (user_id, kind) VALUES ($1, $2) RETURNING seq`, userID, kind).Scan(&seq)
	if err != nil {
		return 0, mapError(err, fmt.Sprintf("record %s change of user %d", kind, userID))
	}
	return seq, nil
}
