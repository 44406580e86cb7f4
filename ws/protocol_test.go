package ws_test

import (
	"bytes"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon/ws"
)

// These tests write frames by hand, to send what a client library would
// not: fragments with control frames between them, bytes one at a time,
// and every kind of protocol error.

func TestFragmentedWithControlFrames(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		rc, sc := dialRaw(t, s)
		// "ö" is split between two fragments: only the whole message must
		// be valid UTF-8.
		rc.send(
			fragment(false, ws.OpText, "Hel"),
			clientFrame(ws.OpPing, "between"),
			fragment(false, ws.OpContinuation, "lo, w\xc3"),
			clientFrame(ws.OpPong, "unsolicited"),
			fragment(false, ws.OpContinuation, ""),
			fragment(true, ws.OpContinuation, "\xb6rld"),
			fragment(false, ws.OpBinary, "\x00\xff"),
			fragment(true, ws.OpContinuation, "\xfe"),
		)
		rc.expectFrame(ws.OpPong, "between")
		got := sc.rec.waitMessages(t, 2)
		want := []message{{ws.OpText, "Hello, wörld"}, {ws.OpBinary, "\x00\xff\xfe"}}
		if !slices.Equal(got, want) {
			t.Errorf("messages = %q, want %q", got, want)
		}
		if n := sc.Pongs(); n != 1 {
			t.Errorf("Pongs() = %d after one unsolicited pong, want 1", n)
		}
	})
}

// Frames that arrive a byte at a time, each byte in a read of its own, are
// parsed as if they had come at once.
func TestBytesOneAtATime(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		rc, sc := dialRaw(t, s)
		long := strings.Repeat("ab", 100) // 200 bytes: a 16-bit length
		rc.sendSlowly(bytes.Join([][]byte{
			clientFrame(ws.OpText, "short"),
			clientFrame(ws.OpPing, "slow ping"),
			clientFrame(ws.OpBinary, long),
			fragment(false, ws.OpText, "frag"),
			fragment(true, ws.OpContinuation, "mented"),
			clientFrame(ws.OpText, ""),
		}, nil))
		rc.expectFrame(ws.OpPong, "slow ping")
		got := sc.rec.waitMessages(t, 4)
		want := []message{{ws.OpText, "short"}, {ws.OpBinary, long}, {ws.OpText, "fragmented"}, {ws.OpText, ""}}
		if !slices.Equal(got, want) {
			t.Errorf("messages = %q, want %q", got, want)
		}
	})
}

// A frame larger than a read buffer, arriving in many pieces, some with a
// pause between them (so a reader stops with a partial frame kept), arrives
// whole, and so does the frame right behind it.
func TestLargeFrameInPieces(t *testing.T) {
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, opts: ws.Options{ReadLimit: 1 << 20}})
		rc, sc := dialRaw(t, s)
		big := make([]byte, 300<<10)
		for i := range big {
			big[i] = byte(i * 7)
		}
		b := append(encodeFrame(0x80|byte(ws.OpBinary), true, big), clientFrame(ws.OpText, "after")...)
		for i := 0; i < len(b); i += 1000 {
			rc.send(b[i:min(i+1000, len(b))])
			if i%20_000 == 0 {
				// A pause: the server reads the socket empty and keeps
				// the partial frame until more comes.
				time.Sleep(2 * time.Millisecond)
			}
		}
		got := sc.rec.waitMessages(t, 2)
		if len(got) != 2 || got[0].op != ws.OpBinary || got[0].data != string(big) || got[1] != (message{ws.OpText, "after"}) {
			t.Errorf("got %d messages; want the %d-byte binary frame intact, then %q", len(got), len(big), "after")
		}
	})
}

