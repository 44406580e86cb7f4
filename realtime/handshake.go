package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/ws"
)

// subprotocolToken is the subprotocol a browser offers, followed by the token
// itself, to keep the token out of URLs and access logs:
// new WebSocket(url, ["access_token", jwt]).
const subprotocolToken = "access_token"

// ServeHTTP is the endpoint /ws/notifications/. Handshakes that carry a token
// (?token= or the access_token subprotocol) are authenticated before the
// upgrade and refused with an HTTP status; without one, the first message
// must be {"type":"auth","token":"..."} within AuthTimeout. The handler
// returns once the socket is set up, so the HTTP server's goroutine, its
// request and its buffers are not kept for the life of every socket; the
// connection then costs no goroutine while idle (see package ws).
func (h *Hub) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !h.enter() {
		h.reject(w, r, http.StatusServiceUnavailable, "shutting_down", "Server is shutting down.")
		return
	}
	handedOff := false
	defer func() {
		if !handedOff {
			h.wg.Done()
		}
	}()

	if h.cfg.AllowHandshake != nil {
		if ok, retryAfter := h.cfg.AllowHandshake(r); !ok {
			secs := int(math.Ceil(retryAfter.Seconds()))
			if secs < 1 {
				secs = 1
			}
			w.Header().Set("Retry-After", strconv.Itoa(secs))
			h.reject(w, r, http.StatusTooManyRequests, "rate_limited", "Too many connection attempts.")
			return
		}
	}
	if h.cfg.CheckOrigin != nil && !h.cfg.CheckOrigin(r) {
		h.reject(w, r, http.StatusForbidden, "origin", "Origin not allowed.")
		return
	}
	since, hasSince, err := parseSince(r)
	if err != nil {
		h.reject(w, r, http.StatusBadRequest, "bad_since", "since must be a non-negative integer.")
		return
	}

	token, present := tokenFromRequest(r)
	var grant numeneon.AccessGrant
	if present {
		grant, err = h.authenticate(r.Context(), token)
		if err != nil {
			h.rejectAuth(w, r, err)
			return
		}
	}

	if grant.User != nil && !h.reserve(grant.User.ID) {
		w.Header().Set("Retry-After", strconv.Itoa(int(socketsPerUserRetry.Seconds())))
		h.reject(w, r, http.StatusTooManyRequests, "sockets_per_user", "Too many open sockets for this user.")
		return
	}
	opts := ws.Options{ReadLimit: h.cfg.ReadLimit, Poller: h.poller}
	if slices.Contains(offeredSubprotocols(r), subprotocolToken) {
		// A browser fails the handshake unless the server picks one of the
		// subprotocols it offered, wherever the token came from.
		opts.Subprotocol = subprotocolToken
	}
	conn, err := ws.Upgrade(w, r, opts)
	if err != nil {
		// Upgrade has answered the client (426, 400, ...).
		if grant.User != nil {
			h.unreserve(grant.User.ID)
		}
		h.metrics.rejected.WithLabelValues("bad_upgrade").Inc()
		h.log.Debug("websocket upgrade failed", "remote", r.RemoteAddr, "error", err)
		return
	}

	handedOff = true // to the connection's handler, whose Closed calls h.wg.Done
	if grant.User != nil {
		if s := h.openSocket(conn, grant, since, hasSince); s != nil {
			conn.Start(s)
		} else {
			conn.Start(closedHandler{h})
		}
		return
	}
	// The first message carries the token.
	conn.Start(h.newAuthWait(conn, r.RemoteAddr, since, hasSince))
}

// socketsPerUserRetry is the Retry-After of a handshake refused for the
// sockets-per-user limit: one of the user's sockets must close first.
const socketsPerUserRetry = 10 * time.Second

// closedHandler is the handler of a connection whose socket could not be
// set up: it was closed already, and nothing it reads matters.
type closedHandler struct{ h *Hub }

func (closedHandler) Message(*ws.Conn, ws.Opcode, []byte) {}
func (c closedHandler) Closed(*ws.Conn, error)            { c.h.wg.Done() }

