package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/ws"
)

// replayPageSize is how many stored notifications one store read returns
// during a replay; each page goes out in one write.
const replayPageSize = 500

// A socket is one WebSocket connection of an authenticated user, and the
// connection's ws.Handler.
//
// Reading costs no goroutine: ws calls Message when the client sends
// something. Writing is done by a writer goroutine that exists only while
// there is something to write. Everybody else — the hub delivering an
// event, the reader answering a ping, the timer, Closed — only records a
// request (requests) and wakes the writer; nobody but the writer touches
// the connection's output, and nobody ever waits for it.
//
// The writer's life is a small state machine, guarded by mu:
//
//	opening --ready-------------------> idle
//	idle    --a request---------------> writing   (a writer goroutine starts)
//	writing --no request left---------> idle      (the goroutine ends)
//	writing --the socket must end-----> closed    (close frame sent, or connection aborted)
//
// While opening, requests are recorded but no writer starts: the first
// one starts when the socket is set up. Once closed, requests are dropped.
// An idle socket therefore costs no goroutine.
type socket struct {
	hub    *Hub
	conn   *ws.Conn
	userID int64
	// ctx ends when the hub closes or the connection is gone; it bounds
	// the writer's store reads, so a hung store never outlives the client.
	ctx    context.Context
	cancel context.CancelFunc
	// timer wakes the writer for the next ping, pong check or deadline.
	timer *time.Timer

	mu      sync.Mutex
	state   socketState
	pending requests
	writers sync.WaitGroup // the writer goroutine, for Closed to wait for

	// Owned by the reader: the budget of client messages that cost the
	// server a query or a publish (typing, resume), made on first use so
	// an idle socket does not carry it.
	costly *rate.Limiter

	// Owned by the writer goroutine (one at a time; handed over under mu).
	out writerState
}

// socketState is where a socket's writer is; see socket.
type socketState uint8

const (
	stateOpening socketState = iota
	stateIdle
	stateWriting
	stateClosed
)

// requests is the work recorded for the writer since it last looked.
type requests struct {
	frames      []outFrame
	queuedBytes int
	resume      bool      // replay every stored event after resumeFrom
	resumeFrom  int64     // the client's last seen id
	catchUp     bool      // send what the store has after the last id sent (a gap or a layer reconnect)
	timer       bool      // the timer fired: ping, check the pong, check the deadline
	reauth      time.Time // a fresh token moved the deadline here; zero: none
	end         endReason
	sessionCode ws.StatusCode // the close code of endSessionEnded
}

func (r *requests) empty() bool {
	return len(r.frames) == 0 && !r.resume && !r.catchUp && !r.timer && r.reauth.IsZero() && r.end == endNone
}

// outFrame is one message waiting in a socket's queue.
type outFrame struct {
	id    int64  // stored notification id; 0 for frames that are not stored
	frame []byte // shared with other sockets: never modified
	event bool   // an event from the layer, as opposed to a reply to the client
}

// endReason says why a socket must end; closeFor turns it into a close
// code. The first reason recorded wins.
type endReason uint8

const (
	endNone         endReason = iota
	endPeerGone               // the connection ended under the reader: nothing to send
	endShutdown               // Hub.Close: 1012
	endSetupFailed            // the socket could not be set up: 1013
	endSlowConsumer           // the queue overflowed: 4008
	endTokenExpired           // the token's time is up: {"type":"token_expired"}, then 4001
	endSessionEnded           // a session-end envelope: its code (4001 signed out, 4003 deactivated)
	endStoreFailed            // a store read failed while catching up: 1011
)

var tokenExpiredFrame = []byte(`{"type":"token_expired"}`)

// writerState is what the writer keeps between its runs.
type writerState struct {
	greeting []byte    // connection_established, until it is sent
	sent     int64     // the socket's position: the last stored id sent, or where it started
	known    bool      // sent is meaningful
	written  int64     // the highest stored id this socket has written; 0: none
	deadline time.Time // when the socket's authentication is up; zero: never
	pings    pingClock
}

func newSocket(h *Hub, conn *ws.Conn, u *numeneon.User, deadline time.Time) *socket {
	s := &socket{hub: h, conn: conn, userID: u.ID}
	s.out.deadline = deadline
	s.ctx, s.cancel = context.WithCancel(h.ctx)
	s.out.greeting, _ = json.Marshal(struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		UserID  int64  `json:"user_id"`
	}{"connection_established", "Connected as " + u.Username, u.ID})
	return s
}

