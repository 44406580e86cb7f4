package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RevokeToken implements numeneon.Tx. It first purges revocations whose
// token has expired (an expired token fails verification anyway), so the
// table holds at most a refresh lifetime's worth of rows; the expiry index
// makes that a short range delete.
func (tx *Tx) RevokeToken(ctx context.Context, jti string, expiresAt time.Time) error {
	t := formatTime(now())
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM revoked_tokens WHERE expires_at < ?`, t); err != nil {
		return fmt.Errorf("purge expired token revocations: %w", dbError(err))
	}
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO revoked_tokens (jti, expires_at) VALUES (?, ?)`,
		jti, formatTime(expiresAt)); err != nil {
		return fmt.Errorf("revoke token: %w", dbError(err))
	}
	return nil
}

// RevokeTokenFamily implements numeneon.Tx, purging expired family
// revocations first as RevokeToken does. Timestamps are stored fixed-width,
// so max() of two of them as text is the later instant.
func (tx *Tx) RevokeTokenFamily(ctx context.Context, family string, expiresAt time.Time) error {
	t := formatTime(now())
	if _, err := tx.q.ExecContext(ctx, `DELETE FROM revoked_token_families WHERE expires_at < ?`, t); err != nil {
		return fmt.Errorf("purge expired token family revocations: %w", dbError(err))
	}
	if _, err := tx.q.ExecContext(ctx, `INSERT INTO revoked_token_families (family, expires_at) VALUES (?, ?)
		ON CONFLICT (family) DO UPDATE SET expires_at = max(expires_at, excluded.expires_at)`,
		family, formatTime(expiresAt)); err != nil {
		return fmt.Errorf("revoke token family: %w", dbError(err))
	}
	return nil
}

// TokenRevoked implements numeneon.Store. Revocations past their expiry
// may still be there until the next purge; they name tokens that fail
// verification anyway, so they are not filtered out.
func (s *Store) TokenRevoked(ctx context.Context, jti, family string) (bool, error) {
	var revoked bool
	err := s.rq.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = ?)
		OR EXISTS (SELECT 1 FROM revoked_token_families WHERE family = ?)`, jti, family).Scan(&revoked)
	if err != nil {
		return false, fmt.Errorf("check token revocation: %w", dbError(err))
	}
	return revoked, nil
}

// TokensValidAfter implements numeneon.Store.
func (s *Store) TokensValidAfter(ctx context.Context, userID int64) (time.Time, error) {
	var stored sql.NullString
	err := s.rq.QueryRowContext(ctx, `SELECT tokens_valid_after FROM users WHERE id = ?`, userID).Scan(&stored)
	if err != nil {
		return time.Time{}, fmt.Errorf("read tokens valid after of user %d: %w", userID, notFound(err, "user"))
	}
	if !stored.Valid {
		return time.Time{}, nil
	}
	var t time.Time
	if err := (timeColumn{&t}).Scan(stored.String); err != nil {
		return time.Time{}, fmt.Errorf("read tokens valid after of user %d: %w", userID, err)
	}
	return t, nil
}

// SetTokensValidAfter implements numeneon.Tx. The empty string sorts before
// every stored timestamp, so a user who never ended a session takes t.
func (tx *Tx) SetTokensValidAfter(ctx context.Context, userID int64, t time.Time) (time.Time, error) {
	var stored time.Time
	err := tx.q.QueryRowContext(ctx, `UPDATE users
		SET tokens_valid_after = max(coalesce(tokens_valid_after, ''), ?) WHERE id = ?
		RETURNING tokens_valid_after`, formatTime(t), userID).Scan(timeColumn{&stored})
	if err != nil {
		return time.Time{}, fmt.Errorf("set tokens valid after of user %d: %w", userID, notFound(err, "user"))
	}
	return stored, nil
}
