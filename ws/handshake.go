package ws

import (
	"crypto/sha1"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"time"
)

// keyGUID is the GUID the handshake appends to Sec-WebSocket-Key (RFC 6455
// section 1.3).
const keyGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

// Defaults of the Options fields left at their zero value.
const (
	DefaultReadLimit    = 64 << 10
	DefaultCloseTimeout = 5 * time.Second
	DefaultFrameTimeout = 30 * time.Second
	// MaxReadLimit caps Options.ReadLimit: a message is held in memory
	// whole.
	MaxReadLimit = 1 << 30
)

// Options of an upgraded connection.
type Options struct {
	// Subprotocol is sent in Sec-WebSocket-Protocol when not empty. The
	// caller chooses it among the ones the client offered.
	Subprotocol string
	// ReadLimit is the largest message accepted, in bytes; a larger one
	// closes the connection with StatusMessageTooBig (DefaultReadLimit, at
	// most MaxReadLimit).
	ReadLimit int64
	// CloseTimeout is how long Close waits for the peer's close frame
	// before it closes the connection anyway (DefaultCloseTimeout).
	CloseTimeout time.Duration
	// HandshakeTimeout bounds the write of the 101 response (CloseTimeout).
	HandshakeTimeout time.Duration
	// FrameTimeout is how long a frame, or a fragmented message, may take
	// to arrive whole once its first bytes are in; a slower one closes the
	// connection with StatusPolicyViolation, so a client cannot hold a
	// buffer of up to ReadLimit by trickling (DefaultFrameTimeout). Time
	// the handler spends on a message does not count.
	FrameTimeout time.Duration
	// Poller watches the connection while it is idle, so that it costs no
	// goroutine (see NewPoller). nil, or a connection the poller cannot
	// watch (not a TCP or Unix socket): a goroutine reads it instead.
	Poller *Poller
}

// HandshakeError is a request Upgrade refused; it has answered with Status.
type HandshakeError struct {
	Status int
	Reason string
}

func (e *HandshakeError) Error() string { return "websocket handshake: " + e.Reason }

// Upgrade answers a WebSocket handshake and returns the connection, which
// reads nothing until Start. A request that is not a valid handshake is
// answered with an HTTP error (405; 426 for a missing upgrade or another
// protocol version; 505 for HTTP/1.0; 400 for a bad key) and a *HandshakeError is
// returned. Checks of origin, authentication and rate are the caller's and
// come first.
func Upgrade(w http.ResponseWriter, r *http.Request, opts Options) (*Conn, error) {
	key, herr := checkHandshake(r)
	if herr != nil {
		w.Header().Set("Sec-WebSocket-Version", "13")
		switch herr.Status {
		case http.StatusUpgradeRequired:
			w.Header().Set("Connection", "Upgrade")
			w.Header().Set("Upgrade", "websocket")
		case http.StatusMethodNotAllowed:
			w.Header().Set("Allow", http.MethodGet)
		}
		http.Error(w, herr.Reason, herr.Status)
		return nil, herr
	}
	if opts.ReadLimit <= 0 {
		opts.ReadLimit = DefaultReadLimit
	}
	opts.ReadLimit = min(opts.ReadLimit, MaxReadLimit)
	if opts.CloseTimeout <= 0 {
		opts.CloseTimeout = DefaultCloseTimeout
	}
	if opts.HandshakeTimeout <= 0 {
		opts.HandshakeTimeout = opts.CloseTimeout
	}
	if opts.FrameTimeout <= 0 {
		opts.FrameTimeout = DefaultFrameTimeout
	}

	nc, brw, err := http.NewResponseController(w).Hijack()
	if err != nil {
		http.Error(w, "WebSocket upgrade is not possible on this connection.", http.StatusInternalServerError)
		return nil, fmt.Errorf("websocket handshake: hijack: %w", err)
	}
	var resp strings.Builder
	resp.Grow(160)
	resp.WriteString("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ")
	resp.WriteString(acceptKey(key))
	if opts.Subprotocol != "" {
		resp.WriteString("\r\nSec-WebSocket-Protocol: ")
		resp.WriteString(opts.Subprotocol)
	}
	resp.WriteString("\r\n\r\n")
	// net/http may have left deadlines on the connection; the write below
	// gets its own, and reads must have none.
	if err := nc.SetDeadline(time.Now().Add(opts.HandshakeTimeout)); err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	if _, err := nc.Write([]byte(resp.String())); err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket handshake: write response: %w", err)
	}
	if err := nc.SetDeadline(time.Time{}); err != nil {
		nc.Close()
		return nil, fmt.Errorf("websocket handshake: %w", err)
	}
	c := newConn(nc, opts)
	// Frames the client sent right behind its request may sit in net/http's
	// buffer already.
	if n := brw.Reader.Buffered(); n > 0 {
		early, _ := brw.Reader.Peek(n)
		c.pending = append([]byte(nil), early...)
	}
	return c, nil
}

// checkHandshake validates the request and returns its Sec-WebSocket-Key.
func checkHandshake(r *http.Request) (string, *HandshakeError) {
	if r.Method != http.MethodGet {
		return "", &HandshakeError{http.StatusMethodNotAllowed, "the handshake's method must be GET"}
	}
	if !r.ProtoAtLeast(1, 1) {
		// RFC 6455 section 4.1: the request is HTTP/1.1 or later.
		return "", &HandshakeError{http.StatusHTTPVersionNotSupported, "the handshake needs HTTP/1.1"}
	}
	if !headerHasToken(r.Header, "Connection", "upgrade") {
		return "", &HandshakeError{http.StatusUpgradeRequired, `the handshake needs "Connection: Upgrade"`}
	}
	if !headerHasToken(r.Header, "Upgrade", "websocket") {
		return "", &HandshakeError{http.StatusUpgradeRequired, `the handshake needs "Upgrade: websocket"`}
	}
	if r.Header.Get("Sec-WebSocket-Version") != "13" {
		return "", &HandshakeError{http.StatusUpgradeRequired, "only WebSocket version 13 is supported"}
	}
	key := strings.TrimSpace(r.Header.Get("Sec-WebSocket-Key"))
	if raw, err := base64.StdEncoding.DecodeString(key); err != nil || len(raw) != 16 {
		return "", &HandshakeError{http.StatusBadRequest, "Sec-WebSocket-Key must be 16 bytes in base64"}
	}
	return key, nil
}

// acceptKey is Sec-WebSocket-Accept for key.
func acceptKey(key string) string {
	h := sha1.New()
	h.Write([]byte(key))
	h.Write([]byte(keyGUID))
	return base64.StdEncoding.EncodeToString(h.Sum(nil))
}

// headerHasToken reports whether one of the comma-separated values of the
// header name is token, in any case.
func headerHasToken(h http.Header, name, token string) bool {
	for _, v := range h.Values(name) {
		for t := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(t), token) {
				return true
			}
		}
	}
	return false
}