func TestProtocolErrors(t *testing.T) {
	tests := []struct {
		name   string
		frames [][]byte
		code   ws.StatusCode
	}{
		{"unmasked frame", [][]byte{encodeFrame(0x81, false, []byte("hi"))}, ws.StatusProtocolError},
		{"RSV1", [][]byte{encodeFrame(0x80|0x40|0x1, true, []byte("hi"))}, ws.StatusProtocolError},
		{"RSV2", [][]byte{encodeFrame(0x80|0x20|0x2, true, []byte("hi"))}, ws.StatusProtocolError},
		{"RSV3", [][]byte{encodeFrame(0x80|0x10|0x9, true, nil)}, ws.StatusProtocolError},
		{"opcode 3", [][]byte{encodeFrame(0x83, true, []byte("hi"))}, ws.StatusProtocolError},
		{"opcode 7", [][]byte{encodeFrame(0x87, true, nil)}, ws.StatusProtocolError},
		{"opcode 0xB", [][]byte{encodeFrame(0x8b, true, []byte("hi"))}, ws.StatusProtocolError},
		{"opcode 0xF", [][]byte{encodeFrame(0x8f, true, nil)}, ws.StatusProtocolError},
		{"ping of 126 bytes", [][]byte{clientFrame(ws.OpPing, strings.Repeat("p", 126))}, ws.StatusProtocolError},
		{"close of 126 bytes", [][]byte{closeFrame(1000, strings.Repeat("r", 124))}, ws.StatusProtocolError},
		{"fragmented ping", [][]byte{fragment(false, ws.OpPing, "p")}, ws.StatusProtocolError},
		{"fragmented pong", [][]byte{fragment(false, ws.OpPong, "p")}, ws.StatusProtocolError},
		{"continuation without a message", [][]byte{fragment(true, ws.OpContinuation, "x")}, ws.StatusProtocolError},
		{"non-final continuation without a message", [][]byte{fragment(false, ws.OpContinuation, "x")}, ws.StatusProtocolError},
		{"continuation after a whole message", [][]byte{clientFrame(ws.OpText, "whole"), fragment(true, ws.OpContinuation, "x")}, ws.StatusProtocolError},
		{"message inside a fragmented one", [][]byte{fragment(false, ws.OpText, "a"), clientFrame(ws.OpBinary, "b")}, ws.StatusProtocolError},
		{"invalid UTF-8", [][]byte{clientFrame(ws.OpText, "ok \xff\xfe")}, ws.StatusInvalidPayload},
		{"UTF-16 surrogate", [][]byte{clientFrame(ws.OpText, "\xed\xa0\x80")}, ws.StatusInvalidPayload},
		{"rune cut at the end of a fragmented message", [][]byte{fragment(false, ws.OpText, "ok"), fragment(true, ws.OpContinuation, "\xc3")}, ws.StatusInvalidPayload},
		{"close code 1005 on the wire", [][]byte{closeFrame(1005, "")}, ws.StatusProtocolError},
		{"close code 1006 on the wire", [][]byte{closeFrame(1006, "")}, ws.StatusProtocolError},
		{"close code 1015 on the wire", [][]byte{closeFrame(1015, "")}, ws.StatusProtocolError},
		{"close code 1004", [][]byte{closeFrame(1004, "")}, ws.StatusProtocolError},
		{"close code 999", [][]byte{closeFrame(999, "")}, ws.StatusProtocolError},
		{"close code 0", [][]byte{closeFrame(0, "")}, ws.StatusProtocolError},
		{"close code 2999", [][]byte{closeFrame(2999, "")}, ws.StatusProtocolError},
		{"close code 5000", [][]byte{closeFrame(5000, "")}, ws.StatusProtocolError},
		{"close with one byte", [][]byte{encodeFrame(0x88, true, []byte{0x03})}, ws.StatusProtocolError},
		{"close reason not UTF-8", [][]byte{closeFrame(1000, "bye \xff")}, ws.StatusProtocolError},
		{"frame of a terabyte", [][]byte{{0x82, 0x80 | 127, 0, 0, 1, 0, 0, 0, 0, 0, 1, 2, 3, 4}}, ws.StatusMessageTooBig},
		{"message over the limit", [][]byte{clientFrame(ws.OpBinary, strings.Repeat("x", 1025))}, ws.StatusMessageTooBig},
		{"fragments over the limit", [][]byte{fragment(false, ws.OpText, strings.Repeat("x", 1000)), fragment(true, ws.OpContinuation, strings.Repeat("x", 25))}, ws.StatusMessageTooBig},
	}
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode, opts: ws.Options{ReadLimit: 1024}})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				// A message before the error is delivered; nothing after it.
				frames := append([][]byte{clientFrame(ws.OpText, "before")}, tt.frames...)
				frames = append(frames, clientFrame(ws.OpText, "after"))
				rc, sc := dialRaw(t, s)
				rc.send(frames...)
				reason := rc.expectClose(tt.code)
				err := sc.rec.waitClosed(t)
				var ce *ws.CloseError
				if !errors.As(err, &ce) || ce.Code != tt.code {
					t.Errorf("Closed(%v), want *CloseError with %d", err, tt.code)
				}
				t.Logf("close reason: %q", reason)
				var want []message
				want = append(want, message{ws.OpText, "before"})
				if tt.name == "continuation after a whole message" {
					want = append(want, message{ws.OpText, "whole"})
				}
				if got := sc.rec.received(); !slices.Equal(got, want) {
					t.Errorf("messages = %q, want %q", got, want)
				}
			})
		}
	})
}

// Binary messages need not be UTF-8, and every close code a peer may send
// is accepted and echoed.
func TestValidPeerClose(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte // of the close frame
		code    ws.StatusCode
		reason  string
	}{
		{"no code", nil, ws.StatusNoStatusRcvd, ""},
		{"1000 with reason", []byte("\x03\xe8bye ✓"), ws.StatusNormalClosure, "bye ✓"},
		{"1001", []byte{0x03, 0xe9}, ws.StatusGoingAway, ""},
		{"1003", []byte{0x03, 0xeb}, ws.StatusUnsupportedData, ""},
		{"1011", []byte{0x03, 0xf3}, ws.StatusInternalError, ""},
		{"1014", []byte{0x03, 0xf6}, 1014, ""},
		{"3000", []byte{0x0b, 0xb8}, 3000, ""},
		{"4999", []byte{0x13, 0x87, 'x'}, 4999, "x"},
	}
	forEachMode(t, func(t *testing.T, mode readMode) {
		s := newServer(t, serverConfig{mode: mode})
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				rc, sc := dialRaw(t, s)
				rc.send(clientFrame(ws.OpBinary, "\xff\x00"), encodeFrame(0x88, true, tt.payload))
				if tt.code == ws.StatusNoStatusRcvd {
					rc.expectFrame(ws.OpClose, "") // 1005 is never sent
					rc.expectEnd()
				} else {
					rc.expectClose(tt.code)
				}
				err := sc.rec.waitClosed(t)
				var ce *ws.CloseError
				if !errors.As(err, &ce) || ce.Code != tt.code || ce.Reason != tt.reason {
					t.Errorf("Closed(%v), want *CloseError{%d, %q}", err, tt.code, tt.reason)
				}
				if got, want := sc.rec.received(), []message{{ws.OpBinary, "\xff\x00"}}; !slices.Equal(got, want) {
					t.Errorf("messages = %q, want %q", got, want)
				}
			})
		}
	})
}
