package layertest

import (
	"context"
	"sync"

	"github.com/numeneon/numeneon"
)

// CommitRecorder is a numeneon.LayerHandler that records each envelope and
// whether its notification was already visible in the store when it
// arrived: the check that an event is published only after the transaction
// that stored it committed.
type CommitRecorder struct {
	store numeneon.Store
	mu    sync.Mutex
	got   []Delivery
}

// Delivery is one envelope a CommitRecorder received.
type Delivery struct {
	Env       numeneon.Envelope
	Committed bool // the notification was readable from the store on arrival
}

var _ numeneon.LayerHandler = (*CommitRecorder)(nil)

// NewCommitRecorder returns a recorder that checks envelopes against store.
func NewCommitRecorder(store numeneon.Store) *CommitRecorder {
	return &CommitRecorder{store: store}
}

// DeliverEnvelope implements numeneon.LayerHandler.
func (r *CommitRecorder) DeliverEnvelope(env numeneon.Envelope) {
	notes, err := r.store.ListNotifications(context.Background(), env.UserID, env.ID-1, 1)
	committed := err == nil && len(notes) == 1 && notes[0].ID == env.ID
	r.mu.Lock()
	r.got = append(r.got, Delivery{Env: env, Committed: committed})
	r.mu.Unlock()
}

// LayerReconnected implements numeneon.LayerHandler.
func (r *CommitRecorder) LayerReconnected() {}

// Deliveries returns what was received so far, in order.
func (r *CommitRecorder) Deliveries() []Delivery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Delivery(nil), r.got...)
}
