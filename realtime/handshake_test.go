package realtime_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon/realtime"
)

func TestConnectWithEachTokenTransport(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")

	tests := []struct {
		name            string
		query           string
		opts            *websocket.DialOptions
		authMessage     string
		wantSubprotocol string
	}{
		{name: "query", query: "token=tok-alice"},
		{
			name:            "subprotocol",
			opts:            &websocket.DialOptions{Subprotocols: []string{"access_token", "tok-alice"}},
			wantSubprotocol: "access_token",
		},
		{name: "first message", authMessage: `{"type":"auth","token":"tok-alice"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.dialRaw(t, tt.query, tt.opts)
			if got := c.conn.Subprotocol(); got != tt.wantSubprotocol {
				t.Errorf("subprotocol = %q, want %q", got, tt.wantSubprotocol)
			}
			if tt.authMessage != "" {
				c.send(tt.authMessage)
			}
			c.expectEstablished(alice)

			// The socket is live: an event for alice arrives.
			n := e.notify(t, alice, `{"hello":"world"}`)
			if got := c.read(); string(got.raw) != string(n.Envelope().Frame) {
				t.Errorf("event frame = %s, want %s", got.raw, n.Envelope().Frame)
			}
		})
	}
}

func TestHandshakeRejectedWithoutUpgrade(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) {
		c.CheckOrigin = func(r *http.Request) bool {
			o := r.Header.Get("Origin")
			return o == "" || o == "https://good.example"
		}
		c.AllowHandshake = func(r *http.Request) (bool, time.Duration) {
			if r.Header.Get("X-Test-Limited") != "" {
				return false, 1500 * time.Millisecond
			}
			return true, 0
		}
	})
	e.createUser(t, "alice")
	e.createUserActive(t, "inactive", false)

	tests := []struct {
		name       string
		query      string
		header     http.Header
		wantStatus int
		wantDetail bool
	}{
		{name: "bad query token", query: "token=secret-bad-token-1", wantStatus: http.StatusUnauthorized, wantDetail: true},
		{name: "empty query token", query: "token=", wantStatus: http.StatusUnauthorized, wantDetail: true},
		{
			name:       "bad subprotocol token",
			header:     http.Header{"Sec-Websocket-Protocol": {"access_token, secret-bad-token-2"}},
			wantStatus: http.StatusUnauthorized, wantDetail: true,
		},
		{name: "inactive user", query: "token=tok-inactive", wantStatus: http.StatusForbidden, wantDetail: true},
		{
			name:       "origin not allowed",
			query:      "token=tok-alice",
			header:     http.Header{"Origin": {"https://evil.example"}},
			wantStatus: http.StatusForbidden, wantDetail: true,
		},
		{
			name:       "rate limited",
			query:      "token=tok-alice",
			header:     http.Header{"X-Test-Limited": {"1"}},
			wantStatus: http.StatusTooManyRequests, wantDetail: true,
		},
		{name: "bad since", query: "token=tok-alice&since=-3", wantStatus: http.StatusBadRequest, wantDetail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			conn, resp, err := websocket.Dial(ctx, e.url(tt.query), &websocket.DialOptions{HTTPHeader: tt.header})
			if err == nil {
				conn.CloseNow()
				t.Fatalf("handshake succeeded, want status %d", tt.wantStatus)
			}
			if resp == nil {
				t.Fatalf("no HTTP response: %v", err)
			}
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			if resp.Header.Get("Upgrade") != "" {
				t.Errorf("response carries Upgrade: %q", resp.Header.Get("Upgrade"))
			}
			body, _ := io.ReadAll(resp.Body)
			var detail struct {
				Detail string `json:"detail"`
			}
			if err := json.Unmarshal(body, &detail); err != nil || detail.Detail == "" {
				t.Errorf("body = %s, want {\"detail\": ...}", body)
			}
			if tt.wantStatus == http.StatusTooManyRequests && resp.Header.Get("Retry-After") != "2" {
				t.Errorf("Retry-After = %q, want \"2\"", resp.Header.Get("Retry-After"))
			}
		})
	}
	if n := e.hub.Sockets(); n != 0 {
		t.Errorf("Sockets() = %d after rejected handshakes, want 0", n)
	}
}

func TestAllowedOriginConnects(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) {
		c.CheckOrigin = func(r *http.Request) bool { return r.Header.Get("Origin") == "https://good.example" }
	})
	alice := e.createUser(t, "alice")
	c := e.dialRaw(t, "token=tok-alice", &websocket.DialOptions{HTTPHeader: http.Header{"Origin": {"https://good.example"}}})
	c.expectEstablished(alice)
}

func TestAuthMessageFailuresClose4001(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) { c.AuthTimeout = 200 * time.Millisecond })
	e.createUser(t, "alice")
	e.createUserActive(t, "inactive", false)

	tests := []struct {
		name     string
		first    string // "" sends nothing
		wantCode websocket.StatusCode
	}{
		{name: "bad token", first: `{"type":"auth","token":"nope"}`, wantCode: realtime.CloseUnauthorized},
		{name: "not an auth message", first: `{"type":"ping"}`, wantCode: realtime.CloseUnauthorized},
		{name: "invalid JSON", first: `{"type":`, wantCode: realtime.CloseUnauthorized},
		{name: "inactive user", first: `{"type":"auth","token":"tok-inactive"}`, wantCode: realtime.CloseForbidden},
		{name: "timeout", wantCode: realtime.CloseUnauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := e.dialRaw(t, "", nil)
			if tt.first != "" {
				c.send(tt.first)
			}
			_, err := c.tryRead(10 * time.Second)
			if got := websocket.CloseStatus(err); got != tt.wantCode {
				t.Fatalf("read ended with %v (code %d), want close code %d", err, got, tt.wantCode)
			}
		})
	}
}

func TestTokenNeverLogged(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	const good = "tok-secret-good-0123456789"
	const bad = "tok-secret-bad-9876543210"
	e.grant(good, alice, time.Time{})

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, _, err := websocket.Dial(ctx, e.url("token="+bad), nil); err == nil {
		conn.CloseNow()
		t.Fatal("bad token accepted")
	}
	c := e.dialRaw(t, "token="+good, nil)
	c.expectEstablished(alice)
	c2 := e.dialRaw(t, "", &websocket.DialOptions{Subprotocols: []string{"access_token", good}})
	c2.expectEstablished(alice)
	c.conn.Close(websocket.StatusNormalClosure, "")
	c2.conn.Close(websocket.StatusNormalClosure, "")
	waitFor(t, "sockets to close", func() bool { return e.hub.Sockets() == 0 })

	logs := e.logs.String()
	if !strings.Contains(logs, "websocket handshake rejected") {
		t.Fatalf("the rejected handshake was not logged; logs:\n%s", logs)
	}
	for _, secret := range []string{good, bad, "secret"} {
		if strings.Contains(logs, secret) {
			t.Errorf("logs contain the token %q:\n%s", secret, logs)
		}
	}
}

// In enforce mode a socket whose token runs out hears so and closes with
// 4001.
func TestTokenExpiryClosesWith4001(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) { c.SocketTokenExpiry = realtime.TokenExpiryEnforce })
	alice := e.createUser(t, "alice")
	e.grant("short-lived", alice, time.Now().Add(500*time.Millisecond))

	c := e.dialRaw(t, "token=short-lived", nil)
	c.expectEstablished(alice)
	f := c.read()
	if string(f.raw) != `{"type":"token_expired"}` {
		t.Fatalf("got %s, want {\"type\":\"token_expired\"}", f.raw)
	}
	c.expectClose(realtime.CloseUnauthorized)
	waitFor(t, "the socket to be released", func() bool { return e.hub.Sockets() == 0 })
}

// TestConnectWithJWT uses the server's real token check: a signed access
// token connects, an expired one is refused before the upgrade.
func TestConnectWithJWT(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")

	access, err := e.tokens.IssueAccess(alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	c := e.dialRaw(t, "token="+access, nil)
	c.expectEstablished(alice)

	e.tokens.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, err := e.tokens.IssueAccess(alice.ID)
	e.tokens.Now = nil
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, e.url("token="+expired), nil)
	if err == nil {
		conn.CloseNow()
		t.Fatal("expired token accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("expired token: %v, want status 401", err)
	}
	if strings.Contains(e.logs.String(), expired) || strings.Contains(e.logs.String(), access) {
		t.Error("a token appears in the logs")
	}
}
