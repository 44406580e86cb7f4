package app_test

import (
	"context"
	"testing"
	"time"

	"github.com/numeneon/numeneon/app"
)

func TestRetentionPrunesOnlyOldNotifications(t *testing.T) {
	e := mustOpenEnv(t)
	clock := e.useTestClock()
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")
	e.befriend(t, alice, bob) // stores events for both
	ctx := context.Background()
	before, err := e.svc.ListNotifications(as(bob), 0, 100)
	if err != nil || len(before) == 0 {
		t.Fatalf("bob's notifications = %d, %v; want some", len(before), err)
	}

	n, err := e.svc.PruneNotifications(ctx, app.DefaultNotificationRetention)
	if err != nil || n != 0 {
		t.Fatalf("PruneNotifications of fresh events = %d, %v; want 0", n, err)
	}
	clock.Advance(app.DefaultNotificationRetention + time.Hour)
	n, err = e.svc.PruneNotifications(ctx, app.DefaultNotificationRetention)
	if err != nil || n == 0 {
		t.Fatalf("PruneNotifications a month later = %d, %v; want every event", n, err)
	}
	after, err := e.svc.ListNotifications(as(bob), 0, 100)
	if err != nil || len(after) != 0 {
		t.Fatalf("bob's notifications after the prune = %d, %v; want none", len(after), err)
	}
}

func TestParseRetention(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"30d", 30 * 24 * time.Hour, true},
		{"720h", 720 * time.Hour, true},
		{"90m", 90 * time.Minute, true},
		{"0d", 0, false},
		{"-1h", 0, false},
		{"forever", 0, false},
		{"d", 0, false},
	} {
		got, err := app.ParseRetention(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRetention(%q) = %v, %v; want %v (ok %v)", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
