package realtime_test

import (
	"context"
	"fmt"
	"math"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon/realtime"
)

// A resume on an open socket below what it already sent never sends an
// event twice: ids stay strictly increasing.
func TestResumeNeverRewinds(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	for range 3 {
		e.storeEvent(t, alice, `{}`)
	}
	c := e.dial(t, alice, "since=0")
	if diff := cmp.Diff(seq(1, 3), c.readIDs(3)); diff != "" {
		t.Fatalf("replayed ids (-want +got):\n%s", diff)
	}
	c.send(`{"type":"resume","since":1}`)
	c.send(`{"type":"ping"}`)
	c.readSkipping() // the pong, or an event resent by mistake
	n := e.notify(t, alice, `{}`)
	if diff := cmp.Diff([]int64{n.ID}, c.readIDs(n.ID)); diff != "" {
		t.Errorf("ids after a resume below the last sent (-want +got):\n%s", diff)
	}
}

// since above the user's newest id is clamped to it: live events still
// arrive, on connect and after a resume message.
func TestSinceFromTheFutureIsClamped(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	e.storeEvent(t, alice, `{}`)
	c := e.dial(t, alice, fmt.Sprintf("since=%d", int64(math.MaxInt64)))
	n := e.notify(t, alice, `{"content":"live"}`)
	if got := c.read(); got.ID != n.ID {
		t.Fatalf("got %s, want event %d", got.raw, n.ID)
	}
	c.send(fmt.Sprintf(`{"type":"resume","since":%d}`, int64(math.MaxInt64)))
	n = e.notify(t, alice, `{"content":"live again"}`)
	if got := c.readSkipping(); got.ID != n.ID {
		t.Fatalf("after a resume from the future: got %s, want event %d", got.raw, n.ID)
	}
}

// Pings go out every PingInterval, however long the pong may take (here a
// WriteTimeout far longer than the interval).
func TestPingEveryInterval(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) {
		c.PingInterval = 20 * time.Millisecond
		c.WriteTimeout = time.Hour
	})
	alice := e.createUser(t, "alice")
	var pings atomic.Int32
	enough := make(chan struct{})
	c := e.dialRaw(t, "token=tok-alice", &websocket.DialOptions{
		OnPingReceived: func(context.Context, []byte) bool {
			if pings.Add(1) == 3 {
				close(enough)
			}
			return true
		},
	})
	c.expectEstablished(alice)
	go func() { _, _ = c.tryRead(30 * time.Second) }() // answers pings
	select {
	case <-enough:
	case <-time.After(10 * time.Second):
		t.Fatalf("%d pings in 10 s at a 20 ms interval, want 3", pings.Load())
	}
}

// A user may hold SocketsPerUser sockets on a process; one more is refused
// at the handshake with 429 and Retry-After (and closed with 1013 after a
// first-message authentication), until one of them closes.
func TestSocketsPerUserLimit(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) { c.SocketsPerUser = 2 })
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")
	first := e.dial(t, alice, "")
	e.dial(t, alice, "")
	e.dial(t, bob, "") // another user is not counted against alice

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, e.url("token=tok-alice"), nil)
	if err == nil {
		conn.CloseNow()
		t.Fatal("a third socket of alice was accepted")
	}
	if resp == nil || resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("third socket: %v (response %v), want 429 with Retry-After", err, resp)
	}
	viaMessage := e.dialRaw(t, "", nil)
	viaMessage.send(`{"type":"auth","token":"tok-alice"}`)
	viaMessage.expectClose(websocket.StatusTryAgainLater)

	first.conn.Close(websocket.StatusNormalClosure, "")
	waitFor(t, "alice's first socket to be released", func() bool { return e.hub.Sockets() == 2 })
	e.dial(t, alice, "")
}

// A client that stops reading makes a write time out: its socket is
// aborted (no close frame can pass its full TCP window), counted as a write
// timeout and not as a slow consumer, and it loses nothing when it resumes.
func TestStalledReaderIsAbortedAndResumesLosslessly(t *testing.T) {
	reg := newRegistry()
	e := newEnv(t, func(c *realtime.Config) {
		c.Registerer = reg
		c.WriteTimeout = time.Second
		c.StoreTimeout = 10 * time.Second
		c.PingInterval = time.Hour
		c.QueueBytes = 1 << 30
	})
	alice := e.createUser(t, "alice")
	stalled := rawDial(t, strings.TrimPrefix(e.srv.URL, "http://"), "tok-alice")
	defer stalled.Close()
	if tc, ok := stalled.(*net.TCPConn); ok {
		_ = tc.SetReadBuffer(4 << 10)
	}

	big := fmt.Sprintf(`{"content":%q}`, strings.Repeat("x", 60<<10))
	var last int64
	for i := 0; gather(t, reg)["numeneon_ws_write_timeouts_total"] == 0; i++ {
		if i == 2000 {
			t.Fatal("no write timed out after 2000 events of 60 KiB to a client that reads nothing")
		}
		last = e.notify(t, alice, big).ID
	}
	waitFor(t, "the stalled socket to be released", func() bool { return e.hub.Sockets() == 0 })
	if n := gather(t, reg)["numeneon_ws_queue_overflows_total"]; n != 0 {
		t.Errorf("queue overflows = %v, want 0: the abort is a write timeout", n)
	}

	c := e.dial(t, alice, "since=0")
	if diff := cmp.Diff(seq(1, last), c.readIDs(last)); diff != "" {
		t.Errorf("ids after resuming (-want +got):\n%s", diff)
	}
}
