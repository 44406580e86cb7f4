package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/inmem"
	"github.com/numeneon/numeneon/internal/testlog"
	"github.com/numeneon/numeneon/internal/teststore"
	"github.com/numeneon/numeneon/realtime"
	"github.com/numeneon/numeneon/sqlite"
)

// testEnv is one server: a real SQLite store, the in-process layer and
// presence, a hub behind an httptest server.
type testEnv struct {
	store    *sqlite.Store
	layer    *inmem.Layer
	presence *inmem.Presence
	hub      *realtime.Hub
	srv      *httptest.Server
	logs     *testlog.Buffer
	// svc is the application over the store; tokens mints the JWTs it
	// verifies, for tests of the server's real token check.
	svc    *app.Service
	tokens *auth.Tokens

	mu     sync.Mutex
	grants map[string]tokenGrant
}

type tokenGrant struct {
	user          *numeneon.User
	expiresAt     time.Time
	signedInUntil time.Time
}

// newEnv starts a server; configure, when set, adjusts the hub's Config.
func newEnv(tb testing.TB, configure func(*realtime.Config)) *testEnv {
	tb.Helper()
	store := teststore.SQLite(tb)
	e := &testEnv{
		store:    store,
		layer:    inmem.NewLayer(),
		presence: inmem.NewPresence(),
		logs:     &testlog.Buffer{},
		grants:   make(map[string]tokenGrant),
		tokens:   auth.NewTokens([]byte("test secret of the realtime tests")),
	}
	cfg := realtime.Config{
		Store:        store,
		Layer:        e.layer,
		Presence:     e.presence,
		Authenticate: e.authenticate,
		Logger:       slog.New(slog.NewTextHandler(e.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if configure != nil {
		configure(&cfg)
	}
	// The application's rules and token check, over the store the test
	// configured.
	e.svc = app.NewService(cfg.Store, cfg.Layer, e.tokens, nil, app.Options{})
	if cfg.Rules == nil {
		cfg.Rules = e.svc
	}
	e.hub = realtime.NewHub(cfg)
	mux := http.NewServeMux()
	mux.Handle("/ws/notifications/", e.hub)
	e.srv = httptest.NewServer(mux)
	tb.Cleanup(func() {
		e.hub.Close()
		e.srv.Close()
		if tb.Failed() {
			tb.Logf("hub logs:\n%s", e.logs)
		}
	})
	return e
}

// authenticate maps the test's fixed tokens to users of the store, as the
// server's JWT check would, until their expiry; any other token goes to the
// server's real check (JWTs of e.tokens).
func (e *testEnv) authenticate(ctx context.Context, token string) (numeneon.AccessGrant, error) {
	e.mu.Lock()
	g, ok := e.grants[token]
	e.mu.Unlock()
	if !ok {
		return e.svc.AuthenticateSocket(ctx, token)
	}
	if !g.expiresAt.IsZero() && !time.Now().Before(g.expiresAt) {
		return numeneon.AccessGrant{}, numeneon.Errorf(numeneon.EUNAUTHORIZED, "Token is invalid or expired")
	}
	u, err := e.store.FindUserByID(ctx, g.user.ID)
	if err != nil {
		return numeneon.AccessGrant{}, err
	}
	if !u.IsActive {
		return numeneon.AccessGrant{}, numeneon.Errorf(numeneon.EFORBIDDEN, "User is inactive.")
	}
	return numeneon.AccessGrant{User: u, ExpiresAt: g.expiresAt, SignedInUntil: g.signedInUntil}, nil
}

// grant makes token authenticate as u until expiresAt (zero: forever), with
// a sign-in that never ends.
func (e *testEnv) grant(token string, u *numeneon.User, expiresAt time.Time) {
	e.grantSession(token, u, expiresAt, time.Time{})
}

// grantSession makes token authenticate as u until expiresAt, from a
// sign-in that ends at signedInUntil (zero: never).
func (e *testEnv) grantSession(token string, u *numeneon.User, expiresAt, signedInUntil time.Time) {
	e.mu.Lock()
	e.grants[token] = tokenGrant{u, expiresAt, signedInUntil}
	e.mu.Unlock()
}

// createUser stores an active user and grants the token "tok-<name>".
func (e *testEnv) createUser(tb testing.TB, name string) *numeneon.User {
	tb.Helper()
	return e.createUserActive(tb, name, true)
}

func (e *testEnv) createUserActive(tb testing.TB, name string, active bool) *numeneon.User {
	tb.Helper()
	u := &numeneon.User{Username: name, Email: name + "@example.com", IsActive: active, PasswordHash: "x"}
	err := e.store.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateUser(ctx, u)
	})
	if err != nil {
		tb.Fatalf("create user %s: %v", name, err)
	}
	e.grant("tok-"+name, u, time.Time{})
	return u
}

func (e *testEnv) befriend(tb testing.TB, a, b *numeneon.User) {
	tb.Helper()
	err := e.store.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateFriendship(ctx, a.ID, b.ID)
	})
	if err != nil {
		tb.Fatalf("befriend %s and %s: %v", a.Username, b.Username, err)
	}
}

