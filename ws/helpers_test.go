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
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numeneon/numeneon/ws"
)

// waitTimeout bounds every wait for something the server should do; it is
// generous because it only matters when a test fails.
const waitTimeout = 10 * time.Second

// readMode is how the server reads a connection: the package picks it from
// the connection's type, so a test chooses it through the listener.
type readMode string

const (
	// epollTCP: a *net.TCPConn, watched by the poller on Linux.
	epollTCP readMode = "tcp"
	// epollUnix: a *net.UnixConn, watched by the poller on Linux.
	epollUnix readMode = "unix"
	// goroutinePerConn: a net.Conn of another type, read by a goroutine of
	// its own on every system.
	goroutinePerConn readMode = "goroutine"
)

var allModes = []readMode{epollTCP, epollUnix, goroutinePerConn}

// forEachMode runs test once per way of reading connections: every
// behaviour must be the same whichever reads.
func forEachMode(t *testing.T, test func(t *testing.T, mode readMode)) {
	t.Helper()
	for _, mode := range allModes {
		t.Run(string(mode), func(t *testing.T) { test(t, mode) })
	}
}

// message is one message a Handler received.
type message struct {
	op   ws.Opcode
	data string
}

// recorder is a Handler that keeps what its connection delivered.
type recorder struct {
	// onMessage, when set, runs inside Message (before it is recorded).
	onMessage func(c *ws.Conn, op ws.Opcode, data []byte)

	mu       sync.Mutex
	messages []message
	notify   chan struct{} // a message arrived

	closedN      atomic.Int32
	lateMessages atomic.Int32 // messages delivered after Closed
	closed       chan struct{}
	err          error // why it closed; set before closed is closed
}

func newRecorder() *recorder {
	return &recorder{notify: make(chan struct{}, 1), closed: make(chan struct{})}
}

func (r *recorder) Message(c *ws.Conn, op ws.Opcode, data []byte) {
	if r.closedN.Load() > 0 {
		r.lateMessages.Add(1)
	}
	if r.onMessage != nil {
		r.onMessage(c, op, data)
	}
	r.mu.Lock()
	r.messages = append(r.messages, message{op, string(data)})
	r.mu.Unlock()
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

func (r *recorder) Closed(c *ws.Conn, err error) {
	if r.closedN.Add(1) == 1 {
		r.err = err
		close(r.closed)
	}
}

// waitMessages waits until n messages arrived and returns them.
func (r *recorder) waitMessages(tb testing.TB, n int) []message {
	tb.Helper()
	timeout := time.After(waitTimeout)
	for {
		r.mu.Lock()
		got := append([]message(nil), r.messages...)
		r.mu.Unlock()
		if len(got) >= n {
			return got
		}
		select {
		case <-r.notify:
		case <-timeout:
			tb.Fatalf("got %d messages after %v, want %d: %q", len(got), waitTimeout, n, got)
		}
	}
}

// received returns the messages so far.
func (r *recorder) received() []message {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]message(nil), r.messages...)
}

// waitClosed waits for Closed and returns its error.
func (r *recorder) waitClosed(tb testing.TB) error {
	tb.Helper()
	select {
	case <-r.closed:
		return r.err
	case <-time.After(waitTimeout):
		tb.Fatalf("Handler.Closed not called within %v", waitTimeout)
		return nil
	}
}

// isClosed reports whether Closed was called.
func (r *recorder) isClosed() bool {
	select {
	case <-r.closed:
		return true
	default:
		return false
	}
}

// serverConn is one connection the test server accepted.
type serverConn struct {
	*ws.Conn
	rec *recorder
}

// serverConfig sets up a test server.
type serverConfig struct {
	mode readMode
	opts ws.Options
	// echo makes every connection write each message back.
	echo bool
	// onMessage, when set, is every recorder's onMessage.
	onMessage func(c *ws.Conn, op ws.Opcode, data []byte)
	// beforeStart runs between Upgrade and Start.
	beforeStart func(c *ws.Conn)
}

// testServer is an httptest server whose handler upgrades every request
// and starts the connection with a recorder.
type testServer struct {
	srv  *httptest.Server
	mode readMode
	sock string // the Unix socket's path in epollUnix mode

	conns       chan *serverConn
	upgradeErrs chan error

	mu  sync.Mutex
	all []*serverConn
}

