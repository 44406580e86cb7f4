package ws_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon/ws"
)

// dialClient connects a coder/websocket client and returns it with the
// server's side.
func dialClient(t *testing.T, s *testServer) (*websocket.Conn, *serverConn) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	c, _, err := websocket.Dial(ctx, s.wsURL(), &websocket.DialOptions{HTTPClient: s.httpClient()})
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { c.CloseNow() })
	c.SetReadLimit(1 << 20)
	return c, s.accept(t)
}

// clientMessage is what one Read of the client returned.
type clientMessage struct {
	typ  websocket.MessageType
	data []byte
	err  error
}

// clientReader reads the client's messages on a goroutine of its own, as
// coder/websocket only answers pings and close frames during a Read.
type clientReader struct {
	messages chan clientMessage
	done     chan struct{}
}

// startReading starts reading c; the goroutine ends with the connection,
// at the latest at cleanup.
func startReading(t *testing.T, c *websocket.Conn) *clientReader {
	t.Helper()
	r := &clientReader{messages: make(chan clientMessage, 64), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			typ, data, err := c.Read(context.Background())
			select {
			case r.messages <- clientMessage{typ, data, err}:
			case <-time.After(waitTimeout):
				return // nobody reads: the test has failed already
			}
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		c.CloseNow()
		for {
			select {
			case <-r.messages:
			case <-r.done:
				return
			}
		}
	})
	return r
}

// next returns the next message, or the error that ended reading.
func (r *clientReader) next(t *testing.T) clientMessage {
	t.Helper()
	select {
	case m := <-r.messages:
		return m
	case <-time.After(waitTimeout):
		t.Fatalf("client received nothing within %v", waitTimeout)
		return clientMessage{}
	}
}

// expect fails unless the next message is typ with data.
func (r *clientReader) expect(t *testing.T, typ websocket.MessageType, data string) {
	t.Helper()
	m := r.next(t)
	if m.err != nil {
		t.Fatalf("client read: %v; want %v %.40q", m.err, typ, data)
	}
	if m.typ != typ || string(m.data) != data {
		t.Fatalf("client read %v %.40q (%d bytes); want %v %.40q (%d bytes)", m.typ, m.data, len(m.data), typ, data, len(data))
	}
}

// expectClose reads until the end and returns the close frame that ended
// it, failing if none did.
func (r *clientReader) expectClose(t *testing.T) websocket.CloseError {
	t.Helper()
	for {
		m := r.next(t)
		if m.err == nil {
			continue
		}
		var ce websocket.CloseError
		if !errors.As(m.err, &ce) {
			t.Fatalf("client read ended with %v, want a close frame", m.err)
		}
		return ce
	}
}

func clientWrite(t *testing.T, c *websocket.Conn, typ websocket.MessageType, data []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	if err := c.Write(ctx, typ, data); err != nil {
		t.Fatalf("client write: %v", err)
	}
}

func deadline() time.Time { return time.Now().Add(waitTimeout) }

func TestMessagesBothWays(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, echo: true})
		c, sc := dialClient(t, s)
		r := startReading(t, c)

		binary := []byte{0, 1, 2, 0xfe, 0xff, 0x80}
		clientWrite(t, c, websocket.MessageText, []byte("héllo, wörld ✓"))
		clientWrite(t, c, websocket.MessageBinary, binary)
		clientWrite(t, c, websocket.MessageText, nil)
		r.expect(t, websocket.MessageText, "héllo, wörld ✓")
		r.expect(t, websocket.MessageBinary, string(binary))
		r.expect(t, websocket.MessageText, "")
		want := []message{{ws.OpText, "héllo, wörld ✓"}, {ws.OpBinary, string(binary)}, {ws.OpText, ""}}
		if got := sc.rec.waitMessages(t, 3); !slices.Equal(got, want) {
			t.Errorf("server received %q, want %q", got, want)
		}

		// Written by the server unprompted, small and large enough to
		// take another path.
		large := strings.Repeat("0123456789", 7000)
		for _, m := range []struct {
			op  ws.Opcode
			typ websocket.MessageType
			s   string
		}{{ws.OpText, websocket.MessageText, "from the server"}, {ws.OpBinary, websocket.MessageBinary, large}, {ws.OpText, websocket.MessageText, large[:300]}} {
			if err := sc.Write(m.op, []byte(m.s), deadline()); err != nil {
				t.Fatalf("server Write: %v", err)
			}
			r.expect(t, m.typ, m.s)
		}
	})
}

