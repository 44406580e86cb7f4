//go:build !linux

package ws

// poller is only implemented on Linux; elsewhere every connection reads on
// a goroutine of its own.
type poller struct{}

func thePoller() *poller { return nil }

func (p *poller) arm(c *Conn) error { return nil }

func (p *poller) remove(c *Conn) {}

func (c *Conn) readNonblocking(p []byte) (int, error) { return c.nc.Read(p) }