// storeEvent stores one notification for u without publishing it, as if the
// layer had lost it.
func (e *testEnv) storeEvent(tb testing.TB, u *numeneon.User, data string) *numeneon.Notification {
	tb.Helper()
	n := &numeneon.Notification{UserID: u.ID, Type: numeneon.EventNewMessage, Data: json.RawMessage(data)}
	err := e.store.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateNotification(ctx, n)
	})
	if err != nil {
		tb.Fatalf("store notification: %v", err)
	}
	return n
}

// publish sends a stored notification through the layer.
func (e *testEnv) publish(tb testing.TB, n *numeneon.Notification) {
	tb.Helper()
	if err := e.layer.Publish(context.Background(), n.Envelope()); err != nil {
		tb.Fatalf("publish: %v", err)
	}
}

// notify stores then publishes, as the app does.
func (e *testEnv) notify(tb testing.TB, u *numeneon.User, data string) *numeneon.Notification {
	tb.Helper()
	n := e.storeEvent(tb, u, data)
	e.publish(tb, n)
	return n
}

func (e *testEnv) url(query string) string {
	u := "ws" + strings.TrimPrefix(e.srv.URL, "http") + "/ws/notifications/"
	if query != "" {
		u += "?" + query
	}
	return u
}

// client is one test WebSocket.
type client struct {
	tb   testing.TB
	conn *websocket.Conn
}

// dial connects with ?token=tok-<name> plus extra query, and checks the
// connection_established message.
func (e *testEnv) dial(tb testing.TB, u *numeneon.User, extraQuery string) *client {
	tb.Helper()
	q := "token=tok-" + u.Username
	if extraQuery != "" {
		q += "&" + extraQuery
	}
	c := e.dialRaw(tb, q, nil)
	c.expectEstablished(u)
	return c
}

func (e *testEnv) dialRaw(tb testing.TB, query string, opts *websocket.DialOptions) *client {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, e.url(query), opts)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		tb.Fatalf("dial (status %d): %v", status, err)
	}
	conn.SetReadLimit(1 << 20)
	tb.Cleanup(func() { conn.CloseNow() })
	return &client{tb: tb, conn: conn}
}

// frame is what a test reads from the server.
type frame struct {
	Type    string          `json:"type"`
	ID      int64           `json:"id"`
	Data    json.RawMessage `json:"data"`
	Message string          `json:"message"`
	UserID  int64           `json:"user_id"`
	raw     []byte
}

// read returns the next message, failing the test after 10s.
func (c *client) read() frame {
	c.tb.Helper()
	f, err := c.tryRead(10 * time.Second)
	if err != nil {
		c.tb.Fatalf("read: %v", err)
	}
	return f
}

// readSkipping returns the next message whose type is not one of skip.
func (c *client) readSkipping(skip ...string) frame {
	c.tb.Helper()
	for {
		f := c.read()
		if !slices.Contains(skip, f.Type) {
			return f
		}
	}
}

func (c *client) tryRead(timeout time.Duration) (frame, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	typ, b, err := c.conn.Read(ctx)
	if err != nil {
		return frame{}, err
	}
	if typ != websocket.MessageText {
		return frame{}, fmt.Errorf("got a %v message, want text", typ)
	}
	var f frame
	if err := json.Unmarshal(b, &f); err != nil {
		return frame{}, fmt.Errorf("decode %q: %w", b, err)
	}
	f.raw = b
	return f, nil
}

func (c *client) expectEstablished(u *numeneon.User) {
	c.tb.Helper()
	f := c.read()
	want := fmt.Sprintf(`{"type":"connection_established","message":"Connected as %s","user_id":%d}`, u.Username, u.ID)
	if string(f.raw) != want {
		c.tb.Fatalf("first message = %s, want %s", f.raw, want)
	}
}

func (c *client) send(msg string) {
	c.tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte(msg)); err != nil {
		c.tb.Fatalf("send %s: %v", msg, err)
	}
}

// expectClose reads until the server closes and checks the close code.
func (c *client) expectClose(want websocket.StatusCode) {
	c.tb.Helper()
	for {
		_, err := c.tryRead(10 * time.Second)
		if err == nil {
			continue
		}
		if got := websocket.CloseStatus(err); got != want {
			c.tb.Fatalf("connection ended with %v (code %d), want close code %d", err, got, want)
		}
		return
	}
}

// readIDs reads stored events until it has seen id last and returns the ids
// in the order received. Frames without an id are skipped.
func (c *client) readIDs(last int64) []int64 {
	c.tb.Helper()
	var ids []int64
	for {
		f := c.read()
		if f.ID == 0 {
			continue
		}
		ids = append(ids, f.ID)
		if f.ID >= last {
			return ids
		}
	}
}

func seq(from, to int64) []int64 {
	var ids []int64
	for i := from; i <= to; i++ {
		ids = append(ids, i)
	}
	return ids
}

// waitFor polls cond until it holds, failing the test after 10s.
func waitFor(tb testing.TB, what string, cond func() bool) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
