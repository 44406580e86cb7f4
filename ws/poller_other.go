//go:build !linux

package ws

import (
	"log/slog"
	"net"
	"syscall"
)

// Poller is only implemented on Linux; elsewhere every connection reads on
// a goroutine of its own.
type Poller struct{}

func newPoller(*slog.Logger) (*Poller, error) { return nil, ErrPollerUnavailable }

// Close does nothing: there is no poller to close.
func (p *Poller) Close() error { return nil }

// watchable reports whether p can watch nc: never here.
func (p *Poller) watchable(net.Conn) syscall.RawConn { return nil }

func (p *Poller) arm(*Conn) error { return nil }

func (p *Poller) remove(*Conn) {}

func (c *Conn) readNonblocking(p []byte) (int, error) { return c.nc.Read(p) }
