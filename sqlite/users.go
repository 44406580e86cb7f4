package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"

	"github.com/numeneon/numeneon"
)

// userColumns selects a user and its profile from users aliased u and
// profiles aliased p, in the order scanUser reads them.
func userColumns(u, p string) string {
	return strings.NewReplacer("u.", u+".", "p.", p+".").Replace(
		`u.id, u.username, u.email, u.first_name, u.last_name, u.password_hash, u.is_active, u.date_joined,
		 p.id, p.bio, p.avatar, p.location, p.website, p.created_at, p.updated_at`)
}

// scanner is a *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// userDest returns the scan destinations of userColumns for u.
func userDest(u *numeneon.User, avatar *sql.NullString) []any {
	return []any{
		&u.ID, &u.Username, &u.Email, &u.FirstName, &u.LastName, &u.PasswordHash, &u.IsActive,
		timeColumn{&u.DateJoined},
		&u.Profile.ID, &u.Profile.Bio, avatar, &u.Profile.Location, &u.Profile.Website,
		timeColumn{&u.Profile.CreatedAt}, timeColumn{&u.Profile.UpdatedAt},
	}
}

func scanUser(row scanner, extra ...any) (*numeneon.User, error) {
	u := &numeneon.User{}
	var avatar sql.NullString
	if err := row.Scan(append(userDest(u, &avatar), extra...)...); err != nil {
		return nil, err
	}
	setAvatar(u, avatar)
	return u, nil
}

func setAvatar(u *numeneon.User, avatar sql.NullString) {
	if avatar.Valid {
		u.Profile.Avatar = &avatar.String
	}
}

// queryUsers runs a query selecting userColumns("u", "p") and returns the users.
func queryUsers(ctx context.Context, q queryer, query string, args ...any) ([]*numeneon.User, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var users []*numeneon.User
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, err
		}
		users = append(users, u)
	}
	return users, rows.Err()
}

// userSelect selects userColumns("u", "p") of the users with their
// profiles; the texts built on it are computed once, so a lookup neither
// builds its SQL nor misses the statement cache.
var userSelect = `SELECT ` + userColumns("u", "p") + `
	FROM users u JOIN profiles p ON p.user_id = u.id `

var (
	findUserByIDSQL       = userSelect + `WHERE u.id = ?`
	findUserByUsernameSQL = userSelect + `WHERE u.username = ?`
	findUserByEmailSQL    = userSelect + `WHERE u.email_lower = ?`
	listUsersSQL          = userSelect + `WHERE u.id <> ?1` + notBlockedWith1 + ` ORDER BY u.id DESC LIMIT ?2`
	searchUsersSQL        = userSelect + `WHERE u.id <> ?1 AND (u.username LIKE ?2 ESCAPE '\'
		   OR u.first_name LIKE ?2 ESCAPE '\' OR u.last_name LIKE ?2 ESCAPE '\')` + notBlockedWith1 + `
		ORDER BY u.username LIMIT ?3`
)

// findUser returns the one user query (selecting userColumns("u", "p"))
// finds, or ENOTFOUND.
func findUser(ctx context.Context, q queryer, query string, args ...any) (*numeneon.User, error) {
	u, err := scanUser(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, notFound(err, "user")
	}
	return u, nil
}

// FindUserByID implements numeneon.Store.
func (s *Store) FindUserByID(ctx context.Context, id int64) (*numeneon.User, error) {
	u, err := findUser(ctx, s.rq, findUserByIDSQL, id)
	if err != nil {
		return nil, fmt.Errorf("find user %d: %w", id, err)
	}
	return u, nil
}

// FindUserByUsername implements numeneon.Store.
func (s *Store) FindUserByUsername(ctx context.Context, username string) (*numeneon.User, error) {
	u, err := findUser(ctx, s.rq, findUserByUsernameSQL, username)
	if err != nil {
		return nil, fmt.Errorf("find user %q: %w", username, err)
	}
	return u, nil
}

// FindUserByEmail implements numeneon.Store.
func (s *Store) FindUserByEmail(ctx context.Context, email string) (*numeneon.User, error) {
	u, err := findUser(ctx, s.rq, findUserByEmailSQL, strings.ToLower(email))
	if err != nil {
		return nil, fmt.Errorf("find user by email: %w", err)
	}
	return u, nil
}

// likeContains returns a LIKE pattern (with ESCAPE '\') matching values
// that contain q literally.
func likeContains(q string) string {
	return "%" + strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(q) + "%"
}

