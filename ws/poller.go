package ws

import (
	"errors"
	"log/slog"
)

// ErrPollerUnavailable is returned by NewPoller where epoll is not
// available: connections then read on a goroutine each.
var ErrPollerUnavailable = errors.New("websocket: no poller on this system")

// errPollerClosed is why a connection is closed when it would be watched
// by a poller that was closed.
var errPollerClosed = errors.New("websocket: poller closed")

// NewPoller returns a poller that watches idle connections for bytes to
// read, so none needs a goroutine of its own meanwhile; it logs to log (nil:
// slog.Default). Whoever serves the connections owns it: pass it in
// Options.Poller to Upgrade, and Close it once every connection using it
// has closed. It fails with ErrPollerUnavailable on systems other than
// Linux, and with the system's error if epoll cannot be set up.
func NewPoller(log *slog.Logger) (*Poller, error) {
	if log == nil {
		log = slog.Default()
	}
	return newPoller(log)
}
