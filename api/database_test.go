package api_test

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/internal/teststore"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/sqlite"
)

// onBothDatabases runs fn against a server over SQLite, then one over a
// fresh PostgreSQL database (skipped when PostgreSQL is absent, unless
// NUMENEON_REQUIRE_SERVICES=1), so a route behaves the same on both. Each
// server knows how to open its database directly (ts.sqlDriver, ts.sqlDSN),
// for the tests that compare its tables before and after a request.
func onBothDatabases(t *testing.T, cfg api.Config, fn func(t *testing.T, ts *testServer)) {
	t.Helper()
	t.Run("SQLite", func(t *testing.T) { fn(t, newSQLiteTestServer(t, cfg)) })
	t.Run("PostgreSQL", func(t *testing.T) { fn(t, newPostgresTestServer(t, cfg)) })
}

// newSQLiteTestServer is newTestServer over a fresh SQLite file whose path
// it keeps.
func newSQLiteTestServer(t *testing.T, cfg api.Config) *testServer {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	store, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatalf("open store: %v", err)
	}
	t.Cleanup(func() { store.Close() })
	if err := store.Migrate(ctx); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	ts := newTestServerOn(t, cfg, store)
	ts.sqlDriver, ts.sqlDSN = "sqlite", path+"?_pragma=query_only(1)&_pragma=busy_timeout(10000)"
	return ts
}

// newPostgresTestServer is newTestServer over a fresh PostgreSQL database.
func newPostgresTestServer(t *testing.T, cfg api.Config) *testServer {
	t.Helper()
	url := testsvc.PostgresURL(t)
	ts := newTestServerOn(t, cfg, teststore.PostgresAt(t, url))
	ts.sqlDriver, ts.sqlDSN = "pgx", url
	return ts
}
