package api

import (
	"bufio"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/numeneon/numeneon"
)

// statusRecorder remembers the status a handler wrote, for the access log
// and the metrics. It passes Hijack and Flush through, because the
// WebSocket endpoint behind it takes over the connection.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	if r.status == 0 {
		r.status = status
	}
	r.ResponseWriter.WriteHeader(status)
}

func (r *statusRecorder) Write(b []byte) (int, error) {
	if r.status == 0 {
		r.status = http.StatusOK
	}
	return r.ResponseWriter.Write(b)
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (r *statusRecorder) Unwrap() http.ResponseWriter { return r.ResponseWriter }

func (r *statusRecorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (r *statusRecorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	hj, ok := r.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("hijack: the response writer does not support it")
	}
	if r.status == 0 {
		r.status = http.StatusSwitchingProtocols
	}
	return hj.Hijack()
}

// logRequest writes the access log line. The path is logged without its
// query string: the WebSocket client sends its token as ?token=, and a token
// in a log is a session anyone with the log can take.
func (s *Server) logRequest(r *http.Request, rec *statusRecorder, route string, elapsed time.Duration) {
	status := rec.status
	if status == 0 {
		status = http.StatusOK
	}
	if status != http.StatusSwitchingProtocols {
		// A socket's "duration" is its lifetime, not a latency.
		s.metrics.observe(r.Method, route, status, elapsed)
	}
	level := slog.LevelInfo
	if status >= 500 {
		level = slog.LevelWarn
	}
	s.logger.LogAttrs(r.Context(), level, "request",
		slog.String("method", r.Method),
		slog.String("path", capped(r.URL.Path, maxLoggedValue)),
		slog.Int("status", status),
		slog.Duration("duration", elapsed),
	)
}

// recoverPanic turns a panicking handler into a 500 JSON answer and a log
// line with the stack, so one bad request never takes the process down.
func (s *Server) recoverPanic(w *statusRecorder, r *http.Request) {
	v := recover()
	if v == nil {
		return
	}
	if v == http.ErrAbortHandler {
		// The handler asked to abort the connection; let net/http do it.
		panic(v)
	}
	s.logger.Error("panic serving request", "method", r.Method, "path", capped(r.URL.Path, maxLoggedValue), "panic", v, "stack", string(debug.Stack()))
	if w.status == 0 {
		writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "Internal server error."})
	}
}

// DRF's answers for missing and rejected credentials, which the client
// matches on to decide whether to refresh its token.
const (
	msgNoCredentials = "Authentication credentials were not provided."
	msgTokenNotValid = "Given token not valid for any token type"
)

// authed requires a valid access token (Authorization: Bearer) and puts its
// user in the request context for the app.
func (s *Server) authed(h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
		if !strings.EqualFold(scheme, "Bearer") {
			// No header, or another scheme: as DRF, not credentials at all.
			writeUnauthorized(w, map[string]any{"detail": msgNoCredentials})
			return
		}
		token = strings.TrimSpace(token)
		if token == "" || strings.Contains(token, " ") {
			writeUnauthorized(w, map[string]any{"detail": "Invalid Authorization header. No credentials provided."})
			return
		}
		u, _, err := s.app.AuthenticateAccess(r.Context(), token)
		switch numeneon.ErrorCode(err) {
		case "":
			h(w, r.WithContext(numeneon.NewContextWithUser(r.Context(), u)))
		case numeneon.EUNAUTHORIZED:
			msg := numeneon.ErrorMessage(err)
			if msg == "User not found" {
				writeUnauthorized(w, map[string]any{"detail": msg, "code": "user_not_found"})
				return
			}
			writeUnauthorized(w, map[string]any{
				"detail": msgTokenNotValid,
				"code":   "token_not_valid",
				"messages": []map[string]string{{
					"token_class": "AccessToken",
					"token_type":  "access",
					"message":     msg,
				}},
			})
		case numeneon.EFORBIDDEN:
			writeJSON(w, http.StatusForbidden, map[string]string{"detail": numeneon.ErrorMessage(err), "code": "user_inactive"})
		default:
			s.writeError(w, r, err)
		}
	}
}

func writeUnauthorized(w http.ResponseWriter, body map[string]any) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="api"`)
	writeJSON(w, http.StatusUnauthorized, body)
}
