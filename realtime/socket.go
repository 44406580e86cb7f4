package realtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon"
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

// socket is one WebSocket connection of an authenticated user. Its reader
// runs on the HTTP handler's goroutine, its writer on a goroutine of its own;
// everything the writer must do (write, replay, close with a code) is asked
// through the queue and the flags below, so nobody else ever blocks on the
// connection.
type socket struct {
	hub    *Hub
	conn   *websocket.Conn
	user   *numeneon.User
	expiry time.Time

	// ctx ends when the reader stops or the hub closes; it bounds store and
	// layer calls made for this socket.
	ctx    context.Context
	cancel context.CancelFunc

	wake       chan struct{} // capacity 1: "look at the queue and flags"
	overflowed atomic.Bool   // set once; the writer closes with CloseSlowConsumer

	mu          sync.Mutex
	queue       []outFrame
	queuedBytes int
	resume      bool  // a resume from resumeSince is pending
	resumeSince int64 // the client's last seen id
	catchUp     bool  // a catch-up from the store is pending (gap or layer reconnect)

	// Owned by the writer goroutine.
	batch  []outFrame // the queue taken in one go; swapped with queue
	lastID int64      // the last stored id sent (or the client's since)
	known  bool       // lastID is meaningful
}

func newSocket(h *Hub, conn *websocket.Conn, u *numeneon.User, expiry time.Time) *socket {
	s := &socket{hub: h, conn: conn, user: u, expiry: expiry, wake: make(chan struct{}, 1)}
	s.ctx, s.cancel = context.WithCancel(h.ctx)
	return s
}

// serveSocket runs an authenticated socket until it closes.
func (h *Hub) serveSocket(conn *websocket.Conn, u *numeneon.User, expiry time.Time, since int64, hasSince bool) {
	s := newSocket(h, conn, u, expiry)
	defer s.cancel()
	if hasSince {
		s.requestResume(since)
	}
	if err := h.attach(s.ctx, s); err != nil {
		code := websocket.StatusTryAgainLater
		if h.ctx.Err() != nil {
			code = websocket.StatusServiceRestart
		} else {
			h.log.Error("attach socket", "user_id", u.ID, "error", err)
		}
		conn.Close(code, "try again later")
		return
	}
	if !hasSince {
		// Without a resume point the socket starts at the newest stored
		// event, read after subscribing: from then on every live event is
		// checked for gaps and duplicates, so one that overtakes another
		// (two commits published at once) cannot hide the other.
		last, err := h.cfg.Store.LastNotificationID(s.ctx, u.ID)
		if err != nil {
			h.detach(s)
			h.log.Error("read last notification id", "user_id", u.ID, "error", err)
			conn.Close(websocket.StatusTryAgainLater, "try again later")
			return
		}
		s.requestResume(last)
	}
	h.open.Add(1)
	h.metrics.socketsOpen.Inc()
	h.log.Debug("socket opened", "user_id", u.ID)

	writerDone := make(chan struct{})
	go func() {
		defer close(writerDone)
		s.writeLoop()
	}()
	s.readLoop()
	s.cancel()
	<-writerDone

	h.detach(s)
	h.open.Add(-1)
	h.metrics.socketsOpen.Dec()
	h.log.Debug("socket closed", "user_id", u.ID)
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
	if len(s.queue) > 0 && s.queuedBytes+len(f.frame) > s.hub.cfg.QueueBytes {
		clear(s.queue)
		s.queue = s.queue[:0]
		s.queuedBytes = 0
		s.mu.Unlock()
		if !s.overflowed.Swap(true) {
			s.hub.metrics.overflows.Inc()
			s.hub.log.Info("socket queue overflow", "user_id", s.user.ID, "queue_bytes", s.hub.cfg.QueueBytes)
		}
		s.signal()
		return
	}
	s.queue = append(s.queue, f)
	s.queuedBytes += len(f.frame)
	s.mu.Unlock()
	s.signal()
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

func (s *socket) signal() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// requestResume asks the writer to replay every stored event after since.
func (s *socket) requestResume(since int64) {
	s.mu.Lock()
	s.resume, s.resumeSince = true, since
	s.mu.Unlock()
	s.signal()
}

// requestCatchUp asks the writer to send what the store has after the last
// id sent, if that id is known.
func (s *socket) requestCatchUp() {
	s.mu.Lock()
	s.catchUp = true
	s.mu.Unlock()
	s.signal()
}

// errWriteFailed marks a failed write: the connection is gone, so there is
// no close frame to send.
var errWriteFailed = errors.New("write to socket")

// writeLoop is the socket's writer goroutine. It closes the connection when
// it returns, with the code of the reason it stopped.
func (s *socket) writeLoop() {
	code, reason := s.runWriter()
	if code == 0 {
		s.conn.CloseNow()
		return
	}
	s.conn.Close(code, reason)
}

func (s *socket) runWriter() (websocket.StatusCode, string) {
	established, _ := json.Marshal(struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		UserID  int64  `json:"user_id"`
	}{"connection_established", "Connected as " + s.user.Username, s.user.ID})
	if err := s.write(established); err != nil {
		return 0, ""
	}

	ping := time.NewTicker(s.hub.cfg.PingInterval)
	defer ping.Stop()
	var expired <-chan time.Time
	if !s.expiry.IsZero() {
		t := time.NewTimer(time.Until(s.expiry))
		defer t.Stop()
		expired = t.C
	}
	for {
		select {
		case <-s.ctx.Done():
			return s.stopCode(nil)
		case <-expired:
			if err := s.write([]byte(`{"type":"token_expired"}`)); err != nil {
				return 0, ""
			}
			return CloseUnauthorized, "token expired"
		case <-ping.C:
			ctx, cancel := context.WithTimeout(s.ctx, s.hub.cfg.WriteTimeout)
			err := s.conn.Ping(ctx)
			cancel()
			if err != nil {
				// Either the peer did not answer in time or the socket is
				// ending; a dead peer gets no close handshake.
				s.hub.log.Debug("ping failed", "user_id", s.user.ID, "error", err)
				return s.stopCode(errWriteFailed)
			}
		case <-s.wake:
			if err := s.flush(); err != nil {
				return s.stopCode(err)
			}
		}
	}
}

