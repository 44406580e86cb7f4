package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/inmem"
	"github.com/numeneon/numeneon/internal/teststore"
)

func TestLoginRateLimit(t *testing.T) {
	ts := newTestServer(t, api.Config{RateLimits: "login=3/h"})
	body := object{"email": "nobody@example.com", "password": "whatever1"}
	for i := range 3 {
		if status, b := ts.do("POST", "/api/auth/login/", "", body); status != http.StatusUnauthorized {
			t.Fatalf("attempt %d = %d %s, want 401", i+1, status, b)
		}
	}
	resp := ts.request("POST", "/api/auth/login/", "", body, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests {
		t.Fatalf("4th attempt = %d, want 429", resp.StatusCode)
	}
	secs, err := strconv.Atoi(resp.Header.Get("Retry-After"))
	if err != nil || secs < 1 {
		t.Errorf("Retry-After = %q, want a positive number of seconds", resp.Header.Get("Retry-After"))
	}
	// Other classes are counted apart.
	ts.mustDo("POST", "/api/auth/signup/", "", object{"username": "fresh", "email": "fresh@example.com", "password": "longenough"}, http.StatusCreated, nil)
}

func TestFailedLoginsAreLimitedPerAccount(t *testing.T) {
	ts := newTestServer(t, api.Config{RateLimits: "login=0/m,login_account=3/h", ClientIPHeader: "X-Forwarded-For"})
	alice, bob := ts.signup("alice"), ts.signup("bob")
	login := func(from, email, password string) int {
		resp := ts.request("POST", "/api/auth/login/", "", object{"email": email, "password": password},
			http.Header{"X-Forwarded-For": {from}})
		resp.Body.Close()
		return resp.StatusCode
	}
	// A right password costs nothing, and makes this address known to
	// alice's account.
	const known, stranger = "198.51.100.1", "192.0.2.99"
	for i := range 5 {
		if got := login(known, alice.Email, alice.Password); got != http.StatusOK {
			t.Fatalf("good login %d = %d, want 200", i+1, got)
		}
	}
	// Three wrong guesses, each from a different address, spend alice's
	// budget; the email's case and spaces do not give a fresh one.
	for i, email := range []string{alice.Email, " ALICE@example.com", "Alice@Example.com"} {
		if got := login(fmt.Sprintf("203.0.113.%d", i+1), email, "wrong-guess"); got != http.StatusUnauthorized {
			t.Fatalf("guess %d = %d, want 401", i+1, got)
		}
	}
	if got := login("203.0.113.50", alice.Email, "wrong-guess"); got != http.StatusTooManyRequests {
		t.Errorf("4th guess from a new address = %d, want 429", got)
	}
	// While the budget is spent, an address that never signed in to alice's
	// account is refused even with the right password, so guessing it
	// there tells nothing; alice, from where she signed in before, is not
	// locked out.
	if got := login(stranger, alice.Email, alice.Password); got != http.StatusTooManyRequests {
		t.Errorf("the right password from an unknown address while limited = %d, want 429", got)
	}
	if got := login(known, alice.Email, alice.Password); got != http.StatusOK {
		t.Errorf("alice's own login from a known address while limited = %d, want 200", got)
	}
	// Other accounts are not affected.
	if got := login("203.0.113.50", bob.Email, bob.Password); got != http.StatusOK {
		t.Errorf("bob's login = %d, want 200", got)
	}
	// A known address is no open door: its wrong guesses spend a budget of
	// its own, and then it waits like the others.
	for i := range 3 {
		if got := login(known, alice.Email, "wrong-guess"); got != http.StatusUnauthorized {
			t.Fatalf("guess %d from the known address = %d, want 401", i+1, got)
		}
	}
	if got := login(known, alice.Email, alice.Password); got != http.StatusTooManyRequests {
		t.Errorf("login from the known address after its own budget was spent = %d, want 429", got)
	}
}

// TestRateLimitsHoldUnderAFloodOfAddresses: 100,000 distinct addresses
// passing do not hand a fresh bucket to a client that spent its budget, nor
// to one that spent part of it, and the limiter's memory stays bounded.
func TestRateLimitsHoldUnderAFloodOfAddresses(t *testing.T) {
	srv := mustNewServer(t, api.Config{RateLimits: "socket=5/h"})
	handshake := func(addr string) bool {
		r := httptest.NewRequest("GET", "/ws/notifications/", nil)
		r.RemoteAddr = addr + ":5555"
		ok, _ := srv.AllowHandshake(r)
		return ok
	}
	const spent, partly = "198.51.100.1", "198.51.100.2"
	for i := range 5 {
		if !handshake(spent) {
			t.Fatalf("handshake %d of the spending client refused", i+1)
		}
	}
	if handshake(spent) {
		t.Fatal("the spending client's 6th handshake was allowed")
	}
	for i := range 3 {
		if !handshake(partly) {
			t.Fatalf("handshake %d of the partly spending client refused", i+1)
		}
	}

	for i := range 100_000 {
		addr := fmt.Sprintf("10.%d.%d.%d", i>>16&255, i>>8&255, i&255)
		if !handshake(addr) {
			t.Fatalf("the first handshake of new address %s was refused", addr)
		}
	}

	if handshake(spent) {
		t.Error("after 100,000 other addresses, the client that spent its budget was allowed again")
	}
	for i := range 2 {
		if !handshake(partly) {
			t.Errorf("handshake %d of the 2 the partly spending client had left was refused", i+1)
		}
	}
	if handshake(partly) {
		t.Error("after 100,000 other addresses, the partly spending client got more than its budget")
	}
	if n := srv.LimiterKeys("socket"); n > 10_000 {
		t.Errorf("the socket limiter remembers %d clients, want at most 10,000", n)
	}
}

// TestKnownSignInsAreBounded: the log of addresses accounts signed in from
// keeps a bounded number of entries, forgetting the least recently used.
func TestKnownSignInsAreBounded(t *testing.T) {
	const max = 1000
	log := api.NewSignInLog(max)
	log.Add("account:alice 198.51.100.1") // used again and again
	log.Add("account:old 198.51.100.2")   // never used again
	for i := range 100_000 {
		log.Add(fmt.Sprintf("account:user%d 10.0.0.1", i))
		if i%100 == 0 && !log.Has("account:alice 198.51.100.1") {
			t.Fatalf("after %d other sign-ins, a sign-in in regular use was forgotten", i)
		}
		if n := log.Len(); n > max {
			t.Fatalf("%d sign-ins remembered, want at most %d", n, max)
		}
	}
	if log.Has("account:old 198.51.100.2") {
		t.Error("a sign-in unused through 100,000 others is still remembered")
	}
	if !log.Has("account:alice 198.51.100.1") {
		t.Error("a sign-in in regular use was forgotten")
	}
}

func TestMessageRateLimitIsPerUser(t *testing.T) {
	ts := newTestServer(t, api.Config{RateLimits: "message=2/h,signup=0/m"})
	alice, bob := ts.signup("alice"), ts.signup("bob")
	send := func(from, to *user) int {
		status, _ := ts.do("POST", "/api/messages/", from.Access, object{"receiver_id": to.ID, "content": "hi"})
		return status
	}
	if a, b := send(alice, bob), send(alice, bob); a != 201 || b != 201 {
		t.Fatalf("first two sends = %d, %d", a, b)
	}
	if got := send(alice, bob); got != http.StatusTooManyRequests {
		t.Errorf("third send = %d, want 429", got)
	}
	if got := send(bob, alice); got != http.StatusCreated {
		t.Errorf("bob, from the same address, = %d, want 201", got)
	}
}

func TestAllowHandshake(t *testing.T) {
	srv := mustNewServer(t, api.Config{RateLimits: "socket=2/m"})
	r := httptest.NewRequest("GET", "/ws/notifications/", nil)
	r.RemoteAddr = "203.0.113.7:5555"
	other := httptest.NewRequest("GET", "/ws/notifications/", nil)
	other.RemoteAddr = "203.0.113.8:5555"
	for i := range 2 {
		if ok, _ := srv.AllowHandshake(r); !ok {
			t.Fatalf("handshake %d refused", i+1)
		}
	}
	if ok, wait := srv.AllowHandshake(r); ok || wait <= 0 {
		t.Errorf("3rd handshake = %v, wait %v; want refused with a wait", ok, wait)
	}
	if ok, _ := srv.AllowHandshake(other); !ok {
		t.Error("another address was refused")
	}
	off := mustNewServer(t, api.Config{RateLimits: "off"})
	for range 100 {
		if ok, _ := off.AllowHandshake(r); !ok {
			t.Fatal("RATE_LIMITS=off refused a handshake")
		}
	}
}

// mustNewServer builds a Server without serving it, for the methods other
// packages call directly.
func mustNewServer(t testing.TB, cfg api.Config) *api.Server {
	t.Helper()
	cfg.App = mustNewServerApp(t)
	s, err := api.NewServer(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func mustNewServerApp(t testing.TB) *app.Service {
	t.Helper()
	return app.NewService(teststore.SQLite(t), inmem.NewLayer(), auth.NewTokens(testSecret), nil, app.Options{})
}

// TestIPv6ClientsAreLimitedByTheirBlock: addresses in one IPv6 /64 belong to
// one subscriber and share a bucket, so rotating through them gains nothing;
// another /64 has its own.
func TestIPv6ClientsAreLimitedByTheirBlock(t *testing.T) {
	ts := newTestServer(t, api.Config{RateLimits: "login=2/h", ClientIPHeader: "X-Forwarded-For"})
	body := object{"email": "nobody@example.com", "password": "whatever1"}
	login := func(addr string) int {
		resp := ts.request("POST", "/api/auth/login/", "", body, http.Header{"X-Forwarded-For": {addr}})
		resp.Body.Close()
		return resp.StatusCode
	}
	for i, addr := range []string{"2001:db8:1:2::1", "2001:db8:1:2::ffff"} {
		if got := login(addr); got != http.StatusUnauthorized {
			t.Fatalf("attempt %d from %s = %d, want 401", i+1, addr, got)
		}
	}
	if got := login("2001:db8:1:2:aaaa:bbbb:cccc:dddd"); got != http.StatusTooManyRequests {
		t.Errorf("third attempt from the same /64 = %d, want 429", got)
	}
	if got := login("2001:db8:1:3::1"); got != http.StatusUnauthorized {
		t.Errorf("attempt from another /64 = %d, want 401 (its own bucket)", got)
	}
	if got := login("::ffff:192.0.2.7"); got != http.StatusUnauthorized {
		t.Errorf("attempt from an IPv4 client = %d, want 401", got)
	}
}

// BenchmarkAllowHandshake measures one rate-limit decision: for one busy
// client, and for a flood where every call comes from a new address, which
// keeps the limiter at its key bound and evicting.
func BenchmarkAllowHandshake(b *testing.B) {
	srv := mustNewServer(b, api.Config{RateLimits: "socket=1000000/s"})
	b.Run("one client", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/ws/notifications/", nil)
		r.RemoteAddr = "203.0.113.7:5555"
		for b.Loop() {
			srv.AllowHandshake(r)
		}
	})
	b.Run("flood of addresses", func(b *testing.B) {
		r := httptest.NewRequest("GET", "/ws/notifications/", nil)
		i := 0
		for b.Loop() {
			i++
			r.RemoteAddr = fmt.Sprintf("10.%d.%d.%d:5555", i>>16&255, i>>8&255, i&255)
			srv.AllowHandshake(r)
		}
	})
}
