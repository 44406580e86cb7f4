package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// RevokeToken records that the refresh token jti is used up; a second
// revocation is ECONFLICT, which is how a replayed refresh token is refused.
// It also purges a few rows past their expiry, so the table stays as small
// as the set of live refresh tokens without a separate cleaner; SKIP LOCKED
// keeps concurrent revocations from waiting on each other's purge.
func (t *Tx) RevokeToken(ctx context.Context, jti string, expiresAt time.Time) error {
	var inserted bool
	err := t.tx.QueryRow(ctx, `WITH purged AS (
			DELETE FROM revoked_tokens WHERE jti IN (
				SELECT jti FROM revoked_tokens WHERE expires_at < now()
				ORDER BY expires_at LIMIT 10 FOR UPDATE SKIP LOCKED)
		)
		INSERT INTO revoked_tokens (jti, expires_at) VALUES ($1, $2)
		ON CONFLICT DO NOTHING
		RETURNING true`, jti, expiresAt).Scan(&inserted)
	if errors.Is(err, pgx.ErrNoRows) {
		return numeneon.Errorf(numeneon.ECONFLICT, "Token already used.")
	}
	return mapError(err, "revoke token")
}
