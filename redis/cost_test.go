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

// TestIdleCommandCount checks the budget of a hosted free tier: a process
// with a Layer and a Presence, holding subscriptions and online users but
// with no traffic, sends at most two commands per heartbeat interval. The
// interval is shortened so the window holds several; the window is measured
// in heartbeats (the presence's script calls), not in wall-clock time.
func TestIdleCommandCount(t *testing.T) {
	const beats = 5
	srv := testsvc.StartRedis(t)
	opts := testOptions(t, srv.URL)
	opts.HeartbeatInterval = 100 * time.Millisecond
	l := mustNewLayer(t, opts)
	p := mustNewPresence(t, opts)
	rec := layertest.NewRecorder()
	l.Listen(rec)
	p.Listen(func([]int64) {})
	for u := int64(1); u <= 50; u++ {
		if err := l.Subscribe(t.Context(), u); err != nil {
			t.Fatalf("Subscribe: %v", err)
		}
		if _, err := p.Connect(t.Context(), u); err != nil {
			t.Fatalf("Connect: %v", err)
		}
	}
	if err := l.Publish(t.Context(), numeneon.Envelope{UserID: 1, ID: 1, Frame: []byte(`{}`)}); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	rec.WaitForCount(t, 1, 1)

	mon := monitor(t, srv.Addr)
	heartbeats := func(calls map[string]int64) int64 { return calls["evalsha"] + calls["eval"] }
	var idle map[string]int64
	poll(t, fmt.Sprintf("%d presence heartbeats", beats), func() bool {
		idle = mon.Counts()
		return heartbeats(idle) >= beats
	})
	n := heartbeats(idle)
	t.Logf("idle commands over %d heartbeats: %v", n, idle)
	if got, limit := total(idle), 2*n+1; got > limit {
		t.Errorf("%d commands while idle over %d heartbeat intervals, want at most %d:\n%s",
			got, n, limit, strings.Join(mon.Lines(), "\n"))
	}
	for name := range idle {
		if name != "evalsha" && name != "eval" && name != "ping" {
			t.Errorf("unexpected command while idle: %s ×%d", name, idle[name])
		}
	}
	if idle["ping"] == 0 {
		t.Errorf("the layer never checked its idle subscriber connection")
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
