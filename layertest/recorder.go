package layertest

import (
	"bytes"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
)

// waitTimeout bounds every wait for an envelope. It is generous because the
// suite runs against real brokers on a loaded 2-core machine; a passing run
// never waits for it.
const waitTimeout = 15 * time.Second

// Recorder is a numeneon.LayerHandler that keeps everything it receives and
// notices when the layer breaks the handler contract by calling it from two
// goroutines at once.
type Recorder struct {
	mu         sync.Mutex
	byUser     map[int64][]numeneon.Envelope
	total      int
	reconnects int
	changed    chan struct{} // closed and replaced on every call

	inFlight   atomic.Int32
	overlapped atomic.Bool
}

var _ numeneon.LayerHandler = (*Recorder)(nil)

// NewRecorder returns an empty recorder.
func NewRecorder() *Recorder {
	return &Recorder{byUser: make(map[int64][]numeneon.Envelope), changed: make(chan struct{})}
}

// DeliverEnvelope implements numeneon.LayerHandler.
func (r *Recorder) DeliverEnvelope(env numeneon.Envelope) {
	r.enter()
	defer r.inFlight.Add(-1)
	r.mu.Lock()
	r.byUser[env.UserID] = append(r.byUser[env.UserID], env)
	r.total++
	r.notifyLocked()
	r.mu.Unlock()
}

// LayerReconnected implements numeneon.LayerHandler.
func (r *Recorder) LayerReconnected() {
	r.enter()
	defer r.inFlight.Add(-1)
	r.mu.Lock()
	r.reconnects++
	r.notifyLocked()
	r.mu.Unlock()
}

func (r *Recorder) enter() {
	if r.inFlight.Add(1) > 1 {
		r.overlapped.Store(true)
	}
}

func (r *Recorder) notifyLocked() {
	close(r.changed)
	r.changed = make(chan struct{})
}

// Envelopes returns a copy of what arrived for userID, in arrival order.
func (r *Recorder) Envelopes(userID int64) []numeneon.Envelope {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]numeneon.Envelope(nil), r.byUser[userID]...)
}

// Count returns how many envelopes arrived for userID.
func (r *Recorder) Count(userID int64) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.byUser[userID])
}

// Total returns how many envelopes arrived, for all users.
func (r *Recorder) Total() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}

// Reconnects returns how many times LayerReconnected was called.
func (r *Recorder) Reconnects() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.reconnects
}

// Overlapped reports whether two handler calls ever ran at the same time.
func (r *Recorder) Overlapped() bool { return r.overlapped.Load() }

// WaitFor waits until cond holds, and fails the test with what describes the
// wait if it does not hold within a generous deadline. cond reads the
// recorder through its methods; it is called again after every handler call.
func (r *Recorder) WaitFor(tb testing.TB, what string, cond func(r *Recorder) bool) {
	tb.Helper()
	deadline := time.NewTimer(waitTimeout)
	defer deadline.Stop()
	for {
		r.mu.Lock()
		changed := r.changed
		r.mu.Unlock()
		if cond(r) {
			return
		}
		select {
		case <-changed:
		case <-deadline.C:
			tb.Fatalf("timed out after %v waiting for %s (received %d envelopes, %d reconnects)",
				waitTimeout, what, r.Total(), r.Reconnects())
		}
	}
}

// WaitForEnvelope waits until an envelope of userID with the given frame has
// arrived.
func (r *Recorder) WaitForEnvelope(tb testing.TB, userID int64, frame []byte) {
	tb.Helper()
	r.WaitFor(tb, "an envelope for user "+itoa(userID), func(r *Recorder) bool {
		for _, env := range r.Envelopes(userID) {
			if bytes.Equal(env.Frame, frame) {
				return true
			}
		}
		return false
	})
}

// WaitForCount waits until n envelopes of userID have arrived.
func (r *Recorder) WaitForCount(tb testing.TB, userID int64, n int) {
	tb.Helper()
	r.WaitFor(tb, itoa(int64(n))+" envelopes for user "+itoa(userID), func(r *Recorder) bool {
		return r.Count(userID) >= n
	})
}
