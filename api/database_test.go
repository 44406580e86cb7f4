package api_test

import (
	"context"
	"testing"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/postgres"
)

// onBothDatabases runs fn against a server over SQLite, then one over a
// fresh PostgreSQL database (skipped when PostgreSQL is absent, unless
// NUMENEON_REQUIRE_SERVICES=1), so a route behaves the same on both.
func onBothDatabases(t *testing.T, cfg api.Config, fn func(t *testing.T, ts *testServer)) {
	t.Helper()
	t.Run("SQLite", func(t *testing.T) { fn(t, newTestServer(t, cfg)) })
	t.Run("PostgreSQL", func(t *testing.T) { fn(t, newPostgresTestServer(t, cfg)) })
}

// newPostgresTestServer is newTestServer over a fresh PostgreSQL database.
func newPostgresTestServer(t *testing.T, cfg api.Config) *testServer {
	t.Helper()
	ctx := context.Background()
	store, err := postgres.Open(ctx, testsvc.PostgresURL(t))
	if err != nil {
		t.Fatalf("open postgres store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate postgres: %v", err)
	}
	return newTestServerOn(t, cfg, store)
}
