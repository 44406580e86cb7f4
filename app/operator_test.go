package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

// refusedBefore waits until check fails, and fails the test if it still
// succeeds when the user cache's own expiry (10 s) would have refreshed
// the user anyway: only the watch can make it fail sooner.
func refusedBefore(t *testing.T, what string, check func() error) error {
	t.Helper()
	deadline := time.Now().Add(9 * time.Second)
	for {
		if err := check(); err != nil {
			return err
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still accepted after 9 s; the cache was not told", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// A deactivation by the operator's command (another Service over the same
// database, with no layer of its own) is seen by a serving process that had
// the user cached: its tokens are refused there, its sockets there are
// closed with 4003, and its refresh token stays refused after reactivation.
func TestOperatorDeactivationReachesAnotherProcess(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	watch, err := e.svc.StartUserWatch(ctx, 5*time.Millisecond, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(watch.Close)
	operator := app.NewService(e.store, nil, e.tokens, nil, app.Options{})

	u := e.createUser(t, "erin")
	pair := e.login(t, u)
	if _, _, err := e.svc.AuthenticateAccess(ctx, pair.Access); err != nil {
		t.Fatal(err) // now cached by the serving process
	}
	if err := operator.SetUserActive(ctx, u.ID, false); err != nil {
		t.Fatal(err)
	}
	err = refusedBefore(t, "access token of a deactivated user", func() error {
		_, _, err := e.svc.AuthenticateAccess(ctx, pair.Access)
		return err
	})
	if code := numeneon.ErrorCode(err); code != numeneon.EFORBIDDEN && code != numeneon.EUNAUTHORIZED {
		t.Fatalf("access token of a deactivated user: %v, want refused", err)
	}
	closed := false
	for _, d := range e.got.Deliveries() {
		if code, ok := numeneon.SessionEndCode(d.Env); ok && d.Env.UserID == u.ID && code == numeneon.CloseAccountInactive {
			closed = true
		}
	}
	if !closed {
		t.Error("the serving process did not end the deactivated user's sockets with 4003")
	}
	if _, err := e.svc.Refresh(ctx, pair.Refresh); err == nil {
		t.Error("refresh token of a deactivated user accepted")
	}

	if err := operator.SetUserActive(ctx, u.ID, true); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Login(ctx, u.Email, "password1"); err != nil {
		t.Fatalf("login after reactivation: %v", err)
	}
	if _, err := e.svc.Refresh(ctx, pair.Refresh); err == nil {
		t.Error("a refresh token from before the deactivation works again after reactivation")
	}
	err = operator.SetUserActive(ctx, u.ID+100, false)
	wantCode(t, err, numeneon.ENOTFOUND)
}

// A password set by the operator refuses every token issued before it on
// a serving process that had the user cached; the new password works.
func TestOperatorSetPassword(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	watch, err := e.svc.StartUserWatch(ctx, 5*time.Millisecond, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(watch.Close)
	operator := app.NewService(e.store, nil, e.tokens, nil, app.Options{})
	u := e.createUser(t, "erin")
	pair := e.login(t, u)
	if _, _, err := e.svc.AuthenticateAccess(ctx, pair.Access); err != nil {
		t.Fatal(err)
	}

	wantCode(t, operator.SetPassword(ctx, u.ID, "short"), numeneon.EINVALID)
	if err := operator.SetPassword(ctx, u.ID, "a-new-password"); err != nil {
		t.Fatal(err)
	}
	refusedBefore(t, "access token from before the new password", func() error {
		_, _, err := e.svc.AuthenticateAccess(ctx, pair.Access)
		return err
	})
	if _, err := e.svc.Refresh(ctx, pair.Refresh); err == nil {
		t.Error("refresh token from before the new password accepted")
	}
	if _, err := e.svc.Login(ctx, u.Email, "password1"); err == nil {
		t.Error("the old password still works")
	}
	if _, err := e.svc.Login(ctx, u.Email, "a-new-password"); err != nil {
		t.Errorf("login with the new password: %v", err)
	}
}

// A profile change made on one process is seen by another that had the
// user cached.
func TestProfileChangeReachesAnotherProcess(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	watch, err := e.svc.StartUserWatch(ctx, 5*time.Millisecond, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(watch.Close)
	other := app.NewService(e.store, nil, e.tokens, nil, app.Options{})
	u := e.createUser(t, "erin")
	pair := e.login(t, u)
	if _, _, err := e.svc.AuthenticateAccess(ctx, pair.Access); err != nil {
		t.Fatal(err)
	}
	name := "Renamed"
	if _, err := other.UpdateProfile(as(u), numeneon.ProfileUpdate{FirstName: &name}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(9 * time.Second)
	for {
		got, _, err := e.svc.AuthenticateAccess(ctx, pair.Access)
		if err != nil {
			t.Fatal(err)
		}
		if got.FirstName == name {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the serving process still shows first name %q after 9 s", got.FirstName)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
