package ws_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/numeneon/numeneon/ws"
)

// handshakeRequest is a valid handshake request; extra lines (each ending
// in \r\n) are added to its headers.
func handshakeRequest(extra string) string {
	return "GET / HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n" + extra + "\r\n"
}

// rawClient speaks WebSocket by hand, to send what a library would not.
type rawClient struct {
	tb testing.TB
	nc net.Conn
	br *bufio.Reader
}

// dialRaw connects, completes the handshake (sending early right behind the
// request, in the same write) and returns the client and the server's side.
func dialRaw(tb testing.TB, s *testServer, early ...[]byte) (*rawClient, *serverConn) {
	tb.Helper()
	rc := dialRawNoAccept(tb, s, early...)
	return rc, s.accept(tb)
}

// dialRawNoAccept is dialRaw for tests that find the server's side in
// s.accepted.
func dialRawNoAccept(tb testing.TB, s *testServer, early ...[]byte) *rawClient {
	tb.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitTimeout)
	defer cancel()
	nc, err := s.dial(ctx)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	tb.Cleanup(func() { nc.Close() })
	rc := &rawClient{tb: tb, nc: nc, br: bufio.NewReader(nc)}
	req := append([]byte(handshakeRequest("")), bytes.Join(early, nil)...)
	rc.send(req)
	nc.SetReadDeadline(time.Now().Add(waitTimeout))
	resp, err := http.ReadResponse(rc.br, nil)
	if err != nil {
		tb.Fatalf("read handshake response: %v", err)
	}
	nc.SetReadDeadline(time.Time{})
	if resp.StatusCode != http.StatusSwitchingProtocols {
		tb.Fatalf("handshake status = %d, want 101", resp.StatusCode)
	}
	return rc
}

// send writes b whole.
func (rc *rawClient) send(b ...[]byte) {
	rc.tb.Helper()
	rc.nc.SetWriteDeadline(time.Now().Add(waitTimeout))
	if _, err := rc.nc.Write(bytes.Join(b, nil)); err != nil {
		rc.tb.Fatalf("client write: %v", err)
	}
}

// sendSlowly writes b one byte at a time, pausing between writes so most
// bytes arrive in a segment of their own.
func (rc *rawClient) sendSlowly(b []byte) {
	rc.tb.Helper()
	for i := range b {
		rc.send(b[i : i+1])
		time.Sleep(100 * time.Microsecond)
	}
}

// frame is a frame as read off the wire.
type frame struct {
	fin     bool
	rsv     byte
	op      ws.Opcode
	masked  bool
	payload []byte
}

// readFrame reads the server's next frame.
func (rc *rawClient) readFrame() (frame, error) {
	rc.nc.SetReadDeadline(time.Now().Add(waitTimeout))
	defer rc.nc.SetReadDeadline(time.Time{})
	return readFrame(rc.br)
}

func readFrame(r io.Reader) (frame, error) {
	var hdr [2]byte
	if _, err := io.ReadFull(r, hdr[:]); err != nil {
		return frame{}, err
	}
	f := frame{fin: hdr[0]&0x80 != 0, rsv: hdr[0] & 0x70, op: ws.Opcode(hdr[0] & 0x0f), masked: hdr[1]&0x80 != 0}
	n := uint64(hdr[1] & 0x7f)
	switch n {
	case 126:
		var ext [2]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return frame{}, err
		}
		n = uint64(binary.BigEndian.Uint16(ext[:]))
	case 127:
		var ext [8]byte
		if _, err := io.ReadFull(r, ext[:]); err != nil {
			return frame{}, err
		}
		n = binary.BigEndian.Uint64(ext[:])
	}
	if n > 1<<24 {
		return frame{}, fmt.Errorf("frame of %d bytes is larger than any test sends", n)
	}
	var key [4]byte
	if f.masked {
		if _, err := io.ReadFull(r, key[:]); err != nil {
			return frame{}, err
		}
	}
	f.payload = make([]byte, n)
	if _, err := io.ReadFull(r, f.payload); err != nil {
		return frame{}, err
	}
	if f.masked {
		for i := range f.payload {
			f.payload[i] ^= key[i%4]
		}
	}
	return f, nil
}

