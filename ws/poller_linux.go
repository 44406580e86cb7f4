package ws

import (
	"fmt"
	"io"
	"log/slog"
	"net"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// Poller is an epoll instance: it watches every idle connection for bytes
// to read, so none needs a goroutine of its own meanwhile. A connection is
// armed with EPOLLONESHOT: one event starts one read, and the reader arms it
// again when the socket would block, so two reads of one connection never
// overlap. One goroutine waits on epoll; NewPoller starts it and Close stops
// it.
type Poller struct {
	epfd int
	log  *slog.Logger
	// wake is a pipe whose read end epoll watches under key wakeKey: Close
	// writes to it so the waiting goroutine notices and returns.
	wake [2]int
	done chan struct{} // closed when the goroutine has returned

	// ctl is held for reading around every epoll_ctl and for writing by
	// Close, so no call uses the descriptor once it is closed.
	ctl    sync.RWMutex
	closed bool

	mu    sync.Mutex
	conns map[uint64]*Conn
	next  uint64 // the last key given to a connection; keys start at 1
}

// wakeKey is the epoll key of the wake pipe; connections have keys from 1.
const wakeKey = 0

func newPoller(log *slog.Logger) (*Poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("websocket: create epoll instance: %w", err)
	}
	p := &Poller{epfd: epfd, log: log, done: make(chan struct{}), conns: make(map[uint64]*Conn)}
	if err := unix.Pipe2(p.wake[:], unix.O_NONBLOCK|unix.O_CLOEXEC); err != nil {
		unix.Close(epfd)
		return nil, fmt.Errorf("websocket: create the poller's wake pipe: %w", err)
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: wakeKey}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, p.wake[0], &ev); err != nil {
		p.closeDescriptors()
		return nil, fmt.Errorf("websocket: watch the poller's wake pipe: %w", err)
	}
	go p.run()
	return p, nil
}

// Close stops the poller's goroutine and waits for it. A connection that
// is still open and idle is never read again: close every connection first.
// Connections that would be watched afterwards are closed instead.
func (p *Poller) Close() error {
	p.ctl.Lock()
	if p.closed {
		p.ctl.Unlock()
		return nil
	}
	p.closed = true
	_, err := unix.Write(p.wake[1], []byte{0})
	p.ctl.Unlock()
	if err != nil {
		return fmt.Errorf("websocket: wake the poller: %w", err)
	}
	<-p.done
	p.closeDescriptors()
	return nil
}

func (p *Poller) closeDescriptors() {
	unix.Close(p.wake[0])
	unix.Close(p.wake[1])
	unix.Close(p.epfd)
}

// watchable returns the raw connection of nc when p can watch it (a TCP or
// Unix socket), nil otherwise.
func (p *Poller) watchable(nc net.Conn) syscall.RawConn {
	if p == nil {
		return nil
	}
	var raw syscall.RawConn
	switch nc := nc.(type) {
	case *net.TCPConn:
		raw, _ = nc.SyscallConn()
	case *net.UnixConn:
		raw, _ = nc.SyscallConn()
	}
	return raw
}

const armEvents = unix.EPOLLIN | unix.EPOLLRDHUP | unix.EPOLLONESHOT

// arm asks for one event when c has something to read (or has closed).
func (p *Poller) arm(c *Conn) error {
	p.ctl.RLock()
	defer p.ctl.RUnlock()
	if p.closed {
		return errPollerClosed
	}
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	op := unix.EPOLL_CTL_MOD
	if !c.registered {
		op = unix.EPOLL_CTL_ADD
		c.registered = true
		p.mu.Lock()
		p.next++
		c.id = p.next
		p.conns[c.id] = c
		p.mu.Unlock()
	}
	id := c.id
	c.mu.Unlock()
	ev := unix.EpollEvent{Events: armEvents, Fd: int32(uint32(id)), Pad: int32(uint32(id >> 32))}
	var cerr error
	if err := c.raw.Control(func(fd uintptr) { cerr = unix.EpollCtl(p.epfd, op, int(fd), &ev) }); err != nil {
		return err
	}
	return cerr
}

// remove forgets c before its socket is closed.
func (p *Poller) remove(c *Conn) {
	p.mu.Lock()
	delete(p.conns, c.id)
	p.mu.Unlock()
	p.ctl.RLock()
	defer p.ctl.RUnlock()
	if p.closed {
		return
	}
	_ = c.raw.Control(func(fd uintptr) { _ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil) })
}

// Bounds of the pause after a failed epoll_wait, doubled on each failure in
// a row: a descriptor that keeps failing must not spin a core or flood the
// log, and a passing fault must not leave connections unread for long.
const (
	minWaitBackoff = 10 * time.Millisecond
	maxWaitBackoff = time.Second
)

// run waits for events and starts a read for each connection that has
// something, until Close wakes it.
func (p *Poller) run() {
	defer close(p.done)
	events := make([]unix.EpollEvent, 256)
	backoff := time.Duration(0)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if err != nil {
			if err == unix.EINTR {
				continue
			}
			// Not expected with a valid epoll descriptor; keep trying,
			// more slowly, rather than leave every connection unread.
			backoff = min(max(2*backoff, minWaitBackoff), maxWaitBackoff)
			p.log.Error("websocket: epoll_wait failed", "error", err, "retry_in", backoff)
			time.Sleep(backoff)
			continue
		}
		backoff = 0
		for _, ev := range events[:n] {
			id := uint64(uint32(ev.Fd)) | uint64(uint32(ev.Pad))<<32
			if id == wakeKey {
				return
			}
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
			n, rerr = unix.Read(int(fd), p)
			if rerr != unix.EINTR {
				return true
			}
		}
	})
	switch {
	case err != nil:
		return 0, err
	case rerr == unix.EAGAIN:
		return 0, errWouldBlock
	case rerr != nil:
		return 0, rerr
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}
