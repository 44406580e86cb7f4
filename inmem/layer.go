package inmem

import (
	"context"
	"sync"

	"github.com/numeneon/numeneon"
)

var _ numeneon.Layer = (*Layer)(nil)

// Layer delivers published envelopes to the handler of the same process, for
// the users subscribed. Publish calls the handler synchronously, one call at
// a time as the Layer contract promises (concurrent publishers take turns);
// the handler must not block (the realtime hub only enqueues).
type Layer struct {
	mu      sync.Mutex
	handler numeneon.LayerHandler
	subs    map[int64]struct{}
	closed  bool
}

// NewLayer returns an in-process layer.
func NewLayer() *Layer {
	return &Layer{subs: make(map[int64]struct{})}
}

// Listen implements numeneon.Layer.
func (l *Layer) Listen(h numeneon.LayerHandler) {
	l.mu.Lock()
	l.handler = h
	l.mu.Unlock()
}

// Publish implements numeneon.Layer. It delivers to the handler before it
// returns.
func (l *Layer) Publish(ctx context.Context, envs ...numeneon.Envelope) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return numeneon.Errorf(numeneon.EUNAVAILABLE, "layer closed")
	}
	if l.handler == nil {
		return nil
	}
	for _, env := range envs {
		if _, ok := l.subs[env.UserID]; ok {
			l.handler.DeliverEnvelope(env)
		}
	}
	return nil
}

// Subscribe implements numeneon.Layer.
func (l *Layer) Subscribe(ctx context.Context, userIDs ...int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range userIDs {
		l.subs[id] = struct{}{}
	}
	return nil
}

// Unsubscribe implements numeneon.Layer.
func (l *Layer) Unsubscribe(ctx context.Context, userIDs ...int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, id := range userIDs {
		delete(l.subs, id)
	}
	return nil
}

// Close implements numeneon.Layer.
func (l *Layer) Close() error {
	l.mu.Lock()
	l.closed = true
	l.mu.Unlock()
	return nil
}
