package numeneon

import (
	"errors"
	"fmt"
)

// Error codes. The api package owns the one table that maps them to HTTP
// statuses; everything below it speaks only in codes.
const (
	ECONFLICT     = "conflict"     // a unique value is taken, or the state forbids the change
	EFORBIDDEN    = "forbidden"    // authenticated, but not allowed to act on this
	EINTERNAL     = "internal"     // a bug or an unavailable dependency; the cause is logged, not shown
	EINVALID      = "invalid"      // bad input; Message (and Fields) say what
	ENOTFOUND     = "not_found"    // the thing does not exist or is not visible to the caller
	ERATELIMITED  = "rate_limited" // too many attempts; see Error.RetryAfter
	ETOOLARGE     = "too_large"    // a body or a frame over its limit
	EUNAUTHORIZED = "unauthorized" // missing, invalid or expired credentials
	EUNAVAILABLE  = "unavailable"  // a dependency is down or the feature is not configured
	EUPSTREAM     = "upstream"     // an outside service (the music catalogue) failed, was too slow or answered garbage
	ETIMEOUT      = "timeout"      // the database (or the request as a whole) took longer than its bound
)

// ErrTimeout is the error of a request that ran out of time waiting for the
// database (DATABASE_TIMEOUT, REQUEST_TIMEOUT). Stores wrap it around the
// driver's error; the api answers 503.
var ErrTimeout = &Error{Code: ETIMEOUT, Message: "The server took too long to answer. Try again."}

// Error is the domain error. Message is safe to show to the client; the cause,
// when there is one, is wrapped by the caller with %w and only logged.
type Error struct {
	Code    string
	Message string
	// Fields holds per-field validation messages, rendered by the api as
	// {"<field>": ["msg", ...]}. Only set with EINVALID.
	Fields map[string][]string
}

// Error implements the error interface.
func (e *Error) Error() string {
	return fmt.Sprintf("numeneon error: code=%s message=%s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code string, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// FieldError returns an EINVALID error about one field.
func FieldError(field, message string) *Error {
	return &Error{Code: EINVALID, Message: field + ": " + message, Fields: map[string][]string{field: {message}}}
}

// ErrorCode returns the code of the first *Error in err's chain, "" for a nil
// error and EINTERNAL for any other error.
func ErrorCode(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the client-safe message of the first *Error in err's
// chain, "" for nil and a generic text for any other error.
func ErrorMessage(err error) string {
	var e *Error
	if err == nil {
		return ""
	} else if errors.As(err, &e) {
		return e.Message
	}
	return "Internal error."
}
