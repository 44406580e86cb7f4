package api_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/internal/teststore"
)

// loginPair signs u in through the API, as a device would.
func (ts *testServer) loginPair(u *user) (access, refresh string) {
	ts.t.Helper()
	var pair struct{ Access, Refresh string }
	ts.mustDo("POST", "/api/auth/login/", "", object{"email": u.Email, "password": u.Password}, http.StatusOK, &pair)
	return pair.Access, pair.Refresh
}

// refresh posts a refresh token and returns the status and the new pair.
func (ts *testServer) refresh(token string) (int, string, string) {
	ts.t.Helper()
	status, body := ts.do("POST", "/api/auth/token/refresh/", "", object{"refresh": token})
	var pair struct{ Access, Refresh string }
	if status == http.StatusOK {
		mustUnmarshal(ts.t, body, &pair)
	} else if status == http.StatusUnauthorized && !strings.Contains(string(body), `"token_not_valid"`) {
		ts.t.Errorf("refused refresh = %s, want code token_not_valid (the client signs out on it)", body)
	}
	return status, pair.Access, pair.Refresh
}

// sessionEnds returns the close codes of the session-end envelopes
// published for userID.
func (ts *testServer) sessionEnds(userID int64) []int {
	var codes []int
	for _, d := range ts.got.Deliveries() {
		if code, ok := numeneon.SessionEndCode(d.Env); ok && d.Env.UserID == userID {
			codes = append(codes, code)
		}
	}
	return codes
}

// The public client refreshes with its first refresh token every hour for
// a week: it must keep working by default. Strict rotation refuses the
// second use.
func TestRefreshWithTheFirstToken(t *testing.T) {
	teststore.Each(t, func(t *testing.T, open teststore.Opener) {
		t.Run("default", func(t *testing.T) {
			ts := newTestServerWith(t, api.Config{}, serverOptions{store: open(t)})
			alice := ts.signup("alice")
			_, first := ts.loginPair(alice)
			for i := range 3 {
				status, access, _ := ts.refresh(first)
				if status != http.StatusOK {
					t.Fatalf("refresh %d with the first token = %d, want 200", i+1, status)
				}
				ts.mustDo("GET", "/api/auth/me/", access, nil, http.StatusOK, nil)
			}
		})
		t.Run("strict", func(t *testing.T) {
			ts := newTestServerWith(t, api.Config{}, serverOptions{store: open(t), policy: app.AccountPolicy{RefreshRotation: app.RotationStrict}})
			alice := ts.signup("alice")
			_, first := ts.loginPair(alice)
			status, _, rotated := ts.refresh(first)
			if status != http.StatusOK {
				t.Fatalf("first refresh = %d", status)
			}
			if status, _, _ := ts.refresh(first); status != http.StatusUnauthorized {
				t.Errorf("second use of the first token = %d, want 401", status)
			}
			// The reuse revoked the whole login: the rotated token too.
			if status, _, _ := ts.refresh(rotated); status != http.StatusUnauthorized {
				t.Errorf("rotated token after a reuse = %d, want 401", status)
			}
		})
	})
}

func TestLogout(t *testing.T) {
	teststore.Each(t, func(t *testing.T, open teststore.Opener) {
		ts := newTestServerWith(t, api.Config{}, serverOptions{store: open(t)})
		alice := ts.signup("alice")
		_, first := ts.loginPair(alice)
		_, _, rotated := ts.refresh(first)
		_, other := ts.loginPair(alice)

		var out object
		ts.mustDo("POST", "/api/auth/logout/", "", object{"refresh": first}, http.StatusOK, &out)
		wantKeys(t, "logout", out, "message")
		for name, token := range map[string]string{"signed-out": first, "rotated from it": rotated} {
			if status, _, _ := ts.refresh(token); status != http.StatusUnauthorized {
				t.Errorf("refresh with the %s token = %d, want 401", name, status)
			}
		}
		if status, _, _ := ts.refresh(other); status != http.StatusOK {
			t.Errorf("another login's refresh = %d, want 200", status)
		}
		ts.mustDo("POST", "/api/auth/logout/", "", object{"refresh": first}, http.StatusOK, nil)

		status, body := ts.do("POST", "/api/auth/logout/", "", object{"refresh": "not.a.token"})
		if status != http.StatusUnauthorized || !strings.Contains(string(body), "token_not_valid") {
			t.Errorf("logout with a bad token = %d %s, want 401 token_not_valid", status, body)
		}
		status, body = ts.do("POST", "/api/auth/logout/", "", object{})
		if status != http.StatusBadRequest || !strings.Contains(string(body), `"refresh"`) {
			t.Errorf("logout without a token = %d %s, want 400 naming refresh", status, body)
		}
		if codes := ts.sessionEnds(alice.ID); len(codes) != 0 {
			t.Errorf("a single logout closed sockets: %v", codes)
		}
	})
}

