// Package testsvc gives tests real PostgreSQL and Redis servers.
//
// On a laptop without them the tests that need them skip. When
// NUMENEON_REQUIRE_SERVICES=1 (CI sets it) a missing service fails the test
// instead, so CI never goes green by skipping.
//
// PostgresURL and RedisURL use the shared servers named by
// NUMENEON_TEST_DATABASE_URL and NUMENEON_TEST_REDIS_URL (defaults: the local
// PostgreSQL and Redis on their standard ports). Tests that stop, restart or
// cut off a server use StartRedis, which runs a private redis-server on a
// free port and never touches the shared one.
package testsvc

import (
	"os"
	"testing"
)

// Required reports whether missing services fail tests instead of skipping.
func Required() bool {
	return os.Getenv("NUMENEON_REQUIRE_SERVICES") == "1"
}

// unavailable skips the test, or fails it when services are required.
// Unavailable skips the test, or fails it when services are required (CI):
// for helpers outside this package that start a service of their own.
func Unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	unavailable(tb, format, args...)
}

func unavailable(tb testing.TB, format string, args ...any) {
	tb.Helper()
	if Required() {
		tb.Fatalf("required service unavailable (NUMENEON_REQUIRE_SERVICES=1): "+format, args...)
	}
	tb.Skipf("service unavailable, skipping: "+format, args...)
}

func envOr(name, def string) string {
	if v := os.Getenv(name); v != "" {
		return v
	}
	return def
}
