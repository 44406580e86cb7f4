package app_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/inmem"
)

// login signs u in with the password every test user has.
func (e *env) login(t *testing.T, u *numeneon.User) *app.TokenPair {
	t.Helper()
	pair, err := e.svc.Login(context.Background(), u.Email, "password1")
	if err != nil {
		t.Fatalf("login %s: %v", u.Username, err)
	}
	return pair
}

// family returns the refresh-token family of a refresh token.
func (e *env) family(t *testing.T, refresh string) string {
	t.Helper()
	c, err := e.tokens.Parse(refresh, auth.TokenRefresh)
	if err != nil {
		t.Fatal(err)
	}
	return c.Family
}

// The public client saves only the access token of a refresh and refreshes
// with its first refresh token for the whole week: by default that works.
func TestRefreshDefaultKeepsUsedTokens(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	u := e.createUser(t, "erin")
	first := e.login(t, u)
	for i := range 3 {
		pair, err := e.svc.Refresh(ctx, first.Refresh)
		if err != nil {
			t.Fatalf("refresh %d with the first refresh token: %v", i+1, err)
		}
		if _, _, err := e.svc.AuthenticateAccess(ctx, pair.Access); err != nil {
			t.Fatalf("access token of refresh %d: %v", i+1, err)
		}
		if e.family(t, pair.Refresh) != e.family(t, first.Refresh) {
			t.Errorf("refresh %d started a new family; it must continue the login's", i+1)
		}
	}
	_, err := e.svc.Refresh(ctx, first.Access)
	wantCode(t, err, numeneon.EUNAUTHORIZED)
}

// REFRESH_ROTATION=strict: a refresh token works once, and a second use
// revokes every token of its login, the rotated one too.
func TestRefreshStrictRevokesReusedFamily(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	if err := e.svc.SetAccountPolicy(app.AccountPolicy{RefreshRotation: app.RotationStrict}); err != nil {
		t.Fatal(err)
	}
	u := e.createUser(t, "erin")
	first, other := e.login(t, u), e.login(t, u)
	rotated, err := e.svc.Refresh(ctx, first.Refresh)
	if err != nil {
		t.Fatalf("first refresh: %v", err)
	}
	_, err = e.svc.Refresh(ctx, first.Refresh)
	wantCode(t, err, numeneon.EUNAUTHORIZED)
	_, err = e.svc.Refresh(ctx, rotated.Refresh)
	wantCode(t, err, numeneon.EUNAUTHORIZED)
	// Another login (another device) is not that family.
	again, err := e.svc.Refresh(ctx, other.Refresh)
	if err != nil {
		t.Fatalf("refresh of another login: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, again.Refresh); err != nil {
		t.Errorf("refresh with the rotated token of another login: %v", err)
	}
}

// TestStrictUsedTokenStaysUsedThroughTheLeeway: a refresh token past its
// expiry but inside the clock-skew leeway still verifies, so the record that
// it was used must outlive that leeway, even when other refreshes purge
// expired records in between.
func TestStrictUsedTokenStaysUsedThroughTheLeeway(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	if err := e.svc.SetAccountPolicy(app.AccountPolicy{RefreshRotation: app.RotationStrict}); err != nil {
		t.Fatal(err)
	}
	u := e.createUser(t, "hank")
	// Minted so that it expired 10 s ago: still inside the 30 s leeway.
	old := auth.NewTokens(testSecret)
	old.Now = func() time.Time { return time.Now().Add(-old.RefreshTTL - 10*time.Second) }
	_, refresh, err := old.IssuePair(u.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Refresh(ctx, refresh); err != nil {
		t.Fatalf("refresh inside the leeway: %v", err)
	}
	// Another refresh purges expired records.
	_, other, _ := e.tokens.IssuePair(u.ID)
	if _, err := e.svc.Refresh(ctx, other); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Refresh(ctx, refresh)
	wantCode(t, err, numeneon.EUNAUTHORIZED)
}

// Signing out with any token of a login ends the whole login, in both
// rotation modes, and no other login.
func TestLogoutEndsTheLogin(t *testing.T) {
	for _, mode := range []app.RefreshRotation{app.RotationReuse, app.RotationStrict} {
		for _, with := range []string{"first", "rotated"} {
			t.Run(string(mode)+"/"+with, func(t *testing.T) {
				e := mustOpenEnv(t)
				ctx := context.Background()
				if err := e.svc.SetAccountPolicy(app.AccountPolicy{RefreshRotation: mode}); err != nil {
					t.Fatal(err)
				}
				u := e.createUser(t, "ivy")
				first, other := e.login(t, u), e.login(t, u)
				rotated, err := e.svc.Refresh(ctx, first.Refresh)
				if err != nil {
					t.Fatal(err)
				}
				token := map[string]string{"first": first.Refresh, "rotated": rotated.Refresh}[with]
				if err := e.svc.Logout(ctx, token); err != nil {
					t.Fatalf("logout: %v", err)
				}
				for name, r := range map[string]string{"first": first.Refresh, "rotated": rotated.Refresh} {
					_, err := e.svc.Refresh(ctx, r)
					if numeneon.ErrorCode(err) != numeneon.EUNAUTHORIZED {
						t.Errorf("refresh with the %s token after logout: %v, want unauthorized", name, err)
					}
				}
				if _, err := e.svc.Refresh(ctx, other.Refresh); err != nil {
					t.Errorf("another login's refresh after logout: %v", err)
				}
				if err := e.svc.Logout(ctx, token); err != nil {
					t.Errorf("second logout: %v", err)
				}
			})
		}
	}
	e := mustOpenEnv(t)
	wantCode(t, e.svc.Logout(context.Background(), "not.a.token"), numeneon.EUNAUTHORIZED)
	wantCode(t, e.svc.Logout(context.Background(), ""), numeneon.EINVALID)
}

// sessionEnds records the session-end envelopes a layer delivers and
// whether, when each arrived, the store already refused the user's old
// tokens: the envelope must follow the commit.
type sessionEnds struct {
	store numeneon.Store
	mu    sync.Mutex
	got   []sessionEnd
}

type sessionEnd struct {
	userID    int64
	code      int
	committed bool
}

func (r *sessionEnds) DeliverEnvelope(env numeneon.Envelope) {
	code, ok := numeneon.SessionEndCode(env)
	if !ok {
		return
	}
	validAfter, err := r.store.TokensValidAfter(context.Background(), env.UserID)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.got = append(r.got, sessionEnd{env.UserID, code, err == nil && !validAfter.IsZero()})
}

func (r *sessionEnds) LayerReconnected() {}

func (r *sessionEnds) all() []sessionEnd {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]sessionEnd(nil), r.got...)
}

