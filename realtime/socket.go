package realtime

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/ws"
)

// replayPageSize is how many stored notifications one store read returns
// during a replay.
const replayPageSize = 500

// outFrame is one message waiting in a socket's queue.
type outFrame struct {
	id    int64  // stored notification id; 0 for frames that are not stored
	frame []byte // shared with other sockets: never modified
	event bool   // an event from the layer, as opposed to a reply to the client
}

// stopReason says why a socket must end; the writer turns it into a close
// code.
type stopReason uint8

const (
	running     stopReason = iota
	readerGone             // the connection ended under the reader
	hubClosing             // Hub.Close: close with 1012
	cannotStart            // the socket could not be set up: close with 1013
)

// socket is one WebSocket connection of an authenticated user. It is the
// connection's ws.Handler: ws reads with no goroutine while the client is
// silent and calls Message for what it sends. Its writer runs only while
// there is something to do: every write, replay, ping and close is asked for
// through the queue and the flags below, and the first request to an idle
// socket starts a writer goroutine that ends once nothing is left. An idle
// socket therefore costs no goroutine, and nobody else ever blocks on the
// connection.
type socket struct {
	hub      *Hub
	conn     *ws.Conn
	userID   int64
	username string    // for the greeting and typing events; the rest of the user is not kept
	expiry   time.Time // the access token's; zero: never
	// timer fires at the next ping or at the token's expiry, whichever comes
	// first; the writer rearms it after each.
	timer *time.Timer

	overflowed atomic.Bool // set once; the writer closes with CloseSlowConsumer

	mu          sync.Mutex
	queue       []outFrame
	queuedBytes int
	resume      bool  // a resume from resumeSince is pending
	resumeSince int64 // the client's last seen id
	catchUp     bool  // a catch-up from the store is pending (gap or layer reconnect)
	tick        bool  // the timer fired: ping, or end the socket if the token expired
	stop        stopReason
	ready       bool           // set up: writers may run
	writing     bool           // a writer goroutine runs
	finished    bool           // the writer closed the connection: nothing more is written
	writers     sync.WaitGroup // the writer goroutine, for the reader's last wait

	// Owned by the reader: the budget of client messages that cost the
	// server a query or a publish (typing, resume), made on first use so an
	// idle socket does not carry it.
	costly *rate.Limiter

	// Owned by the writer (one at a time, ordered by mu).
	batch   []outFrame // the queue taken in one go; swapped with queue
	lastID  int64      // the last stored id sent (or the client's since)
	known   bool       // lastID is meaningful
	greeted bool       // connection_established was sent
	pinged  bool       // a ping was sent and its pong is awaited
	pongs   uint64     // the connection's pong count when it was sent
}

func newSocket(h *Hub, conn *ws.Conn, u *numeneon.User, expiry time.Time) *socket {
	return &socket{hub: h, conn: conn, userID: u.ID, username: u.Username, expiry: expiry}
}

// openSocket sets up an authenticated socket: it receives its user's
// envelopes and knows where to start. It returns nil when the socket could
// not be set up; the connection is closed then. On success the caller hands
// the connection to the socket with conn.Start(s) (or SetHandler).
func (h *Hub) openSocket(conn *ws.Conn, u *numeneon.User, expiry time.Time, since int64, hasSince bool) *socket {
	s := newSocket(h, conn, u, expiry)
	if hasSince {
		s.requestResume(since)
	}
	if err := h.attach(h.ctx, s); err != nil {
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
		last, err := h.lastNotificationID(u.ID)
		if err != nil {
			if h.ctx.Err() == nil {
				h.log.Error("read last notification id", "user_id", u.ID, "error", err)
			}
			s.requestStop(cannotStart)
		}
		s.lastID, s.known = last, true
	}
	h.open.Add(1)
	h.metrics.socketsOpen.Inc()
	h.log.Debug("socket opened", "user_id", u.ID)

	s.timer = time.AfterFunc(s.nextTick(time.Now()), s.onTimer)
	s.mu.Lock()
	s.ready = true
	s.startWriterLocked() // the greeting, or the close asked for meanwhile
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
	s.requestStop(readerGone)
	s.writers.Wait()
	s.timer.Stop()

	h.detach(s)
	h.open.Add(-1)
	h.metrics.socketsOpen.Dec()
}

