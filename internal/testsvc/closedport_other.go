//go:build !unix

package testsvc

import "testing"

// ClosedPort returns a loopback TCP port on which nothing listened a moment
// ago. Unlike on Unix, where the port stays bound (and refusing) until the
// test ends, another process may take it in between.
func ClosedPort(tb testing.TB) int {
	tb.Helper()
	return freePort(tb)
}
