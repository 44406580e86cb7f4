package ws_test

import (
	"errors"
	"fmt"
	"io"
	"net"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon/ws"
)

// The close handshake from either side, and what each side hears.

func TestCloseByClient(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		c, sc := dialClient(t, s)
		if err := c.Close(4001, "bye bye"); err != nil {
			t.Errorf("client Close (the server's answer must carry the same code): %v", err)
		}
		err := sc.rec.waitClosed(t)
		var ce *ws.CloseError
		if !errors.As(err, &ce) || ce.Code != 4001 || ce.Reason != "bye bye" {
			t.Errorf("Closed(%v), want *CloseError{4001, bye bye}", err)
		}
		if err := sc.Write(ws.OpText, []byte("late"), deadline()); err == nil {
			t.Error("server Write after the peer's close succeeded")
		}
		if err := sc.Close(ws.StatusNormalClosure, ""); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("server Close after the peer's close = %v, want ErrClosed", err)
		}
	})
}

func TestCloseByServer(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		c, sc := dialClient(t, s)
		r := startReading(t, c)
		if err := sc.Close(4002, "server going"); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if ce := r.expectClose(t); ce.Code != 4002 || ce.Reason != "server going" {
			t.Errorf("client saw close %d %q, want 4002 server going", ce.Code, ce.Reason)
		}
		// Documented: ErrClosed when this side closed the connection first.
		if err := sc.rec.waitClosed(t); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("Closed(%v) after the server's Close was answered, want ErrClosed", err)
		}
		if err := sc.Write(ws.OpText, []byte("late"), deadline()); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("Write after Close = %v, want ErrClosed", err)
		}
		if err := sc.Ping(deadline()); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("Ping after Close = %v, want ErrClosed", err)
		}
		if err := sc.Close(ws.StatusNormalClosure, ""); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("second Close = %v, want ErrClosed", err)
		}
	})
}

// A reason too long for a control frame is cut, at a rune boundary.
func TestCloseLongReason(t *testing.T) {
	s := newServer(t, serverConfig{})
	c, sc := dialClient(t, s)
	r := startReading(t, c)
	reason := strings.Repeat("é", 100) // 200 bytes; 123 fit, in the middle of a rune
	if err := sc.Close(ws.StatusGoingAway, reason); err != nil {
		t.Fatalf("Close: %v", err)
	}
	ce := r.expectClose(t)
	if ce.Code != websocket.StatusGoingAway {
		t.Errorf("client saw code %d, want 1001", ce.Code)
	}
	if len(ce.Reason) > 123 || len(ce.Reason) < 120 || !utf8.ValidString(ce.Reason) || !strings.HasPrefix(reason, ce.Reason) {
		t.Errorf("client saw reason %q (%d bytes), want the longest valid UTF-8 prefix that fits in 123 bytes", ce.Reason, len(ce.Reason))
	}
}

func TestCloseNow(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		c, sc := dialClient(t, s)
		r := startReading(t, c)
		sc.CloseNow()
		m := r.next(t)
		if m.err == nil {
			t.Fatalf("client read %v %q after CloseNow, want the connection gone", m.typ, m.data)
		}
		if code := websocket.CloseStatus(m.err); code != -1 {
			t.Errorf("client saw close frame %d; CloseNow sends none", code)
		}
		if err := sc.rec.waitClosed(t); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("Closed(%v), want ErrClosed", err)
		}
		if err := sc.Write(ws.OpText, []byte("late"), deadline()); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("Write after CloseNow = %v, want ErrClosed", err)
		}
	})
}

// The handler may close the connection from Message, as it does when a
// client asks to leave.
func TestCloseFromMessage(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, onMessage: func(c *ws.Conn, op ws.Opcode, data []byte) {
			if string(data) == "bye" {
				c.Close(ws.StatusNormalClosure, "as you wish")
			}
		}})
		c, sc := dialClient(t, s)
		r := startReading(t, c)
		clientWrite(t, c, websocket.MessageText, []byte("bye"))
		if ce := r.expectClose(t); ce.Code != websocket.StatusNormalClosure || ce.Reason != "as you wish" {
			t.Errorf("client saw close %d %q, want 1000 as you wish", ce.Code, ce.Reason)
		}
		if err := sc.rec.waitClosed(t); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("Closed(%v), want ErrClosed", err)
		}
	})
}