// mustOpenSessionEnv is an env whose layer records session ends of users.
func mustOpenSessionEnv(t *testing.T, users ...string) (*env, *sessionEnds, []*numeneon.User) {
	t.Helper()
	l := inmem.NewLayer()
	rec := &sessionEnds{}
	l.Listen(rec)
	e := mustOpenEnvWithLayer(t, l)
	rec.store = e.store
	var us []*numeneon.User
	for _, name := range users {
		u := e.createUser(t, name)
		if err := l.Subscribe(context.Background(), u.ID); err != nil {
			t.Fatal(err)
		}
		us = append(us, u)
	}
	return e, rec, us
}

func TestLogoutEverywhere(t *testing.T) {
	e, ends, us := mustOpenSessionEnv(t, "jo", "kim")
	jo, kim := us[0], us[1]
	ctx := context.Background()
	phone, laptop, kims := e.login(t, jo), e.login(t, jo), e.login(t, kim)
	me, _, err := e.svc.AuthenticateAccess(ctx, phone.Access)
	if err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.LogoutEverywhere(as(me), kims.Refresh), numeneon.EFORBIDDEN)
	wantCode(t, e.svc.LogoutEverywhere(ctx, phone.Refresh), numeneon.EUNAUTHORIZED)

	if err := e.svc.LogoutEverywhere(as(me), phone.Refresh); err != nil {
		t.Fatalf("LogoutEverywhere: %v", err)
	}
	for name, pair := range map[string]*app.TokenPair{"phone": phone, "laptop": laptop} {
		_, _, err := e.svc.AuthenticateAccess(ctx, pair.Access)
		wantCode(t, err, numeneon.EUNAUTHORIZED)
		_, err = e.svc.Refresh(ctx, pair.Refresh)
		if numeneon.ErrorCode(err) != numeneon.EUNAUTHORIZED {
			t.Errorf("%s refresh after signing out everywhere: %v, want unauthorized", name, err)
		}
	}
	// Every socket of jo closes, on every process, after the commit.
	if got, want := ends.all(), []sessionEnd{{jo.ID, numeneon.CloseSessionEnded, true}}; len(got) != 1 || got[0] != want[0] {
		t.Errorf("session ends = %+v, want %+v", got, want)
	}
	// Kim is untouched.
	if _, _, err := e.svc.AuthenticateAccess(ctx, kims.Access); err != nil {
		t.Errorf("another user's access after jo signed out everywhere: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, kims.Refresh); err != nil {
		t.Errorf("another user's refresh: %v", err)
	}
	// Signing in again at once (within the same second) works.
	fresh := e.login(t, jo)
	if _, _, err := e.svc.AuthenticateAccess(ctx, fresh.Access); err != nil {
		t.Errorf("access of a login right after signing out everywhere: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, fresh.Refresh); err != nil {
		t.Errorf("refresh of a login right after signing out everywhere: %v", err)
	}
}

func TestChangePassword(t *testing.T) {
	e, ends, us := mustOpenSessionEnv(t, "lee")
	lee := us[0]
	ctx := context.Background()
	here, elsewhere := e.login(t, lee), e.login(t, lee)
	me, _, err := e.svc.AuthenticateAccess(ctx, here.Access)
	if err != nil {
		t.Fatal(err)
	}

	_, err = e.svc.ChangePassword(as(me), "wrong password", "a new password")
	if !errors.Is(err, app.ErrWrongOldPassword) {
		t.Fatalf("ChangePassword(wrong old) = %v, want ErrWrongOldPassword", err)
	}
	_, err = e.svc.ChangePassword(as(me), "password1", "short")
	wantCode(t, err, numeneon.EINVALID)
	_, err = e.svc.ChangePassword(as(me), "", "")
	wantCode(t, err, numeneon.EINVALID)
	if got := ends.all(); len(got) != 0 {
		t.Fatalf("failed changes ended sessions: %+v", got)
	}

	pair, err := e.svc.ChangePassword(as(me), "password1", "a new password")
	if err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	// This device stays signed in with the fresh pair, at once.
	if _, _, err := e.svc.AuthenticateAccess(ctx, pair.Access); err != nil {
		t.Errorf("fresh access token: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, pair.Refresh); err != nil {
		t.Errorf("fresh refresh token: %v", err)
	}
	// Every token from before is refused.
	for name, p := range map[string]*app.TokenPair{"this device's old": here, "another device's": elsewhere} {
		if _, _, err := e.svc.AuthenticateAccess(ctx, p.Access); numeneon.ErrorCode(err) != numeneon.EUNAUTHORIZED {
			t.Errorf("%s access token after the change: %v, want unauthorized", name, err)
		}
		if _, err := e.svc.Refresh(ctx, p.Refresh); numeneon.ErrorCode(err) != numeneon.EUNAUTHORIZED {
			t.Errorf("%s refresh token after the change: %v, want unauthorized", name, err)
		}
	}
	if _, err := e.svc.Login(ctx, lee.Email, "password1"); numeneon.ErrorCode(err) != numeneon.EUNAUTHORIZED {
		t.Errorf("login with the old password: %v, want unauthorized", err)
	}
	if _, err := e.svc.Login(ctx, lee.Email, "a new password"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
	if got, want := ends.all(), (sessionEnd{lee.ID, numeneon.CloseSessionEnded, true}); len(got) != 1 || got[0] != want {
		t.Errorf("session ends = %+v, want [%+v]", got, want)
	}
}

// PASSWORD_MIN_LENGTH: the public client allows 6 characters; the default
// stays 8; lower than 6 is refused.
func TestPasswordMinLength(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	signup := func(name, password string) error {
		_, err := e.svc.Signup(ctx, app.SignupInput{Username: name, Email: name + "@example.com", Password: password})
		return err
	}
	wantCode(t, signup("seven", "1234567"), numeneon.EINVALID)
	if err := signup("eight", "12345678"); err != nil {
		t.Fatalf("8-character password by default: %v", err)
	}
	for _, bad := range []int{5, -1, 1025} {
		if err := e.svc.SetAccountPolicy(app.AccountPolicy{PasswordMinLength: bad}); err == nil {
			t.Errorf("SetAccountPolicy(min length %d) accepted it", bad)
		}
	}
	wantCode(t, signup("seven", "1234567"), numeneon.EINVALID) // a refused policy changes nothing
	if err := e.svc.SetAccountPolicy(app.AccountPolicy{PasswordMinLength: 6}); err != nil {
		t.Fatal(err)
	}
	if err := signup("six", "123456"); err != nil {
		t.Errorf("6-character password with PASSWORD_MIN_LENGTH=6: %v", err)
	}
	wantCode(t, signup("five", "12345"), numeneon.EINVALID)

	u, err := e.store.FindUserByUsername(ctx, "six")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.ChangePassword(as(u), "123456", "abcdef"); err != nil {
		t.Errorf("change to a 6-character password with PASSWORD_MIN_LENGTH=6: %v", err)
	}
	_, err = e.svc.ChangePassword(as(u), "abcdef", "abcde")
	wantCode(t, err, numeneon.EINVALID)
}

func TestParseRefreshRotation(t *testing.T) {
	for in, want := range map[string]app.RefreshRotation{"": app.RotationReuse, "reuse": app.RotationReuse, "Strict": app.RotationStrict} {
		if got, err := app.ParseRefreshRotation(in); err != nil || got != want {
			t.Errorf("ParseRefreshRotation(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	if _, err := app.ParseRefreshRotation("blacklist"); err == nil {
		t.Error("ParseRefreshRotation(blacklist) accepted it")
	}
}