// Fragmented messages from a real client (its Writer sends one frame per
// Write) arrive whole.
func TestFragmentedFromClient(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		c, sc := dialClient(t, s)
		ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
		defer cancel()
		w, err := c.Writer(ctx, websocket.MessageText)
		if err != nil {
			t.Fatal(err)
		}
		parts := []string{"Grüße ", "aus ", strings.Repeat("é", 3000), " und tschüss"}
		for _, p := range parts {
			if _, err := w.Write([]byte(p)); err != nil {
				t.Fatalf("client write fragment: %v", err)
			}
		}
		if err := w.Close(); err != nil {
			t.Fatalf("client end message: %v", err)
		}
		got := sc.rec.waitMessages(t, 1)
		if want := []message{{ws.OpText, strings.Join(parts, "")}}; !slices.Equal(got, want) {
			t.Errorf("server received %.80q, want %.80q", got, want)
		}
	})
}

// Every one of many messages arrives once, in order, both ways.
func TestManyMessages(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, echo: true})
		c, sc := dialClient(t, s)
		r := startReading(t, c)
		const n = 1000
		payload := func(i int) string {
			return fmt.Sprintf("%04d:", i) + strings.Repeat("x", (i*37)%3000)
		}
		errc := make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			for i := range n {
				if err := c.Write(ctx, websocket.MessageText, []byte(payload(i))); err != nil {
					errc <- err
					return
				}
			}
			errc <- nil
		}()
		for i := range n {
			r.expect(t, websocket.MessageText, payload(i))
		}
		if err := <-errc; err != nil {
			t.Fatalf("client write: %v", err)
		}
		got := sc.rec.waitMessages(t, n)
		if len(got) != n {
			t.Fatalf("server received %d messages, want %d", len(got), n)
		}
		for i, m := range got {
			if m.op != ws.OpText || m.data != payload(i) {
				t.Fatalf("server's message %d = %v %.20q (%d bytes), want %.20q (%d bytes)", i, m.op, m.data, len(m.data), payload(i), len(payload(i)))
			}
		}
	})
}

// Writes from many goroutines never interleave inside a frame.
func TestConcurrentWrites(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		c, sc := dialClient(t, s)
		r := startReading(t, c)
		const writers, each = 8, 100
		payload := func(w, i int) string {
			size := 10
			if i%2 == 1 {
				size = 2000 + w*100 // past the size that is copied next to its header
			}
			p := fmt.Sprintf("%d:%d:", w, i)
			return p + strings.Repeat(string(rune('a'+w)), size-len(p))
		}
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for i := range each {
					if err := sc.Write(ws.OpBinary, []byte(payload(w, i)), deadline()); err != nil {
						t.Errorf("server Write: %v", err)
						return
					}
				}
			})
		}
		next := make([]int, writers)
		for range writers * each {
			m := r.next(t)
			if m.err != nil {
				t.Fatalf("client read: %v", m.err)
			}
			var w, i int
			if _, err := fmt.Sscanf(string(m.data), "%d:%d:", &w, &i); err != nil || w < 0 || w >= writers {
				t.Fatalf("client read a message that no writer wrote: %.40q", m.data)
			}
			if i != next[w] || string(m.data) != payload(w, i) {
				t.Fatalf("writer %d: got message %d %.40q, want message %d intact", w, i, m.data, next[w])
			}
			next[w]++
		}
		wg.Wait()
	})
}

