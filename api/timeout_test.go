package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/internal/testproxy"
	"github.com/numeneon/numeneon/internal/teststore"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/postgres"
)

// TestHungDatabaseAnswers503: with PostgreSQL behind a proxy that stops
// forwarding, a request gives up after RequestTimeout and answers 503 with
// a JSON error instead of hanging; once the database answers again, so do
// the requests.
func TestHungDatabaseAnswers503(t *testing.T) {
	direct := testsvc.PostgresURL(t)
	teststore.PostgresAt(t, direct) // migrated
	u, err := url.Parse(direct)
	if err != nil {
		t.Fatal(err)
	}
	proxy := testproxy.Start(t, u.Host)
	u.Host = proxy.Addr()
	store, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })

	ts := newTestServerWith(t, api.Config{RequestTimeout: 500 * time.Millisecond}, serverOptions{store: store})
	alice, bob := ts.signup("alice"), ts.signup("bob")
	ts.befriend(alice, bob)
	msg := object{"receiver_id": alice.ID, "content": "hello"}
	ts.mustDo("POST", "/api/messages/", bob.Access, msg, http.StatusCreated, nil)

	proxy.Stall()
	for _, req := range []struct{ method, path string }{
		{"POST", "/api/messages/"},
		{"GET", "/api/messages/conversations/"},
	} {
		status, body := ts.do(req.method, req.path, bob.Access, msg)
		var got map[string]string
		if status != http.StatusServiceUnavailable || json.Unmarshal(body, &got) != nil || got["error"] == "" {
			t.Errorf("%s %s with the database hung = %d %s, want 503 with a JSON error", req.method, req.path, status, body)
		}
	}

	proxy.Resume()
	ts.mustDo("POST", "/api/messages/", bob.Access, msg, http.StatusCreated, nil)
}
