package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/postgres"
)

// TestMigrateConcurrently starts two stores on one empty database and
// migrates both at once, as two processes starting together would. Both must
// succeed, and the schema must then work from either.
func TestMigrateConcurrently(t *testing.T) {
	url := testsvc.PostgresURL(t)
	ctx := context.Background()
	stores := make([]*postgres.Store, 3)
	for i := range stores {
		s, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatalf("Open %d: %v", i, err)
		}
		t.Cleanup(func() { s.Close() })
		stores[i] = s
	}
	var wg sync.WaitGroup
	errs := make([]error, len(stores))
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Migrate(ctx)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Migrate of store %d: %v", i, err)
		}
	}

	// Migrating an up-to-date database is a no-op, not an error.
	if err := stores[0].Migrate(ctx); err != nil {
		t.Fatalf("Migrate again: %v", err)
	}
	u := createUser(t, stores[1], "alice")
	got, err := stores[2].FindUserByID(ctx, u.ID)
	if err != nil {
		t.Fatalf("FindUserByID through the other store: %v", err)
	}
	if got.Username != "alice" {
		t.Fatalf("found %q, want alice", got.Username)
	}
	var _ numeneon.Store = stores[0]
}
