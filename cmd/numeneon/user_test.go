package main_test

import (
	"context"
	"errors"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon/client"
	"github.com/numeneon/numeneon/internal/testsvc"
)

// runCommandStdin is runCommand with stdin.
func runCommandStdin(t *testing.T, env []string, stdin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// within waits until fn succeeds, and fails the test if it still fails
// when the user cache's own expiry (10 s) would have refreshed the user
// anyway: only the server's watch of account changes makes it succeed
// sooner (it reads them every second).
func within(t *testing.T, what string, fn func() error) {
	t.Helper()
	deadline := time.Now().Add(9 * time.Second)
	for {
		err := fn()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: still %v after 9 s", what, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// closedWith reads s until it closes and returns the close code; any event
// but presence and typing before the close fails the test: the close must
// come before whatever was sent after the change that caused it.
func closedWith(t *testing.T, s *client.Socket) websocket.StatusCode {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			var ce websocket.CloseError
			if !errors.As(err, &ce) {
				t.Fatalf("socket ended without a close frame: %v", err)
			}
			return ce.Code
		}
		if ev.Type != "presence" && ev.Type != "typing" {
			t.Fatalf("socket got %s (%s) before its close", ev.Type, ev.Raw)
		}
	}
}

// The operator's command on a single SQLite server: list, show and
// reports print what the API stored; deactivate closes the user's socket
// with 4003 and refuses their token (the server notices through its
// watch); activate and set-password let them in with the new password
// only.
func TestUserCommand(t *testing.T) {
	env := baseEnv(t)
	p := startProc(t, env)
	ctx := t.Context()
	erin, bob := newUser(t, p.URL, "erin"), newUser(t, p.URL, "bob")
	for _, c := range []*client.Client{erin, bob} {
		if err := c.Login(ctx, c.Name+"@example.com", "password-"+c.Name); err != nil {
			t.Fatal(err)
		}
	}
	if err := bob.Do(ctx, "POST", "/api/reports/", map[string]any{"user_id": erin.UserID, "reason": "spam from erin"}, nil, http.StatusCreated); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		args []string
		want []string
	}{
		{[]string{"user", "list"}, []string{erin.Name, bob.Name, "ACTIVE"}},
		{[]string{"user", "show", erin.Name}, []string{erin.Name + "@example.com", "true"}},
		{[]string{"user", "reports"}, []string{bob.Name, erin.Name, "spam from erin"}},
	} {
		out, err := runCommand(t, env, tc.args...)
		if err != nil {
			t.Fatalf("%v: %v\n%s", tc.args, err, out)
		}
		for _, w := range tc.want {
			if !strings.Contains(out, w) {
				t.Errorf("%v output lacks %q:\n%s", tc.args, w, out)
			}
		}
	}
	if out, err := runCommand(t, env, "user", "show", "nobody-here"); err == nil {
		t.Errorf("show of an unknown user succeeded:\n%s", out)
	}

	sock, err := erin.Dial(ctx, client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	if out, err := runCommand(t, env, "user", "deactivate", erin.Name); err != nil {
		t.Fatalf("deactivate: %v\n%s", err, out)
	}
	if code := closedWith(t, sock); code != 4003 {
		t.Errorf("erin's socket closed with %d, want 4003", code)
	}
	within(t, "a deactivated user's token refused", func() error {
		return erin.Do(ctx, "GET", "/api/auth/me/", nil, nil, http.StatusForbidden)
	})

	if out, err := runCommand(t, env, "user", "activate", erin.Name); err != nil {
		t.Fatalf("activate: %v\n%s", err, out)
	}
	if out, err := runCommandStdin(t, env, "short\n", "user", "set-password", erin.Name); err == nil {
		t.Errorf("set-password accepted a short password:\n%s", out)
	}
	if out, err := runCommandStdin(t, env, "a-brand-new-password\n", "user", "set-password", erin.Name); err != nil {
		t.Fatalf("set-password: %v\n%s", err, out)
	}
	if err := erin.Login(ctx, erin.Name+"@example.com", "password-"+erin.Name); err == nil {
		t.Error("the old password still works")
	}
	within(t, "login with the new password after reactivation", func() error {
		return erin.Login(ctx, erin.Name+"@example.com", "a-brand-new-password")
	})
}

// With two serving processes on a shared layer, a deactivation by the
// command closes the user's socket on the process that holds it (4003)
// before an event sent to that user afterwards through the other process:
// the close travels on the user's channel, in order with their events.
func TestUserDeactivationAcrossProcesses(t *testing.T) {
	eachSharedLayer(t, testsvc.RedisURL, func(t *testing.T, env []string) {
		p1, p2 := startProc(t, env), startProc(t, env)
		ctx := t.Context()
		erin, bob := newUser(t, p1.URL, "erin"), newUser(t, p2.URL, "bob")
		for _, c := range []*client.Client{erin, bob} {
			if err := c.Login(ctx, c.Name+"@example.com", "password-"+c.Name); err != nil {
				t.Fatal(err)
			}
		}
		sock, err := erin.Dial(ctx, client.DialOptions{}) // on process 1
		if err != nil {
			t.Fatal(err)
		}
		defer sock.Close()
		if out, err := runCommand(t, env, "user", "deactivate", erin.Name); err != nil {
			t.Fatalf("deactivate: %v\n%s", err, out)
		}
		// The marker: an event for erin raised through process 2 after the
		// deactivation. It must not reach the socket before the close.
		if err := bob.RequestFriend(ctx, erin.UserID); err != nil {
			t.Fatal(err)
		}
		if code := closedWith(t, sock); code != 4003 {
			t.Errorf("erin's socket closed with %d, want 4003", code)
		}
		for _, p := range []*proc{p1, p2} {
			within(t, "a deactivated user's token refused on "+p.URL, func() error {
				return erin.WithBase(p.URL).Do(ctx, "GET", "/api/auth/me/", nil, nil, http.StatusForbidden)
			})
		}
	})
}
