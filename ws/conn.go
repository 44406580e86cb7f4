package ws

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
	"unicode/utf8"
)

// Handler receives what a connection reads.
type Handler interface {
	// Message is called with each complete text or binary message, one at
	// a time, in order, on a goroutine that may block: while it runs,
	// nothing more is read from this connection, and no other is held up.
	// data is only valid until Message returns.
	Message(c *Conn, op Opcode, data []byte)
	// Closed is called once, after the last Message, when the connection
	// has closed, on a goroutine of its own that may block. err says why: a
	// *CloseError with the peer's close frame (or the one this side sent
	// after a protocol error), ErrClosed when this side closed it first, or
	// the network error that ended it (io.EOF for a peer gone without a
	// close frame).
	Closed(c *Conn, err error)
}

// ErrClosed is returned by writes after Close, and reported to
// Handler.Closed when this side closed the connection.
var ErrClosed = errors.New("websocket: connection closed")

// errWouldBlock is what a non-blocking read returns when nothing is there.
var errWouldBlock = errors.New("websocket: read would block")

// readBufferSize is the size of the pooled read buffers; a frame larger
// than that gets a buffer of its own while it is read.
const readBufferSize = 4 << 10

// smallFrame is the largest payload copied next to its header to go out in
// one write; larger ones are written with writev, without a copy.
const smallFrame = 1 << 10

var (
	readBuffers  = sync.Pool{New: func() any { b := make([]byte, 0, readBufferSize); return &b }}
	writeBuffers = sync.Pool{New: func() any { b := make([]byte, 0, maxHeaderSize+smallFrame); return &b }}
)

// Conn is a server-side WebSocket connection.
type Conn struct {
	nc     net.Conn
	poller *Poller         // nil: a goroutine per connection reads
	raw    syscall.RawConn // set when the poller watches the connection
	opts   Options
	id     uint64 // the poller's key for the connection

	// Owned by the goroutine reading (one at a time; handed over under mu).
	handler   Handler
	pending   []byte // bytes received but not parsed yet: the start of a frame
	frag      []byte // the fragments so far of a message in progress
	fragOp    Opcode // that message's opcode
	inMessage bool   // a fragmented message is in progress

	pongs    atomic.Uint64
	handling atomic.Bool // Handler.Message is running
	closing  atomic.Bool // a close frame was sent or received: data messages are dropped

	wmu       sync.Mutex // one writer at a time
	closeSent bool       // guarded by wmu

	mu            sync.Mutex
	started       bool  // Start was called: Closed is due
	reading       bool  // a goroutine reads; Closed waits until it is done
	closed        bool  // the network connection is closed
	closeReceived bool  // the peer's close frame arrived
	registered    bool  // the poller knows the connection
	notified      bool  // Closed was called
	err           error // why the connection closed
	closeTimer    *time.Timer
	partialSince  time.Time   // when the frame being received began to arrive; zero: none
	partialTimer  *time.Timer // fires FrameTimeout after partialSince
}

func newConn(nc net.Conn, opts Options) *Conn {
	c := &Conn{nc: nc, opts: opts}
	if c.raw = opts.Poller.watchable(nc); c.raw != nil {
		c.poller = opts.Poller
	}
	return c
}

// Start begins reading, with h receiving what arrives. h.Closed is called
// once the connection has closed, even one closed before Start.
func (c *Conn) Start(h Handler) {
	c.handler = h
	c.mu.Lock()
	c.started = true
	if c.closed {
		c.notified = true
		err := c.err
		c.mu.Unlock()
		go h.Closed(c, err)
		return
	}
	c.reading = true
	c.mu.Unlock()
	if c.raw != nil {
		go c.read(c.readNonblocking)
	} else {
		go c.read(c.nc.Read)
	}
}

// SetHandler makes h receive what is read from now on. It may only be
// called from the current handler's Message.
func (c *Conn) SetHandler(h Handler) { c.handler = h }