// authWait is the handler of a connection that has not authenticated yet:
// its first message must be {"type":"auth","token":"..."} within
// AuthTimeout. On success the connection is handed to a new socket.
type authWait struct {
	h        *Hub
	remote   string
	since    int64
	hasSince bool
	timer    *time.Timer
	stopShut func() bool
	done     bool // the first message was handled; owned by the reader
}

func (h *Hub) newAuthWait(conn *ws.Conn, remote string, since int64, hasSince bool) *authWait {
	a := &authWait{h: h, remote: remote, since: since, hasSince: hasSince}
	a.timer = time.AfterFunc(h.cfg.AuthTimeout, func() {
		a.failed(numeneon.Errorf(numeneon.EUNAUTHORIZED, "No authentication message."))
		conn.Close(CloseUnauthorized, "authentication timeout")
	})
	a.stopShut = context.AfterFunc(h.ctx, func() { conn.Close(ws.StatusServiceRestart, "service restart") })
	return a
}

func (a *authWait) Message(conn *ws.Conn, op ws.Opcode, data []byte) {
	if a.done {
		return
	}
	a.done = true
	if !a.timer.Stop() || !a.stopShut() {
		return // closing already, with a code
	}
	grant, err := a.h.authenticateFirstMessage(conn, op, data)
	if err != nil {
		a.failed(err)
		return
	}
	if !a.h.reserve(grant.User.ID) {
		a.h.metrics.rejected.WithLabelValues("sockets_per_user").Inc()
		conn.Close(ws.StatusTryAgainLater, "too many sockets for this user")
		return
	}
	if s := a.h.openSocket(conn, grant, a.since, a.hasSince); s != nil {
		conn.SetHandler(s)
	}
}

// failed counts and logs a failed authentication.
func (a *authWait) failed(err error) {
	a.h.metrics.rejected.WithLabelValues(rejectReason(err)).Inc()
	a.h.log.Info("websocket authentication failed", "remote", a.remote, "code", numeneon.ErrorCode(err))
}

func (a *authWait) Closed(*ws.Conn, error) {
	a.timer.Stop()
	a.stopShut()
	a.h.wg.Done()
}

// authenticate calls Config.Authenticate within StoreTimeout. It refuses
// inactive users even when the function forgot to, and a grant whose
// socket would have to close at once: a socket is never upgraded only to
// be closed for its token.
func (h *Hub) authenticate(ctx context.Context, token string) (numeneon.AccessGrant, error) {
	if token == "" {
		return numeneon.AccessGrant{}, numeneon.Errorf(numeneon.EUNAUTHORIZED, "Authentication credentials were not provided.")
	}
	ctx, cancel := context.WithTimeout(ctx, h.cfg.StoreTimeout)
	defer cancel()
	g, err := h.cfg.Authenticate(ctx, token)
	switch {
	case err != nil:
		return numeneon.AccessGrant{}, err
	case g.User == nil:
		return numeneon.AccessGrant{}, numeneon.Errorf(numeneon.EUNAUTHORIZED, "Token is invalid or expired")
	case !g.User.IsActive:
		return numeneon.AccessGrant{}, numeneon.Errorf(numeneon.EFORBIDDEN, "User is inactive.")
	}
	if d := h.cfg.SocketTokenExpiry.deadline(g); !d.IsZero() && !time.Now().Before(d) {
		return numeneon.AccessGrant{}, numeneon.Errorf(numeneon.EUNAUTHORIZED, "Token is invalid or expired")
	}
	return g, nil
}

