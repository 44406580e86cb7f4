package postgres_test

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/teststore"
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
	return teststore.PostgresAt(tb, databaseURL)
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
