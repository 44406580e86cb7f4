//go:build unix

package main

import "golang.org/x/sys/unix"

// openFilesLimit is the process's limit on open files (Go raises the soft
// limit to the hard one at start): every socket takes one, so it bounds the
// sockets a process can hold. 0 when unknown.
func openFilesLimit() uint64 {
	var rl unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &rl); err != nil {
		return 0
	}
	return uint64(rl.Cur)
}
