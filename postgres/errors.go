package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/numeneon/numeneon"
)

// SQLSTATE codes this package reacts to.
const (
	codeUniqueViolation      = "23505"
	codeForeignKeyViolation  = "23503"
	codeSerializationFailure = "40001"
	codeDeadlockDetected     = "40P01"
	codeQueryCanceled        = "57014" // statement_timeout, or a cancel request
)

// conflictFields names the field a unique constraint protects, so that a
// conflict tells the caller which value is taken.
var conflictFields = map[string]string{
	"users_username_key":          "username",
	"users_email_lower_key":       "email",
	"friend_requests_from_to_key": "friend request",
	"friendships_pkey":            "friendship",
	"revoked_tokens_pkey":         "token",
}

// conflictMessages is the client-safe message of a conflict on a user field,
// the same whether the store noticed it before inserting or from the index.
var conflictMessages = map[string]string{
	"username": "username already taken",
	"email":    "email already registered",
}

// conflictError returns the ECONFLICT error about field.
func conflictError(field string) error {
	if msg, ok := conflictMessages[field]; ok {
		return numeneon.Errorf(numeneon.ECONFLICT, "%s", msg)
	}
	return numeneon.Errorf(numeneon.ECONFLICT, "%s already exists", field)
}

// mapError turns a driver error into a domain error. op is a verb phrase of
// what failed ("find user 3"), used for the internal errors that are logged.
// Internal errors keep the driver error in their chain, so Update can still
// recognise a serialization failure or a deadlock behind them.
func mapError(err error, op string) error {
	if err == nil {
		return nil
	}
	var domainErr *numeneon.Error
	if errors.As(err, &domainErr) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return numeneon.Errorf(numeneon.ENOTFOUND, "Not found.")
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case codeUniqueViolation:
			field, ok := conflictFields[pgErr.ConstraintName]
			if !ok {
				field = "value"
			}
			return conflictError(field)
		case codeForeignKeyViolation:
			return numeneon.Errorf(numeneon.ENOTFOUND, "Not found.")
		}
	}
	return asTimeout(fmt.Errorf("%s: %w", op, err))
}

// isRetryable reports whether err means the transaction lost a race with
// another one and may succeed when run again.
func isRetryable(err error) bool {
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) {
		return false
	}
	return pgErr.Code == codeSerializationFailure || pgErr.Code == codeDeadlockDetected
}

// asTimeout marks an internal error caused by a deadline (ctx's, or
// statement_timeout's) as numeneon.ErrTimeout, so callers answer "try
// again" instead of reporting a bug.
func asTimeout(err error) error {
	if numeneon.ErrorCode(err) != numeneon.EINTERNAL {
		return err
	}
	var pgErr *pgconn.PgError
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &pgErr) && pgErr.Code == codeQueryCanceled) {
		return fmt.Errorf("%w: %w", numeneon.ErrTimeout, err)
	}
	return err
}
