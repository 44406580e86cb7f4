// Package teststore opens migrated temporary stores for tests, on SQLite or
// PostgreSQL, so every package tests its code on both databases the same
// way. A PostgreSQL store skips its test when the server is absent, and
// fails it under NUMENEON_REQUIRE_SERVICES=1 (see internal/testsvc).
package teststore

import (
	"context"
	"net/url"
	"path/filepath"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testproxy"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/postgres"
	"github.com/numeneon/numeneon/sqlite"
)

// SQLite opens a migrated store on a new database file in a temporary
// folder; it is closed when the test ends.
func SQLite(tb testing.TB) *sqlite.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "numeneon.db"))
	if err != nil {
		tb.Fatalf("open SQLite store: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close SQLite store: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("migrate SQLite store: %v", err)
	}
	return s
}

// Postgres opens a migrated store on a new database of the test server; it
// is closed, and the database dropped, when the test ends.
func Postgres(tb testing.TB) *postgres.Store {
	tb.Helper()
	return PostgresAt(tb, testsvc.PostgresURL(tb))
}

// PostgresAt opens and migrates a store on databaseURL, for tests that also
// need the URL (another process, a listener of the same database); it is
// closed when the test ends.
func PostgresAt(tb testing.TB, databaseURL string) *postgres.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, databaseURL)
	if err != nil {
		tb.Fatalf("open PostgreSQL store: %v", err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("close PostgreSQL store: %v", err)
		}
	})
	if err := s.Migrate(ctx); err != nil {
		tb.Fatalf("migrate PostgreSQL store: %v", err)
	}
	return s
}

// PostgresBehindProxy opens a store on a new migrated database of the test
// server, reached through a testproxy.Proxy, so a test can stall or cut the
// database under it; both are closed when the test ends.
func PostgresBehindProxy(tb testing.TB) (*postgres.Store, *testproxy.Proxy) {
	tb.Helper()
	direct := testsvc.PostgresURL(tb)
	PostgresAt(tb, direct) // migrated through the direct path
	u, err := url.Parse(direct)
	if err != nil {
		tb.Fatalf("parse PostgreSQL URL: %v", err)
	}
	proxy := testproxy.Start(tb, u.Host)
	u.Host = proxy.Addr()
	s, err := postgres.Open(context.Background(), u.String())
	if err != nil {
		tb.Fatalf("open PostgreSQL store through the proxy: %v", err)
	}
	tb.Cleanup(func() { s.Close() })
	return s, proxy
}

// Opener opens a migrated temporary store: SQLite or Postgres.
type Opener func(tb testing.TB) numeneon.Store

// Each runs test once per database, as the subtests "sqlite" and
// "postgres", with the opener of that database.
func Each(t *testing.T, test func(t *testing.T, open Opener)) {
	t.Helper()
	t.Run("sqlite", func(t *testing.T) { test(t, func(tb testing.TB) numeneon.Store { return SQLite(tb) }) })
	t.Run("postgres", func(t *testing.T) { test(t, func(tb testing.TB) numeneon.Store { return Postgres(tb) }) })
}