// openSocket sets up an authenticated socket whose user holds a
// reservation (Hub.reserve): it receives its user's envelopes and knows
// where to start. It returns nil when the socket could not be set up; the
// connection is closed and the reservation given back then. On success the caller hands
// the connection to the socket with conn.Start(s) (or SetHandler).
func (h *Hub) openSocket(conn *ws.Conn, g numeneon.AccessGrant, since int64, hasSince bool) *socket {
	u := g.User
	s := newSocket(h, conn, u, h.cfg.SocketTokenExpiry.deadline(g))
	if hasSince {
		s.requestResume(since)
	}
	if err := h.attach(s); err != nil {
		s.cancel()
		h.unreserve(u.ID)
		code := ws.StatusTryAgainLater
		if h.ctx.Err() != nil {
			code = ws.StatusServiceRestart
		} else {
			h.log.Error("attach socket", "user_id", u.ID, "error", err)
		}
		conn.Close(code, "try again later")
		return nil
	}
	if !hasSince {
		// Without a resume point the socket starts at the newest stored
		// event, read after subscribing: from then on every live event is
		// checked for gaps and duplicates, so one that overtakes another
		// (two commits published at once) cannot hide the other. Nothing
		// stored after that id can be missing yet, so there is nothing to
		// replay.
		last, err := h.lastNotificationID(s.ctx, u.ID)
		if err != nil {
			if h.ctx.Err() == nil {
				h.log.Error("read last notification id", "user_id", u.ID, "error", err)
			}
			s.requestEnd(endSetupFailed)
		}
		s.out.sent, s.out.known = last, true
	}
	h.open.Add(1)
	h.metrics.socketsOpen.Inc()
	h.log.Debug("socket opened", "user_id", u.ID)

	now := time.Now()
	s.out.pings.start(now, h.cfg.PingInterval)
	s.timer = time.AfterFunc(s.nextTick(now), s.onTimer)
	s.mu.Lock()
	s.state = stateIdle
	s.wakeWriterLocked() // the greeting, and whatever was asked meanwhile
	s.mu.Unlock()
	return s
}

// Closed implements ws.Handler: the connection has closed, whoever closed
// it. It waits for the writer and takes the socket off the hub.
func (s *socket) Closed(_ *ws.Conn, err error) {
	h := s.hub
	defer h.wg.Done()
	var ce *ws.CloseError
	if errors.As(err, &ce) {
		h.log.Debug("socket closed", "user_id", s.userID, "code", int(ce.Code))
	} else {
		h.log.Debug("socket closed", "user_id", s.userID, "error", err)
	}
	s.cancel() // a store read of the writer ends now: nobody is listening
	s.requestEnd(endPeerGone)
	s.writers.Wait()
	s.timer.Stop()

	h.detach(s)
	h.open.Add(-1)
	h.metrics.socketsOpen.Dec()
}

// wakeWriterLocked starts a writer goroutine for a request just recorded,
// if the socket is idle. A running writer sees the request before it ends;
// an opening socket starts its writer when it is set up; a closed one
// wants nothing more. The caller holds s.mu.
func (s *socket) wakeWriterLocked() {
	if s.state != stateIdle {
		return
	}
	s.state = stateWriting
	s.writers.Add(1)
	go s.write()
}

// enqueue adds f to the queue without blocking. When the queue would exceed
// QueueBytes, the socket ends with CloseSlowConsumer: the client reconnects
// with since and loses nothing. A single frame larger than the bound is
// accepted into an empty queue, or such a frame could never be delivered.
func (s *socket) enqueue(f outFrame) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := &s.pending
	if s.state == stateClosed || p.end != endNone {
		return
	}
	if len(p.frames) > 0 && p.queuedBytes+len(f.frame) > s.hub.cfg.QueueBytes {
		clear(p.frames)
		p.frames, p.queuedBytes = p.frames[:0], 0
		s.hub.metrics.overflows.Inc()
		s.hub.log.Info("socket queue overflow", "user_id", s.userID, "queue_bytes", s.hub.cfg.QueueBytes)
		s.endLocked(endSlowConsumer)
		return
	}
	p.frames = append(p.frames, f)
	p.queuedBytes += len(f.frame)
	s.wakeWriterLocked()
}

// send queues a reply to the client (pong, error).
func (s *socket) send(frame []byte) { s.enqueue(outFrame{frame: frame}) }