// authenticateFirstMessage checks the first message, which must be
// {"type":"auth","token":"..."}. On failure the socket is closed with
// CloseUnauthorized (CloseForbidden for an inactive user) and the error
// returned.
func (h *Hub) authenticateFirstMessage(conn *ws.Conn, op ws.Opcode, data []byte) (numeneon.AccessGrant, error) {
	var msg struct {
		Type  string `json:"type"`
		Token string `json:"token"`
	}
	if op != ws.OpText || json.Unmarshal(data, &msg) != nil || msg.Type != "auth" {
		conn.Close(CloseUnauthorized, "authentication required")
		return numeneon.AccessGrant{}, numeneon.Errorf(numeneon.EUNAUTHORIZED, "First message is not an auth message.")
	}
	g, err := h.authenticate(h.ctx, msg.Token)
	if err != nil {
		code, reason := ws.StatusCode(CloseUnauthorized), "invalid token"
		if h.ctx.Err() != nil {
			// The hub is closing: not the client's fault.
			conn.Close(ws.StatusServiceRestart, "service restart")
			return numeneon.AccessGrant{}, err
		}
		if numeneon.ErrorCode(err) == numeneon.EFORBIDDEN {
			code, reason = CloseForbidden, "forbidden"
		} else if numeneon.ErrorCode(err) != numeneon.EUNAUTHORIZED {
			code, reason = ws.StatusInternalError, "internal error"
			h.log.Error("authenticate websocket", "error", err)
		}
		conn.Close(code, reason)
		return numeneon.AccessGrant{}, err
	}
	return g, nil
}

// tokenFromRequest finds the access token in ?token= or in the
// Sec-WebSocket-Protocol header "access_token, <jwt>". present is true when
// the client used either way, even with an empty token.
func tokenFromRequest(r *http.Request) (token string, present bool) {
	if q := r.URL.Query(); q.Has("token") {
		return q.Get("token"), true
	}
	offered := offeredSubprotocols(r)
	if i := slices.Index(offered, subprotocolToken); i >= 0 {
		if i+1 < len(offered) {
			return offered[i+1], true
		}
		return "", true
	}
	return "", false
}

func offeredSubprotocols(r *http.Request) []string {
	var offered []string
	for _, v := range r.Header.Values("Sec-WebSocket-Protocol") {
		for _, p := range strings.Split(v, ",") {
			offered = append(offered, strings.TrimSpace(p))
		}
	}
	return offered
}

func parseSince(r *http.Request) (since int64, ok bool, err error) {
	v := r.URL.Query().Get("since")
	if v == "" {
		return 0, false, nil
	}
	since, err = strconv.ParseInt(v, 10, 64)
	if err != nil || since < 0 {
		return 0, false, errors.New("since must be a non-negative integer")
	}
	return since, true, nil
}

// rejectAuth answers a failed token check before the upgrade.
func (h *Hub) rejectAuth(w http.ResponseWriter, r *http.Request, err error) {
	switch numeneon.ErrorCode(err) {
	case numeneon.EUNAUTHORIZED:
		h.reject(w, r, http.StatusUnauthorized, "unauthorized", numeneon.ErrorMessage(err))
	case numeneon.EFORBIDDEN:
		h.reject(w, r, http.StatusForbidden, "forbidden", numeneon.ErrorMessage(err))
	case numeneon.ETIMEOUT, numeneon.EUNAVAILABLE:
		// The database did not answer within StoreTimeout: not a bug, and
		// the client may try again.
		h.log.Warn("authenticate websocket", "error", err)
		h.reject(w, r, http.StatusServiceUnavailable, "unavailable", numeneon.ErrorMessage(err))
	default:
		if errors.Is(err, context.DeadlineExceeded) {
			h.log.Warn("authenticate websocket", "error", err)
			h.reject(w, r, http.StatusServiceUnavailable, "unavailable", numeneon.ErrTimeout.Message)
			return
		}
		h.log.Error("authenticate websocket", "error", err)
		h.reject(w, r, http.StatusInternalServerError, "internal", "Internal error.")
	}
}

// reject answers a handshake with an HTTP error and {"detail": ...}. The
// request URL is never logged: it may carry the token.
func (h *Hub) reject(w http.ResponseWriter, r *http.Request, status int, reason, detail string) {
	h.metrics.rejected.WithLabelValues(reason).Inc()
	h.log.Info("websocket handshake rejected", "status", status, "reason", reason, "remote", r.RemoteAddr)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"detail": detail})
}

func rejectReason(err error) string {
	switch numeneon.ErrorCode(err) {
	case numeneon.EFORBIDDEN:
		return "forbidden"
	case numeneon.EUNAUTHORIZED:
		return "unauthorized"
	}
	return "internal"
}