// enqueue adds f to the queue without blocking. When the queue would exceed
// QueueBytes, the socket is marked overflowed and its writer closes it with
// CloseSlowConsumer: the client reconnects with since and loses nothing. A
// single frame larger than the bound is accepted into an empty queue, or such
// a frame could never be delivered.
func (s *socket) enqueue(f outFrame) {
	if s.overflowed.Load() {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.finished {
		return
	}
	if len(s.queue) > 0 && s.queuedBytes+len(f.frame) > s.hub.cfg.QueueBytes {
		clear(s.queue)
		s.queue = s.queue[:0]
		s.queuedBytes = 0
		if !s.overflowed.Swap(true) {
			s.hub.metrics.overflows.Inc()
			s.hub.log.Info("socket queue overflow", "user_id", s.userID, "queue_bytes", s.hub.cfg.QueueBytes)
		}
		s.startWriterLocked()
		return
	}
	s.queue = append(s.queue, f)
	s.queuedBytes += len(f.frame)
	s.startWriterLocked()
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

// startWriterLocked starts a writer goroutine for work just recorded, unless
// one runs (it will see the work before it ends), the socket is not set up
// yet (the first writer starts when it is) or the connection is closed.
// The caller holds s.mu.
func (s *socket) startWriterLocked() {
	if s.writing || !s.ready || s.finished {
		return
	}
	s.writing = true
	s.writers.Add(1)
	go s.writeLoop()
}

// requestResume asks the writer to replay every stored event after since.
func (s *socket) requestResume(since int64) {
	s.mu.Lock()
	s.resume, s.resumeSince = true, since
	s.startWriterLocked()
	s.mu.Unlock()
}

// requestCatchUp asks the writer to send what the store has after the last
// id sent, if that id is known.
func (s *socket) requestCatchUp() {
	s.mu.Lock()
	s.catchUp = true
	s.startWriterLocked()
	s.mu.Unlock()
}

// requestStop asks the writer to close the connection. The first reason
// wins: a hub shutdown seen before the reader noticed the closed connection
// still closes with 1012.
func (s *socket) requestStop(why stopReason) {
	s.mu.Lock()
	if s.stop == running {
		s.stop = why
	}
	s.startWriterLocked()
	s.mu.Unlock()
}

func (s *socket) onTimer() {
	s.mu.Lock()
	s.tick = true
	s.startWriterLocked()
	s.mu.Unlock()
}

// nextTick is how long from now until the next ping or the token's expiry.
func (s *socket) nextTick(now time.Time) time.Duration {
	d := s.hub.cfg.PingInterval
	if !s.expiry.IsZero() {
		d = min(d, s.expiry.Sub(now))
	}
	return d
}

// errWriteFailed marks a failed write: the connection is gone, so there is
// no close frame to send.
var errWriteFailed = errors.New("write to socket")

// writeLoop is a writer goroutine: it does the work asked for until none is
// left. When the socket must end, it closes the connection with the code of
// the reason and marks the socket finished, so no writer runs again.
func (s *socket) writeLoop() {
	defer s.writers.Done()
	for {
		s.mu.Lock()
		stop, tick := s.stop, s.tick
		s.tick = false
		work := stop != running || tick || !s.greeted || len(s.queue) > 0 || s.resume || s.catchUp || s.overflowed.Load()
		if !work {
			s.writing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()

		code, reason, done := s.work(stop, tick)
		if !done {
			continue
		}
		if code == 0 {
			s.conn.CloseNow()
		} else {
			s.conn.Close(code, reason)
		}
		s.mu.Lock()
		s.finished, s.writing = true, false
		clear(s.queue)
		s.queue, s.batch, s.queuedBytes = nil, nil, 0
		s.mu.Unlock()
		return
	}
}

// work does one round of what was asked: close, greet, ping or expire, then
// write what is queued. done means the socket ends with code (0: without a
// close frame).
func (s *socket) work(stop stopReason, tick bool) (code ws.StatusCode, reason string, done bool) {
	if stop != running {
		code, reason = s.stopCode(nil)
		return code, reason, true
	}
	if !s.greeted {
		s.greeted = true
		established, _ := json.Marshal(struct {
			Type    string `json:"type"`
			Message string `json:"message"`
			UserID  int64  `json:"user_id"`
		}{"connection_established", "Connected as " + s.username, s.userID})
		if err := s.write(established); err != nil {
			return 0, "", true
		}
	}
	if tick {
		now := time.Now()
		if !s.expiry.IsZero() && !now.Before(s.expiry) {
			if err := s.write([]byte(`{"type":"token_expired"}`)); err != nil {
				return 0, "", true
			}
			return CloseUnauthorized, "token expired", true
		}
		answered := s.conn.Pongs() != s.pongs
		if s.pinged && !answered && !s.conn.Handling() {
			// No pong within WriteTimeout: the peer is gone, and gets no
			// close handshake.
			s.hub.log.Debug("no pong", "user_id", s.userID)
			return 0, "", true
		}
		next := s.nextTick(now)
		switch {
		case s.pinged && !answered:
			// A message of the client is being handled; its pong may be
			// waiting behind it. Look again later.
			next = min(next, s.hub.cfg.WriteTimeout)
		case s.pinged:
			s.pinged = false
		default:
			s.pinged, s.pongs = true, s.conn.Pongs()
			if err := s.conn.Ping(now.Add(s.hub.cfg.WriteTimeout)); err != nil {
				s.hub.log.Debug("ping failed", "user_id", s.userID, "error", err)
				code, reason = s.stopCode(errWriteFailed)
				return code, reason, true
			}
			next = min(next, s.hub.cfg.WriteTimeout)
		}
		s.timer.Reset(next)
	}
	if err := s.flush(); err != nil {
		code, reason = s.stopCode(err)
		return code, reason, true
	}
	return 0, "", false
}

// stopCode chooses how the writer closes the connection after err (nil:
// a stop was requested).
func (s *socket) stopCode(err error) (ws.StatusCode, string) {
	s.mu.Lock()
	stop := s.stop
	s.mu.Unlock()
	switch {
	case stop == hubClosing || s.hub.ctx.Err() != nil:
		return ws.StatusServiceRestart, "service restart"
	case s.overflowed.Load():
		return CloseSlowConsumer, "slow consumer; reconnect with since"
	case stop == cannotStart:
		return ws.StatusTryAgainLater, "try again later"
	case stop == readerGone, errors.Is(err, errWriteFailed):
		return 0, "" // the reader stopped or the connection broke
	default:
		s.hub.log.Error("socket writer", "user_id", s.userID, "error", err)
		return ws.StatusInternalError, "internal error; reconnect with since"
	}
}

var errOverflowed = errors.New("socket queue overflowed")

// flush takes everything that piled up in the queue in one go, then runs a
// pending resume or catch-up and writes the batch: one wakeup and one lock
// per batch rather than per message.
func (s *socket) flush() error {
	s.mu.Lock()
	s.batch, s.queue = s.queue, s.batch[:0]
	s.queuedBytes = 0
	resume, since := s.resume, s.resumeSince
	catchUp := s.catchUp
	s.resume, s.catchUp = false, false
	s.mu.Unlock()
	defer clear(s.batch) // drop references to frames already written

	if s.overflowed.Load() {
		return errOverflowed
	}
	if resume {
		s.lastID, s.known = since, true
		catchUp = true
	}
	if catchUp && s.known {
		if err := s.replay(); err != nil {
			return err
		}
	}
	for _, f := range s.batch {
		if s.overflowed.Load() {
			return errOverflowed
		}
		if err := s.writeFrame(f); err != nil {
			return err
		}
	}
	return nil
}

// writeFrame writes one queued frame, keeping stored events in id order:
// an id already sent is dropped, an id that skips ahead is preceded by the
// missing ones from the store.
func (s *socket) writeFrame(f outFrame) error {
	m := s.hub.metrics
	if f.id > 0 && s.known {
		if f.id <= s.lastID {
			m.duplicates.Inc()
			return nil
		}
		if f.id > s.lastID+1 {
			m.gapFills.Inc()
			if err := s.replay(); err != nil {
				return err
			}
			if f.id <= s.lastID {
				return nil
			}
		}
	}
	if err := s.write(f.frame); err != nil {
		return err
	}
	if f.id > 0 {
		s.lastID, s.known = f.id, true
	}
	if f.event {
		m.delivered.Inc()
	}
	return nil
}

// replay writes every stored notification with an id above lastID, in
// order, page by page, until the store has no more.
func (s *socket) replay() error {
	for {
		ns, err := s.hub.cfg.Store.ListNotifications(s.hub.ctx, s.userID, s.lastID, replayPageSize)
		if err != nil {
			return fmt.Errorf("list notifications of user %d after %d: %w", s.userID, s.lastID, err)
		}
		if len(ns) == 0 {
			return nil
		}
		for _, n := range ns {
			if n.ID <= s.lastID {
				continue
			}
			if s.overflowed.Load() {
				return errOverflowed
			}
			if err := s.write(n.Envelope().Frame); err != nil {
				return err
			}
			s.lastID = n.ID
			s.hub.metrics.replayed.Inc()
		}
	}
}

// write sends one text message within WriteTimeout. A shutdown lets the
// current write finish so the close frame that follows can still be sent.
func (s *socket) write(frame []byte) error {
	if err := s.conn.Write(ws.OpText, frame, time.Now().Add(s.hub.cfg.WriteTimeout)); err != nil {
		return fmt.Errorf("%w: %w", errWriteFailed, err)
	}
	return nil
}
