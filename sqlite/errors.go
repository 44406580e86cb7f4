package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"strings"

	"github.com/numeneon/numeneon"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"
)

// conflictMessages names, by the columns in SQLite's "UNIQUE constraint
// failed: ..." text, what was taken. The user fields are named so the app can
// tell the client which one.
var conflictMessages = map[string]string{
	"users.username":    "username already taken",
	"users.email_lower": "email already registered",
	"friend_requests.from_user_id, friend_requests.to_user_id": "friend request already sent",
	"friendships.user_id, friendships.friend_id":               "already friends",
	"revoked_tokens.jti": "token already used",
}

// dbError turns a driver error into a domain error where one applies: unique
// violations are ECONFLICT, foreign-key violations ENOTFOUND (every foreign
// key points at a user), no rows ENOTFOUND. Anything else, including context
// cancellation, is returned as is, for the caller to wrap; numeneon.ErrorCode
// reports it as EINTERNAL.
func dbError(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, sql.ErrNoRows) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "not found")
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return err
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		msg := se.Error()
		if i := strings.LastIndex(msg, "constraint failed: "); i >= 0 {
			cols := msg[i+len("constraint failed: "):]
			if j := strings.Index(cols, " ("); j >= 0 {
				cols = cols[:j]
			}
			if m, ok := conflictMessages[cols]; ok {
				return numeneon.Errorf(numeneon.ECONFLICT, "%s", m)
			}
		}
		return numeneon.Errorf(numeneon.ECONFLICT, "already exists")
	case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
		return numeneon.Errorf(numeneon.ENOTFOUND, "user not found")
	}
	return err
}

// notFound returns ENOTFOUND with a message naming what is missing, for
// lookups whose "no rows" is more specific than dbError can know.
func notFound(err error, what string) error {
	if errors.Is(err, sql.ErrNoRows) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "%s not found", what)
	}
	return dbError(err)
}
