package realtime_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
)

// prune deletes every stored notification, as the retention does with old
// ones.
func (e *testEnv) prune(tb testing.TB) {
	tb.Helper()
	err := e.store.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		_, err := tx.PruneNotifications(ctx, time.Now().Add(time.Hour), 1000)
		return err
	})
	if err != nil {
		tb.Fatalf("prune: %v", err)
	}
}

// TestResumeAcrossPrunedEventsSaysResync: a client resuming from an id
// whose successors the retention deleted gets {"type":"resync"} (reload
// your lists) before the events that remain, instead of a silent gap; a
// client whose resume point is still covered gets no resync.
func TestResumeAcrossPrunedEventsSaysResync(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	for range 5 {
		e.storeEvent(t, alice, `{"old":true}`)
	}
	e.prune(t)

	t.Run("all missing", func(t *testing.T) {
		c := e.dial(t, alice, "since=2")
		if f := c.read(); string(f.raw) != `{"type":"resync"}` {
			t.Fatalf("after resuming over pruned events: %s, want resync", f.raw)
		}
		// Live events go on from there, without another resync.
		n := e.notify(t, alice, `{"new":6}`)
		if f := c.read(); f.ID != n.ID || f.Type != numeneon.EventNewMessage {
			t.Fatalf("next frame = %s, want event %d", f.raw, n.ID)
		}
	})

	e.storeEvent(t, alice, `{"new":7}`)
	t.Run("some missing", func(t *testing.T) {
		c := e.dial(t, alice, "since=0")
		if f := c.read(); string(f.raw) != `{"type":"resync"}` {
			t.Fatalf("first frame = %s, want resync", f.raw)
		}
		if d := cmp.Diff(seq(6, 7), c.readIDs(7)); d != "" {
			t.Errorf("replayed after the resync (-want +got):\n%s", d)
		}
	})

	t.Run("nothing missing", func(t *testing.T) {
		c := e.dial(t, alice, "since=6")
		if f := c.read(); f.ID != 7 {
			t.Fatalf("first frame = %s, want event 7 and no resync", f.raw)
		}
		c.send(`{"type":"ping"}`)
		if f := c.read(); string(f.raw) != `{"type":"pong"}` {
			t.Fatalf("then %s, want a pong", f.raw)
		}
	})
}