func (s *socket) sendError(message string) {
	b, _ := json.Marshal(struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}{"error", message})
	s.send(b)
}

// requestResume asks the writer to replay every stored event after since.
func (s *socket) requestResume(since int64) {
	s.mu.Lock()
	s.pending.resume, s.pending.resumeFrom = true, since
	s.wakeWriterLocked()
	s.mu.Unlock()
}

// requestCatchUp asks the writer to send what the store has after the last
// id sent, if that id is known.
func (s *socket) requestCatchUp() {
	s.mu.Lock()
	s.pending.catchUp = true
	s.wakeWriterLocked()
	s.mu.Unlock()
}

// requestEnd asks the writer to end the socket.
func (s *socket) requestEnd(why endReason) {
	s.mu.Lock()
	s.endLocked(why)
	s.mu.Unlock()
}

// requestSessionEnd asks the writer to close the socket with code: the
// user's session ended elsewhere.
func (s *socket) requestSessionEnd(code ws.StatusCode) {
	s.mu.Lock()
	if s.pending.end == endNone {
		s.pending.sessionCode = code
	}
	s.endLocked(endSessionEnded)
	s.mu.Unlock()
}

// requestReauth asks the writer to move the socket's deadline to
// deadline, if that is later: the client sent a fresh token.
func (s *socket) requestReauth(deadline time.Time) {
	s.mu.Lock()
	s.pending.reauth = deadline
	s.wakeWriterLocked()
	s.mu.Unlock()
}

func (s *socket) endLocked(why endReason) {
	if s.pending.end == endNone {
		s.pending.end = why
	}
	s.wakeWriterLocked()
}

func (s *socket) onTimer() {
	s.mu.Lock()
	s.pending.timer = true
	s.wakeWriterLocked()
	s.mu.Unlock()
}

// write is the writer goroutine: it takes the recorded requests in one go
// and does them, until none is left (idle) or the socket ends (closed).
func (s *socket) write() {
	defer s.writers.Done()
	for {
		s.mu.Lock()
		if s.pending.empty() && s.out.greeting == nil {
			s.state = stateIdle
			s.mu.Unlock()
			return
		}
		work := s.pending
		s.pending = requests{}
		s.mu.Unlock()

		end := s.do(&work)
		if end == endNone {
			continue
		}
		s.close(end, work.sessionCode)
		s.mu.Lock()
		s.state = stateClosed
		s.pending = requests{}
		s.mu.Unlock()
		return
	}
}

// close ends the connection for why: with a close frame, or without one
// when nothing can reach the peer any more.
func (s *socket) close(why endReason, sessionCode ws.StatusCode) {
	switch why {
	case endPeerGone:
		s.conn.CloseNow()
	case endShutdown:
		s.conn.Close(ws.StatusServiceRestart, "service restart")
	case endSetupFailed:
		s.conn.Close(ws.StatusTryAgainLater, "try again later")
	case endSlowConsumer:
		s.conn.Close(CloseSlowConsumer, "slow consumer; reconnect with since")
	case endTokenExpired:
		if err := s.conn.Write(ws.OpText, tokenExpiredFrame, time.Now().Add(s.hub.cfg.WriteTimeout)); err != nil {
			s.writeFailed(err) // and closed the connection
			return
		}
		s.conn.Close(CloseUnauthorized, "token expired")
	case endStoreFailed:
		s.conn.Close(ws.StatusInternalError, "internal error; reconnect with since")
	case endSessionEnded:
		s.conn.Close(sessionCode, "session ended")
	}
}

// do carries out one round of requests: the greeting first, then ending,
// the timer, a resume or catch-up, and the queued frames, all written
// together. It returns why the socket must end, or endNone.
func (s *socket) do(w *requests) endReason {
	if w.end != endNone {
		return w.end
	}
	if !w.reauth.IsZero() {
		if s.out.deadline.IsZero() || w.reauth.After(s.out.deadline) {
			s.out.deadline = w.reauth
			s.timer.Reset(s.nextTick(time.Now()))
		}
	}
	b := s.newBatch()
	if s.out.greeting != nil {
		b.add(s.out.greeting, 0)
		s.out.greeting = nil
	}
	if w.timer {
		if end := s.onTick(b); end != endNone {
			return end
		}
	}
	var upTo int64 // a stored id the replay must reach; 0: unknown
	if w.resume {
		newest, err := s.resumeFrom(w.resumeFrom)
		if err != nil {
			return s.failed(err)
		}
		upTo = newest
		w.catchUp = true
	}
	if w.catchUp && s.out.known {
		if err := s.replay(b, upTo); err != nil {
			return s.failed(err)
		}
	}
	for _, f := range w.frames {
		if err := s.queueFrame(b, f); err != nil {
			return s.failed(err)
		}
	}
	if err := b.flush(); err != nil {
		return s.failed(err)
	}
	return endNone
}

