package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// ListFriends returns the user's friends ordered by id: the first
// page.Limit of those with an id below page.Before, when set.
func (s *Store) ListFriends(ctx context.Context, userID int64, page numeneon.Page) ([]*numeneon.User, error) {
	return queryUsers(ctx, s.pool, fmt.Sprintf("list friends of user %d", userID), `
		SELECT `+userColumns+` FROM friendships f
		JOIN users u ON u.id = f.friend_id
		JOIN profiles p ON p.user_id = u.id
		WHERE f.user_id = $1 AND ($2::bigint = 0 OR u.id < $2::bigint)
		ORDER BY u.id LIMIT $3`, userID, page.Before, listLimit(page.Limit))
}

// FriendIDs returns the ids of all the user's friends, ascending.
func (s *Store) FriendIDs(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := s.pool.Query(ctx, `SELECT friend_id FROM friendships WHERE user_id = $1 ORDER BY friend_id`, userID)
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("list friend ids of user %d", userID))
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("list friend ids of user %d", userID))
	}
	return ids, nil
}

// AreFriends reports whether a and b are friends.
func (s *Store) AreFriends(ctx context.Context, a, b int64) (bool, error) {
	return areFriends(ctx, s.pool, a, b)
}

// AreFriends reports whether a and b are friends, as seen by the transaction.
func (t *Tx) AreFriends(ctx context.Context, a, b int64) (bool, error) {
	return areFriends(ctx, t.tx, a, b)
}

func areFriends(ctx context.Context, q querier, a, b int64) (bool, error) {
	var ok bool
	err := q.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = $1 AND friend_id = $2)`, a, b).Scan(&ok)
	if err != nil {
		return false, mapError(err, fmt.Sprintf("check friendship of users %d and %d", a, b))
	}
	return ok, nil
}

// FriendSuggestions returns up to limit users, newest first, who are not
// userID, not its friends and have no pending request with it either way.
func (s *Store) FriendSuggestions(ctx context.Context, userID int64, limit int) ([]*numeneon.User, error) {
	return queryUsers(ctx, s.pool, fmt.Sprintf("suggest friends to user %d", userID), `
		SELECT `+userColumns+` FROM `+userFrom+`
		WHERE u.id <> $1
		AND NOT EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = $1 AND f.friend_id = u.id)
		AND NOT EXISTS (SELECT 1 FROM friend_requests r
			WHERE (r.from_user_id = $1 AND r.to_user_id = u.id)
			   OR (r.from_user_id = u.id AND r.to_user_id = $1))`+notBlockedWith1+`
		ORDER BY u.id DESC LIMIT $2`, userID, listLimit(limit))
}

// friendRequestColumns selects a request with both users' profiles; the
// query aliases the request r, the users fu/tu and their profiles fp/tp.
const friendRequestColumns = `r.id, r.from_user_id, r.to_user_id, r.created_at,
	fu.id, fu.username, fu.email, fu.first_name, fu.last_name, fu.password_hash,
	fu.is_active, fu.date_joined, fp.id, fp.bio, fp.avatar, fp.location, fp.website,
	fp.created_at, fp.updated_at,
	tu.id, tu.username, tu.email, tu.first_name, tu.last_name, tu.password_hash,
	tu.is_active, tu.date_joined, tp.id, tp.bio, tp.avatar, tp.location, tp.website,
	tp.created_at, tp.updated_at`

const friendRequestFrom = `friend_requests r
	JOIN users fu ON fu.id = r.from_user_id JOIN profiles fp ON fp.user_id = fu.id
	JOIN users tu ON tu.id = r.to_user_id JOIN profiles tp ON tp.user_id = tu.id`

func scanFriendRequest(row pgx.Row) (*numeneon.FriendRequest, error) {
	var (
		r        numeneon.FriendRequest
		from, to numeneon.User
	)
	err := row.Scan(&r.ID, &r.FromUserID, &r.ToUserID, &r.CreatedAt,
		&from.ID, &from.Username, &from.Email, &from.FirstName, &from.LastName, &from.PasswordHash,
		&from.IsActive, &from.DateJoined, &from.Profile.ID, &from.Profile.Bio, &from.Profile.Avatar,
		&from.Profile.Location, &from.Profile.Website, &from.Profile.CreatedAt, &from.Profile.UpdatedAt,
		&to.ID, &to.Username, &to.Email, &to.FirstName, &to.LastName, &to.PasswordHash,
		&to.IsActive, &to.DateJoined, &to.Profile.ID, &to.Profile.Bio, &to.Profile.Avatar,
		&to.Profile.Location, &to.Profile.Website, &to.Profile.CreatedAt, &to.Profile.UpdatedAt)
	if err != nil {
		return nil, err
	}
	r.FromUser, r.ToUser = &from, &to
	return &r, nil
}

// FindFriendRequest returns the pending request with that id, with FromUser
// and ToUser filled, or ENOTFOUND.
func (s *Store) FindFriendRequest(ctx context.Context, id int64) (*numeneon.FriendRequest, error) {
	r, err := scanFriendRequest(s.pool.QueryRow(ctx,
		`SELECT `+friendRequestColumns+` FROM `+friendRequestFrom+` WHERE r.id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, "Friend request not found.")
	}
	return r, mapError(err, fmt.Sprintf("find friend request %d", id))
}