// A connection closed before Start still tells its handler.
func TestCloseBeforeStart(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, beforeStart: func(c *ws.Conn) {
			c.Close(4000, "not now")
		}})
		c, sc := dialClient(t, s)
		r := startReading(t, c)
		if ce := r.expectClose(t); ce.Code != 4000 || ce.Reason != "not now" {
			t.Errorf("client saw close %d %q, want 4000 not now", ce.Code, ce.Reason)
		}
		if err := sc.rec.waitClosed(t); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("Closed(%v), want ErrClosed", err)
		}
	})
}

// Closed comes after the last Message has returned, even when the
// connection is closed while Message blocks.
func TestClosedAfterLastMessage(t *testing.T) {
	tests := []struct {
		name  string
		close func(sc *serverConn)
	}{
		{"CloseNow", func(sc *serverConn) { sc.CloseNow() }},
		{"Close timing out", func(sc *serverConn) { sc.Close(ws.StatusGoingAway, "") }},
	}
	forEachMode(t, func(t *testing.T, mode readMode) {
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				entered, release := make(chan struct{}), make(chan struct{})
				s := newServer(t, serverConfig{
					mode: mode,
					opts: ws.Options{CloseTimeout: time.Millisecond},
					onMessage: func(c *ws.Conn, op ws.Opcode, data []byte) {
						close(entered)
						<-release
					},
				})
				rc, sc := dialRaw(t, s)
				rc.send(clientFrame(ws.OpText, "block"))
				select {
				case <-entered:
				case <-time.After(waitTimeout):
					t.Fatal("message not delivered")
				}
				tt.close(sc)
				select {
				case <-sc.rec.closed:
					t.Error("Closed called while Message still ran")
				case <-time.After(100 * time.Millisecond): // time for a wrong call to show
				}
				close(release)
				if err := sc.rec.waitClosed(t); !errors.Is(err, ws.ErrClosed) {
					t.Errorf("Closed(%v), want ErrClosed", err)
				}
			})
		}
	})
}

// A peer that never answers the close frame is hung up on after
// CloseTimeout.
func TestCloseTimeout(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, opts: ws.Options{CloseTimeout: 100 * time.Millisecond}})
		rc, sc := dialRaw(t, s)
		if err := sc.Close(ws.StatusGoingAway, "restart"); err != nil {
			t.Fatalf("Close: %v", err)
		}
		if reason := rc.expectClose(ws.StatusGoingAway); reason != "restart" {
			t.Errorf("close reason %q, want restart", reason)
		}
		if err := sc.rec.waitClosed(t); !errors.Is(err, ws.ErrClosed) {
			t.Errorf("Closed(%v), want ErrClosed", err)
		}
	})
}

// A peer that goes away without a close frame is noticed, the handler
// hears why, and nothing of the connection is left running.
func TestPeerGone(t *testing.T) {
	tests := []struct {
		name  string
		send  []byte
		reset bool
		eof   bool // Closed must report io.EOF, as documented
	}{
		{"idle", nil, false, true},
		{"after a message", clientFrame(ws.OpText, "last words"), false, true},
		{"in the middle of a frame", clientFrame(ws.OpText, "cut short")[:5], false, false},
		{"reset", nil, true, false},
	}
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		warmUp(t, s)
		before := runtime.NumGoroutine()
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rc, sc := dialRaw(t, s)
				if tt.send != nil {
					rc.send(tt.send)
				}
				if tt.reset {
					tcp, ok := rc.nc.(*net.TCPConn)
					if !ok {
						t.Skip("only a TCP connection can be reset")
					}
					tcp.SetLinger(0)
				}
				rc.nc.Close()
				err := sc.rec.waitClosed(t)
				if err == nil {
					t.Fatal("Closed(nil), want why the connection ended")
				}
				var ce *ws.CloseError
				if errors.As(err, &ce) || errors.Is(err, ws.ErrClosed) {
					t.Errorf("Closed(%v) for a peer gone without a close frame", err)
				}
				if tt.eof && !errors.Is(err, io.EOF) {
					t.Errorf("Closed(%v), want io.EOF", err)
				}
				if err := sc.Write(ws.OpText, []byte("anyone?"), deadline()); !errors.Is(err, ws.ErrClosed) {
					t.Errorf("Write to a closed connection = %v, want ErrClosed", err)
				}
			})
		}
		waitGoroutines(t, before)
	})
}