// resumeFrom sets where the socket continues: after since, the client's
// last seen id, clamped to the user's newest stored id (a since from the
// future would otherwise mute every live event until ids caught up), and
// never below what this socket has written (a resume on an open socket
// must not send an event twice). A socket that started at the newest id
// without since has written nothing: a resume may replay what came before.
// It returns the newest id.
func (s *socket) resumeFrom(since int64) (int64, error) {
	newest, err := s.hub.lastNotificationID(s.ctx, s.userID)
	if err != nil {
		return 0, err
	}
	s.out.sent, s.out.known = max(min(since, newest), s.out.written), true
	return newest, nil
}

// failed chooses how the socket ends after err.
func (s *socket) failed(err error) endReason {
	switch {
	case s.hub.ctx.Err() != nil:
		return endShutdown
	case errors.Is(err, errWriteFailed), s.ctx.Err() != nil:
		return endPeerGone // the connection broke, or the reader saw it end
	case errors.Is(err, errOverflowed):
		return endSlowConsumer
	}
	s.hub.log.Error("socket writer", "user_id", s.userID, "error", err)
	return endStoreFailed
}

// onTick does what the timer fired for: a ping is due, or the pong of the
// last one is overdue. It rearms the timer.
func (s *socket) onTick(b *batch) endReason {
	cfg := &s.hub.cfg
	now := time.Now()
	if !s.out.deadline.IsZero() && !now.Before(s.out.deadline) {
		if err := b.flush(); err != nil {
			return s.failed(err)
		}
		return endTokenExpired
	}
	switch s.out.pings.check(now, s.conn.Pongs(), cfg.WriteTimeout, s.conn.Handling()) {
	case peerSilent:
		// No pong within WriteTimeout: the peer is gone, and gets no close
		// handshake.
		s.hub.log.Debug("no pong", "user_id", s.userID)
		return endPeerGone
	case pingDue:
		// Whatever is queued goes out before the ping.
		if err := b.flush(); err != nil {
			return s.failed(err)
		}
		s.out.pings.sent(now, s.conn.Pongs())
		if err := s.conn.Ping(now.Add(cfg.WriteTimeout)); err != nil {
			return s.failed(s.writeFailed(err))
		}
	}
	s.timer.Reset(s.nextTick(now))
	return endNone
}

// nextTick is how long from now until the timer must wake the writer: the
// next ping, the pong check or the deadline, whichever comes first.
func (s *socket) nextTick(now time.Time) time.Duration {
	at := s.out.pings.next(s.hub.cfg.WriteTimeout)
	if !s.out.deadline.IsZero() && s.out.deadline.Before(at) {
		at = s.out.deadline
	}
	return at.Sub(now)
}

// errWriteFailed marks a failed write: the connection is gone, so there is
// no close frame to send.
var errWriteFailed = errors.New("write to socket")

// writeFailed counts and wraps a failed write. A write that did not finish
// within WriteTimeout means the client stopped reading: its TCP window is
// full, so no close frame (4008 or any other) could reach it either. The
// connection was aborted, possibly inside a frame; the client reconnects
// with since and loses nothing.
func (s *socket) writeFailed(err error) error {
	if errors.Is(err, os.ErrDeadlineExceeded) {
		s.hub.metrics.writeTimeouts.Inc()
		s.hub.log.Info("socket write timed out; connection aborted", "user_id", s.userID, "write_timeout", s.hub.cfg.WriteTimeout)
	} else {
		s.hub.log.Debug("socket write failed", "user_id", s.userID, "error", err)
	}
	return fmt.Errorf("%w: %w", errWriteFailed, err)
}

var errOverflowed = errors.New("socket queue overflowed")

// overflowed reports whether the queue overflowed while the writer worked:
// the rest of its work is pointless then.
func (s *socket) overflowed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.pending.end == endSlowConsumer
}

