package layertest

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/numeneon/numeneon"
)

// RunSingle runs the cases that need one process: what a process publishes to
// the users it subscribes to comes back to its own handler.
func RunSingle(t *testing.T, newLayers Factory) {
	t.Run("DeliversOnceUnchanged", func(t *testing.T) { testDeliversOnceUnchanged(t, newLayers) })
	t.Run("SkipsUnsubscribedUsers", func(t *testing.T) { testSkipsUnsubscribedUsers(t, newLayers) })
	t.Run("SubscribeIsIdempotent", func(t *testing.T) { testSubscribeIsIdempotent(t, newLayers) })
	t.Run("KeepsPublishOrderPerUser", func(t *testing.T) { testKeepsPublishOrderPerUser(t, newLayers) })
	t.Run("ConcurrentPublishersDeliverEverything", func(t *testing.T) { testConcurrentPublishers(t, newLayers) })
	t.Run("CloseStopsPublish", func(t *testing.T) { testCloseStopsPublish(t, newLayers) })
	t.Run("CloseDuringPublish", func(t *testing.T) { testCloseDuringPublish(t, newLayers) })
}

func testDeliversOnceUnchanged(t *testing.T, newLayers Factory) {
	big := bytes.Repeat([]byte(`{"type":"x","data":"0123456789abcdef"}`), 8<<10)
	tests := []struct {
		name string
		id   int64
		make func() []byte
	}{
		{"json frame", 42, func() []byte { return []byte(`{"type":"new_message","data":{"content":"hi"},"id":42}`) }},
		{"binary frame", 7, func() []byte { return []byte{0, '\n', ',', ':', 0xff, 0xfe, '\r', '\n', '1', '2', ' ', 0} }},
		{"unstored event", 0, func() []byte { return []byte(`{"type":"typing","data":{"user":{"id":1}}}`) }},
		{"largest id", 1<<63 - 1, func() []byte { return []byte(`{}`) }},
		{"empty frame", 3, func() []byte { return []byte{} }},
		{"large frame", 9, func() []byte { return big }},
	}
	p := openProcesses(t, newLayers, 1)[0]
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			user := newUsers(1)[0]
			mustSubscribe(t, p, user)
			want := numeneon.Envelope{UserID: user, ID: tt.id, Frame: tt.make()}
			mustPublish(t, p, want)
			// A second envelope of the same user is the fence: per-user order
			// means a duplicate of the first would come before it.
			marker := numeneon.Envelope{UserID: user, ID: tt.id, Frame: []byte(`"marker"`)}
			mustPublish(t, p, marker)
			p.rec.WaitForCount(t, user, 2)

			got := p.rec.Envelopes(user)
			if diff := cmp.Diff(views(want, marker), views(got...)); diff != "" {
				t.Errorf("envelopes received (-want +got):\n%s", diff)
			}
		})
	}
}

func testSkipsUnsubscribedUsers(t *testing.T, newLayers Factory) {
	p := openProcesses(t, newLayers, 1)[0]
	users := newUsers(4)
	never, unsubscribed, unsubscribedInBatch, kept := users[0], users[1], users[2], users[3]
	mustSubscribe(t, p, unsubscribed, unsubscribedInBatch, kept)
	mustUnsubscribe(t, p, unsubscribed)
	mustUnsubscribe(t, p, unsubscribedInBatch, newUsers(1)[0])

	for _, u := range []int64{never, unsubscribed, unsubscribedInBatch} {
		mustPublish(t, p, numeneon.Envelope{UserID: u, ID: 1, Frame: frameOf(u, 1)})
	}
	fence(t, p, p.rec, kept)

	for _, u := range []int64{never, unsubscribed, unsubscribedInBatch} {
		if got := p.rec.Envelopes(u); len(got) != 0 {
			t.Errorf("user %d is not subscribed but %d envelopes arrived: %q", u, len(got), got[0].Frame)
		}
	}
}

