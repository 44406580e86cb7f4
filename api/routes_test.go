package api_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/web"
)

// TestRouteTableIsWhatIsServed checks that the route table is what the
// server serves: every route is routed with and without its trailing slash,
// exactly the authenticated ones ask for credentials, and each limited
// route is limited (by address before authentication, by user after it).
func TestRouteTableIsWhatIsServed(t *testing.T) {
	socket := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusTeapot)
		w.Write([]byte(`{"socket":true}`))
	})
	ts := newTestServer(t, api.Config{
		Socket:     socket,
		UI:         web.NewHandler(),
		Gatherer:   prometheus.NewRegistry(),
		RateLimits: "signup=1/h,login=1/h,login_account=0/h,refresh=1/h,message=1/h,socket=0/h,music=1/h",
	})
	alice := ts.signup("alice") // spends the signup budget

	param := regexp.MustCompile(`\{[a-z_]+\}`)
	const notRouted = `{"detail":"Not found."}`
	const noCredentials = `{"detail":"Authentication credentials were not provided."}`
	routes := api.Routes()
	if len(routes) < 30 {
		t.Fatalf("route table has %d routes, want every route of the API", len(routes))
	}
	for _, rt := range routes {
		path := param.ReplaceAllString(rt.Pattern, "1")
		paths := []string{path}
		if !rt.Exact && path != "/" {
			paths = append(paths, strings.TrimSuffix(path, "/"))
		}
		for _, p := range paths {
			status, body := ts.do(rt.Method, p, "", nil)
			got := strings.TrimSpace(string(body))
			if status == http.StatusMethodNotAllowed || got == notRouted {
				t.Errorf("%s %s is not routed: %d %s", rt.Method, p, status, got)
			}
			// A limit by address answers before authentication once spent.
			limited := rt.Limit != "" && status == http.StatusTooManyRequests
			if !limited && rt.Authed != (got == noCredentials) {
				t.Errorf("%s %s without a token = %d %s, authed = %v", rt.Method, p, status, got, rt.Authed)
			}
		}
		if rt.Limit == "" || rt.Limit == "message" {
			continue
		}
		// The budget of each class is one request, spent by now: limits by
		// address run before authentication.
		if status, body := ts.do(rt.Method, path, "", nil); status != http.StatusTooManyRequests {
			t.Errorf("%s %s after its budget = %d %s, want 429", rt.Method, path, status, body)
		}
	}
	// message is limited per user, inside authentication: the requests
	// without a token above spent nothing.
	body := object{"receiver_id": alice.ID + 1000, "content": "hi"}
	if status, b := ts.do("POST", "/api/messages/", alice.Access, body); status == http.StatusTooManyRequests {
		t.Errorf("first message = %d %s, want it not limited", status, b)
	}
	if status, b := ts.do("POST", "/api/messages/", alice.Access, body); status != http.StatusTooManyRequests {
		t.Errorf("second message = %d %s, want 429", status, b)
	}
}
