package redis_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
)

// TestIdleCommandCount checks the budget of a hosted free tier: a worker
// process with a Layer and a Presence, holding subscriptions and online users
// but with no traffic, costs at most two commands per heartbeat interval (one
// minute by default), counted as Redis counts them in INFO commandstats:
// the commands a script runs count too. Several workers share the server, as
// in production, so scans for dead nodes see other nodes. The interval is
// shortened so the window holds many; the old cost (a PING per interval and a
// heartbeat script of six commands) would be 7 per interval.
func TestIdleCommandCount(t *testing.T) {
	const (
		workers  = 3
		periods  = 25 // beats per worker in the window, at least
		interval = 100 * time.Millisecond
	)
	srv := testsvc.StartRedis(t)
	opts := testOptions(t, srv.URL)
	opts.HeartbeatInterval = interval
	for w := range workers {
		l := mustNewLayer(t, opts)
		p := mustNewPresence(t, opts)
		rec := layertest.NewRecorder()
		l.Listen(rec)
		p.Listen(func([]int64) {})
		for u := int64(1); u <= 50; u++ {
			user := int64(w)*100 + u
			if err := l.Subscribe(t.Context(), user); err != nil {
				t.Fatalf("Subscribe: %v", err)
			}
			if _, err := p.Connect(t.Context(), user); err != nil {
				t.Fatalf("Connect: %v", err)
			}
		}
		env := numeneon.Envelope{UserID: int64(w)*100 + 1, ID: 1, Frame: []byte(`{}`)}
		if err := l.Publish(t.Context(), env); err != nil {
			t.Fatalf("Publish: %v", err)
		}
		rec.WaitForCount(t, env.UserID, 1)
	}

	// The test's own INFO calls are left out of the count: the workers
	// never send INFO.
	admin := adminClient(t, srv.URL)
	before := commandCalls(t, admin)
	start := time.Now()
	var after map[string]int64
	poll(t, fmt.Sprintf("%d heartbeats of each worker", periods), func() bool {
		after = commandCalls(t, admin)
		return after["set"]-before["set"] >= workers*periods
	})
	elapsed := time.Since(start)
	idle := make(map[string]int64)
	for name, n := range after {
		if d := n - before[name]; d > 0 && name != "info" {
			idle[name] = d
		}
	}
	// The budget is per elapsed interval: a worker cannot beat more often
	// than its ticker, so a slow machine only makes the count smaller.
	elapsedPeriods := float64(elapsed) / float64(interval)
	got := total(idle)
	perPeriod := float64(got) / workers / elapsedPeriods
	t.Logf("idle commands of %d workers over %.1f intervals: %d (%.2f per worker and interval): %v",
		workers, elapsedPeriods, got, perPeriod, idle)
	if perPeriod > 2 {
		t.Errorf("%.2f commands per worker and heartbeat interval while idle, want at most 2 (%d commands of %d workers over %.1f intervals: %v)",
			perPeriod, got, workers, elapsedPeriods, idle)
	}
	if idle["ping"] != 0 {
		t.Errorf("%d PINGs while idle; the subscriber connection is watched by TCP keepalive", idle["ping"])
	}
}

// TestPublishCostsOneCommandPerUser checks the publishing cost: one PUBLISH
// per envelope when they come one by one, and one per user when several of
// a user's envelopes are published together.
func TestPublishCostsOneCommandPerUser(t *testing.T) {
	srv := testsvc.StartRedis(t)
	l := mustNewLayer(t, testOptions(t, srv.URL))
	rec := layertest.NewRecorder()
	l.Listen(rec)
	users := []int64{1, 2, 3, 4}
	if err := l.Subscribe(t.Context(), users...); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	tests := []struct {
		name        string
		calls       int // Publish calls, one after the other
		perCall     int // envelopes per user in each call
		wantPublish int64
	}{
		{"one envelope per call", 100, 1, 100 * 4},
		{"many envelopes per call", 1, 50, 4},
	}
	// The first publish opens the publishing connection (one HELLO); the
	// cost measured is the steady state.
	sent := 1
	if err := l.Publish(t.Context(), numeneon.Envelope{UserID: 1, ID: 1, Frame: []byte(`{}`)}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			mon := monitor(t, srv.Addr)
			for range tt.calls {
				for _, u := range users {
					if tt.perCall == 1 {
						sent++
						if err := l.Publish(t.Context(), numeneon.Envelope{UserID: u, ID: int64(sent), Frame: []byte(`{}`)}); err != nil {
							t.Fatalf("Publish: %v", err)
						}
					}
				}
				if tt.perCall > 1 {
					var envs []numeneon.Envelope
					for _, u := range users {
						for range tt.perCall {
							sent++
							envs = append(envs, numeneon.Envelope{UserID: u, ID: int64(sent), Frame: []byte(`{}`)})
						}
					}
					if err := l.Publish(t.Context(), envs...); err != nil {
						t.Fatalf("Publish: %v", err)
					}
				}
			}
			rec.WaitFor(t, "every envelope", func(r *layertest.Recorder) bool { return r.Total() >= sent })
			mon.Sync(t)
			got := mon.Counts()
			if got["publish"] != tt.wantPublish {
				t.Errorf("PUBLISH commands: %d, want %d (all: %v)", got["publish"], tt.wantPublish, got)
			}
			if other := total(got) - got["publish"] - got["ping"]; other != 0 {
				t.Errorf("commands other than PUBLISH: %v\n%s", got, strings.Join(mon.Lines(), "\n"))
			}
		})
	}
	if got := rec.Total(); got != sent {
		t.Errorf("delivered %d envelopes, published %d", got, sent)
	}
}