func TestLogoutEverywhere(t *testing.T) {
	teststore.Each(t, func(t *testing.T, open teststore.Opener) {
		ts := newTestServerWith(t, api.Config{}, serverOptions{store: open(t)})
		alice, bob := ts.signup("alice"), ts.signup("bob")
		phoneAccess, phoneRefresh := ts.loginPair(alice)
		laptopAccess, laptopRefresh := ts.loginPair(alice)

		// Everywhere needs the access token, and the refresh token must be
		// the caller's.
		if status, _ := ts.do("POST", "/api/auth/logout/", "", object{"refresh": phoneRefresh, "all": true}); status != http.StatusUnauthorized {
			t.Errorf("logout everywhere without an access token = %d, want 401", status)
		}
		if status, _ := ts.do("POST", "/api/auth/logout/", bob.Access, object{"refresh": phoneRefresh, "all": true}); status != http.StatusForbidden {
			t.Errorf("logout everywhere with another user's refresh token = %d, want 403", status)
		}
		ts.mustDo("GET", "/api/auth/me/", phoneAccess, nil, http.StatusOK, nil)

		ts.mustDo("POST", "/api/auth/logout/", phoneAccess, object{"refresh": phoneRefresh, "all": true}, http.StatusOK, nil)
		for _, access := range []string{phoneAccess, laptopAccess} {
			status, body := ts.do("GET", "/api/auth/me/", access, nil)
			if status != http.StatusUnauthorized || !strings.Contains(string(body), "token_not_valid") {
				t.Errorf("old access token after signing out everywhere = %d %s, want 401 token_not_valid", status, body)
			}
		}
		for _, refresh := range []string{phoneRefresh, laptopRefresh} {
			if status, _, _ := ts.refresh(refresh); status != http.StatusUnauthorized {
				t.Errorf("old refresh token after signing out everywhere = %d, want 401", status)
			}
		}
		if got := ts.sessionEnds(alice.ID); len(got) != 1 || got[0] != numeneon.CloseSessionEnded {
			t.Errorf("session ends published for alice = %v, want one %d", got, numeneon.CloseSessionEnded)
		}
		ts.mustDo("GET", "/api/auth/me/", bob.Access, nil, http.StatusOK, nil)
		// Signing in again works at once.
		access, refresh := ts.loginPair(alice)
		ts.mustDo("GET", "/api/auth/me/", access, nil, http.StatusOK, nil)
		if status, _, _ := ts.refresh(refresh); status != http.StatusOK {
			t.Errorf("refresh of a new login = %d, want 200", status)
		}
	})
}

