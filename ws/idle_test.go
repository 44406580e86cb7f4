package ws_test

import (
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"testing"

	"github.com/numeneon/numeneon/ws"
)

// The point of the package: an idle connection costs no goroutine on
// Linux. The goroutine-per-connection mode is the control that shows the
// count would see one.
func TestIdleConnectionsHoldNoGoroutine(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("the poller is only implemented on Linux")
	}
	const n = 500
	for _, mode := range allModes {
		t.Run(string(mode), func(t *testing.T) {
			s := newServer(t, serverConfig{mode: mode})
			warmUp(t, s)
			before := runtime.NumGoroutine()
			clients := make([]*rawClient, n)
			for i := range clients {
				clients[i] = dialRawNoAccept(t, s)
			}
			waitFor(t, fmt.Sprintf("%d connections upgraded", n), func() bool { return len(s.accepted()) == n+1 })
			if mode == goroutinePerConn {
				// The control: the count does see a goroutine per
				// connection.
				waitFor(t, fmt.Sprintf("%d goroutines (%d before) with %d connections read by a goroutine each", before+n-n/10, before, n),
					func() bool { return runtime.NumGoroutine() >= before+n-n/10 })
			} else {
				// Allow for stragglers of net/http; a goroutine per
				// connection would be n.
				waitGoroutines(t, before+n/10)
				t.Logf("%d goroutines with %d idle connections, %d before", runtime.NumGoroutine(), n, before)
			}

			// Every idle connection is still watched: what arrives now is
			// delivered.
			for i, rc := range clients {
				rc.send(clientFrame(ws.OpText, strconv.Itoa(i)))
			}
			var got []int
			for _, sc := range s.accepted()[1:] {
				for _, m := range sc.rec.waitMessages(t, 1) {
					i, err := strconv.Atoi(m.data)
					if err != nil {
						t.Fatalf("unexpected message %q", m.data)
					}
					got = append(got, i)
				}
			}
			slices.Sort(got)
			if len(got) != n || got[0] != 0 || got[n-1] != n-1 || len(slices.Compact(got)) != n {
				t.Fatalf("got %d messages on %d connections, want one each", len(got), n)
			}

			// And every one that goes away is released.
			for _, rc := range clients {
				rc.nc.Close()
			}
			for _, sc := range s.accepted()[1:] {
				if err := sc.rec.waitClosed(t); err == nil {
					t.Fatal("Closed(nil) for a peer gone")
				}
			}
			waitGoroutines(t, before)
		})
	}
}
