package ws_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
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

	inMessage     atomic.Bool  // Message is running
	closedN       atomic.Int32 // calls of Closed
	lateMessages  atomic.Int32 // messages delivered after Closed
	closedTooSoon atomic.Int32 // calls of Closed while Message ran
	closed        chan struct{}
	err           error // why it closed; set before closed is closed
}

func newRecorder() *recorder {
	return &recorder{notify: make(chan struct{}, 1), closed: make(chan struct{})}
}

func (r *recorder) Message(c *ws.Conn, op ws.Opcode, data []byte) {
	if r.closedN.Load() > 0 {
		r.lateMessages.Add(1)
	}
	r.inMessage.Store(true)
	defer r.inMessage.Store(false)
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
	if r.inMessage.Load() {
		r.closedTooSoon.Add(1)
	}
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
// is closed, and each must have heard Closed once, after its last Message.
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
	if cfg.mode != goroutinePerConn && cfg.opts.Poller == nil {
		// The server owns its poller, closed once its connections are
		// (cleanups run last first).
		p, err := ws.NewPoller(slog.New(slog.NewTextHandler(testWriter{tb}, nil)))
		switch {
		case errors.Is(err, ws.ErrPollerUnavailable):
		case err != nil:
			tb.Fatalf("NewPoller: %v", err)
		default:
			tb.Cleanup(func() {
				if err := p.Close(); err != nil {
					tb.Errorf("close poller: %v", err)
				}
			})
		}
		cfg.opts.Poller = p
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
			if n := sc.rec.closedN.Load(); n != 1 {
				tb.Errorf("connection %d of %d: Closed called %d times", i, len(all), n)
			}
			if n := sc.rec.lateMessages.Load(); n != 0 {
				tb.Errorf("connection %d of %d: %d messages delivered after Closed", i, len(all), n)
			}
			if n := sc.rec.closedTooSoon.Load(); n != 0 {
				tb.Errorf("connection %d of %d: Closed called while Message ran", i, len(all))
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

// warmUp opens and closes one connection, so what a server starts once (its
// poller) and net/http's pools are running before a test counts goroutines.
func warmUp(tb testing.TB, s *testServer) {
	tb.Helper()
	rc, sc := dialRaw(tb, s)
	rc.nc.Close()
	sc.rec.waitClosed(tb)
}

// testWriter sends a logger's lines to the test's log.
type testWriter struct{ tb testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.tb.Logf("%s", bytes.TrimSuffix(p, []byte("\n")))
	return len(p), nil
}
