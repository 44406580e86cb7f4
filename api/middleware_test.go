package api_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/api"
)

func TestStatusHealthReady(t *testing.T) {
	var readyErr error
	reg := prometheus.NewRegistry()
	ts := newTestServer(t, api.Config{
		Ready:      func(ctx context.Context) error { return readyErr },
		Registerer: reg,
		Gatherer:   reg,
	})
	var got object
	ts.mustDo("GET", "/", "", nil, http.StatusOK, &got)
	if got["status"] != "ok" || got["service"] != "numeneon-backend" {
		t.Errorf("GET / = %v", got)
	}
	ts.mustDo("GET", "/healthz", "", nil, http.StatusOK, nil)
	ts.mustDo("GET", "/readyz", "", nil, http.StatusOK, &got)
	if got["status"] != "ok" {
		t.Errorf("readyz = %v", got)
	}
	readyErr = errors.New("channel layer: loopback event did not come back")
	status, body := ts.do("GET", "/readyz", "", nil)
	// A fixed answer to anyone; the reason is in the log.
	if status != http.StatusServiceUnavailable || string(body) != `{"status":"unavailable"}`+"\n" {
		t.Errorf("unready readyz = %d %q", status, body)
	}
	if !strings.Contains(ts.logs.String(), "loopback event did not come back") {
		t.Errorf("the reason readyz failed is not in the log:\n%s", ts.logs.String())
	}

	_, body = ts.do("GET", "/metrics", "", nil)
	if !strings.Contains(string(body), `numeneon_http_request_duration_seconds_count{method="GET",route="GET /readyz",status="503"} 1`) {
		t.Errorf("metrics lack the readyz request:\n%.2000s", body)
	}
}

// TestReadyzCachesItsProbe: within ReadyCache, polls share one probe's
// result, so a platform polling every few seconds costs one probe per period.
func TestReadyzCachesItsProbe(t *testing.T) {
	var probes atomic.Int32
	var readyErr atomic.Pointer[error]
	ts := newTestServer(t, api.Config{
		Ready: func(ctx context.Context) error {
			probes.Add(1)
			if p := readyErr.Load(); p != nil {
				return *p
			}
			return nil
		},
		ReadyCache: time.Hour,
	})
	for range 5 {
		ts.mustDo("GET", "/readyz", "", nil, http.StatusOK, nil)
	}
	if n := probes.Load(); n != 1 {
		t.Errorf("5 polls ran %d probes, want 1", n)
	}
	down := errors.New("database: down")
	readyErr.Store(&down)
	// Still within the hour: the cached answer stands.
	ts.mustDo("GET", "/readyz", "", nil, http.StatusOK, nil)

	uncached := newTestServer(t, api.Config{Ready: func(ctx context.Context) error { return down }})
	uncached.mustDo("GET", "/readyz", "", nil, http.StatusServiceUnavailable, nil)
}

// TestInactiveUserIsForbidden: a deactivated account's still-valid token
// gets 403, not the data.
func TestInactiveUserIsForbidden(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	u := &numeneon.User{Username: "sleeper", Email: "sleeper@example.com", PasswordHash: "!", IsActive: false}
	if err := ts.store.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	access, _ := ts.tokens.IssueAccess(u.ID)
	status, body := ts.do("GET", "/api/auth/me/", access, nil)
	if status != http.StatusForbidden || !strings.Contains(string(body), "User is inactive") {
		t.Errorf("inactive me = %d %s, want 403 User is inactive", status, body)
	}
}

// TestLogsNeverHoldQueryTokens: the access log records the path only, so a
// ?token= (the WebSocket client's way) never lands in a log.
func TestLogsNeverHoldQueryTokens(t *testing.T) {
	socket := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(http.StatusUnauthorized) })
	ts := newTestServer(t, api.Config{Socket: socket})
	alice := ts.signup("alice")
	ts.do("GET", "/ws/notifications/?token="+alice.Access, "", nil)
	ts.do("GET", "/api/auth/me/?token="+alice.Access+"&x=1", alice.Access, nil)
	logs := ts.logs.String()
	if strings.Contains(logs, alice.Access) || strings.Contains(logs, "token=") {
		t.Errorf("a token reached the log:\n%s", logs)
	}
	if !strings.Contains(logs, "path=/ws/notifications/") || !strings.Contains(logs, "status=401") {
		t.Errorf("the socket request was not logged:\n%s", logs)
	}
}