// Pongs returns the number of pong frames received so far: a ping is
// answered once it grows.
func (c *Conn) Pongs() uint64 { return c.pongs.Load() }

// read parses and delivers what readMore returns until it would block (the
// poller then watches the connection again) or the connection ends. Bytes
// are read into a pooled buffer; a frame that does not fit grows a buffer
// of its own, at most doubling with what has arrived (never with what its
// header claims), which is kept as it is between reads until the frame is
// whole.
func (c *Conn) read(readMore func([]byte) (int, error)) {
	var bp *[]byte // the pooled buffer b uses, if it does
	b := c.pending
	c.pending = nil
	if b == nil {
		bp = readBuffers.Get().(*[]byte)
		b = (*bp)[:0]
	}
	release := func() {
		if bp != nil {
			*bp = (*bp)[:0]
			readBuffers.Put(bp)
			bp = nil
		}
	}
	for {
		used, need, err := c.parse(b)
		if err != nil {
			c.fail(err)
			break
		}
		b = b[:copy(b, b[used:])]
		if len(b) == cap(b) {
			nb := make([]byte, len(b), max(min(need, 2*cap(b)), len(b)+maxHeaderSize))
			copy(nb, b)
			b = nb
			release()
		}
		c.notePartial(len(b) > 0 || c.inMessage)
		n, err := readMore(b[len(b):cap(b)])
		if n > 0 {
			b = b[:len(b)+n]
			continue
		}
		if err == errWouldBlock {
			switch {
			case len(b) == 0:
			case bp != nil:
				c.pending = append(make([]byte, 0, min(need, max(2*len(b), 64))), b...)
			default:
				c.pending = b
			}
			release()
			if c.endRead() {
				c.arm()
			}
			return
		}
		if err == nil {
			err = io.ErrNoProgress
		}
		c.closeConn(err)
		break
	}
	release()
	c.endRead()
}

// notePartial records whether a frame or a fragmented message is waiting
// for the rest of its bytes, and starts the clock of its FrameTimeout when
// one begins. The clock stops when a message is whole (stopClock).
func (c *Conn) notePartial(partial bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !partial {
		c.stopClockLocked()
		return
	}
	if c.partialSince.IsZero() {
		c.partialSince = time.Now()
	}
	if c.partialTimer == nil && !c.closed {
		c.partialTimer = time.AfterFunc(c.opts.FrameTimeout, c.frameTimedOut)
	}
}

// stopClock stops the FrameTimeout clock: a message (or a control frame
// outside one) is whole, before the handler spends any time on it.
func (c *Conn) stopClock() {
	c.mu.Lock()
	c.stopClockLocked()
	c.mu.Unlock()
}

func (c *Conn) stopClockLocked() {
	c.partialSince = time.Time{}
	if c.partialTimer != nil {
		c.partialTimer.Stop()
		c.partialTimer = nil
	}
}

// frameTimedOut fails the connection if a frame or message has been
// partial for FrameTimeout; if the clock started again meanwhile, it waits
// for the rest.
func (c *Conn) frameTimedOut() {
	c.mu.Lock()
	if c.partialSince.IsZero() || c.closed {
		c.mu.Unlock()
		return
	}
	if left := c.opts.FrameTimeout - time.Since(c.partialSince); left > 0 {
		if c.partialTimer != nil {
			c.partialTimer.Reset(left)
		}
		c.mu.Unlock()
		return
	}
	c.mu.Unlock()
	c.fail(&protocolError{StatusPolicyViolation, "message not received in time"})
}

// endRead marks the end of a read. It reports whether the connection is
// still open; if not, the handler hears it has closed.
func (c *Conn) endRead() (open bool) {
	c.mu.Lock()
	c.reading = false
	if !c.closed {
		c.mu.Unlock()
		return true
	}
	notify := !c.notified
	c.notified = true
	err := c.err
	c.mu.Unlock()
	if notify {
		c.handler.Closed(c, err)
	}
	return false
}