func testSubscribeIsIdempotent(t *testing.T, newLayers Factory) {
	p := openProcesses(t, newLayers, 1)[0]
	users := newUsers(2)
	twice, resubscribed := users[0], users[1]

	mustSubscribe(t, p, twice, twice)
	mustSubscribe(t, p, twice)
	mustSubscribe(t, p, resubscribed)
	mustUnsubscribe(t, p, resubscribed)
	mustUnsubscribe(t, p, resubscribed)
	mustSubscribe(t, p, resubscribed)

	for _, u := range users {
		mustPublish(t, p, numeneon.Envelope{UserID: u, ID: 1, Frame: frameOf(u, 1)})
		mustPublish(t, p, numeneon.Envelope{UserID: u, ID: 2, Frame: frameOf(u, 2)})
	}
	for _, u := range users {
		p.rec.WaitForCount(t, u, 2)
		if diff := cmp.Diff([]int64{1, 2}, ids(p.rec.Envelopes(u))); diff != "" {
			t.Errorf("ids received by user %d (-want +got):\n%s", u, diff)
		}
	}

	// One Unsubscribe undoes any number of Subscribes.
	mustUnsubscribe(t, p, twice)
	mustPublish(t, p, numeneon.Envelope{UserID: twice, ID: 3, Frame: frameOf(twice, 3)})
	fence(t, p, p.rec, resubscribed)
	if diff := cmp.Diff([]int64{1, 2}, ids(p.rec.Envelopes(twice))); diff != "" {
		t.Errorf("after one Unsubscribe, ids received by user %d (-want +got):\n%s", twice, diff)
	}
}

func testKeepsPublishOrderPerUser(t *testing.T, newLayers Factory) {
	const oneByOne, inOneCall = 300, 100
	p := openProcesses(t, newLayers, 1)[0]
	user := newUsers(1)[0]
	mustSubscribe(t, p, user)

	var want []int64
	for i := 1; i <= oneByOne; i++ {
		mustPublish(t, p, numeneon.Envelope{UserID: user, ID: int64(i), Frame: frameOf(user, i)})
		want = append(want, int64(i))
	}
	batch := make([]numeneon.Envelope, 0, inOneCall)
	for i := oneByOne + 1; i <= oneByOne+inOneCall; i++ {
		batch = append(batch, numeneon.Envelope{UserID: user, ID: int64(i), Frame: frameOf(user, i)})
		want = append(want, int64(i))
	}
	mustPublish(t, p, batch...)

	p.rec.WaitForCount(t, user, len(want))
	if diff := cmp.Diff(want, ids(p.rec.Envelopes(user))); diff != "" {
		t.Errorf("ids in arrival order (-want +got):\n%s", diff)
	}
}

