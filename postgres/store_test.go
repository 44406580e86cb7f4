package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/postgres"
	"github.com/numeneon/numeneon/storetest"
)

// MustOpenStore returns a migrated store on a fresh database, closed when the
// test ends.
func MustOpenStore(tb testing.TB) *postgres.Store {
	tb.Helper()
	return mustOpenStoreAt(tb, testsvc.PostgresURL(tb))
}

// mustOpenStoreAt opens and migrates a store on databaseURL.
func mustOpenStoreAt(tb testing.TB, databaseURL string) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, databaseURL)
	if err != nil {
		tb.Fatalf("Open: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) numeneon.Store { return MustOpenStore(t) })
}

func TestPostListsRunOneQuery(t *testing.T) {
	storetest.RunQueryCounts(t, func(t *testing.T) (numeneon.Store, *atomic.Int64) {
		ctx := context.Background()
		s, n, err := postgres.OpenCountingQueries(ctx, testsvc.PostgresURL(t))
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		t.Cleanup(func() { s.Close() })
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate: %v", err)
		}
		return s, n
	})
}