// ready is called by the poller when the connection has something to read.
func (c *Conn) ready() {
	c.mu.Lock()
	if c.closed || c.reading {
		c.mu.Unlock()
		return
	}
	c.reading = true
	c.mu.Unlock()
	go c.read(c.readNonblocking)
}

// arm asks the poller to report the next bytes; a connection it cannot
// watch is closed.
func (c *Conn) arm() {
	if err := c.poller.arm(c); err != nil {
		c.closeConn(err)
	}
}

// protocolError is a peer's violation; the connection fails with its code.
type protocolError struct {
	code   StatusCode
	reason string
}

func (e *protocolError) Error() string { return "websocket: " + e.reason }

// errStop ends parsing after the peer's close frame.
var errStop = errors.New("websocket: stop reading")

// parse handles the complete frames at the start of b. used is how many
// bytes it consumed; need is the size the buffer must reach to hold the
// next frame whole.
func (c *Conn) parse(b []byte) (used, need int, err error) {
	for {
		h, n := parseHeader(b[used:])
		if n == 0 {
			return used, maxHeaderSize, nil
		}
		if err := c.check(h); err != nil {
			return used, 0, err
		}
		size := n + int(h.length)
		if len(b)-used < size {
			return used, size, nil
		}
		payload := b[used+n : used+size]
		used += size
		unmask(h.mask, 0, payload)
		if err := c.handle(h, payload); err != nil {
			return used, 0, err
		}
	}
}

// check validates a frame header before its payload is read, so a frame
// over the limit is refused before it is buffered.
func (c *Conn) check(h frameHeader) error {
	switch {
	case h.rsv != 0:
		return &protocolError{StatusProtocolError, "reserved bits set without an extension"}
	case h.length>>63 != 0:
		return &protocolError{StatusProtocolError, "the most significant bit of a 64-bit length must be 0"}
	case !h.masked:
		return &protocolError{StatusProtocolError, "client frames must be masked"}
	case h.op.control():
		if h.op != OpClose && h.op != OpPing && h.op != OpPong {
			return &protocolError{StatusProtocolError, "unknown opcode"}
		}
		if !h.fin || h.length > maxControlPayload {
			return &protocolError{StatusProtocolError, "control frames must be whole and at most 125 bytes"}
		}
		return nil
	case h.op == OpContinuation:
		if !c.inMessage {
			return &protocolError{StatusProtocolError, "continuation frame without a message"}
		}
	case h.op == OpText || h.op == OpBinary:
		if c.inMessage {
			return &protocolError{StatusProtocolError, "new message before the last one ended"}
		}
	default:
		return &protocolError{StatusProtocolError, "unknown opcode"}
	}
	if h.length > uint64(c.opts.ReadLimit) || uint64(len(c.frag))+h.length > uint64(c.opts.ReadLimit) {
		return &protocolError{StatusMessageTooBig, "message too big"}
	}
	return nil
}

// handle acts on one whole, unmasked frame.
func (c *Conn) handle(h frameHeader, payload []byte) error {
	if h.op.control() && !c.inMessage {
		c.stopClock()
	}
	switch h.op {
	case OpPing:
		c.wmu.Lock()
		if !c.closeSent {
			_ = c.writeLocked(OpPong, payload, time.Now().Add(c.opts.CloseTimeout))
		}
		c.wmu.Unlock()
		return nil
	case OpPong:
		c.pongs.Add(1)
		return nil
	case OpClose:
		ce, ok := parseClose(payload)
		if !ok {
			return &protocolError{StatusProtocolError, "invalid close frame"}
		}
		c.peerClosed(ce)
		return errStop
	case OpContinuation:
		c.frag = append(c.frag, payload...)
		if !h.fin {
			return nil
		}
		msg, op := c.frag, c.fragOp
		c.frag, c.inMessage = nil, false
		return c.deliver(op, msg)
	}
	if !h.fin {
		c.frag = append(make([]byte, 0, len(payload)), payload...)
		c.fragOp, c.inMessage = h.op, true
		return nil
	}
	return c.deliver(h.op, payload)
}