// publishAll publishes perUser envelopes (ids 1..perUser) to each user from
// `publishers` goroutines through the given layers. Each user belongs to one
// goroutine, so its envelopes have one publisher and a defined order; even
// goroutines publish a round of their users in one call, odd ones one call
// per envelope.
func publishAll(t *testing.T, layers []numeneon.Layer, users []int64, perUser, publishers int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, publishers)
	for g := range publishers {
		var mine []int64
		for i, u := range users {
			if i%publishers == g {
				mine = append(mine, u)
			}
		}
		pub := layers[g%len(layers)]
		wg.Go(func() {
			for seq := 1; seq <= perUser; seq++ {
				round := make([]numeneon.Envelope, 0, len(mine))
				for _, u := range mine {
					round = append(round, numeneon.Envelope{UserID: u, ID: int64(seq), Frame: frameOf(u, seq)})
				}
				if g%2 == 0 {
					if err := pub.Publish(t.Context(), round...); err != nil {
						errs <- err
						return
					}
					continue
				}
				for _, env := range round {
					if err := pub.Publish(t.Context(), env); err != nil {
						errs <- err
						return
					}
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("Publish: %v", err)
	}
}

// checkAllArrived waits until every user has perUser envelopes at rec and
// checks they are ids 1..perUser in order, each once.
func checkAllArrived(t *testing.T, rec *Recorder, users []int64, perUser int) {
	t.Helper()
	want := make([]int64, perUser)
	for i := range want {
		want[i] = int64(i + 1)
	}
	rec.WaitFor(t, "every envelope", func(r *Recorder) bool {
		for _, u := range users {
			if r.Count(u) < perUser {
				return false
			}
		}
		return true
	})
	for _, u := range users {
		if diff := cmp.Diff(want, ids(rec.Envelopes(u))); diff != "" {
			t.Errorf("user %d: ids in arrival order (-want +got):\n%s", u, diff)
		}
	}
}

func testConcurrentPublishers(t *testing.T, newLayers Factory) {
	const userCount, perUser, publishers = 40, 50, 8
	p := openProcesses(t, newLayers, 1)[0]
	users := newUsers(userCount)
	mustSubscribe(t, p, users...)
	publishAll(t, []numeneon.Layer{p}, users, perUser, publishers)
	checkAllArrived(t, p.rec, users, perUser)
	if got, want := p.rec.Total(), userCount*perUser; got != want {
		t.Errorf("received %d envelopes in total, want %d", got, want)
	}
}

func testCloseStopsPublish(t *testing.T, newLayers Factory) {
	p := openProcesses(t, newLayers, 1)[0]
	user := newUsers(1)[0]
	mustSubscribe(t, p, user)
	mustPublish(t, p, numeneon.Envelope{UserID: user, ID: 1, Frame: frameOf(user, 1)})
	p.rec.WaitForCount(t, user, 1)

	closeWithin(t, p)
	before := p.rec.Total()
	if err := p.Publish(t.Context(), numeneon.Envelope{UserID: user, ID: 2, Frame: frameOf(user, 2)}); err == nil {
		t.Errorf("Publish after Close returned no error")
	}
	// Neither may panic; whether they fail is up to the implementation.
	_ = p.Subscribe(t.Context(), newUsers(1)...)
	_ = p.Unsubscribe(t.Context(), user)
	if got := p.rec.Total(); got != before {
		t.Errorf("handler received %d envelopes after Close returned", got-before)
	}
}

func testCloseDuringPublish(t *testing.T, newLayers Factory) {
	const publishers = 4
	p := openProcesses(t, newLayers, 1)[0]
	user := newUsers(1)[0]
	mustSubscribe(t, p, user)

	stopped := make(chan struct{})
	var wg sync.WaitGroup
	for range publishers {
		wg.Go(func() {
			for seq := 1; ; seq++ {
				if err := p.Publish(t.Context(), numeneon.Envelope{UserID: user, ID: int64(seq), Frame: frameOf(user, seq)}); err != nil {
					return // closed: the outcome we wait for
				}
				select {
				case <-stopped:
					return
				default:
				}
			}
		})
	}
	p.rec.WaitForCount(t, user, 20)
	closeWithin(t, p)

	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(waitTimeout):
		close(stopped)
		t.Fatalf("publishers kept succeeding (or blocked) for %v after Close", waitTimeout)
	}
	if err := p.Publish(t.Context(), numeneon.Envelope{UserID: user, ID: 1, Frame: frameOf(user, 1)}); err == nil {
		t.Errorf("Publish after Close returned no error")
	}
}

// envelopeView is an envelope as compared by the suite: a string frame diffs
// fast and readably, and makes nil and empty frames equal.
type envelopeView struct {
	UserID, ID int64
	Frame      string
}

func views(envs ...numeneon.Envelope) []envelopeView {
	out := make([]envelopeView, len(envs))
	for i, env := range envs {
		out[i] = envelopeView{UserID: env.UserID, ID: env.ID, Frame: string(env.Frame)}
	}
	return out
}

func ids(envs []numeneon.Envelope) []int64 {
	out := make([]int64, len(envs))
	for i, env := range envs {
		out[i] = env.ID
	}
	return out
}
