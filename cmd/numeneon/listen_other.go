//go:build !linux

package main

import (
	"errors"
	"syscall"
)

// multipleWorkers is false off Linux. Windows has no SO_REUSEPORT; macOS and
// the BSDs accept it, but their kernels do not spread a port's connections
// between the processes bound to it (one worker would get them all), so
// --workers N>1 is refused by the configuration instead of half working.
// Several instances behind a proxy, each with one worker, work everywhere.
const multipleWorkers = false

// reusePortControl is never reached (multipleWorkers is false); it refuses
// rather than bind a port the workers would not share.
func reusePortControl(network, address string, c syscall.RawConn) error {
	return errors.New("several workers on one port need Linux (SO_REUSEPORT load balancing)")
}
