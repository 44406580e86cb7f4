package realtime_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/realtime"
)

// slowFriendsStore holds every FriendIDs call until release is closed, as a
// loaded database would.
type slowFriendsStore struct {
	numeneon.Store
	release chan struct{}
}

func (s *slowFriendsStore) FriendIDs(ctx context.Context, userID int64) ([]int64, error) {
	select {
	case <-s.release:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	return s.Store.FriendIDs(ctx, userID)
}

// Telling friends that a user came online must not hold up the user's own
// handshake; the friends still hear it, and in order, once the store
// answers.
func TestHandshakeDoesNotWaitForPresenceFanout(t *testing.T) {
	release := make(chan struct{})
	e := newEnv(t, func(c *realtime.Config) {
		c.Store = &slowFriendsStore{Store: c.Store, release: release}
	})
	alice := e.createUser(t, "alice")
	bob := e.createUser(t, "bob")
	e.befriend(t, alice, bob)
	b := e.dial(t, bob, "")

	// Each dial checks connection_established while FriendIDs is blocked.
	a1 := e.dial(t, alice, "")
	a1.conn.CloseNow()
	waitFor(t, "alice's socket to close", func() bool { return e.hub.Sockets() == 1 })
	e.dial(t, alice, "")

	close(release)
	for i, online := range []bool{true, false, true} {
		want := fmt.Sprintf(`{"type":"presence","data":{"user_id":%d,"online":%t}}`, alice.ID, online)
		if got := b.read(); string(got.raw) != want {
			t.Fatalf("bob's presence event %d = %s, want %s", i, got.raw, want)
		}
	}
}
