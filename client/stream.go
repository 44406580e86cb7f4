package client

import (
	"context"
	"maps"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// Stream keeps a user's notification socket open across disconnects: when
// the socket drops (a worker dies, the server closes it as slow, the network
// cuts) it dials again, trying the servers in turn, with since set to the
// last stored event it got. It records every stored event (id > 0) so a
// test or the load tool can check that nothing was lost or duplicated.
type Stream struct {
	client *Client
	bases  []string

	mu         sync.Mutex
	sock       *Socket
	changed    chan struct{} // closed and replaced on every event
	last       int64
	events     []Event // stored events, in arrival order
	duplicates int
	disordered int
	reconnects int
	closes     map[int]int // close codes the server sent, by code
	live       []Event     // events without id (typing, presence)
	dialErr    error
	OnEvent    func(Event) // called from the stream goroutine, for each frame after the handshake

	cancel context.CancelFunc
	done   chan struct{}
}

// Stream starts following c's notifications on the servers at bases (c's
// own server when empty), resuming after since. It returns once the first
// socket is open, or with the dial error.
func (c *Client) Stream(ctx context.Context, bases []string, since int64, onEvent func(Event)) (*Stream, error) {
	if len(bases) == 0 {
		bases = []string{c.BaseURL}
	}
	ctx, cancel := context.WithCancel(ctx)
	s := &Stream{client: c, bases: bases, last: since, changed: make(chan struct{}), OnEvent: onEvent, cancel: cancel, done: make(chan struct{})}
	sock, err := c.WithBase(bases[0]).Dial(ctx, DialOptions{Since: since})
	if err != nil {
		cancel()
		return nil, err
	}
	go s.run(ctx, sock)
	return s, nil
}

func (s *Stream) run(ctx context.Context, sock *Socket) {
	defer close(s.done)
	next := 1
	for {
		err := s.read(ctx, sock)
		if code := int(websocket.CloseStatus(err)); code != -1 {
			s.mu.Lock()
			if s.closes == nil {
				s.closes = make(map[int]int)
			}
			s.closes[code]++
			s.mu.Unlock()
		}
		sock.Conn.CloseNow()
		for {
			if ctx.Err() != nil {
				return
			}
			base := s.bases[next%len(s.bases)]
			next++
			s.mu.Lock()
			since := s.last
			s.mu.Unlock()
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			var err error
			sock, err = s.client.WithBase(base).Dial(dctx, DialOptions{Since: since})
			cancel()
			if err == nil {
				s.mu.Lock()
				s.reconnects++
				s.mu.Unlock()
				break
			}
			s.mu.Lock()
			s.dialErr = err
			s.mu.Unlock()
			select {
			case <-ctx.Done():
				return
			case <-time.After(50 * time.Millisecond):
			}
		}
	}
}

func (s *Stream) read(ctx context.Context, sock *Socket) error {
	s.mu.Lock()
	s.sock = sock
	s.mu.Unlock()
	for {
		ev, err := sock.Next(ctx)
		if err != nil {
			return err
		}
		if s.OnEvent != nil {
			s.OnEvent(ev)
		}
		s.mu.Lock()
		switch {
		case ev.ID == 0:
			s.live = append(s.live, ev)
		case ev.ID <= s.last:
			s.duplicates++
		default:
			if ev.ID != s.last+1 && s.last != 0 {
				s.disordered++
			}
			s.last = ev.ID
			s.events = append(s.events, ev)
		}
		close(s.changed)
		s.changed = make(chan struct{})
		s.mu.Unlock()
	}
}

// WaitFor blocks until the stream got the stored event id (or a later
// one), or ctx ends.
func (s *Stream) WaitFor(ctx context.Context, id int64) error {
	for {
		s.mu.Lock()
		last, ch := s.last, s.changed
		s.mu.Unlock()
		if last >= id {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// WaitCount blocks until the stream got n stored events, or ctx ends.
func (s *Stream) WaitCount(ctx context.Context, n int) error {
	for {
		s.mu.Lock()
		got, ch := len(s.events), s.changed
		s.mu.Unlock()
		if got >= n {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-ch:
		}
	}
}

// StreamReport is what a stream saw.
type StreamReport struct {
	Events     []Event // stored events in arrival order
	Last       int64
	Duplicates int // stored events received again
	Disordered int // stored events that skipped an id
	Reconnects int
	// Closes counts the close codes the server ended sockets with.
	Closes map[int]int
	Live   []Event // events without an id
}

// Report returns a snapshot of what the stream saw.
func (s *Stream) Report() StreamReport {
	s.mu.Lock()
	defer s.mu.Unlock()
	return StreamReport{
		Events:     append([]Event(nil), s.events...),
		Last:       s.last,
		Duplicates: s.duplicates,
		Disordered: s.disordered,
		Reconnects: s.reconnects,
		Closes:     maps.Clone(s.closes),
		Live:       append([]Event(nil), s.live...),
	}
}

// Drop cuts the current socket abruptly, as a network failure would; the
// stream reconnects and resumes.
func (s *Stream) Drop() {
	s.mu.Lock()
	sock := s.sock
	s.mu.Unlock()
	if sock != nil {
		sock.Conn.CloseNow()
	}
}

// Close stops following and waits for the stream's goroutine.
func (s *Stream) Close() {
	s.cancel()
	<-s.done
}
