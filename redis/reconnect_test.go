package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
)

// TestLayerReconnectsAfterRedisRestart kills Redis under a layer holding
// thousands of subscriptions and checks that, once Redis is back, the layer
// has subscribed every channel again in batches, told the hub, and delivers.
func TestLayerReconnectsAfterRedisRestart(t *testing.T) {
	const userCount, batch = 2500, 1000
	srv := testsvc.StartRedis(t)
	opts := testOptions(t, srv.URL)
	opts.ResubscribeBatch = batch
	opts.MaxReconnectDelay = 200 * time.Millisecond
	l := mustNewLayer(t, opts)
	rec := layertest.NewRecorder()
	l.Listen(rec)

	users := make([]int64, userCount)
	for i := range users {
		users[i] = int64(i + 1)
	}
	if err := l.Subscribe(t.Context(), users...); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}
	publish := func(user int64, seq int) []byte {
		t.Helper()
		frame := fmt.Appendf(nil, `{"type":"t","id":%d}`, seq)
		// The first publish after a restart may meet a pooled connection
		// that died with the server; the hub would replay it from the
		// store, here we simply try again.
		poll(t, "a successful publish", func() bool {
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			defer cancel()
			return l.Publish(ctx, numeneon.Envelope{UserID: user, ID: int64(seq), Frame: frame}) == nil
		})
		return frame
	}
	rec.WaitForEnvelope(t, users[0], publish(users[0], 1))

	srv.Stop(t)
	// A socket opened during the outage: its Subscribe completes once the
	// layer is back.
	lateUser := int64(userCount + 1)
	subscribed := make(chan error, 1)
	go func() { subscribed <- l.Subscribe(t.Context(), lateUser) }()
	srv.Start(t)
	admin := adminClient(t, srv.URL)

	rec.WaitFor(t, "LayerReconnected", func(r *layertest.Recorder) bool { return r.Reconnects() >= 1 })
	select {
	case err := <-subscribed:
		if err != nil {
			t.Fatalf("Subscribe during the outage: %v", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("Subscribe during the outage did not return after the reconnect")
	}
	for _, u := range []int64{users[0], users[userCount-1], lateUser} {
		rec.WaitForEnvelope(t, u, publish(u, 2))
	}

	// Every channel on one connection, in batches rather than one command
	// per channel (or one huge command).
	calls := commandCalls(t, admin)
	wantMax := int64((userCount+1+batch-1)/batch + 1)
	if got := calls["subscribe"]; got < 3 || got > wantMax {
		t.Errorf("SUBSCRIBE commands after the restart: %d, want 3..%d for %d channels in batches of %d", got, wantMax, userCount+1, batch)
	}
	if n, err := admin.PubSubNumSub(t.Context(), fmt.Sprintf("%su:%d", opts.Prefix, users[1234])).Result(); err != nil {
		t.Fatalf("PUBSUB NUMSUB: %v", err)
	} else if got := n[fmt.Sprintf("%su:%d", opts.Prefix, users[1234])]; got != 1 {
		t.Errorf("subscribers of a channel after the restart: %d, want 1", got)
	}
}
