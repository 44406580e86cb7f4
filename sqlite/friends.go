package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/numeneon/numeneon"
)

// friendRequestSelect selects a request with its two users: the request
// columns, then userColumns of the sender (fu, fp) and the receiver (tu, tp).
var friendRequestSelect = `SELECT r.id, r.from_user_id, r.to_user_id, r.created_at, ` +
	userColumns("fu", "fp") + `, ` + userColumns("tu", "tp") + `
	FROM friend_requests r
	JOIN users fu ON fu.id = r.from_user_id JOIN profiles fp ON fp.user_id = fu.id
	JOIN users tu ON tu.id = r.to_user_id JOIN profiles tp ON tp.user_id = tu.id `

func scanFriendRequest(row scanner) (*numeneon.FriendRequest, error) {
	fr := &numeneon.FriendRequest{FromUser: &numeneon.User{}, ToUser: &numeneon.User{}}
	var fromAvatar, toAvatar sql.NullString
	dest := []any{&fr.ID, &fr.FromUserID, &fr.ToUserID, timeColumn{&fr.CreatedAt}}
	dest = append(dest, userDest(fr.FromUser, &fromAvatar)...)
	dest = append(dest, userDest(fr.ToUser, &toAvatar)...)
	if err := row.Scan(dest...); err != nil {
		return nil, err
	}
	setAvatar(fr.FromUser, fromAvatar)
	setAvatar(fr.ToUser, toAvatar)
	return fr, nil
}

// The texts built on friendRequestSelect and userSelect are computed once,
// so a call neither builds its SQL nor misses the statement cache.
var (
	findFriendRequestSQL          = friendRequestSelect + `WHERE r.id = ?`
	findFriendRequestBetweenSQL   = friendRequestSelect + `WHERE r.from_user_id = ? AND r.to_user_id = ?`
	listIncomingFriendRequestsSQL = friendRequestSelect + `
		WHERE r.to_user_id = ?1 AND (?2 <= 0 OR r.id < ?2)
		ORDER BY r.id DESC LIMIT ?3`
	listFriendsSQL = `SELECT ` + userColumns("u", "p") + `
		FROM friendships f JOIN users u ON u.id = f.friend_id JOIN profiles p ON p.user_id = u.id
		WHERE f.user_id = ?1 AND (?2 <= 0 OR u.id < ?2)
		ORDER BY u.id LIMIT ?3`
	friendSuggestionsSQL = userSelect + `
		WHERE u.id <> ?1
		  AND NOT EXISTS (SELECT 1 FROM friendships f WHERE f.user_id = ?1 AND f.friend_id = u.id)
		  AND NOT EXISTS (SELECT 1 FROM friend_requests r WHERE r.from_user_id = ?1 AND r.to_user_id = u.id)
		  AND NOT EXISTS (SELECT 1 FROM friend_requests r WHERE r.from_user_id = u.id AND r.to_user_id = ?1)` +
		notBlockedWith1 + `
		ORDER BY u.id DESC LIMIT ?2`
)

// findFriendRequest returns the one request query (selecting
// friendRequestSelect) finds, or ENOTFOUND.
func findFriendRequest(ctx context.Context, q queryer, query string, args ...any) (*numeneon.FriendRequest, error) {
	fr, err := scanFriendRequest(q.QueryRowContext(ctx, query, args...))
	if err != nil {
		return nil, notFound(err, "friend request")
	}
	return fr, nil
}

// FindFriendRequest implements numeneon.Store.
func (s *Store) FindFriendRequest(ctx context.Context, id int64) (*numeneon.FriendRequest, error) {
	fr, err := findFriendRequest(ctx, s.rq, findFriendRequestSQL, id)
	if err != nil {
		return nil, fmt.Errorf("find friend request %d: %w", id, err)
	}
	return fr, nil
}

// ListIncomingFriendRequests implements numeneon.Store.
func (s *Store) ListIncomingFriendRequests(ctx context.Context, userID int64, page numeneon.Page) ([]*numeneon.FriendRequest, error) {
	rows, err := s.rq.QueryContext(ctx, listIncomingFriendRequestsSQL, userID, page.Before, limitOr(page.Limit))
	if err != nil {
		return nil, fmt.Errorf("list friend requests to user %d: %w", userID, dbError(err))
	}
	defer rows.Close()
	var out []*numeneon.FriendRequest
	for rows.Next() {
		fr, err := scanFriendRequest(rows)
		if err != nil {
			return nil, fmt.Errorf("list friend requests to user %d: %w", userID, err)
		}
		out = append(out, fr)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list friend requests to user %d: %w", userID, dbError(err))
	}
	return out, nil
}