func (c *Conn) deliver(op Opcode, msg []byte) error {
	if op == OpText && !utf8.Valid(msg) {
		return &protocolError{StatusInvalidPayload, "text message is not valid UTF-8"}
	}
	c.stopClock()
	if c.closing.Load() {
		return nil
	}
	c.handling.Store(true)
	c.handler.Message(c, op, msg)
	c.handling.Store(false)
	return nil
}

// Handling reports whether the handler's Message is running. Bytes that
// arrived behind the message, a pong for one, are read only after it
// returns: a caller waiting for a pong should not give up meanwhile.
func (c *Conn) Handling() bool { return c.handling.Load() }

// fail ends the connection after a read error: a protocol error is
// answered with a close frame first.
func (c *Conn) fail(err error) {
	if err == errStop {
		return
	}
	var pe *protocolError
	if !errors.As(err, &pe) {
		c.closeConn(err)
		return
	}
	ce := &CloseError{Code: pe.code, Reason: pe.reason}
	_, _ = c.sendClose(closePayload(ce.Code, ce.Reason))
	c.closeConn(ce)
}

// sendClose writes a close frame with payload, unless one was sent already
// or the connection is closed (sent is false then). Writes after it fail.
func (c *Conn) sendClose(payload []byte) (sent bool, err error) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent || c.isClosed() {
		return false, nil
	}
	c.closeSent = true
	c.closing.Store(true)
	return true, c.writeLocked(OpClose, payload, time.Now().Add(c.opts.CloseTimeout))
}

// peerClosed answers the peer's close frame (unless this side sent its own
// first) and closes the connection.
func (c *Conn) peerClosed(ce *CloseError) {
	c.closing.Store(true)
	c.mu.Lock()
	c.closeReceived = true
	c.mu.Unlock()
	var payload []byte // an empty close is answered with an empty one
	if ce.Code != StatusNoStatusRcvd {
		payload = closePayload(ce.Code, "")
	}
	var why error = ErrClosed // the answer to this side's close
	if sent, _ := c.sendClose(payload); sent {
		why = ce
	}
	c.closeConn(why)
}

