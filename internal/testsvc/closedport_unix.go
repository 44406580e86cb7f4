//go:build unix

package testsvc

import (
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

// ClosedPort returns a loopback TCP port on which nothing listens, held
// until the test ends: a socket is bound to it but never listens, so
// connections to it are refused, and nothing else can bind it meanwhile (a
// port found free and released could be taken by another test at once).
func ClosedPort(tb testing.TB) int {
	tb.Helper()
	// SOCK_CLOEXEC is not everywhere (macOS): close-on-exec is set after,
	// under ForkLock so no process started meanwhile inherits the socket.
	syscall.ForkLock.RLock()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM, 0)
	if err == nil {
		unix.CloseOnExec(fd)
	}
	syscall.ForkLock.RUnlock()
	if err != nil {
		tb.Fatalf("closed port: socket: %v", err)
	}
	tb.Cleanup(func() { _ = unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		tb.Fatalf("closed port: bind: %v", err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		tb.Fatalf("closed port: getsockname: %v", err)
	}
	return sa.(*unix.SockaddrInet4).Port
}
