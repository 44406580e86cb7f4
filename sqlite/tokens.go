package sqlite

import (
	"context"
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