func TestReadLimit(t *testing.T) {
	const limit = 20 << 10
	forEachMode(t, func(t *testing.T, mode readMode) {
		t.Run("at the limit", func(t *testing.T) {
			s := newServer(t, serverConfig{mode: mode, opts: ws.Options{ReadLimit: limit}})
			c, sc := dialClient(t, s)
			whole := bytes.Repeat([]byte("abcdefgh"), limit/8)
			clientWrite(t, c, websocket.MessageBinary, whole)
			// The same size in three fragments.
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			defer cancel()
			w, err := c.Writer(ctx, websocket.MessageBinary)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range [][]byte{whole[:100], whole[100 : limit-1], whole[limit-1:]} {
				if _, err := w.Write(p); err != nil {
					t.Fatalf("client write fragment: %v", err)
				}
			}
			if err := w.Close(); err != nil {
				t.Fatal(err)
			}
			got := sc.rec.waitMessages(t, 2)
			for i, m := range got {
				if m.op != ws.OpBinary || m.data != string(whole) {
					t.Errorf("message %d: %v of %d bytes, want the binary message of %d bytes intact", i, m.op, len(m.data), limit)
				}
			}
			if sc.rec.isClosed() {
				t.Errorf("connection closed by a message at the limit: %v", sc.rec.err)
			}
		})
		// Over the limit at once, with the default limit, or in fragments.
		for _, tt := range []struct {
			name      string
			limit     int64
			fragments []int
		}{
			{"one byte over", limit, []int{limit + 1}},
			{"far over the default", 0, []int{ws.DefaultReadLimit * 4}},
			{"fragments over", limit, []int{limit / 2, limit / 2, 1}},
		} {
			t.Run(tt.name, func(t *testing.T) {
				s := newServer(t, serverConfig{mode: mode, opts: ws.Options{ReadLimit: tt.limit}})
				c, sc := dialClient(t, s)
				r := startReading(t, c)
				ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
				defer cancel()
				go func() {
					// May fail once the server has closed.
					w, err := c.Writer(ctx, websocket.MessageBinary)
					if err != nil {
						return
					}
					for _, n := range tt.fragments {
						if _, err := w.Write(make([]byte, n)); err != nil {
							return
						}
					}
					w.Close()
				}()
				if ce := r.expectClose(t); ce.Code != websocket.StatusMessageTooBig {
					t.Errorf("client saw close %d %q, want 1009", ce.Code, ce.Reason)
				}
				err := sc.rec.waitClosed(t)
				var ce *ws.CloseError
				if !errors.As(err, &ce) || ce.Code != ws.StatusMessageTooBig {
					t.Errorf("Closed(%v), want *CloseError with 1009", err)
				}
				if got := sc.rec.received(); len(got) != 0 {
					t.Errorf("server delivered %d messages, want none", len(got))
				}
			})
		}
	})
}

func TestServerPing(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		c, sc := dialClient(t, s)
		startReading(t, c)
		if got := sc.Pongs(); got != 0 {
			t.Fatalf("Pongs() = %d before any ping", got)
		}
		for want := uint64(1); want <= 3; want++ {
			if err := sc.Ping(deadline()); err != nil {
				t.Fatalf("Ping: %v", err)
			}
			waitFor(t, fmt.Sprintf("Pongs() = %d", want), func() bool { return sc.Pongs() >= want })
		}
		if got := sc.Pongs(); got != 3 {
			t.Errorf("Pongs() = %d after 3 pings, want 3", got)
		}
	})
}

func TestClientPing(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		c, sc := dialClient(t, s)
		startReading(t, c)
		for range 3 {
			ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
			err := c.Ping(ctx) // returns once the pong with its payload is back
			cancel()
			if err != nil {
				t.Fatalf("client Ping: %v", err)
			}
		}
		if got := sc.rec.received(); len(got) != 0 {
			t.Errorf("pings delivered as messages: %q", got)
		}
	})
}

// SetHandler from Message hands every later message, and Closed, to the
// new handler.
func TestSetHandler(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		second := newRecorder()
		s := newServer(t, serverConfig{mode: mode, onMessage: func(c *ws.Conn, op ws.Opcode, data []byte) {
			if string(data) == "switch" {
				c.SetHandler(second)
			}
		}})
		c, sc := dialClient(t, s)
		for _, m := range []string{"one", "switch", "two", "three"} {
			clientWrite(t, c, websocket.MessageText, []byte(m))
		}
		got := second.waitMessages(t, 2)
		if want := []message{{ws.OpText, "two"}, {ws.OpText, "three"}}; !slices.Equal(got, want) {
			t.Errorf("new handler received %q, want %q", got, want)
		}
		if got, want := sc.rec.received(), []message{{ws.OpText, "one"}, {ws.OpText, "switch"}}; !slices.Equal(got, want) {
			t.Errorf("first handler received %q, want %q", got, want)
		}
		c.Close(websocket.StatusNormalClosure, "")
		var ce *ws.CloseError
		if err := second.waitClosed(t); !errors.As(err, &ce) || ce.Code != ws.StatusNormalClosure {
			t.Errorf("new handler's Closed(%v), want *CloseError with 1000", err)
		}
		if n := sc.rec.closedN.Load(); n != 0 {
			t.Errorf("first handler's Closed called %d times, want never", n)
		}
		// The server's cleanup wants every first handler to have heard
		// Closed once.
		sc.rec.Closed(sc.Conn, nil)
	})
}

// waitFor polls cond until it holds, for what has no event to wait on.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitTimeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not %s within %v", what, waitTimeout)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
