package api

import (
	"errors"
	"net/http"

	"github.com/numeneon/numeneon"
)

// statusByCode is the one table from domain error codes to HTTP statuses.
//
// ECONFLICT is 400, not 409: API.md keeps the original's contract, where a
// taken username or email and a duplicate friend request answer 400
// {"error": ...}, and no route documents a 409.
var statusByCode = map[string]int{
	numeneon.EINVALID:      http.StatusBadRequest,
	numeneon.ECONFLICT:     http.StatusBadRequest,
	numeneon.EUNAUTHORIZED: http.StatusUnauthorized,
	numeneon.EFORBIDDEN:    http.StatusForbidden,
	numeneon.ENOTFOUND:     http.StatusNotFound,
	numeneon.ETOOLARGE:     http.StatusRequestEntityTooLarge,
	numeneon.ERATELIMITED:  http.StatusTooManyRequests,
	numeneon.EUNAVAILABLE:  http.StatusServiceUnavailable,
	numeneon.EUPSTREAM:     http.StatusBadGateway,
	numeneon.EINTERNAL:     http.StatusInternalServerError,
}

// errorStatus returns the HTTP status for err's code (500 for an unknown
// code, which is a bug to fix in the table).
func errorStatus(err error) int {
	if st, ok := statusByCode[numeneon.ErrorCode(err)]; ok {
		return st
	}
	return http.StatusInternalServerError
}

// writeError renders err the way DRF did, so the client finds its messages
// where it always looked: 401 as {"detail": ...}, field validation as
// {"<field>": ["msg"]}, everything else as {"error": ...}. Internal errors
// are logged with their cause and answered with a generic message.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	s.writeErrorKey(w, r, err, "")
}

// writeErrorKey is writeError with the body key forced for the routes whose
// original answered differently (login's 401 is {"error"}, decline's 403 is
// {"message"}). An empty key keeps the default.
func (s *Server) writeErrorKey(w http.ResponseWriter, r *http.Request, err error, key string) {
	status := errorStatus(err)
	msg := numeneon.ErrorMessage(err)
	switch {
	case numeneon.ErrorCode(err) == numeneon.EUPSTREAM, numeneon.ErrorCode(err) == numeneon.EUNAVAILABLE:
		// Not a bug: an outside service failed, or a dependency or
		// feature is off. The domain message says which (it is written
		// for the client), and the log keeps the cause without an
		// error-level alarm.
		s.logger.Warn("dependency unavailable", "method", r.Method, "path", capped(r.URL.Path, maxLoggedValue), "err", capped(err.Error(), maxLoggedError))
	case status >= 500:
		s.logger.Error("request failed", "method", r.Method, "path", capped(r.URL.Path, maxLoggedValue), "err", capped(err.Error(), maxLoggedError))
		msg = "Internal server error."
	}
	var derr *numeneon.Error
	if key == "" && errors.As(err, &derr) && derr.Code == numeneon.EINVALID && len(derr.Fields) > 0 {
		writeJSON(w, status, derr.Fields)
		return
	}
	if key == "" {
		key = "error"
		if status == http.StatusUnauthorized {
			key = "detail"
		}
	}
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	}
	writeJSON(w, status, map[string]string{key: msg})
}
