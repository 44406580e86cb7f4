package ws_test

import (
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/numeneon/numeneon/ws"
)

// However a connection ends — Close, CloseNow, the peer's close frame, the
// peer gone, or all at once — the handler hears it exactly once, and after
// its last message. Run with -race.
func TestClosedOnceUnderRaces(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, opts: ws.Options{CloseTimeout: 50 * time.Millisecond}})
		warmUp(t, s)
		before := runtime.NumGoroutine()
		const rounds = 64
		for round := range rounds {
			rc, sc := dialRaw(t, s)
			closers := []func(){
				func() { sc.Close(ws.StatusGoingAway, "race") },
				func() { sc.CloseNow() },
				func() { rc.nc.Write(closeFrame(1000, "race")) },
				func() { rc.nc.Close() },
			}
			others := []func(){
				func() { sc.Write(ws.OpText, []byte("to the client"), deadline()) },
				func() { sc.Ping(deadline()) },
				func() { rc.nc.Write(clientFrame(ws.OpText, "to the server")) },
				func() { rc.nc.Write(clientFrame(ws.OpPing, "ping")) },
			}
			// Every combination of closers, with all the others.
			actions := others
			for i, f := range closers {
				if (round%15+1)&(1<<i) != 0 {
					actions = append(actions, f)
				}
			}
			start := make(chan struct{})
			var wg sync.WaitGroup
			for _, f := range actions {
				wg.Go(func() {
					<-start
					f()
				})
			}
			close(start)
			wg.Wait()
			rc.nc.Close() // whatever won, the connection must end
			if err := sc.rec.waitClosed(t); err == nil {
				t.Errorf("round %d: Closed(nil)", round)
			}
		}
		// A second call would come from a goroutine still running.
		waitGoroutines(t, before)
		for i, sc := range s.accepted()[1:] {
			if n := sc.rec.closedN.Load(); n != 1 {
				t.Errorf("round %d: Closed called %d times, want 1", i, n)
			}
			if n := sc.rec.lateMessages.Load(); n != 0 {
				t.Errorf("round %d: %d messages delivered after Closed", i, n)
			}
		}
	})
}
