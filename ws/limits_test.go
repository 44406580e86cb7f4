package ws_test

import (
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon/ws"
)

// Time the handler spends on a message is not the client's: a frame that
// arrived whole in 50 ms is not failed while a slow Message runs.
func TestHandlerTimeDoesNotCountAgainstFrameTimeout(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode,
			opts:      ws.Options{FrameTimeout: 300 * time.Millisecond},
			onMessage: func(*ws.Conn, ws.Opcode, []byte) { time.Sleep(700 * time.Millisecond) },
		})
		rc, sc := dialRaw(t, s)
		f := clientFrame(ws.OpText, "hello")
		rc.send(f[:4])
		time.Sleep(50 * time.Millisecond)
		rc.send(f[4:])
		// Messages are handled in order: the next one is delivered after the
		// slow handler, more than twice FrameTimeout after the first frame
		// began, only if that frame was not failed meanwhile.
		rc.send(clientFrame(ws.OpText, "next"))
		if got := sc.rec.waitMessages(t, 2); got[1].data != "next" {
			t.Errorf("second message %q, want next", got[1].data)
		}
		if sc.rec.isClosed() {
			t.Errorf("closed with %v although the frame arrived whole within 50 ms", sc.rec.err)
		}
	})
}

// A fragmented message must arrive whole within FrameTimeout too: a
// complete first fragment whose rest never comes does not hold its bytes
// forever.
func TestUnfinishedFragmentedMessageTimesOut(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, opts: ws.Options{FrameTimeout: 200 * time.Millisecond}})
		rc, sc := dialRaw(t, s)
		rc.send(fragment(false, ws.OpBinary, strings.Repeat("x", ws.DefaultReadLimit-1)))
		rc.expectClose(ws.StatusPolicyViolation)
		var ce *ws.CloseError
		if err := sc.rec.waitClosed(t); !errors.As(err, &ce) || ce.Code != ws.StatusPolicyViolation {
			t.Errorf("Closed(%v), want a CloseError with 1008", err)
		}
	})
}

// A large frame trickled in small pieces costs memory in proportion to the
// frame, not to the frame times the number of pieces (each wakeup used to
// copy everything received so far and allocate what the header claimed:
// 242 MiB for this frame).
func TestTrickledFrameAllocations(t *testing.T) {
	s := newServer(t, serverConfig{mode: epollTCP})
	rc, sc := dialRaw(t, s)
	f := clientFrame(ws.OpBinary, strings.Repeat("y", ws.DefaultReadLimit-100))
	const piece = 32
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	for i := 0; i < len(f); i += piece {
		rc.send(f[i:min(i+piece, len(f))])
		time.Sleep(300 * time.Microsecond)
	}
	sc.rec.waitMessages(t, 1)
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("a %d-byte frame in %d pieces: %.1f MiB allocated", len(f), (len(f)+piece-1)/piece, float64(allocated)/(1<<20))
	if allocated > 16<<20 {
		t.Errorf("receiving a %d-byte frame in %d-byte pieces allocated %d MiB, want at most 16", len(f), piece, allocated>>20)
	}
}
