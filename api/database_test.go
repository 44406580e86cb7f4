package api_test

import (
	"testing"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/internal/teststore"
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
	store := teststore.Postgres(t)
	return newTestServerOn(t, cfg, store)
}