func TestChangePassword(t *testing.T) {
	teststore.Each(t, func(t *testing.T, open teststore.Opener) {
		ts := newTestServerWith(t, api.Config{}, serverOptions{store: open(t)})
		alice := ts.signup("alice")
		access, refresh := ts.loginPair(alice)
		otherAccess, _ := ts.loginPair(alice)

		status, body := ts.do("POST", "/api/auth/password/", access, object{"old_password": "wrong", "new_password": "brand new password"})
		if status != http.StatusBadRequest || !strings.Contains(string(body), `"old_password"`) {
			t.Errorf("wrong old password = %d %s, want 400 naming old_password", status, body)
		}
		status, body = ts.do("POST", "/api/auth/password/", access, object{"old_password": alice.Password, "new_password": "short"})
		if status != http.StatusBadRequest || !strings.Contains(string(body), `"new_password"`) {
			t.Errorf("short new password = %d %s, want 400 naming new_password", status, body)
		}
		if status, _ := ts.do("POST", "/api/auth/password/", "", object{"old_password": alice.Password, "new_password": "brand new password"}); status != http.StatusUnauthorized {
			t.Errorf("change without an access token = %d, want 401", status)
		}

		var pair object
		ts.mustDo("POST", "/api/auth/password/", access, object{"old_password": alice.Password, "new_password": "brand new password"}, http.StatusOK, &pair)
		wantKeys(t, "password change", pair, "access", "refresh")
		ts.mustDo("GET", "/api/auth/me/", pair["access"].(string), nil, http.StatusOK, nil)
		if status, _, _ := ts.refresh(pair["refresh"].(string)); status != http.StatusOK {
			t.Errorf("fresh refresh token = %d, want 200", status)
		}
		for _, old := range []string{access, otherAccess} {
			if status, _ := ts.do("GET", "/api/auth/me/", old, nil); status != http.StatusUnauthorized {
				t.Errorf("access token from before the change = %d, want 401", status)
			}
		}
		if status, _, _ := ts.refresh(refresh); status != http.StatusUnauthorized {
			t.Errorf("refresh token from before the change = %d, want 401", status)
		}
		if got := ts.sessionEnds(alice.ID); len(got) != 1 || got[0] != numeneon.CloseSessionEnded {
			t.Errorf("session ends published = %v, want one %d", got, numeneon.CloseSessionEnded)
		}
		if status, _ := ts.do("POST", "/api/auth/login/", "", object{"email": alice.Email, "password": alice.Password}); status != http.StatusUnauthorized {
			t.Errorf("login with the old password = %d, want 401", status)
		}
		ts.mustDo("POST", "/api/auth/login/", "", object{"email": alice.Email, "password": "brand new password"}, http.StatusOK, nil)
	})
}

// Wrong old passwords are failed logins of the account: they spend the
// same budget, so a stolen access token cannot guess the password faster
// than the login form can.
func TestChangePasswordIsRateLimitedLikeLogin(t *testing.T) {
	ts := newTestServer(t, api.Config{RateLimits: "login_account=2/h"})
	alice := ts.signup("alice")
	for i := range 2 {
		if status, _ := ts.do("POST", "/api/auth/password/", alice.Access, object{"old_password": "guess", "new_password": "brand new password"}); status != http.StatusBadRequest {
			t.Fatalf("wrong guess %d = %d, want 400", i+1, status)
		}
	}
	resp := ts.request("POST", "/api/auth/password/", alice.Access, object{"old_password": alice.Password, "new_password": "brand new password"}, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Errorf("change after the budget is spent = %d (Retry-After %q), want 429 with Retry-After", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	if status, _ := ts.do("POST", "/api/auth/login/", "", object{"email": alice.Email, "password": alice.Password}); status != http.StatusTooManyRequests {
		t.Errorf("login of the same account = %d, want 429: the guesses were counted against it", status)
	}
	// Another account is not limited.
	bob := ts.signup("bob")
	ts.mustDo("POST", "/api/auth/password/", bob.Access, object{"old_password": bob.Password, "new_password": "brand new password"}, http.StatusOK, nil)
}

// PASSWORD_MIN_LENGTH=6 lets the public client's 6-character passwords
// sign up; the default keeps 8.
func TestPasswordMinLengthAtSignup(t *testing.T) {
	signup := func(ts *testServer, name, password string) int {
		status, _ := ts.do("POST", "/api/auth/signup/", "", object{"username": name, "email": name + "@example.com", "password": password})
		return status
	}
	def := newTestServer(t, api.Config{})
	if got := signup(def, "six", "abcdef"); got != http.StatusBadRequest {
		t.Errorf("6-character password by default = %d, want 400", got)
	}
	six := newTestServerWith(t, api.Config{}, serverOptions{policy: app.AccountPolicy{PasswordMinLength: 6}})
	if got := signup(six, "six", "abcdef"); got != http.StatusCreated {
		t.Errorf("6-character password with PASSWORD_MIN_LENGTH=6 = %d, want 201", got)
	}
	if got := signup(six, "five", "abcde"); got != http.StatusBadRequest {
		t.Errorf("5-character password with PASSWORD_MIN_LENGTH=6 = %d, want 400", got)
	}
}