// ListIncomingFriendRequests returns pending requests to userID, newest
// first, with FromUser (and ToUser) filled.
func (s *Store) ListIncomingFriendRequests(ctx context.Context, userID int64, page numeneon.Page) ([]*numeneon.FriendRequest, error) {
	op := fmt.Sprintf("list friend requests to user %d", userID)
	rows, err := s.pool.Query(ctx, `SELECT `+friendRequestColumns+` FROM `+friendRequestFrom+`
		WHERE r.to_user_id = $1 AND ($2::bigint = 0 OR r.id < $2::bigint)
		ORDER BY r.id DESC LIMIT $3`, userID, page.Before, listLimit(page.Limit))
	if err != nil {
		return nil, mapError(err, op)
	}
	reqs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*numeneon.FriendRequest, error) {
		return scanFriendRequest(row)
	})
	if err != nil {
		return nil, mapError(err, op)
	}
	return reqs, nil
}

// FindFriendRequestBetween returns the pending request from fromID to toID,
// without its users, or ENOTFOUND.
func (t *Tx) FindFriendRequestBetween(ctx context.Context, fromID, toID int64) (*numeneon.FriendRequest, error) {
	r := numeneon.FriendRequest{FromUserID: fromID, ToUserID: toID}
	err := t.tx.QueryRow(ctx, `SELECT id, created_at FROM friend_requests
		WHERE from_user_id = $1 AND to_user_id = $2`, fromID, toID).Scan(&r.ID, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, numeneon.Errorf(numeneon.ENOTFOUND, "Friend request not found.")
	}
	if err != nil {
		return nil, mapError(err, fmt.Sprintf("find friend request from user %d to %d", fromID, toID))
	}
	return &r, nil
}

// CreateFriendRequest inserts a pending request. An existing one is
// ECONFLICT and an unknown user ENOTFOUND, both found without a failing
// statement so that the transaction stays usable.
func (t *Tx) CreateFriendRequest(ctx context.Context, fromID, toID int64) (*numeneon.FriendRequest, error) {
	op := fmt.Sprintf("create friend request from user %d to %d", fromID, toID)
	r := numeneon.FriendRequest{FromUserID: fromID, ToUserID: toID}
	err := t.tx.QueryRow(ctx, `INSERT INTO friend_requests (from_user_id, to_user_id)
		SELECT $1::bigint, $2::bigint WHERE `+bothUsersExist+`
		ON CONFLICT DO NOTHING
		RETURNING id, created_at`, fromID, toID).Scan(&r.ID, &r.CreatedAt)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, t.conflictOrMissingUsers(ctx, op, fromID, toID, "friend request")
	}
	if err != nil {
		return nil, mapError(err, op)
	}
	return &r, nil
}

// DeleteFriendRequest removes a pending request, or returns ENOTFOUND.
func (t *Tx) DeleteFriendRequest(ctx context.Context, id int64) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM friend_requests WHERE id = $1`, id)
	if err != nil {
		return mapError(err, fmt.Sprintf("delete friend request %d", id))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Friend request not found.")
	}
	return nil
}

// CreateFriendship stores the friendship in both directions. ECONFLICT if
// they already are friends, ENOTFOUND for an unknown user.
func (t *Tx) CreateFriendship(ctx context.Context, a, b int64) error {
	op := fmt.Sprintf("create friendship of users %d and %d", a, b)
	var inserted int
	err := t.tx.QueryRow(ctx, `WITH ins AS (
			INSERT INTO friendships (user_id, friend_id)
			SELECT x, y FROM (VALUES ($1::bigint, $2::bigint), ($2, $1)) AS v (x, y)
			WHERE `+bothUsersExist+`
			ON CONFLICT DO NOTHING
			RETURNING 1
		) SELECT count(*) FROM ins`, a, b).Scan(&inserted)
	if err != nil {
		return mapError(err, op)
	}
	switch inserted {
	case 2:
		return nil
	case 0:
		return t.conflictOrMissingUsers(ctx, op, a, b, "friendship")
	default:
		// Half a friendship existed: a state this store never writes. Fail
		// rather than leave it, the transaction rolls back.
		return fmt.Errorf("%s: one direction already existed", op)
	}
}

// DeleteFriendship removes both directions, or returns ENOTFOUND.
func (t *Tx) DeleteFriendship(ctx context.Context, a, b int64) error {
	tag, err := t.tx.Exec(ctx, `DELETE FROM friendships
		WHERE (user_id = $1 AND friend_id = $2) OR (user_id = $2 AND friend_id = $1)`, a, b)
	if err != nil {
		return mapError(err, fmt.Sprintf("delete friendship of users %d and %d", a, b))
	}
	if tag.RowsAffected() == 0 {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Friendship not found.")
	}
	return nil
}

// bothUsersExist is a condition on $1 and $2 that lets an INSERT ... SELECT
// skip a row for an unknown user instead of failing its foreign key.
const bothUsersExist = `EXISTS (SELECT 1 FROM users WHERE id = $1) AND EXISTS (SELECT 1 FROM users WHERE id = $2)`

// conflictOrMissingUsers explains why an insert guarded by bothUsersExist
// and ON CONFLICT DO NOTHING inserted nothing.
func (t *Tx) conflictOrMissingUsers(ctx context.Context, op string, a, b int64, what string) error {
	var n int
	err := t.tx.QueryRow(ctx, `SELECT count(*) FROM users WHERE id = $1 OR id = $2`, a, b).Scan(&n)
	if err != nil {
		return mapError(err, op)
	}
	if n < 2 && !(a == b && n == 1) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "User not found.")
	}
	return conflictError(what)
}
