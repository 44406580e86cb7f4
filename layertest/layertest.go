// Package layertest is the conformance suite of numeneon.Layer and
// numeneon.Presence. Every implementation (inmem, redis) runs the same suite
// from its own tests, so "works with the in-process layer" and "works with
// Redis" mean the same thing.
//
// A factory stands for n processes sharing one broker: it returns n layers (or
// presences) that see each other's traffic. An implementation that cannot be
// shared (inmem) returns fewer than asked; the cases that need several
// processes are then skipped, and say so.
//
// Absence ("this envelope did not arrive") cannot be observed directly. The
// suite checks it against a fence: an envelope published afterwards by the
// same publisher to a user the same process is subscribed to. Once the fence
// has arrived, an envelope sent before it would have arrived too, for any
// layer that keeps one publisher's envelopes in order on one subscriber
// connection (both of ours do).
package layertest

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
)

// Factory returns n layers that stand for n processes sharing one broker, or
// fewer if the implementation cannot be shared. Each call must return fresh
// layers isolated from earlier calls (e.g. a new key prefix), on which Listen
// has not been called yet. The suite closes the layers; the factory releases
// anything else it set up (with t.Cleanup).
type Factory func(t *testing.T, n int) []numeneon.Layer

// PresenceFactory is Factory for numeneon.Presence.
type PresenceFactory func(t *testing.T, n int) []numeneon.Presence

// Run runs every layer case: RunSingle, then RunShared.
func Run(t *testing.T, newLayers Factory) {
	t.Run("Single", func(t *testing.T) { RunSingle(t, newLayers) })
	t.Run("Shared", func(t *testing.T) { RunShared(t, newLayers) })
}

// process is one layer under test with its recorder.
type process struct {
	numeneon.Layer
	rec       *Recorder
	closeOnce sync.Once
	closeErr  error
}

// close closes the layer once; later calls return the first result.
func (p *process) close() error {
	p.closeOnce.Do(func() { p.closeErr = p.Layer.Close() })
	return p.closeErr
}

// openProcesses asks the factory for n layers, registers a recorder on each
// and closes them at the end of the test. It skips the test when the layer
// cannot stand for n processes.
func openProcesses(t *testing.T, newLayers Factory, n int) []*process {
	t.Helper()
	layers := newLayers(t, n)
	if len(layers) < n {
		for _, l := range layers {
			if err := l.Close(); err != nil {
				t.Errorf("close layer: %v", err)
			}
		}
		if n == 1 {
			t.Fatalf("factory returned no layer")
		}
		t.Skipf("the layer cannot be shared between processes (asked for %d, got %d): skipping a multi-process case", n, len(layers))
	}
	procs := make([]*process, n)
	for i, l := range layers[:n] {
		p := &process{Layer: l, rec: NewRecorder()}
		l.Listen(p.rec)
		procs[i] = p
	}
	t.Cleanup(func() {
		for i, p := range procs {
			closeWithin(t, p)
			if p.rec.Overlapped() {
				t.Errorf("layer %d called its handler from two goroutines at once (the contract says one call at a time)", i)
			}
		}
	})
	return procs
}

// closeWithin closes p and fails the test if Close does not return.
func closeWithin(tb testing.TB, p *process) {
	tb.Helper()
	done := make(chan error, 1)
	go func() { done <- p.close() }()
	select {
	case err := <-done:
		if err != nil {
			tb.Errorf("Close: %v", err)
		}
	case <-time.After(waitTimeout):
		tb.Fatalf("Close did not return within %v", waitTimeout)
	}
}

// nextUser hands out user ids unique within the test binary, so that no two
// cases can see each other's envelopes even on a broker they share.
var nextUser atomic.Int64

func init() { nextUser.Store(1_000_000) }

// newUsers returns n fresh user ids.
func newUsers(n int) []int64 {
	ids := make([]int64, n)
	for i := range ids {
		ids[i] = nextUser.Add(1)
	}
	return ids
}

// fence publishes a marker to fenceUser through pub and waits until rec has
// it: everything pub published before it to users rec's process subscribes
// to has arrived by then.
func fence(t *testing.T, pub numeneon.Layer, rec *Recorder, fenceUser int64) {
	t.Helper()
	frame := fmt.Appendf(nil, `{"type":"fence","n":%d}`, nextUser.Add(1))
	if err := pub.Publish(t.Context(), numeneon.Envelope{UserID: fenceUser, Frame: frame}); err != nil {
		t.Fatalf("publish fence: %v", err)
	}
	rec.WaitForEnvelope(t, fenceUser, frame)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func frameOf(userID int64, seq int) []byte {
	return fmt.Appendf(nil, `{"type":"test","data":{"user":%d},"id":%d}`, userID, seq)
}

func mustSubscribe(t *testing.T, l numeneon.Layer, userIDs ...int64) {
	t.Helper()
	if err := l.Subscribe(t.Context(), userIDs...); err != nil {
		t.Fatalf("Subscribe(%v): %v", userIDs, err)
	}
}

func mustUnsubscribe(t *testing.T, l numeneon.Layer, userIDs ...int64) {
	t.Helper()
	if err := l.Unsubscribe(t.Context(), userIDs...); err != nil {
		t.Fatalf("Unsubscribe(%v): %v", userIDs, err)
	}
}

func mustPublish(t *testing.T, l numeneon.Layer, envs ...numeneon.Envelope) {
	t.Helper()
	if err := l.Publish(t.Context(), envs...); err != nil {
		t.Fatalf("Publish(%d envelopes): %v", len(envs), err)
	}
}
