package ws_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/numeneon/numeneon/ws"
)

// FuzzClientBytes sends arbitrary bytes as a client after a valid
// handshake, then ends its side. Whatever the bytes, the server must not
// panic, must deliver only whole, valid messages within the limit, must
// send only well-formed frames, and must end the connection and tell its
// handler once.
func FuzzClientBytes(f *testing.F) {
	const limit = 4096
	seeds := [][]byte{
		nil,
		clientFrame(ws.OpText, "hello"),
		append(clientFrame(ws.OpBinary, "\x00\xff"), closeFrame(1000, "bye")...),
		append(append(fragment(false, ws.OpText, "frag"), clientFrame(ws.OpPing, "p")...), fragment(true, ws.OpContinuation, "ment")...),
		clientFrame(ws.OpText, "\xff"),
		closeFrame(1005, ""),
		encodeFrame(0x81, false, []byte("unmasked")),
		encodeFrame(0xc1, true, []byte("rsv1")),
		encodeFrame(0x82, true, make([]byte, limit+1)),
		encodeFrame(0x82, true, make([]byte, 300))[:100],
		{0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
		[]byte("GET / HTTP/1.1\r\n\r\n"),
	}
	for _, seed := range seeds {
		f.Add(seed)
	}
	s := newServer(f, serverConfig{opts: ws.Options{ReadLimit: limit, CloseTimeout: time.Second}})
	f.Fuzz(func(t *testing.T, data []byte) {
		rc, sc := dialRaw(t, s)
		checked := make(chan error, 1)
		go func() { checked <- checkServerFrames(rc) }()
		rc.nc.SetWriteDeadline(time.Now().Add(waitTimeout))
		_, _ = rc.nc.Write(data) // fails if the server has closed already
		rc.nc.(*net.TCPConn).CloseWrite()

		sc.rec.waitClosed(t)
		select {
		case err := <-checked:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(waitTimeout):
			t.Fatalf("server did not end the connection within %v", waitTimeout)
		}
		for i, m := range sc.rec.received() {
			switch {
			case m.op != ws.OpText && m.op != ws.OpBinary:
				t.Errorf("message %d has opcode %v", i, m.op)
			case m.op == ws.OpText && !utf8.ValidString(m.data):
				t.Errorf("message %d is text but not UTF-8: %q", i, m.data)
			case len(m.data) > limit:
				t.Errorf("message %d has %d bytes, over the limit of %d", i, len(m.data), limit)
			}
		}
		if n := sc.rec.lateMessages.Load(); n != 0 {
			t.Errorf("%d messages delivered after Closed", n)
		}
		if n := sc.rec.closedN.Load(); n != 1 {
			t.Errorf("Closed called %d times", n)
		}
	})
}

// checkServerFrames reads what the server sends until it ends the
// connection, and reports the first frame a server may not send.
func checkServerFrames(rc *rawClient) error {
	rc.nc.SetReadDeadline(time.Now().Add(waitTimeout))
	closed := false
	for {
		f, err := readFrame(rc.br)
		if err != nil {
			if isTimeout(err) {
				return err
			}
			if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, net.ErrClosed) {
				// A reset is fine: the server may close with bytes unread.
				var op *net.OpError
				if !errors.As(err, &op) {
					return fmt.Errorf("reading the server's frames: %w", err)
				}
			}
			return nil
		}
		switch {
		case closed:
			return fmt.Errorf("frame %v after the close frame", f.op)
		case !f.fin || f.rsv != 0 || f.masked:
			return fmt.Errorf("frame %v with fin=%v rsv=%#x masked=%v", f.op, f.fin, f.rsv, f.masked)
		case f.op != ws.OpPong && f.op != ws.OpClose:
			return fmt.Errorf("server sent a %v frame unprompted", f.op)
		case len(f.payload) > 125:
			return fmt.Errorf("control frame of %d bytes", len(f.payload))
		case f.op == ws.OpClose:
			closed = true
			if len(f.payload) == 0 {
				continue
			}
			if len(f.payload) == 1 {
				return errors.New("close frame with a 1-byte payload")
			}
			code := binary.BigEndian.Uint16(f.payload)
			if !(code >= 1000 && code <= 1003 || code >= 1007 && code <= 1014 || code >= 3000 && code <= 4999) {
				return fmt.Errorf("close frame with code %d, which may not be sent", code)
			}
			if !utf8.Valid(f.payload[2:]) {
				return fmt.Errorf("close reason %q is not UTF-8", f.payload[2:])
			}
		}
	}
}