// ListFriends implements numeneon.Store.
func (s *Store) ListFriends(ctx context.Context, userID int64, page numeneon.Page) ([]*numeneon.User, error) {
	users, err := queryUsers(ctx, s.rq, listFriendsSQL, userID, page.Before, limitOr(page.Limit))
	if err != nil {
		return nil, fmt.Errorf("list friends of user %d: %w", userID, dbError(err))
	}
	return users, nil
}

// FriendIDs implements numeneon.Store.
func (s *Store) FriendIDs(ctx context.Context, userID int64) ([]int64, error) {
	rows, err := s.rq.QueryContext(ctx, `SELECT friend_id FROM friendships WHERE user_id = ? ORDER BY friend_id`, userID)
	if err != nil {
		return nil, fmt.Errorf("list friend ids of user %d: %w", userID, dbError(err))
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("list friend ids of user %d: %w", userID, err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list friend ids of user %d: %w", userID, dbError(err))
	}
	return ids, nil
}

func areFriends(ctx context.Context, q queryer, a, b int64) (bool, error) {
	var ok bool
	err := q.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM friendships WHERE user_id = ? AND friend_id = ?)`, a, b).Scan(&ok)
	if err != nil {
		return false, fmt.Errorf("check friendship of users %d and %d: %w", a, b, dbError(err))
	}
	return ok, nil
}

// AreFriends implements numeneon.Store.
func (s *Store) AreFriends(ctx context.Context, a, b int64) (bool, error) {
	return areFriends(ctx, s.rq, a, b)
}

// FriendSuggestions implements numeneon.Store.
func (s *Store) FriendSuggestions(ctx context.Context, userID int64, limit int) ([]*numeneon.User, error) {
	users, err := queryUsers(ctx, s.rq, friendSuggestionsSQL, userID, limitOr(limit))
	if err != nil {
		return nil, fmt.Errorf("suggest friends for user %d: %w", userID, dbError(err))
	}
	return users, nil
}

// FindFriendRequestBetween implements numeneon.Tx.
func (tx *Tx) FindFriendRequestBetween(ctx context.Context, fromID, toID int64) (*numeneon.FriendRequest, error) {
	fr, err := findFriendRequest(ctx, tx.q, findFriendRequestBetweenSQL, fromID, toID)
	if err != nil {
		return nil, fmt.Errorf("find friend request from user %d to %d: %w", fromID, toID, err)
	}
	return fr, nil
}

// CreateFriendRequest implements numeneon.Tx.
func (tx *Tx) CreateFriendRequest(ctx context.Context, fromID, toID int64) (*numeneon.FriendRequest, error) {
	fr := &numeneon.FriendRequest{FromUserID: fromID, ToUserID: toID, CreatedAt: now()}
	err := tx.q.QueryRowContext(ctx, `INSERT INTO friend_requests (from_user_id, to_user_id, created_at)
		VALUES (?, ?, ?) RETURNING id`, fromID, toID, formatTime(fr.CreatedAt)).Scan(&fr.ID)
	if err != nil {
		return nil, fmt.Errorf("create friend request from user %d to %d: %w", fromID, toID, dbError(err))
	}
	return fr, nil
}

// DeleteFriendRequest implements numeneon.Tx.
func (tx *Tx) DeleteFriendRequest(ctx context.Context, id int64) error {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM friend_requests WHERE id = ?`, id)
	if err := mustChange(res, err, "friend request"); err != nil {
		return fmt.Errorf("delete friend request %d: %w", id, err)
	}
	return nil
}

// AreFriends implements numeneon.Tx.
func (tx *Tx) AreFriends(ctx context.Context, a, b int64) (bool, error) {
	return areFriends(ctx, tx.q, a, b)
}

// CreateFriendship implements numeneon.Tx. It stores both directions.
func (tx *Tx) CreateFriendship(ctx context.Context, a, b int64) error {
	t := formatTime(now())
	_, err := tx.q.ExecContext(ctx, `INSERT INTO friendships (user_id, friend_id, created_at)
		VALUES (?1, ?2, ?3), (?2, ?1, ?3)`, a, b, t)
	if err != nil {
		return fmt.Errorf("create friendship of users %d and %d: %w", a, b, dbError(err))
	}
	return nil
}

// DeleteFriendship implements numeneon.Tx.
func (tx *Tx) DeleteFriendship(ctx context.Context, a, b int64) error {
	res, err := tx.q.ExecContext(ctx, `DELETE FROM friendships
		WHERE (user_id = ?1 AND friend_id = ?2) OR (user_id = ?2 AND friend_id = ?1)`, a, b)
	if err := mustChange(res, err, "friendship"); err != nil {
		return fmt.Errorf("delete friendship of users %d and %d: %w", a, b, err)
	}
	return nil
}
