package groupcommit_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/groupcommit"
	"github.com/numeneon/numeneon/internal/teststore"
)

// TestBatchTimeoutBoundsAHungDatabase: with PostgreSQL behind a proxy that
// stops forwarding, every queued write fails with a timeout once its batch
// runs out of BatchTimeout, instead of waiting for the database forever;
// when the database answers again, writes commit again.
func TestBatchTimeoutBoundsAHungDatabase(t *testing.T) {
	store, proxy := teststore.PostgresBehindProxy(t)
	ctx := context.Background()
	users := createUsers(t, store, 2)

	c := groupcommit.New(store, groupcommit.Options{BatchTimeout: 300 * time.Millisecond})
	defer c.Close()

	proxy.Stall()
	const writers = 8
	errs := make(chan error, writers)
	var wg sync.WaitGroup
	for range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var n *numeneon.Notification
			errs <- c.Update(ctx, users[1].ID, sendMessage(users[0].ID, users[1].ID, "into the void", &n))
		}()
	}
	// The bound under test is BatchTimeout per batch; the guard only keeps
	// a broken build from hanging the suite.
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(60 * time.Second):
		t.Fatal("writes to a hung database still waiting after 60 s")
	}
	close(errs)
	for err := range errs {
		if numeneon.ErrorCode(err) != numeneon.ETIMEOUT {
			t.Errorf("write to a hung database = %v (code %q), want a timeout", err, numeneon.ErrorCode(err))
		}
	}

	proxy.Resume()
	var n *numeneon.Notification
	if err := c.Update(ctx, users[1].ID, sendMessage(users[0].ID, users[1].ID, "back", &n)); err != nil {
		t.Fatalf("write after the database recovered: %v", err)
	}
	if n == nil || n.ID == 0 {
		t.Fatal("write after recovery stored no notification")
	}
}