// queueFrame adds one queued frame to the batch, keeping stored events in
// id order: an id already sent is dropped, an id that skips ahead is
// preceded by the missing ones from the store.
func (s *socket) queueFrame(b *batch, f outFrame) error {
	m := s.hub.metrics
	if f.id > 0 && s.out.known {
		if f.id <= s.out.sent {
			m.duplicates.Inc()
			return nil
		}
		if f.id > s.out.sent+1 {
			m.gapFills.Inc()
			if err := s.replay(b, f.id-1); err != nil {
				return err
			}
			if f.id <= s.out.sent {
				return nil
			}
		}
	}
	if err := b.add(f.frame, f.id); err != nil {
		return err
	}
	if f.event {
		b.delivered++
	}
	return nil
}

// resyncFrame tells a client that stored events it has not seen are gone
// (pruned by the notification retention): it must reload its lists rather
// than trust its screens.
var resyncFrame = []byte(`{"type":"resync"}`)

// replay adds every stored notification with an id above the last one sent
// to the batch, in order, page by page, until the store has no more. Each
// page is read within StoreTimeout, and abandoned as soon as the client is
// gone.
//
// Ids of a user have no gaps, so an id that skips ahead, or a store that
// ends before upTo (an id known to exist, 0 when none is known), means the
// events between were pruned: the batch gets one resyncFrame before what
// remains, and the socket moves past the missing ids.
func (s *socket) replay(b *batch, upTo int64) error {
	resynced := false
	resync := func() error {
		if resynced {
			return nil
		}
		resynced = true
		s.hub.log.Debug("stored events pruned before replay; resync", "user_id", s.userID, "after", s.out.sent)
		return b.add(resyncFrame, 0)
	}
	for {
		// What is ready goes out before the wait for the store.
		if err := b.flush(); err != nil {
			return err
		}
		ctx, cancel := context.WithTimeout(s.ctx, s.hub.cfg.StoreTimeout)
		ns, err := s.hub.cfg.Store.ListNotifications(ctx, s.userID, s.out.sent, replayPageSize)
		cancel()
		if err != nil {
			return fmt.Errorf("list notifications of user %d after %d: %w", s.userID, s.out.sent, err)
		}
		if len(ns) == 0 {
			if upTo > s.out.sent {
				if err := resync(); err != nil {
					return err
				}
				s.out.sent = upTo
			}
			return nil
		}
		for _, n := range ns {
			if n.ID <= s.out.sent {
				continue
			}
			if n.ID > s.out.sent+1 {
				if err := resync(); err != nil {
					return err
				}
			}
			if err := b.add(n.Envelope().Frame, n.ID); err != nil {
				return err
			}
			b.replayed++
		}
	}
}

// A batch is written once it holds batchLimit frames or batchBytes bytes:
// a long replay goes out page by page rather than all held in memory, and
// each write is small enough to finish within WriteTimeout for a client
// that reads.
const (
	batchLimit = replayPageSize
	batchBytes = 256 << 10
)

// batch gathers the frames of one writer round, to write them together
// with one system call.
type batch struct {
	s         *socket
	frames    [][]byte
	bytes     int // the size of frames
	delivered int // live events among frames, for the metrics
	replayed  int // stored events read from the store among frames
}

func (s *socket) newBatch() *batch { return &batch{s: s} }

// add appends frame (a stored event when id > 0), writing the batch first
// when it is full. The socket counts id as sent from now on: a later write
// failure ends the socket anyway.
func (b *batch) add(frame []byte, id int64) error {
	if len(b.frames) >= batchLimit || b.bytes >= batchBytes {
		if err := b.flush(); err != nil {
			return err
		}
	}
	b.frames = append(b.frames, frame)
	b.bytes += len(frame)
	if id > 0 {
		b.s.out.sent, b.s.out.known, b.s.out.written = id, true, id
	}
	return nil
}

// flush writes the frames gathered so far in one write within WriteTimeout.
func (b *batch) flush() error {
	s := b.s
	defer func() {
		clear(b.frames) // drop references to frames written
		b.frames, b.bytes = b.frames[:0], 0
	}()
	if len(b.frames) == 0 {
		return nil
	}
	if s.overflowed() {
		return errOverflowed
	}
	if err := s.conn.WriteTexts(b.frames, time.Now().Add(s.hub.cfg.WriteTimeout)); err != nil {
		return s.writeFailed(err)
	}
	m := s.hub.metrics
	m.delivered.Add(float64(b.delivered))
	m.replayed.Add(float64(b.replayed))
	b.delivered, b.replayed = 0, 0
	return nil
}
