package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/numeneon/numeneon"
)

// notBlockedWith1 keeps out of a user list (aliased u) everyone who blocked
// the user ?1 or whom ?1 blocked.
const notBlockedWith1 = `
	AND NOT EXISTS (SELECT 1 FROM blocks b
		WHERE (b.blocker_id = u.id AND b.blocked_id = ?1) OR (b.blocker_id = ?1 AND b.blocked_id = u.id))`

// userChangeKeep is how long RecordUserChange keeps a change.
const userChangeKeep = time.Hour

var (
	listBlockedSQL = `SELECT ` + userColumns("u", "p") + `
		FROM blocks b JOIN users u ON u.id = b.blocked_id JOIN profiles p ON p.user_id = u.id
		WHERE b.blocker_id = ?1 AND (?2 <= 0 OR u.id < ?2)
		ORDER BY u.id LIMIT ?3`
	listAllUsersSQL = userSelect + `WHERE (?1 <= 0 OR u.id < ?1) ORDER BY u.id DESC LIMIT ?2`
)

// Blocked implements numeneon.SafetyStore.
func (s *Store) Blocked(ctx context.Context, a, b int64) (bool, error) {
	return blockedBetween(ctx, s.rq, a, b)
}

// Blocked implements numeneon.SafetyTx.
func (tx *Tx) Blocked(ctx context.Context, a, b int64) (bool, error) {
	return blockedBetween(ctx, tx.q, a, b)
}

func blockedBetween(ctx context.Context, q queryer, a, b int64) (bool, error) {
	var blocked bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM blocks
		WHERE (blocker_id = ?1 AND blocked_id = ?2) OR (blocker_id = ?2 AND blocked_id = ?1))`, a, b).Scan(&blocked)
	if err != nil {
		return false, fmt.Errorf("check block between %d and %d: %w", a, b, dbError(err))
	}
	return blocked, nil
}

// ListBlocked implements numeneon.SafetyStore.
func (s *Store) ListBlocked(ctx context.Context, userID int64, page numeneon.Page) ([]*numeneon.User, error) {
	users, err := queryUsers(ctx, s.rq, listBlockedSQL, userID, page.Before, limitOr(page.Limit))
	if err != nil {
		return nil, fmt.Errorf("list users blocked by %d: %w", userID, dbError(err))
	}
	return users, nil
}

// ListUsers implements numeneon.SafetyStore.
func (s *Store) ListUsers(ctx context.Context, page numeneon.Page) ([]*numeneon.User, error) {
	users, err := queryUsers(ctx, s.rq, listAllUsersSQL, page.Before, limitOr(page.Limit))
	if err != nil {
		return nil, fmt.Errorf("list users: %w", dbError(err))
	}
	return users, nil
}

// FindMessage implements numeneon.SafetyStore.
func (s *Store) FindMessage(ctx context.Context, id int64) (*numeneon.Message, error) {
	m := &numeneon.Message{}
	err := s.rq.QueryRowContext(ctx, `SELECT id, sender_id, receiver_id, content, created_at FROM messages WHERE id = ?`, id).
		Scan(&m.ID, &m.SenderID, &m.ReceiverID, &m.Content, timeColumn{&m.CreatedAt})
	if err != nil {
		return nil, fmt.Errorf("find message %d: %w", id, notFound(err, "message"))
	}
	return m, nil
}

// ListReports implements numeneon.SafetyStore.
func (s *Store) ListReports(ctx context.Context, page numeneon.Page) ([]*numeneon.Report, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT r.id, r.reporter_id, r.user_id, r.message_id, r.reason, r.created_at,
			ru.username, u.username, m.content
		FROM reports r JOIN users ru ON ru.id = r.reporter_id JOIN users u ON u.id = r.user_id
		LEFT JOIN messages m ON m.id = r.message_id
		WHERE (?1 <= 0 OR r.id < ?1) ORDER BY r.id DESC LIMIT ?2`, page.Before, limitOr(page.Limit))
	if err != nil {
		return nil, fmt.Errorf("list reports: %w", dbError(err))
	}
	defer rows.Close()
	var out []*numeneon.Report
	for rows.Next() {
		r := &numeneon.Report{}
		var msgID sql.NullInt64
		var content sql.NullString
		if err := rows.Scan(&r.ID, &r.ReporterID, &r.UserID, &msgID, &r.Reason, timeColumn{&r.CreatedAt},
			&r.ReporterUsername, &r.Username, &content); err != nil {
			return nil, fmt.Errorf("list reports: %w", err)
		}
		if msgID.Valid {
			r.MessageID = &msgID.Int64
		}
		if content.Valid {
			r.MessageContent = &content.String
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list reports: %w", dbError(err))
	}
	return out, nil
}

