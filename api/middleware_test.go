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
	"testing"
	"time"

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
	ts.mustDo("GET", "/readyz", "", nil, http.StatusServiceUnavailable, &got)
	if got["status"] != "unavailable" || !strings.Contains(got["error"].(string), "loopback") {
		t.Errorf("unready readyz = %v", got)
	}

	_, body := ts.do("GET", "/metrics", "", nil)
	if !strings.Contains(string(body), `numeneon_http_request_duration_seconds_count{method="GET",route="GET /readyz",status="503"} 1`) {
		t.Errorf("metrics lack the readyz request:\n%.2000s", body)
	}
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
