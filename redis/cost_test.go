package redis_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
	"github.com/numeneon/numeneon/redis"
)

// TestIdleCommandCount checks the budget of a hosted free tier: a worker
// process with a Layer and a Presence, holding subscriptions and online users
// but with no traffic, costs at most two commands a minute at the default
// heartbeat interval, counted as Redis counts them in INFO commandstats (the
// commands a script runs count too). Several workers share the server, as in
// production, so each hears the others' beats. The interval is shortened so
// the window holds many, and the figure is scaled to the default interval.
// The cost before beats were published (a SET per minute and a scan of three
// commands every fifth) was 1.6 a minute, with dead processes found after up
// to 8 minutes.
func TestIdleCommandCount(t *testing.T) {
	const (
		workers  = 3
		periods  = 25 // beats per worker in the window, at least
		interval = 100 * time.Millisecond
		// A check of a silent node is not idle cost, and a loaded test
		// machine delays beats far more than the default ratio allows at
		// 40 s: a late beat must not be counted as a check here.
		suspectAfter = 20 * interval
	)
	srv := testsvc.StartRedis(t)
	opts := testOptions(t, srv.URL)
	opts.HeartbeatInterval = interval
	opts.SuspectAfter = suspectAfter
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
		return after["publish"]-before["publish"] >= workers*periods
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
	perMinute := perPeriod * float64(time.Minute) / float64(redis.DefaultHeartbeatInterval)
	t.Logf("idle commands of %d workers over %.1f intervals: %d (%.2f per worker and interval, %.2f a minute at the default interval): %v",
		workers, elapsedPeriods, got, perPeriod, perMinute, idle)
	if perMinute > 2 {
		t.Errorf("%.2f commands a minute per worker while idle, want at most 2 (%d commands of %d workers over %.1f intervals: %v)",
			perMinute, got, workers, elapsedPeriods, idle)
	}
	if other := got - idle["publish"]; other != 0 {
		t.Errorf("%d commands other than the beats' PUBLISH while idle: %v", other, idle)
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