// Write sends one message (or a ping or pong) as a single frame; it blocks
// until the frame is written or the deadline passes. A failed write closes
// the connection; once it is closed, from either side, Write returns
// ErrClosed.
func (c *Conn) Write(op Opcode, p []byte, deadline time.Time) error {
	switch {
	case op.control() && len(p) > maxControlPayload:
		return errors.New("websocket: a control frame's payload is at most 125 bytes")
	case op == OpClose:
		return errors.New("websocket: close with Close")
	case op != OpText && op != OpBinary && op != OpPing && op != OpPong:
		return fmt.Errorf("websocket: cannot write opcode %d", op)
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent || c.isClosed() {
		return ErrClosed
	}
	return c.writeLocked(op, p, deadline)
}

// WriteTexts sends each of msgs as a text message, all in one vectored
// write (writev) under one deadline: a batch of queued messages costs one
// system call instead of one each. Failure and ErrClosed are as for Write;
// after a failure the peer may have received some of the messages, the
// last one possibly cut short.
func (c *Conn) WriteTexts(msgs [][]byte, deadline time.Time) error {
	if len(msgs) == 0 {
		return nil
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent || c.isClosed() {
		return ErrClosed
	}
	if len(msgs) == 1 {
		return c.writeLocked(OpText, msgs[0], deadline) // one frame: no vector to build
	}
	err := c.nc.SetWriteDeadline(deadline)
	if err == nil {
		bufs := textFrames(msgs)
		_, err = bufs.WriteTo(c.nc)
	}
	if err != nil {
		c.failedWrite(err)
	}
	return err
}

// textFrames lays out msgs as text frames for one writev. Headers and small
// payloads are copied into one buffer, sized first so that the slices taken
// of it stay valid; a large payload is its own element, without a copy.
func textFrames(msgs [][]byte) net.Buffers {
	size := 0
	for _, m := range msgs {
		size += maxHeaderSize
		if len(m) <= smallFrame {
			size += len(m)
		}
	}
	buf := make([]byte, 0, size)
	bufs := make(net.Buffers, 0, 2*len(msgs))
	start := 0 // where the part of buf not yet in bufs begins
	for _, m := range msgs {
		buf = appendHeader(buf, OpText, len(m))
		if len(m) <= smallFrame {
			buf = append(buf, m...)
			continue
		}
		bufs = append(bufs, buf[start:len(buf):len(buf)], m)
		start = len(buf)
	}
	if len(buf) > start {
		bufs = append(bufs, buf[start:])
	}
	return bufs
}

// Ping sends a ping; Pongs grows when the answer arrives.
func (c *Conn) Ping(deadline time.Time) error { return c.Write(OpPing, nil, deadline) }

func (c *Conn) writeLocked(op Opcode, p []byte, deadline time.Time) error {
	err := c.nc.SetWriteDeadline(deadline)
	if err == nil {
		if len(p) <= smallFrame {
			bp := writeBuffers.Get().(*[]byte)
			b := append(appendHeader((*bp)[:0], op, len(p)), p...)
			_, err = c.nc.Write(b)
			*bp = b[:0]
			writeBuffers.Put(bp)
		} else {
			var hdr [maxHeaderSize]byte
			bufs := net.Buffers{appendHeader(hdr[:0], op, len(p)), p}
			_, err = bufs.WriteTo(c.nc)
		}
	}
	if err != nil {
		c.failedWrite(err)
	}
	return err
}

// failedWrite closes the connection after a write failed: a frame may be
// cut short, so nothing more can be written, not even a close frame. The
// caller holds wmu.
func (c *Conn) failedWrite(err error) {
	c.closeSent = true
	c.closing.Store(true)
	c.closeConn(err)
}

// Close starts the close handshake: it sends a close frame with code and
// reason, and the connection closes when the peer answers, or after
// Options.CloseTimeout. It returns once the frame is written. Later writes
// fail with ErrClosed.
func (c *Conn) Close(code StatusCode, reason string) error {
	sent, err := c.sendClose(closePayload(code, reason))
	if !sent {
		return ErrClosed
	}
	if err != nil {
		return err
	}
	c.mu.Lock()
	now := c.closeReceived || !c.started // nobody reads the answer
	if !now && !c.closed && c.closeTimer == nil {
		c.closeTimer = time.AfterFunc(c.opts.CloseTimeout, func() { c.closeConn(ErrClosed) })
	}
	c.mu.Unlock()
	if now {
		c.closeConn(ErrClosed)
	}
	return nil
}

// CloseNow closes the connection without a close frame.
func (c *Conn) CloseNow() {
	c.wmu.Lock()
	c.closeSent = true
	c.wmu.Unlock()
	c.closing.Store(true)
	c.closeConn(ErrClosed)
}

// isClosed reports whether the network connection is closed.
func (c *Conn) isClosed() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.closed
}

// closeConn closes the network connection once; err is what the handler
// hears. The handler hears it now unless a goroutine is reading: that one
// tells it when it is done.
func (c *Conn) closeConn(err error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed, c.err = true, err
	if c.closeTimer != nil {
		c.closeTimer.Stop()
	}
	if c.partialTimer != nil {
		c.partialTimer.Stop()
	}
	notify := c.started && !c.reading && !c.notified
	c.notified = c.notified || notify
	registered := c.registered
	c.mu.Unlock()
	if registered {
		c.poller.remove(c)
	}
	c.nc.Close()
	if notify {
		go c.handler.Closed(c, err)
	}
}
