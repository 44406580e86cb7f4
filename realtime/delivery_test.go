package realtime_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/realtime"
)

func TestEventReachesEverySocketOfItsUserOnly(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	bob := e.createUser(t, "bob")
	a1 := e.dial(t, alice, "")
	a2 := e.dial(t, alice, "")
	b := e.dial(t, bob, "")

	forAlice := e.notify(t, alice, `{"content":"hi alice"}`)
	forBob := e.notify(t, bob, `{"content":"hi bob"}`)

	for i, c := range []*client{a1, a2} {
		if got, want := string(c.read().raw), string(forAlice.Envelope().Frame); got != want {
			t.Errorf("alice socket %d got %s, want %s", i, got, want)
		}
	}
	// Bob's first frame is his own event, not alice's.
	if got, want := string(b.read().raw), string(forBob.Envelope().Frame); got != want {
		t.Errorf("bob got %s, want %s", got, want)
	}
}

func TestResumeFromSinceWhileEventsArrive(t *testing.T) {
	const total, before, since = 2000, 1000, 300
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	for i := 0; i < before; i++ {
		e.notify(t, alice, `{"n":"early"}`)
	}

	// Events keep being stored and published while the socket replays.
	published := make(chan error, 1)
	go func() {
		ctx := context.Background()
		for i := before; i < total; i++ {
			n := &numeneon.Notification{UserID: alice.ID, Type: numeneon.EventNewMessage, Data: []byte(`{"n":"live"}`)}
			err := e.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateNotification(ctx, n) })
			if err == nil {
				err = e.layer.Publish(ctx, n.Envelope())
			}
			if err != nil {
				published <- err
				return
			}
		}
		published <- nil
	}()

	c := e.dial(t, alice, fmt.Sprintf("since=%d", since))
	got := c.readIDs(total)
	if err := <-published; err != nil {
		t.Fatalf("publish: %v", err)
	}
	if diff := cmp.Diff(seq(since+1, total), got); diff != "" {
		t.Errorf("ids received (-want +got):\n%s", diff)
	}
}

func TestResumeMessageReplays(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	for i := 0; i < 5; i++ {
		e.storeEvent(t, alice, `{}`)
	}
	c := e.dial(t, alice, "")
	c.send(`{"type":"resume","since":2}`)
	if diff := cmp.Diff(seq(3, 5), c.readIDs(5)); diff != "" {
		t.Errorf("ids after resume (-want +got):\n%s", diff)
	}
	// Live events continue from there.
	e.notify(t, alice, `{}`)
	if diff := cmp.Diff([]int64{6}, c.readIDs(6)); diff != "" {
		t.Errorf("live ids (-want +got):\n%s", diff)
	}
}

func TestGapIsFilledFromStore(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	c := e.dial(t, alice, "")

	e.notify(t, alice, `{}`)     // 1: tells the socket where it stands
	e.notify(t, alice, `{}`)     // 2
	e.notify(t, alice, `{}`)     // 3
	e.storeEvent(t, alice, `{}`) // 4: lost by pub/sub
	e.notify(t, alice, `{}`)     // 5
	if diff := cmp.Diff(seq(1, 5), c.readIDs(5)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestDuplicatesAreDropped(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	c := e.dial(t, alice, "")

	n1 := e.notify(t, alice, `{}`)
	n2 := e.notify(t, alice, `{}`)
	e.publish(t, n2)
	e.publish(t, n1)
	e.notify(t, alice, `{}`)
	if diff := cmp.Diff(seq(1, 3), c.readIDs(3)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func TestSlowConsumerClosedThenResumesWithoutLoss(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) { c.QueueBytes = 32 << 10 })
	alice := e.createUser(t, "alice")
	c := e.dial(t, alice, "")

	// 3,000 events of 4 KiB: far more than the queue plus every socket
	// buffer, while the client reads nothing.
	payload := `{"content":"` + strings.Repeat("x", 4<<10) + `"}`
	const total = 3000
	for i := 0; i < total; i++ {
		e.notify(t, alice, payload)
	}

	var last int64
	for {
		f, err := c.tryRead(10 * time.Second)
		if err != nil {
			if got := websocket.CloseStatus(err); got != realtime.CloseSlowConsumer {
				t.Fatalf("connection ended with %v, want close code %d", err, realtime.CloseSlowConsumer)
			}
			break
		}
		if f.ID != last+1 {
			t.Fatalf("got id %d after %d", f.ID, last)
		}
		last = f.ID
	}
	if last >= total {
		t.Fatalf("received every event (%d) before the close; the queue never overflowed", last)
	}
	t.Logf("closed with 4008 after id %d", last)

	c2 := e.dial(t, alice, fmt.Sprintf("since=%d", last))
	if diff := cmp.Diff(seq(last+1, total), c2.readIDs(total)); diff != "" {
		t.Errorf("ids after resume (-want +got):\n%s", diff)
	}
}

func TestLayerReconnectCatchesUpFromStore(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	bob := e.createUser(t, "bob")
	withSince := e.dial(t, alice, "since=0")
	noSince := e.dial(t, bob, "")

	// Events stored while the broker was away never came through the layer.
	e.storeEvent(t, alice, `{}`)
	e.storeEvent(t, alice, `{}`)
	e.storeEvent(t, bob, `{}`)
	e.hub.LayerReconnected()

	if diff := cmp.Diff(seq(1, 2), withSince.readIDs(2)); diff != "" {
		t.Errorf("ids after reconnect (-want +got):\n%s", diff)
	}
	// A socket opened without since starts at the newest event stored when
	// it opened (none for bob), so it catches up too, then goes on live.
	if got := firstEventID(noSince); got != 1 {
		t.Errorf("bob's first event id = %d, want 1 (caught up after the reconnect)", got)
	}
	n := e.notify(t, bob, `{}`)
	if got := firstEventID(noSince); got != n.ID {
		t.Errorf("bob's next event id = %d, want %d (the live one)", got, n.ID)
	}
}

// TestSocketWithoutSinceOrdersOvertakingEvents: a socket opened without
// since starts at the newest stored event, so when a later event overtakes
// an earlier one on the layer (two commits published at once), the earlier
// one is filled in from the store instead of being dropped as a duplicate.
func TestSocketWithoutSinceOrdersOvertakingEvents(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	e.notify(t, alice, `{}`) // id 1, before the socket opens
	c := e.dial(t, alice, "")
	// ids 2 and 3 are stored; only 3 comes through the layer.
	e.storeEvent(t, alice, `{}`)
	third := e.storeEvent(t, alice, `{}`)
	e.publish(t, third)
	if diff := cmp.Diff(seq(2, 3), c.readIDs(3)); diff != "" {
		t.Errorf("ids (-want +got):\n%s", diff)
	}
}

func firstEventID(c *client) int64 {
	c.tb.Helper()
	for {
		if f := c.read(); f.ID != 0 {
			return f.ID
		}
	}
}
