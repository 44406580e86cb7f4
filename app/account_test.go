package app_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/internal/djangocompat"
)

func TestSignupRules(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	if _, err := e.svc.Signup(ctx, app.SignupInput{Username: "alice", Email: "Alice@Example.com", Password: "longenough", DisplayName: "Alice van Dijk"}); err != nil {
		t.Fatalf("first signup: %v", err)
	}
	tests := []struct {
		name     string
		in       app.SignupInput
		wantCode string
		wantMsg  string
	}{
		{"missing username", app.SignupInput{Email: "b@example.com", Password: "longenough"}, numeneon.EINVALID, "Missing required fields."},
		{"missing password", app.SignupInput{Username: "bob", Email: "b@example.com"}, numeneon.EINVALID, "Missing required fields."},
		{"bad email", app.SignupInput{Username: "bob", Email: "not-an-email", Password: "longenough"}, numeneon.EINVALID, "Enter a valid email address."},
		{"email with display name", app.SignupInput{Username: "bob", Email: "Bob <b@example.com>", Password: "longenough"}, numeneon.EINVALID, "Enter a valid email address."},
		{"short password", app.SignupInput{Username: "bob", Email: "b@example.com", Password: "short"}, numeneon.EINVALID, "Password must be at least 8 characters."},
		{"username with space", app.SignupInput{Username: "bob smith", Email: "b@example.com", Password: "longenough"}, numeneon.EINVALID, ""},
		{"username with quote", app.SignupInput{Username: "'; DROP TABLE users; --", Email: "b@example.com", Password: "longenough"}, numeneon.EINVALID, ""},
		{"username too long", app.SignupInput{Username: strings.Repeat("a", 151), Email: "b@example.com", Password: "longenough"}, numeneon.EINVALID, ""},
		{"username taken", app.SignupInput{Username: "alice", Email: "other@example.com", Password: "longenough"}, numeneon.ECONFLICT, "Username already taken."},
		{"email taken, other case", app.SignupInput{Username: "alice2", Email: "alice@EXAMPLE.com", Password: "longenough"}, numeneon.ECONFLICT, "Email already registered."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Signup(ctx, tt.in)
			wantCode(t, err, tt.wantCode)
			if tt.wantMsg != "" && numeneon.ErrorMessage(err) != tt.wantMsg {
				t.Errorf("message = %q, want %q", numeneon.ErrorMessage(err), tt.wantMsg)
			}
		})
	}
}

func TestSignupSplitsDisplayName(t *testing.T) {
	e := mustOpenEnv(t)
	u, err := e.svc.Signup(context.Background(), app.SignupInput{Username: "carol", Email: "carol@example.com", Password: "longenough", DisplayName: "Carol Anne Smith"})
	if err != nil {
		t.Fatal(err)
	}
	if u.FirstName != "Carol" || u.LastName != "Anne Smith" {
		t.Errorf("names = %q %q, want Carol / Anne Smith", u.FirstName, u.LastName)
	}
	if !strings.HasPrefix(u.PasswordHash, "$argon2id$") {
		t.Errorf("stored hash %q is not argon2id", u.PasswordHash)
	}
}

func TestLoginFailuresLookAlike(t *testing.T) {
	e := mustOpenEnv(t)
	e.createUser(t, "dave")
	ctx := context.Background()
	for _, tt := range []struct{ name, email, password string }{
		{"unknown email", "nobody@example.com", "password1"},
		{"wrong password", "dave@example.com", "password2"},
		{"empty password", "dave@example.com", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.Login(ctx, tt.email, tt.password)
			wantCode(t, err, numeneon.EUNAUTHORIZED)
			if got := numeneon.ErrorMessage(err); got != "Invalid email or password." {
				t.Errorf("message = %q", got)
			}
		})
	}
	if _, err := e.svc.Login(ctx, "DAVE@example.COM", "password1"); err != nil {
		t.Errorf("login with the email in another case: %v", err)
	}
}

// TestLoginUpgradesDjangoHash logs in an account migrated from the original
// backend and checks its pbkdf2 hash was replaced by argon2id.
func TestLoginUpgradesDjangoHash(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	u := &numeneon.User{Username: "legacy", Email: "legacy@example.com", PasswordHash: djangocompat.Django32Hash(t), IsActive: true}
	if err := e.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatal(err)
	}
	pair, err := e.svc.Login(ctx, "legacy@example.com", "test123")
	if err != nil {
		t.Fatalf("login: %v", err)
	}
	if _, _, err := e.svc.AuthenticateAccess(ctx, pair.Access); err != nil {
		t.Errorf("access token from login does not authenticate: %v", err)
	}
	got, err := e.store.FindUserByID(ctx, u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(got.PasswordHash, "$argon2id$") {
		t.Fatalf("hash after login = %q, want argon2id", got.PasswordHash)
	}
	if _, err := e.svc.Login(ctx, "legacy@example.com", "test123"); err != nil {
		t.Errorf("login with the upgraded hash: %v", err)
	}
}

func TestAuthenticateAccess(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	active := e.createUser(t, "frank")
	inactive := &numeneon.User{Username: "gone", Email: "gone@example.com", PasswordHash: passwordHash(t), IsActive: false}
	if err := e.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, inactive) }); err != nil {
		t.Fatal(err)
	}
	issue := func(id int64) string {
		a, err := e.tokens.IssueAccess(id)
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	_, refresh, _ := e.tokens.IssuePair(active.ID)
	past := auth.NewTokens(testSecret)
	past.Now = func() time.Time { return time.Now().Add(-2 * time.Hour) }
	expired, _ := past.IssueAccess(active.ID)

	tests := []struct {
		name  string
		token string
		want  string
	}{
		{"valid", issue(active.ID), ""},
		{"refresh token", refresh, numeneon.EUNAUTHORIZED},
		{"expired", expired, numeneon.EUNAUTHORIZED},
		{"garbage", "not.a.token", numeneon.EUNAUTHORIZED},
		{"unknown user", issue(999999), numeneon.EUNAUTHORIZED},
		{"inactive user", issue(inactive.ID), numeneon.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, exp, err := e.svc.AuthenticateAccess(ctx, tt.token)
			wantCode(t, err, tt.want)
			if tt.want == "" && (u.ID != active.ID || !exp.After(time.Now())) {
				t.Errorf("user %d, expiry %v; want user %d and a future expiry", u.ID, exp, active.ID)
			}
		})
	}
}
