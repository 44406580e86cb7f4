package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"regexp"
	"sort"
	"strconv"
	"testing"

	"github.com/numeneon/numeneon/internal/testlog"
	"github.com/numeneon/numeneon/internal/teststore"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/inmem"
	"github.com/numeneon/numeneon/layertest"
)

var testSecret = []byte("api-test-secret-0123456789abcdef")

// testServer is the whole API over a fresh SQLite file and an in-process
// layer whose deliveries are recorded, served on a local port.
type testServer struct {
	t      *testing.T
	URL    string
	store  numeneon.Store
	app    *app.Service
	layer  *inmem.Layer
	tokens *auth.Tokens
	api    *api.Server
	got    *layertest.CommitRecorder
	logs   *testlog.Buffer

	// sqlDriver and sqlDSN open the server's database with database/sql,
	// when the test server was made by onBothDatabases.
	sqlDriver, sqlDSN string
}

// newTestServer starts a server over a fresh SQLite file; cfg's App, Logger
// and (unless set) RateLimits="off" are filled in.
func newTestServer(t *testing.T, cfg api.Config) *testServer {
	t.Helper()
	return newTestServerWith(t, cfg, serverOptions{})
}

// serverOptions are what newTestServerWith takes besides the api config.
type serverOptions struct {
	store  numeneon.Store    // nil: a fresh SQLite file
	policy app.AccountPolicy // set before the server serves
}

// newTestServerOn is newTestServer over a given migrated store.
func newTestServerOn(t *testing.T, cfg api.Config, store numeneon.Store) *testServer {
	t.Helper()
	return newTestServerWith(t, cfg, serverOptions{store: store})
}

// newTestServerWith is newTestServer with a store and account settings.
func newTestServerWith(t *testing.T, cfg api.Config, opts serverOptions) *testServer {
	t.Helper()
	store := opts.store
	if store == nil {
		store = teststore.SQLite(t)
	}
	ts := &testServer{t: t, store: store, layer: inmem.NewLayer(), tokens: auth.NewTokens(testSecret), logs: &testlog.Buffer{}}
	ts.got = layertest.NewCommitRecorder(store)
	ts.layer.Listen(ts.got)
	logger := slog.New(slog.NewTextHandler(ts.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	ts.app = app.NewService(store, ts.layer, ts.tokens, logger, app.Options{})
	if err := ts.app.SetAccountPolicy(opts.policy); err != nil {
		t.Fatalf("account policy: %v", err)
	}
	cfg.App = ts.app
	cfg.Logger = logger
	if cfg.RateLimits == "" {
		cfg.RateLimits = "off"
	}
	var err error
	ts.api, err = api.NewServer(cfg)
	if err != nil {
		t.Fatalf("new server: %v", err)
	}
	srv := httptest.NewServer(ts.api)
	t.Cleanup(srv.Close)
	ts.URL = srv.URL
	return ts
}

// user is a signed-up account with a valid token pair.
type user struct {
	ID       int64
	Username string
	Email    string
	Password string
	Access   string
	Refresh  string
}

// signup creates username through the API and gives it tokens minted
// directly (one argon2 hash per user instead of two keeps the suite fast).
// Its layer channel is subscribed, so its events are recorded.
func (ts *testServer) signup(username string) *user {
	ts.t.Helper()
	u := &user{Username: username, Email: username + "@example.com", Password: "password-" + username}
	status, body := ts.do("POST", "/api/auth/signup/", "", map[string]any{
		"username": u.Username, "email": u.Email, "password": u.Password, "display_name": "First" + username + " Last" + username,
	})
	if status != http.StatusCreated {
		ts.t.Fatalf("signup %s: %d %s", username, status, body)
	}
	var out struct{ User struct{ ID int64 } }
	mustUnmarshal(ts.t, body, &out)
	u.ID = out.User.ID
	var err error
	if u.Access, u.Refresh, err = ts.tokens.IssuePair(u.ID); err != nil {
		ts.t.Fatal(err)
	}
	if err := ts.layer.Subscribe(context.Background(), u.ID); err != nil {
		ts.t.Fatal(err)
	}
	return u
}

// do sends a request with an optional bearer token and JSON body (a string
// or []byte is sent as is) and returns the status and body.
func (ts *testServer) do(method, path, token string, body any) (int, []byte) {
	ts.t.Helper()
	resp := ts.request(method, path, token, body, nil)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		ts.t.Fatal(err)
	}
	return resp.StatusCode, b
}

// request is do returning the whole response; header adds headers.
func (ts *testServer) request(method, path, token string, body any, header http.Header) *http.Response {
	ts.t.Helper()
	var r io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		r = bytes.NewBufferString(b)
	case []byte:
		r = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		r = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.URL+path, r)
	if err != nil {
		ts.t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, vs := range header {
		req.Header[k] = vs
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	return resp
}

// getJSON does a request that must answer wantStatus and decodes the body.
func (ts *testServer) mustDo(method, path, token string, body any, wantStatus int, out any) {
	ts.t.Helper()
	status, b := ts.do(method, path, token, body)
	if status != wantStatus {
		ts.t.Fatalf("%s %s = %d %s, want %d", method, path, status, b, wantStatus)
	}
	if out != nil {
		mustUnmarshal(ts.t, b, out)
	}
}

func mustUnmarshal(t *testing.T, b []byte, out any) {
	t.Helper()
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("decode %s: %v", b, err)
	}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }

// object is a decoded JSON object.
type object = map[string]any

// wantKeys fails unless obj has exactly these keys.
func wantKeys(t *testing.T, what string, obj any, keys ...string) {
	t.Helper()
	m, ok := obj.(object)
	if !ok {
		t.Fatalf("%s is %T, want an object", what, obj)
	}
	got := make([]string, 0, len(m))
	for k := range m {
		got = append(got, k)
	}
	sort.Strings(got)
	sort.Strings(keys)
	if diff := cmp.Diff(keys, got); diff != "" {
		t.Errorf("%s keys (-want +got):\n%s", what, diff)
	}
}

var timestampRe = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$`)

// wantTimestamp fails unless v is an API timestamp (microseconds, Z).
func wantTimestamp(t *testing.T, what string, v any) {
	t.Helper()
	s, ok := v.(string)
	if !ok || !timestampRe.MatchString(s) {
		t.Errorf("%s = %v, want a timestamp like 2026-01-30T12:00:00.123456Z", what, v)
	}
}

// num returns a JSON number as int64.
func num(t *testing.T, v any) int64 {
	t.Helper()
	f, ok := v.(float64)
	if !ok {
		t.Fatalf("%v is %T, want a number", v, v)
	}
	return int64(f)
}
