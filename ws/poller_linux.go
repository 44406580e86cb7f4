package ws

import (
	"io"
	"log/slog"
	"sync"
	"syscall"
)

// poller is the process's epoll instance: it watches every idle connection
// for bytes to read, so none needs a goroutine of its own meanwhile. A
// connection is armed with EPOLLONESHOT: one event starts one read, and the
// reader arms it again when the socket would block, so two reads of one
// connection never overlap.
type poller struct {
	epfd int

	mu    sync.Mutex
	conns map[uint64]*Conn
	next  uint64
}

var (
	pollerOnce sync.Once
	pollerInst *poller
)

// thePoller returns the process's poller, or nil when epoll is not
// available (connections then read on a goroutine each).
func thePoller() *poller {
	pollerOnce.Do(func() {
		fd, err := syscall.EpollCreate1(syscall.EPOLL_CLOEXEC)
		if err != nil {
			slog.Warn("websocket: epoll unavailable; one goroutine per connection", "error", err)
			return
		}
		pollerInst = &poller{epfd: fd, conns: make(map[uint64]*Conn)}
		go pollerInst.run()
	})
	return pollerInst
}

const armEvents = syscall.EPOLLIN | syscall.EPOLLRDHUP | syscall.EPOLLONESHOT

// arm asks for one event when c has something to read (or has closed).
func (p *poller) arm(c *Conn) error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	op := syscall.EPOLL_CTL_MOD
	if !c.registered {
		op = syscall.EPOLL_CTL_ADD
		c.registered = true
		p.mu.Lock()
		p.next++
		c.id = p.next
		p.conns[c.id] = c
		p.mu.Unlock()
	}
	id := c.id
	c.mu.Unlock()
	ev := syscall.EpollEvent{Events: armEvents, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
	var cerr error
	if err := c.raw.Control(func(fd uintptr) { cerr = syscall.EpollCtl(p.epfd, op, int(fd), &ev) }); err != nil {
		return err
	}
	return cerr
}

// remove forgets c before its socket is closed.
func (p *poller) remove(c *Conn) {
	p.mu.Lock()
	delete(p.conns, c.id)
	p.mu.Unlock()
	_ = c.raw.Control(func(fd uintptr) { _ = syscall.EpollCtl(p.epfd, syscall.EPOLL_CTL_DEL, int(fd), nil) })
}

func (p *poller) run() {
	events := make([]syscall.EpollEvent, 256)
	for {
		n, err := syscall.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == syscall.EINTR {
				continue
			}
			// Not expected with a valid epoll descriptor; keep trying
			// rather than leave every connection unread.
			slog.Error("websocket: epoll_wait", "error", err)
			continue
		}
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			p.mu.Lock()
			c := p.conns[id]
			p.mu.Unlock()
			if c != nil {
				c.ready()
			}
		}
	}
}

// readNonblocking reads what the socket has, without waiting.
func (c *Conn) readNonblocking(p []byte) (int, error) {
	var n int
	var rerr error
	err := c.raw.Read(func(fd uintptr) bool {
		for {
			n, rerr = syscall.Read(int(fd), p)
			if rerr != syscall.EINTR {
				return true
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case rerr == syscall.EAGAIN:
		return 0, errWouldBlock
	case rerr != nil:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