// TestPanicBecomes500: a handler panic answers 500 JSON, is logged with its
// stack, and the server keeps serving.
func TestPanicBecomes500(t *testing.T) {
	socket := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { panic("socket exploded") })
	ts := newTestServer(t, api.Config{Socket: socket})
	status, body := ts.do("GET", "/ws/notifications/", "", nil)
	if status != http.StatusInternalServerError || strings.TrimSpace(string(body)) != `{"error":"Internal server error."}` {
		t.Errorf("panic = %d %s, want 500 JSON", status, body)
	}
	logs := ts.logs.String()
	if !strings.Contains(logs, "socket exploded") || !strings.Contains(logs, "goroutine") {
		t.Errorf("panic not logged with its stack:\n%s", logs)
	}
	ts.mustDo("GET", "/healthz", "", nil, http.StatusOK, nil)
}

// TestSocketCanHijack: the WebSocket endpoint behind the middleware can take
// over the connection.
func TestSocketCanHijack(t *testing.T) {
	socket := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		conn, rw, err := http.NewResponseController(w).Hijack()
		if err != nil {
			http.Error(w, err.Error(), http.StatusNotImplemented)
			return
		}
		defer conn.Close()
		rw.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 8\r\nConnection: close\r\n\r\nhijacked")
		rw.Flush()
	})
	ts := newTestServer(t, api.Config{Socket: socket})
	resp := ts.request("GET", "/ws/notifications/", "", nil, nil)
	defer resp.Body.Close()
	b, _ := io.ReadAll(bufio.NewReader(resp.Body))
	if resp.StatusCode != http.StatusOK || string(b) != "hijacked" {
		t.Errorf("hijacked answer = %d %q", resp.StatusCode, b)
	}
}

// TestTricklingBodyIsCutOff: a client that sends headers and then stalls
// its body loses the connection after BodyReadTimeout instead of holding it
// (and a goroutine) forever.
func TestTricklingBodyIsCutOff(t *testing.T) {
	ts := newTestServer(t, api.Config{BodyReadTimeout: 200 * time.Millisecond})
	conn, err := net.Dial("tcp", strings.TrimPrefix(ts.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/auth/login/ HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"email\":")
	_ = conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	b, err := io.ReadAll(conn) // returns when the server gives up on the body
	if ne, ok := err.(net.Error); ok && ne.Timeout() {
		t.Fatalf("the server still held the connection after 10 s (read %q)", b)
	}
	if len(b) > 0 && !strings.Contains(string(b), "400") {
		t.Errorf("answer to a stalled body = %q, want a 400 or a closed connection", b)
	}
}

// TestSocketOutlivesBodyReadTimeout: the body deadline is for requests; a
// WebSocket on /ws/notifications/ (with or without the slash) keeps
// reading from its client long after it.
func TestSocketOutlivesBodyReadTimeout(t *testing.T) {
	const bodyTimeout = 100 * time.Millisecond
	socket := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := websocket.Accept(w, r, nil)
		if err != nil {
			return
		}
		defer c.CloseNow()
		ctx := r.Context()
		// Let the body deadline pass, then talk.
		<-time.After(3 * bodyTimeout)
		if err := c.Write(ctx, websocket.MessageText, []byte("ready")); err != nil {
			return
		}
		typ, b, err := c.Read(ctx)
		if err != nil {
			_ = c.Close(websocket.StatusInternalError, "read: "+err.Error())
			return
		}
		_ = c.Write(ctx, typ, b)
	})
	ts := newTestServer(t, api.Config{Socket: socket, BodyReadTimeout: bodyTimeout})
	for _, path := range []string{"/ws/notifications/", "/ws/notifications"} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		c, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+path, nil)
		if err != nil {
			cancel()
			t.Fatalf("dial %s: %v", path, err)
		}
		if _, b, err := c.Read(ctx); err != nil || string(b) != "ready" {
			t.Fatalf("%s: first message = %q, %v", path, b, err)
		}
		if err := c.Write(ctx, websocket.MessageText, []byte("hello")); err != nil {
			t.Fatal(err)
		}
		if _, b, err := c.Read(ctx); err != nil || string(b) != "hello" {
			t.Errorf("%s: the server could not read from the socket after BodyReadTimeout: echo = %q, %v", path, b, err)
		}
		c.CloseNow()
		cancel()
	}
}
