package postgres

import (
	"context"
	"errors"
	"fmt"
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

// RevokeTokenFamily records that every refresh token of family is refused
// until expiresAt, keeping the later expiry when the family was already
// revoked. It purges a few expired rows the way RevokeToken does.
func (t *Tx) RevokeTokenFamily(ctx context.Context, family string, expiresAt time.Time) error {
	_, err := t.tx.Exec(ctx, `WITH purged AS (
			DELETE FROM revoked_token_families WHERE family IN (
				SELECT family FROM revoked_token_families WHERE expires_at < now()
				ORDER BY expires_at LIMIT 10 FOR UPDATE SKIP LOCKED)
		)
		INSERT INTO revoked_token_families (family, expires_at) VALUES ($1, $2)
		ON CONFLICT (family) DO UPDATE
		SET expires_at = GREATEST(revoked_token_families.expires_at, excluded.expires_at)`, family, expiresAt)
	return mapError(err, "revoke token family")
}

// TokenRevoked reports whether jti or its family was revoked. Rows past
// their expiry that are not purged yet name tokens that fail verification
// anyway, so they are not filtered out.
func (s *Store) TokenRevoked(ctx context.Context, jti, family string) (bool, error) {
	var revoked bool
	err := s.pool.QueryRow(ctx, `SELECT
		EXISTS (SELECT 1 FROM revoked_tokens WHERE jti = $1)
		OR EXISTS (SELECT 1 FROM revoked_token_families WHERE family = $2)`, jti, family).Scan(&revoked)
	if err != nil {
		return false, mapError(err, "check token revocation")
	}
	return revoked, nil
}

// TokensValidAfter returns the instant before which the user's tokens are
// refused (zero when never set), or ENOTFOUND.
func (s *Store) TokensValidAfter(ctx context.Context, userID int64) (time.Time, error) {
	var t *time.Time
	err := s.pool.QueryRow(ctx, `SELECT tokens_valid_after FROM users WHERE id = $1`, userID).Scan(&t)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	} else if err != nil {
		return time.Time{}, mapError(err, fmt.Sprintf("read tokens valid after of user %d", userID))
	}
	if t == nil {
		return time.Time{}, nil
	}
	return *t, nil
}

// SetTokensValidAfter moves the user's instant forward to at (GREATEST
// ignores the NULL of a user who never ended a session) and returns the
// stored one, or ENOTFOUND.
func (t *Tx) SetTokensValidAfter(ctx context.Context, userID int64, at time.Time) (time.Time, error) {
	var stored time.Time
	err := t.tx.QueryRow(ctx, `UPDATE users SET tokens_valid_after = GREATEST(tokens_valid_after, $2)
		WHERE id = $1 RETURNING tokens_valid_after`, userID, at).Scan(&stored)
	if errors.Is(err, pgx.ErrNoRows) {
		return time.Time{}, numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	} else if err != nil {
		return time.Time{}, mapError(err, fmt.Sprintf("set tokens valid after of user %d", userID))
	}
	return stored, nil
}