// UserChangesSince implements numeneon.SafetyStore.
func (s *Store) UserChangesSince(ctx context.Context, seq int64, limit int) ([]numeneon.UserChange, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT seq, user_id, kind FROM user_changes WHERE seq > ? ORDER BY seq LIMIT ?`, seq, limitOr(limit))
	if err != nil {
		return nil, fmt.Errorf("list user changes after %d: %w", seq, dbError(err))
	}
	defer rows.Close()
	var out []numeneon.UserChange
	for rows.Next() {
		var c numeneon.UserChange
		if err := rows.Scan(&c.Seq, &c.UserID, &c.Kind); err != nil {
			return nil, fmt.Errorf("list user changes after %d: %w", seq, err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list user changes after %d: %w", seq, dbError(err))
	}
	return out, nil
}

// LastUserChange implements numeneon.SafetyStore. AUTOINCREMENT keeps seq
// growing even when the newest rows were purged.
func (s *Store) LastUserChange(ctx context.Context) (int64, error) {
	var seq int64
	err := s.rq.QueryRowContext(ctx, `SELECT COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'user_changes'), 0)`).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("find last user change: %w", dbError(err))
	}
	return seq, nil
}

// CreateBlock implements numeneon.SafetyTx.
func (tx *Tx) CreateBlock(ctx context.Context, blockerID, blockedID int64) error {
	_, err := tx.q.ExecContext(ctx, `INSERT INTO blocks (blocker_id, blocked_id, created_at) VALUES (?, ?, ?)`,
		blockerID, blockedID, formatTime(now()))
	if err != nil {
		return fmt.Errorf("block %d by %d: %w", blockedID, blockerID, dbError(err))
	}
	return nil
}

// DeleteBlock implements numeneon.SafetyTx.
func (tx *Tx) DeleteBlock(ctx context.Context, blockerID, blockedID int64) error {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM blocks WHERE blocker_id = ? AND blocked_id = ?`, blockerID, blockedID)
	if err != nil {
		return fmt.Errorf("unblock %d by %d: %w", blockedID, blockerID, dbError(err))
	}
	return affectedOne(res, fmt.Sprintf("unblock %d by %d", blockedID, blockerID), "block")
}

// CreateReport implements numeneon.SafetyTx.
func (tx *Tx) CreateReport(ctx context.Context, r *numeneon.Report) error {
	err := tx.q.QueryRowContext(ctx, `INSERT INTO reports (reporter_id, user_id, message_id, reason, created_at)
		VALUES (?, ?, ?, ?, ?) RETURNING id, created_at`,
		r.ReporterID, r.UserID, r.MessageID, r.Reason, formatTime(now())).Scan(&r.ID, timeColumn{&r.CreatedAt})
	if err != nil {
		return fmt.Errorf("create report by %d: %w", r.ReporterID, dbError(err))
	}
	return nil
}

// SetUserActive implements numeneon.SafetyTx.
func (tx *Tx) SetUserActive(ctx context.Context, userID int64, active bool) error {
	res, err := tx.q.ExecContext(ctx, `UPDATE users SET is_active = ? WHERE id = ?`, active, userID)
	if err != nil {
		return fmt.Errorf("set user %d active=%t: %w", userID, active, dbError(err))
	}
	return affectedOne(res, fmt.Sprintf("set user %d active", userID), "user")
}

// RecordUserChange implements numeneon.SafetyTx.
func (tx *Tx) RecordUserChange(ctx context.Context, userID int64, kind string) (int64, error) {
	t := now()
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM user_changes WHERE changed_at < ?`, formatTime(t.Add(-userChangeKeep))); err != nil {
		return 0, fmt.Errorf("purge old user changes: %w", dbError(err))
	}
	var seq int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO user_changes (user_id, kind, changed_at) VALUES (?, ?, ?) RETURNING seq`,
		userID, kind, formatTime(t)).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("record %s change of user %d: %w", kind, userID, dbError(err))
	}
	return seq, nil
}
