package main

import (
	"syscall"

	"golang.org/x/sys/unix"
)

// multipleWorkers reports whether --workers N>1 can work here: Linux
// spreads the connections of a port between the sockets bound to it with
// SO_REUSEPORT.
const multipleWorkers = true

// reusePortControl sets SO_REUSEPORT on the listening socket before bind.
func reusePortControl(network, address string, c syscall.RawConn) error {
	var serr error
	err := c.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_REUSEPORT, 1)
	})
	if err != nil {
		return err
	}
	return serr
}
