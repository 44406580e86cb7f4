package pglayer_test

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
	"github.com/numeneon/numeneon/pglayer"
)

// TestPresenceConformance runs the presence suite: n presences on one fresh
// database stand for n processes.
func TestPresenceConformance(t *testing.T) {
	layertest.RunPresence(t, func(t *testing.T, n int) []numeneon.Presence {
		cfg := pglayer.PresenceConfig{URL: testsvc.PostgresURL(t), Logger: testConfig(t, "", nil).Logger}
		ps := make([]numeneon.Presence, n)
		for i := range ps {
			p, err := pglayer.NewPresence(t.Context(), cfg)
			if err != nil {
				t.Fatalf("NewPresence: %v", err)
			}
			ps[i] = p
		}
		return ps
	})
}

// TestPresenceDeadProcess: a process whose heartbeat stopped and whose
// liveness connection is gone (it was killed) has its users reported
// offline by a survivor, except those the survivor holds too; a process
// whose heartbeat is as late but whose connection is still open (slow, not
// dead) keeps its users.
func TestPresenceDeadProcess(t *testing.T) {
	url := testsvc.PostgresURL(t)
	cfg := pglayer.PresenceConfig{URL: url, Heartbeat: 200 * time.Millisecond, StaleAfter: time.Hour,
		Logger: testConfig(t, "", nil).Logger}
	survivor, err := pglayer.NewPresence(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewPresence: %v", err)
	}
	t.Cleanup(func() { _ = survivor.Close() })
	var mu sync.Mutex
	var reported []int64
	gotReport := make(chan struct{}, 1)
	survivor.Listen(func(users []int64) {
		mu.Lock()
		reported = append(reported, users...)
		mu.Unlock()
		select {
		case gotReport <- struct{}{}:
		default:
		}
	})
	const onlyDead, both, onlySlow = 101, 102, 103
	if _, err := survivor.Connect(t.Context(), both); err != nil {
		t.Fatalf("Connect: %v", err)
	}

	// A dead process and a slow one, as their rows look: heartbeats a
	// minute old. The slow one's liveness lock is held by this test's
	// connection; nobody holds the dead one's.
	admin := mustPool(t, url)
	slowLock, err := admin.Acquire(t.Context())
	if err != nil {
		t.Fatalf("acquire: %v", err)
	}
	defer slowLock.Release()
	if _, err := slowLock.Exec(t.Context(), `SELECT pg_advisory_lock(424242)`); err != nil {
		t.Fatalf("lock: %v", err)
	}
	for _, stmt := range []string{
		`INSERT INTO numeneon_presence_processes VALUES ('dead', 171717, now() - interval '1 minute'),
			('slow', 424242, now() - interval '1 minute')`,
		`UPDATE numeneon_presence_users SET processes = processes || '{dead}' WHERE user_id = 102`,
		`INSERT INTO numeneon_presence_users VALUES (101, '{dead}'), (103, '{slow}')`,
	} {
		if _, err := admin.Exec(t.Context(), stmt); err != nil {
			t.Fatalf("%s: %v", stmt, err)
		}
	}

	select {
	case <-gotReport:
	case <-time.After(10 * time.Second):
		t.Fatal("the dead process's users were not reported offline within 10 s")
	}
	mu.Lock()
	got := slices.Clone(reported)
	mu.Unlock()
	if diff := cmp.Diff([]int64{onlyDead}, got); diff != "" {
		t.Errorf("users reported offline (-want +got):\n%s", diff)
	}
	// What is left: the slow process and its user, the survivor's user.
	for user, wantOffline := range map[int64]bool{onlySlow: false, both: true} {
		if _, err := survivor.Connect(t.Context(), user); err != nil {
			t.Fatalf("Connect: %v", err)
		}
		wentOffline, err := survivor.Disconnect(t.Context(), user)
		if err != nil {
			t.Fatalf("Disconnect: %v", err)
		}
		if wentOffline != wantOffline {
			t.Errorf("user %d: Disconnect of the survivor reported offline %v, want %v", user, wentOffline, wantOffline)
		}
	}
}

// TestPresenceRegistersAgain: a process declared dead while alive (its row
// deleted) registers itself and its users at its next heartbeat.
func TestPresenceRegistersAgain(t *testing.T) {
	url := testsvc.PostgresURL(t)
	cfg := pglayer.PresenceConfig{URL: url, Heartbeat: 100 * time.Millisecond, Logger: testConfig(t, "", nil).Logger}
	a, err := pglayer.NewPresence(t.Context(), cfg)
	if err != nil {
		t.Fatalf("NewPresence: %v", err)
	}
	t.Cleanup(func() { _ = a.Close() })
	if _, err := a.Connect(t.Context(), 5); err != nil {
		t.Fatalf("Connect: %v", err)
	}
	admin := mustPool(t, url)
	if _, err := admin.Exec(context.Background(), `TRUNCATE numeneon_presence_processes, numeneon_presence_users`); err != nil {
		t.Fatalf("truncate: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		var n int
		if err := admin.QueryRow(t.Context(), `SELECT count(*) FROM numeneon_presence_users WHERE user_id = 5`).Scan(&n); err != nil {
			t.Fatalf("count: %v", err)
		}
		if n == 1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the process did not register its user again within 10 s")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