// newServer starts a test server. At cleanup every connection it accepted
// is closed, and each must have heard Closed.
func newServer(tb testing.TB, cfg serverConfig) *testServer {
	tb.Helper()
	if cfg.mode == "" {
		cfg.mode = epollTCP
	}
	s := &testServer{
		mode:        cfg.mode,
		conns:       make(chan *serverConn, 1024),
		upgradeErrs: make(chan error, 1024),
	}
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c, err := ws.Upgrade(w, r, cfg.opts)
		if err != nil {
			s.upgradeErrs <- err
			return
		}
		rec := newRecorder()
		rec.onMessage = cfg.onMessage
		if cfg.echo {
			rec.onMessage = func(c *ws.Conn, op ws.Opcode, data []byte) {
				_ = c.Write(op, data, time.Now().Add(waitTimeout))
			}
		}
		sc := &serverConn{Conn: c, rec: rec}
		s.mu.Lock()
		s.all = append(s.all, sc)
		s.mu.Unlock()
		if cfg.beforeStart != nil {
			cfg.beforeStart(c)
		}
		c.Start(rec)
		select {
		case s.conns <- sc:
		default: // a test that opens many connections finds them in s.all
		}
	})
	s.srv = httptest.NewUnstartedServer(handler)
	switch cfg.mode {
	case epollUnix:
		dir, err := os.MkdirTemp("", "ws")
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { os.RemoveAll(dir) })
		s.sock = filepath.Join(dir, "s")
		l, err := net.Listen("unix", s.sock)
		if err != nil {
			tb.Fatal(err)
		}
		s.srv.Listener.Close()
		s.srv.Listener = l
	case goroutinePerConn:
		s.srv.Listener = wrappingListener{s.srv.Listener}
	}
	s.srv.Start()
	tb.Cleanup(func() {
		s.mu.Lock()
		all := s.all
		s.mu.Unlock()
		for _, sc := range all {
			sc.CloseNow()
		}
		deadline := time.After(waitTimeout)
		for i, sc := range all {
			select {
			case <-sc.rec.closed:
			case <-deadline:
				tb.Errorf("connection %d of %d: Handler.Closed not called within %v of CloseNow", i, len(all), waitTimeout)
				return
			}
		}
		s.srv.Close()
	})
	return s
}

// wrappingListener hides the type of the connections it accepts, so the
// package cannot watch them with the poller and reads them on a goroutine
// each.
type wrappingListener struct{ net.Listener }

func (l wrappingListener) Accept() (net.Conn, error) {
	nc, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return struct{ net.Conn }{nc}, nil
}

// dial opens a network connection to the server.
func (s *testServer) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	if s.mode == epollUnix {
		return d.DialContext(ctx, "unix", s.sock)
	}
	return d.DialContext(ctx, "tcp", s.srv.Listener.Addr().String())
}

// httpClient is a client whose connections reach the server in any mode.
func (s *testServer) httpClient() *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) { return s.dial(ctx) },
	}}
}

// wsURL is the server's WebSocket address (the host is ignored in Unix
// mode: httpClient dials the socket).
func (s *testServer) wsURL() string {
	if s.mode == epollUnix {
		return "ws://unix/"
	}
	return "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/"
}

// accept returns the next connection the server upgraded.
func (s *testServer) accept(tb testing.TB) *serverConn {
	tb.Helper()
	select {
	case sc := <-s.conns:
		return sc
	case <-time.After(waitTimeout):
		tb.Fatalf("no connection upgraded within %v", waitTimeout)
		return nil
	}
}

// accepted returns every connection upgraded so far.
func (s *testServer) accepted() []*serverConn {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]*serverConn(nil), s.all...)
}

// upgradeErr returns the error of the next refused upgrade.
func (s *testServer) upgradeErr(tb testing.TB) error {
	tb.Helper()
	select {
	case err := <-s.upgradeErrs:
		return err
	case <-time.After(waitTimeout):
		tb.Fatalf("no upgrade refused within %v", waitTimeout)
		return nil
	}
}

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

// waitGoroutines waits until at most max goroutines run, and fails with
// their stacks if they do not.
func waitGoroutines(tb testing.TB, max int) {
	tb.Helper()
	deadline := time.Now().Add(waitTimeout)
	for runtime.NumGoroutine() > max {
		if time.Now().After(deadline) {
			var buf bytes.Buffer
			pprof.Lookup("goroutine").WriteTo(&buf, 1)
			tb.Fatalf("%d goroutines after %v, want at most %d:\n%s", runtime.NumGoroutine(), waitTimeout, max, buf.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// warmUp opens and closes one connection, so what the package starts once
// per process (the poller) is running before a test counts goroutines.
func warmUp(tb testing.TB, s *testServer) {
	tb.Helper()
	rc, sc := dialRaw(tb, s)
	rc.nc.Close()
	sc.rec.waitClosed(tb)
}