// expectFrame reads the next frame and fails unless it is a whole,
// unmasked frame of op with payload.
func (rc *rawClient) expectFrame(op ws.Opcode, payload string) {
	rc.tb.Helper()
	f, err := rc.readFrame()
	if err != nil {
		rc.tb.Fatalf("read frame: %v (want %v %q)", err, op, payload)
	}
	if !f.fin || f.rsv != 0 || f.masked || f.op != op || string(f.payload) != payload {
		rc.tb.Fatalf("got frame fin=%v rsv=%#x masked=%v op=%v payload %q; want a final unmasked %v frame with %q",
			f.fin, f.rsv, f.masked, f.op, f.payload, op, payload)
	}
}

// expectClose reads frames up to the server's close frame, checks its code
// and returns its reason; the server must then end the connection.
func (rc *rawClient) expectClose(code ws.StatusCode) string {
	rc.tb.Helper()
	for {
		f, err := rc.readFrame()
		if err != nil {
			rc.tb.Fatalf("read frame: %v (want a close frame with %d)", err, code)
		}
		if f.op != ws.OpClose {
			rc.tb.Logf("frame before the close frame: op %v, %q", f.op, f.payload)
			continue
		}
		if !f.fin || f.masked || f.rsv != 0 {
			rc.tb.Errorf("close frame fin=%v masked=%v rsv=%#x; want final, unmasked, no reserved bits", f.fin, f.masked, f.rsv)
		}
		if len(f.payload) < 2 {
			rc.tb.Fatalf("close frame payload %q; want code %d", f.payload, code)
		}
		if got := ws.StatusCode(binary.BigEndian.Uint16(f.payload)); got != code {
			rc.tb.Fatalf("close code = %d (reason %q), want %d", got, f.payload[2:], code)
		}
		rc.expectEnd()
		return string(f.payload[2:])
	}
}

// expectEnd fails unless the server closes the connection without sending
// anything more.
func (rc *rawClient) expectEnd() {
	rc.tb.Helper()
	f, err := rc.readFrame()
	switch {
	case err == nil:
		rc.tb.Fatalf("frame after the close frame: op %v, %q; want the connection closed", f.op, f.payload)
	case isTimeout(err):
		rc.tb.Fatalf("server did not close the connection within %v", waitTimeout)
	}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// maskKey is the masking key of every frame the tests send; its bytes
// differ so a mask applied at the wrong offset shows.
var maskKey = [4]byte{0x37, 0xfa, 0x21, 0x3d}

// clientFrame is a final, masked frame of op.
func clientFrame(op ws.Opcode, payload string) []byte {
	return encodeFrame(0x80|byte(op), true, []byte(payload))
}

// fragment is a masked frame of op, final or not.
func fragment(fin bool, op ws.Opcode, payload string) []byte {
	b0 := byte(op)
	if fin {
		b0 |= 0x80
	}
	return encodeFrame(b0, true, []byte(payload))
}

// closeFrame is a masked close frame with code and reason.
func closeFrame(code uint16, reason string) []byte {
	p := binary.BigEndian.AppendUint16(nil, code)
	return encodeFrame(0x80|byte(ws.OpClose), true, append(p, reason...))
}

// encodeFrame is a frame with first byte b0 (FIN, RSV and opcode), masked
// with maskKey when masked, and the shortest length encoding.
func encodeFrame(b0 byte, masked bool, payload []byte) []byte {
	b := []byte{b0}
	var m byte
	if masked {
		m = 0x80
	}
	switch n := len(payload); {
	case n <= 125:
		b = append(b, m|byte(n))
	case n <= 0xffff:
		b = binary.BigEndian.AppendUint16(append(b, m|126), uint16(n))
	default:
		b = binary.BigEndian.AppendUint64(append(b, m|127), uint64(n))
	}
	if !masked {
		return append(b, payload...)
	}
	b = append(b, maskKey[:]...)
	for i, c := range payload {
		b = append(b, c^maskKey[i%4])
	}
	return b
}
