package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// userColumns selects a user with its profile; scanUser reads them in order.
// Queries using it alias users as u and profiles as p.
const userColumns = `u.id, u.username, u.email, u.first_name, u.last_name, u.password_hash,
	u.is_active, u.date_joined, p.id, p.bio, p.avatar, p.location, p.website,
	p.created_at, p.updated_at`

const userFrom = `users u JOIN profiles p ON p.user_id = u.id`

// scanUser reads the userColumns of one row.
func scanUser(row pgx.Row) (*numeneon.User, error) {
	var u numeneon.User
	err := row.Scan(&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.PasswordHash,
		&u.IsActive, &u.DateJoined, &u.Profile.ID, &u.Profile.Bio, &u.Profile.Avatar,
		&u.Profile.Location, &u.Profile.Website, &u.Profile.CreatedAt, &u.Profile.UpdatedAt)
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// queryUsers runs a query selecting userColumns and collects the users.
func queryUsers(ctx context.Context, q querier, op string, sql string, args ...any) ([]*numeneon.User, error) {
	rows, err := q.Query(ctx, sql, args...)
	if err != nil {
		return nil, mapError(err, op)
	}
	users, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*numeneon.User, error) {
		return scanUser(row)
	})
	if err != nil {
		return nil, mapError(err, op)
	}
	return users, nil
}

// findUser returns the one user a query selects, or ENOTFOUND.
func (s *Store) findUser(ctx context.Context, op, where string, arg any) (*numeneon.User, error) {
	u, err := scanUser(s.pool.QueryRow(ctx, `SELECT `+userColumns+` FROM `+userFrom+` WHERE `+where, arg))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	return u, mapError(err, op)
}

// FindUserByID returns the user with the given id, or ENOTFOUND.
func (s *Store) FindUserByID(ctx context.Context, id int64) (*numeneon.User, error) {
	return s.findUser(ctx, fmt.Sprintf("find user %d", id), `u.id = $1`, id)
}

// FindUserByUsername returns the user with exactly this username, or ENOTFOUND.
func (s *Store) FindUserByUsername(ctx context.Context, username string) (*numeneon.User, error) {
	return s.findUser(ctx, "find user by username", `u.username = $1`, username)
}

// FindUserByEmail matches the email case-insensitively (through the
// lower(email) index), or returns ENOTFOUND.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*numeneon.User, error) {
	return s.findUser(ctx, "find user by email", `lower(u.email) = lower($1)`, email)
}

// SearchUsers returns up to limit users other than excludeID whose username,
// first or last name contains q literally, ignoring case, by username; for an
// empty q, the newest users.
func (s *Store) SearchUsers(ctx context.Context, q string, excludeID int64, limit int) ([]*numeneon.User, error) {
	if q == "" {
		return queryUsers(ctx, s.pool, "list newest users", `SELECT `+userColumns+` FROM `+userFrom+`
			WHERE u.id <> $1`+notBlockedWith1+` ORDER BY u.id DESC LIMIT $2`, excludeID, listLimit(limit))
	}
	return queryUsers(ctx, s.pool, "search users", `SELECT `+userColumns+` FROM `+userFrom+`
		WHERE u.id <> $1 AND (u.username ILIKE $2 OR u.first_name ILIKE $2 OR u.last_name ILIKE $2)`+notBlockedWith1+`
		ORDER BY u.username LIMIT $3`, excludeID, "%"+escapeLike(q)+"%", listLimit(limit))
}

// CreateUser inserts u and its profile in one statement. A taken username or
// email is ECONFLICT naming the field; ON CONFLICT DO NOTHING keeps the
// transaction usable after that.
func (t *Tx) CreateUser(ctx context.Context, u *numeneon.User) error {
	err := t.tx.QueryRow(ctx, `
		WITH nu AS (
			INSERT INTO users (username, email, first_name, last_name, password_hash, is_active)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT DO NOTHING
			RETURNING id, date_joined
		), np AS (
			INSERT INTO profiles (user_id, bio, avatar, location, website, created_at, updated_at)
			SELECT id, $7, $8, $9, $10, date_joined, date_joined FROM nu
			RETURNING id, created_at, updated_at
		)
		SELECT nu.id, nu.date_joined, np.id, np.created_at, np.updated_at FROM nu, np`,
		u.Username, u.Email, u.FirstName, u.LastName, u.PasswordHash, u.IsActive,
		u.Profile.Bio, u.Profile.Avatar, u.Profile.Location, u.Profile.Website,
	).Scan(&u.ID, &u.DateJoined, &u.Profile.ID, &u.Profile.CreatedAt, &u.Profile.UpdatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return t.userConflict(ctx, u)
	}
	return mapError(err, "create user")
}

// userConflict tells which unique field made the insert of u do nothing.
func (t *Tx) userConflict(ctx context.Context, u *numeneon.User) error {
	var usernameTaken bool
	err := t.tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM users WHERE username = $1)`, u.Username).Scan(&usernameTaken)
	if err != nil {
		return mapError(err, "check taken username")
	}
	if usernameTaken {
		return conflictError("username")
	}
	return conflictError("email")
}

// SetPasswordHash replaces the user's password hash, or returns ENOTFOUND.
func (t *Tx) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	tag, err := t.tx.Exec(ctx, `UPDATE users SET password_hash = $2 WHERE id = $1`, userID, hash)
	if err != nil {
		return mapError(err, fmt.Sprintf("set password of user %d", userID))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	return nil
}

// UpdateProfile applies the non-nil fields of upd and bumps updated_at, or
// returns ENOTFOUND. The names live on users, the rest on profiles; one
// statement updates both.
func (t *Tx) UpdateProfile(ctx context.Context, userID int64, upd numeneon.ProfileUpdate) error {
	// An avatar set to "" clears it; nil leaves it, hence the flag.
	var avatar *string
	setAvatar := upd.Avatar != nil
	if setAvatar && *upd.Avatar != "" {
		avatar = upd.Avatar
	}
	var found bool
	err := t.tx.QueryRow(ctx, `
		WITH nu AS (
			UPDATE users SET
				first_name = COALESCE($2, first_name),
				last_name = COALESCE($3, last_name)
			WHERE id = $1
			RETURNING id
		), np AS (
			UPDATE profiles SET
				bio = COALESCE($4, bio),
				location = COALESCE($5, location),
				website = COALESCE($6, website),
				avatar = CASE WHEN $7 THEN $8 ELSE avatar END,
				updated_at = now()
			WHERE user_id = $1
			RETURNING user_id
		)
		SELECT EXISTS (SELECT 1 FROM nu) AND EXISTS (SELECT 1 FROM np)`,
		userID, upd.FirstName, upd.LastName, upd.Bio, upd.Location, upd.Website, setAvatar, avatar,
	).Scan(&found)
	if err != nil {
		return mapError(err, fmt.Sprintf("update profile of user %d", userID))
	}
	if !found {
		return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	return nil
}

// querier is what reads need of a pool or a transaction.
type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}
