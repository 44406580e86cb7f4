package inmem

import (
	"context"
	"sync"

	"github.com/numeneon/numeneon"
)

var _ numeneon.Presence = (*Presence)(nil)

// Presence counts the sockets of each user held by this process. With one
// process, that is everywhere.
type Presence struct {
	mu     sync.Mutex
	online map[int64]int
}

// NewPresence returns an empty in-process presence.
func NewPresence() *Presence {
	return &Presence{online: make(map[int64]int)}
}

// Connect implements numeneon.Presence. The hub calls it once per user when
// the user's first local socket opens.
func (p *Presence) Connect(ctx context.Context, userID int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.online[userID]++
	return p.online[userID] == 1, nil
}

// Disconnect implements numeneon.Presence.
func (p *Presence) Disconnect(ctx context.Context, userID int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	n, ok := p.online[userID]
	if !ok {
		return false, nil
	}
	if n <= 1 {
		delete(p.online, userID)
		return true, nil
	}
	p.online[userID] = n - 1
	return false, nil
}

// Online implements numeneon.Presence.
func (p *Presence) Online(ctx context.Context, userID int64) (bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.online[userID] > 0, nil
}

// OnlineAmong implements numeneon.Presence.
func (p *Presence) OnlineAmong(ctx context.Context, userIDs []int64) (map[int64]bool, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	online := make(map[int64]bool)
	for _, id := range userIDs {
		if p.online[id] > 0 {
			online[id] = true
		}
	}
	return online, nil
}

// Listen implements numeneon.Presence. A single process never loses another
// process's sockets, so fn is never called.
func (p *Presence) Listen(fn func(userIDs []int64)) {}

// Close implements numeneon.Presence.
func (p *Presence) Close() error { return nil }