func TestWriteRefusesInvalidFrames(t *testing.T) {
	s := newServer(t, serverConfig{})
	rc, sc := dialRaw(t, s)
	for _, tt := range []struct {
		name string
		op   ws.Opcode
		p    []byte
	}{
		{"ping over 125 bytes", ws.OpPing, make([]byte, 126)},
		{"pong over 125 bytes", ws.OpPong, make([]byte, 200)},
		{"close frame", ws.OpClose, nil},
		{"continuation", ws.OpContinuation, []byte("x")},
		{"reserved opcode", ws.Opcode(3), []byte("x")},
	} {
		if err := sc.Write(tt.op, tt.p, deadline()); err == nil {
			t.Errorf("%s: Write succeeded", tt.name)
		}
	}
	// Nothing invalid went out: the next frame the client reads is this one.
	if err := sc.Write(ws.OpText, []byte("still fine"), deadline()); err != nil {
		t.Fatalf("Write text: %v", err)
	}
	rc.expectFrame(ws.OpText, "still fine")
}

// A frame that begins and never ends is not kept forever: the connection
// closes with 1008 once FrameTimeout has passed; a frame that arrives in
// pieces within it is delivered.
func TestFrameTimeout(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, opts: ws.Options{FrameTimeout: 300 * time.Millisecond}})

		rc, sc := dialRaw(t, s)
		frame := clientFrame(ws.OpText, "in two pieces")
		rc.send(frame[:4])
		time.Sleep(100 * time.Millisecond)
		rc.send(frame[4:])
		if got := sc.rec.waitMessages(t, 1); got[0].data != "in two pieces" {
			t.Fatalf("message %q, want the whole frame", got[0].data)
		}
		// The clock restarts with the next frame: three more frames, each
		// completed well within the limit, over more than the limit.
		for i := range 3 {
			f := clientFrame(ws.OpText, fmt.Sprintf("next %d", i))
			rc.send(f[:3])
			time.Sleep(150 * time.Millisecond)
			rc.send(f[3:])
			if got := sc.rec.waitMessages(t, i+2); got[i+1].data != fmt.Sprintf("next %d", i) {
				t.Fatalf("message %q, want next %d", got[i+1].data, i)
			}
		}

		// Frames sent back to back, so that reads keep ending inside one,
		// for longer than the limit: each completed frame starts the clock
		// again.
		var stream []byte
		frame = clientFrame(ws.OpText, "a streamed message of some length")
		for range 40 {
			stream = append(stream, frame...)
		}
		// Pieces one byte longer than a frame end on a frame boundary only
		// every len(frame) pieces: the reads end inside a frame for about
		// 0.9 s at a time.
		before := len(sc.rec.received())
		for i := 0; i < len(stream); {
			end := min(i+len(frame)+1, len(stream))
			rc.send(stream[i:end])
			i = end
			time.Sleep(25 * time.Millisecond)
		}
		sc.rec.waitMessages(t, before+40)

		rc2, sc2 := dialRaw(t, s)
		rc2.send(clientFrame(ws.OpText, "never finished")[:5])
		rc2.expectClose(ws.StatusPolicyViolation)
		var ce *ws.CloseError
		if err := sc2.rec.waitClosed(t); !errors.As(err, &ce) || ce.Code != ws.StatusPolicyViolation {
			t.Errorf("Closed(%v), want a CloseError with 1008", err)
		}
	})
}
