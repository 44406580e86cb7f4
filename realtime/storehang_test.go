package realtime_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/realtime"
)

// hangingStore is a store whose ListNotifications blocks, as a hung
// database would, until it is released or the caller's context ends. entered
// receives one value per blocked call.
type hangingStore struct {
	numeneon.Store
	entered  chan struct{}
	released chan struct{}
	once     sync.Once
}

func newHangingStore(s numeneon.Store) *hangingStore {
	return &hangingStore{Store: s, entered: make(chan struct{}, 16), released: make(chan struct{})}
}

func (s *hangingStore) ListNotifications(ctx context.Context, userID, since int64, limit int) ([]*numeneon.Notification, error) {
	s.entered <- struct{}{}
	select {
	case <-s.released:
		return s.Store.ListNotifications(ctx, userID, since, limit)
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *hangingStore) release() { s.once.Do(func() { close(s.released) }) }

func (s *hangingStore) waitEntered(tb testing.TB) {
	tb.Helper()
	select {
	case <-s.entered:
	case <-time.After(10 * time.Second):
		tb.Fatal("the store was never asked for notifications")
	}
}

// A replay whose store read hangs ends after StoreTimeout with 1011, and
// the client resumes once the store is back.
func TestReplayOnHungStoreClosesWith1011(t *testing.T) {
	var store *hangingStore
	e := newEnv(t, func(c *realtime.Config) {
		store = newHangingStore(c.Store)
		c.Store = store
		c.StoreTimeout = 200 * time.Millisecond
	})
	alice := e.createUser(t, "alice")
	stored := e.storeEvent(t, alice, `{"content":"while away"}`)

	c := e.dial(t, alice, "since=0")
	store.waitEntered(t)
	c.expectClose(websocket.StatusInternalError)

	store.release()
	again := e.dial(t, alice, "since=0")
	if got := again.readIDs(stored.ID); len(got) != 1 {
		t.Errorf("after the store recovered: ids %v, want [%d]", got, stored.ID)
	}
}

// A client that leaves while its socket waits for a hung store is let go at
// once: the hub does not keep the socket until the store recovers.
func TestPeerLeavingDuringHungStoreIsDropped(t *testing.T) {
	var store *hangingStore
	e := newEnv(t, func(c *realtime.Config) {
		store = newHangingStore(c.Store)
		c.Store = store
		c.StoreTimeout = time.Hour
	})
	defer store.release()
	alice := e.createUser(t, "alice")
	e.storeEvent(t, alice, `{}`)

	c := e.dial(t, alice, "since=0")
	store.waitEntered(t)
	c.conn.CloseNow()
	waitFor(t, "the socket to be dropped while the store hangs", func() bool { return e.hub.Sockets() == 0 })
}
