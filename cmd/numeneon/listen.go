package main

import (
	"context"
	"net"
)

// listen opens the TCP listener. With reusePort several worker processes
// bind the same port (SO_REUSEPORT) and the kernel spreads connections
// between them, which only Linux does (see multipleWorkers).
func listen(ctx context.Context, addr string, reusePort bool) (net.Listener, error) {
	lc := net.ListenConfig{}
	if reusePort {
		lc.Control = reusePortControl
	}
	return lc.Listen(ctx, "tcp", addr)
}
