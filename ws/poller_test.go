package ws_test

import (
	"errors"
	"runtime"
	"testing"

	"github.com/numeneon/numeneon/ws"
)

// A poller's goroutine is its owner's: Close stops it, and a second Close
// is harmless.
func TestPollerCloseStopsItsGoroutine(t *testing.T) {
	before := runtime.NumGoroutine()
	p, err := ws.NewPoller(nil)
	if errors.Is(err, ws.ErrPollerUnavailable) {
		t.Skip("no poller on this system")
	}
	if err != nil {
		t.Fatal(err)
	}
	if runtime.NumGoroutine() <= before {
		t.Fatalf("NewPoller started no goroutine (%d before, %d after)", before, runtime.NumGoroutine())
	}
	if err := p.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	waitGoroutines(t, before)
	if err := p.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// A connection upgraded with a poller that was closed is not left unread
// forever: it is closed, and its handler hears it.
func TestClosedPollerClosesNewConnections(t *testing.T) {
	p, err := ws.NewPoller(nil)
	if errors.Is(err, ws.ErrPollerUnavailable) {
		t.Skip("no poller on this system")
	}
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	s := newServer(t, serverConfig{mode: epollTCP, opts: ws.Options{Poller: p}})
	rc, sc := dialRaw(t, s)
	defer rc.nc.Close()
	if err := sc.rec.waitClosed(t); err == nil {
		t.Fatal("Closed(nil) for a connection its poller could not watch")
	}
}