// stopCode chooses how the writer closes the connection after err (nil:
// the socket's context ended).
func (s *socket) stopCode(err error) (websocket.StatusCode, string) {
	switch {
	case s.hub.ctx.Err() != nil:
		return websocket.StatusServiceRestart, "service restart"
	case s.overflowed.Load():
		return CloseSlowConsumer, "slow consumer; reconnect with since"
	case s.ctx.Err() != nil, errors.Is(err, errWriteFailed):
		return 0, "" // the reader stopped or the connection broke
	default:
		s.hub.log.Error("socket writer", "user_id", s.user.ID, "error", err)
		return websocket.StatusInternalError, "internal error; reconnect with since"
	}
}

var errOverflowed = errors.New("socket queue overflowed")

// flush takes everything that piled up in the queue in one go, then runs a
// pending resume or catch-up and writes the batch. coder/websocket flushes
// its buffer at the end of every message, so messages cannot share a flush;
// taking the whole queue at once at least spends one wakeup and one lock per
// batch rather than per message.
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
		ns, err := s.hub.cfg.Store.ListNotifications(s.ctx, s.user.ID, s.lastID, replayPageSize)
		if err != nil {
			return fmt.Errorf("list notifications of user %d after %d: %w", s.user.ID, s.lastID, err)
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

// write sends one text message within WriteTimeout. The timeout does not
// derive from the socket's context: a shutdown lets the current write finish
// so the close frame that follows can still be sent.
func (s *socket) write(frame []byte) error {
	ctx, cancel := context.WithTimeout(context.Background(), s.hub.cfg.WriteTimeout)
	defer cancel()
	if err := s.conn.Write(ctx, websocket.MessageText, frame); err != nil {
		return fmt.Errorf("%w: %w", errWriteFailed, err)
	}
	return nil
}
