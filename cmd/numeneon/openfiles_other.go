//go:build !unix

package main

// openFilesLimit is 0 (unknown) where there is no RLIMIT_NOFILE (Windows,
// whose sockets are handles without such a per-process limit).
func openFilesLimit() uint64 { return 0 }