// SearchUsers implements numeneon.Store. SQLite's LIKE folds ASCII case
// only, which covers the username charset the app allows.
func (s *Store) SearchUsers(ctx context.Context, q string, excludeID int64, limit int) ([]*numeneon.User, error) {
	var (
		users []*numeneon.User
		err   error
	)
	if q == "" {
		users, err = queryUsers(ctx, s.rq, listUsersSQL, excludeID, limitOr(limit))
	} else {
		users, err = queryUsers(ctx, s.rq, searchUsersSQL, excludeID, likeContains(q), limitOr(limit))
	}
	if err != nil {
		return nil, fmt.Errorf("search users for %q: %w", q, dbError(err))
	}
	return users, nil
}

// CreateUser implements numeneon.Tx.
func (tx *Tx) CreateUser(ctx context.Context, u *numeneon.User) error {
	t := now()
	var userID, profileID int64
	err := tx.q.QueryRowContext(ctx, `INSERT INTO users
		(username, email, email_lower, first_name, last_name, password_hash, is_active, date_joined)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		u.Username, u.Email, strings.ToLower(u.Email), u.FirstName, u.LastName, u.PasswordHash, u.IsActive, formatTime(t),
	).Scan(&userID)
	if err != nil {
		return fmt.Errorf("create user %q: %w", u.Username, dbError(err))
	}
	err = tx.q.QueryRowContext(ctx, `INSERT INTO profiles
		(user_id, bio, avatar, location, website, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING id`,
		userID, u.Profile.Bio, avatarValue(u.Profile.Avatar), u.Profile.Location, u.Profile.Website, formatTime(t), formatTime(t),
	).Scan(&profileID)
	if err != nil {
		return fmt.Errorf("create profile of %q: %w", u.Username, dbError(err))
	}
	u.ID, u.DateJoined = userID, t
	u.Profile.ID, u.Profile.CreatedAt, u.Profile.UpdatedAt = profileID, t, t
	if u.Profile.Avatar != nil && *u.Profile.Avatar == "" {
		u.Profile.Avatar = nil
	}
	return nil
}

// avatarValue stores an unset or empty avatar as NULL.
func avatarValue(a *string) any {
	if a == nil || *a == "" {
		return nil
	}
	return *a
}

// SetPasswordHash implements numeneon.Tx.
func (tx *Tx) SetPasswordHash(ctx context.Context, userID int64, hash string) error {
	res, err := tx.q.ExecContext(ctx, `UPDATE users SET password_hash = ? WHERE id = ?`, hash, userID)
	if err := mustChange(res, err, "user"); err != nil {
		return fmt.Errorf("set password hash of user %d: %w", userID, err)
	}
	return nil
}

// UpdateProfile implements numeneon.Tx.
func (tx *Tx) UpdateProfile(ctx context.Context, userID int64, upd numeneon.ProfileUpdate) error {
	set := []string{"updated_at = ?"}
	args := []any{formatTime(now())}
	for _, f := range []struct {
		col string
		val *string
	}{{"bio", upd.Bio}, {"location", upd.Location}, {"website", upd.Website}} {
		if f.val != nil {
			set = append(set, f.col+" = ?")
			args = append(args, *f.val)
		}
	}
	if upd.Avatar != nil {
		set = append(set, "avatar = ?")
		args = append(args, avatarValue(upd.Avatar))
	}
	res, err := tx.q.ExecContext(ctx, `UPDATE profiles SET `+strings.Join(set, ", ")+` WHERE user_id = ?`,
		append(args, userID)...)
	if err := mustChange(res, err, "user"); err != nil {
		return fmt.Errorf("update profile of user %d: %w", userID, err)
	}

	if upd.FirstName != nil || upd.LastName != nil {
		res, err := tx.q.ExecContext(ctx, `UPDATE users SET
			first_name = coalesce(?, first_name), last_name = coalesce(?, last_name) WHERE id = ?`,
			nullable(upd.FirstName), nullable(upd.LastName), userID)
		if err := mustChange(res, err, "user"); err != nil {
			return fmt.Errorf("update names of user %d: %w", userID, err)
		}
	}
	return nil
}

func nullable(s *string) any {
	if s == nil {
		return nil
	}
	return *s
}

// mustChange turns an exec result that changed no row into ENOTFOUND.
func mustChange(res sql.Result, err error, what string) error {
	if err != nil {
		return dbError(err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "%s not found", what)
	}
	return nil
}
