package api_test

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/internal/teststore"
)

// TestHungDatabaseAnswers503: with PostgreSQL behind a proxy that stops
// forwarding, a request gives up after RequestTimeout and answers 503 with
// a JSON error instead of hanging; once the database answers again, so do
// the requests.
func TestHungDatabaseAnswers503(t *testing.T) {
	store, proxy := teststore.PostgresBehindProxy(t)

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
