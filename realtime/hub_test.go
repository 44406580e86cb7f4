package realtime_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/realtime"
)

func TestProbe(t *testing.T) {
	e := newEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := e.hub.Probe(ctx); err != nil {
		t.Fatalf("Probe with a working layer: %v", err)
	}

	// A layer that no longer delivers makes the probe fail.
	e.layer.Close()
	if err := e.hub.Probe(ctx); err == nil {
		t.Fatal("Probe with a closed layer succeeded")
	}
}

func TestProbeFailsWhenNothingComesBack(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) { c.Layer = &deafLayer{Layer: c.Layer} })
	err := e.hub.Probe(context.Background())
	if code := numeneon.ErrorCode(err); code != numeneon.EUNAVAILABLE {
		t.Fatalf("Probe = %v (code %q), want an %s error", err, code, numeneon.EUNAVAILABLE)
	}
}

func TestCloseRestartsSocketsAndLeavesNoGoroutine(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	bob := e.createUser(t, "bob")
	clients := []*client{e.dial(t, alice, ""), e.dial(t, alice, ""), e.dial(t, bob, "")}
	unauthenticated := e.dialRaw(t, "", nil) // still waiting for its auth message

	closed := make(chan struct{})
	go func() {
		defer close(closed)
		e.hub.Close()
	}()
	for i, c := range append(clients, unauthenticated) {
		_, err := c.tryRead(10 * time.Second)
		if got := websocket.CloseStatus(err); got != websocket.StatusServiceRestart {
			t.Errorf("client %d: read ended with %v, want close code 1012", i, err)
		}
	}
	<-closed

	if n := e.hub.Sockets(); n != 0 {
		t.Errorf("Sockets() = %d after Close, want 0", n)
	}
	// The hub reported its users offline: connecting them again brings them online.
	for _, u := range []*numeneon.User{alice, bob} {
		cameOnline, err := e.presence.Connect(context.Background(), u.ID)
		if err != nil || !cameOnline {
			t.Errorf("presence of %s after Close: cameOnline=%v err=%v, want offline", u.Username, cameOnline, err)
		}
	}
	// A goroutine that has signalled its end may still be unwinding its
	// deferred calls for a moment after Close returns; a leaked one stays.
	// The hub's own (writers, presence) and its poller's must all end.
	buf := make([]byte, 1<<20)
	var stacks string
	hubGoroutine := func() bool {
		return strings.Contains(stacks, "numeneon/realtime.") || strings.Contains(stacks, "numeneon/ws.")
	}
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		stacks = string(buf[:runtime.Stack(buf, true)])
		if !hubGoroutine() || time.Now().After(deadline) {
			break
		}
	}
	if hubGoroutine() {
		t.Errorf("goroutines of the hub still running 5s after Close:\n%s", stacks)
	}

	// New handshakes are refused.
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, resp, err := websocket.Dial(ctx, e.url("token=tok-alice"), nil); err == nil {
		conn.CloseNow()
		t.Error("handshake accepted after Close")
	} else if resp == nil || resp.StatusCode != 503 {
		t.Errorf("handshake after Close: %v, want status 503", err)
	}
}

// TestConcurrentOpenAndCloseKeepsSubscription opens and closes sockets of one
// user from many goroutines, so last-close and first-open race; the socket
// left open must still receive events.
func TestConcurrentOpenAndCloseKeepsSubscription(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) { c.SocketsPerUser = 1000 })
	alice := e.createUser(t, "alice")
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 10; i++ {
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				conn, _, err := websocket.Dial(ctx, e.url("token=tok-alice"), nil)
				cancel()
				if err != nil {
					t.Errorf("dial: %v", err)
					return
				}
				conn.CloseNow()
			}
		}()
	}
	wg.Wait()
	c := e.dial(t, alice, "")
	waitFor(t, "the short-lived sockets to be released", func() bool { return e.hub.Sockets() == 1 })
	n := e.notify(t, alice, `{}`)
	if got := firstEventID(c); got != n.ID {
		t.Errorf("first event id = %d, want %d", got, n.ID)
	}
}

// listeningPresence is a real in-process presence whose Listen callback the
// test can fire, as a shared presence does when another process dies.
type listeningPresence struct {
	numeneon.Presence
	mu sync.Mutex
	fn func([]int64)
}

func (p *listeningPresence) Listen(fn func([]int64)) {
	p.mu.Lock()
	p.fn = fn
	p.mu.Unlock()
}

func (p *listeningPresence) lost(ids []int64) {
	p.mu.Lock()
	fn := p.fn
	p.mu.Unlock()
	fn(ids)
}

// deafLayer publishes into a real layer but never delivers what comes back,
// like a broker that accepts messages and loses them.
type deafLayer struct{ numeneon.Layer }

func (l *deafLayer) Listen(h numeneon.LayerHandler) {}

func newRegistry() *prometheus.Registry { return prometheus.NewRegistry() }

// gather returns the value of every unlabelled gauge and counter.
func gather(tb testing.TB, reg *prometheus.Registry) map[string]float64 {
	tb.Helper()
	mfs, err := reg.Gather()
	if err != nil {
		tb.Fatalf("gather metrics: %v", err)
	}
	out := make(map[string]float64)
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if len(m.GetLabel()) > 0 {
				continue
			}
			switch {
			case m.GetCounter() != nil:
				out[mf.GetName()] = m.GetCounter().GetValue()
			case m.GetGauge() != nil:
				out[mf.GetName()] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}
