package realtime_test

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon/realtime"
)

// BenchmarkIdleSocketMemory opens N authenticated sockets to one hub and
// reports what they keep alive once idle: live heap plus goroutine stacks
// per socket, after a GC. The clients are bare TCP connections that did the
// handshake by hand and run no goroutine, so almost all of the figure is the
// server's (each client net.Conn adds about 0.2 KiB). ns/op is the time to
// open the N sockets.
func BenchmarkIdleSocketMemory(b *testing.B) {
	const n = 2000
	e := newEnv(b, func(c *realtime.Config) {
		c.Logger = slog.New(slog.DiscardHandler)
		c.SocketsPerUser = n
	})
	const users = 50
	for i := range users {
		e.createUser(b, fmt.Sprintf("idle%d", i))
	}
	addr := strings.TrimPrefix(e.srv.URL, "http://")
	var perSocket, stackPerSocket float64
	for b.Loop() {
		conns := make([]net.Conn, 0, n)
		for i := range n {
			conns = append(conns, rawDial(b, addr, fmt.Sprintf("tok-idle%d", i%users)))
		}
		b.StopTimer()
		waitFor(b, "sockets open", func() bool { return e.hub.Sockets() == n })
		// Memory with the sockets open, then with them closed: the
		// difference is what the sockets hold, whatever the handshakes
		// left behind in pools and caches.
		var open, closed runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&open)
		for _, c := range conns {
			c.Close()
		}
		waitFor(b, "sockets closed", func() bool { return e.hub.Sockets() == 0 })
		runtime.GC()
		runtime.ReadMemStats(&closed)
		heap := float64(open.HeapAlloc) - float64(closed.HeapAlloc)
		stack := float64(open.StackInuse) - float64(closed.StackInuse)
		perSocket = (heap + stack) / n
		stackPerSocket = stack / n
		b.StartTimer()
	}
	b.ReportMetric(perSocket, "B/socket")
	b.ReportMetric(stackPerSocket, "stackB/socket")
}

// rawDial opens a socket with a hand-written handshake and reads the
// connection_established message, leaving nothing running on the client.
func rawDial(tb testing.TB, addr, token string) net.Conn {
	tb.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		tb.Fatalf("dial: %v", err)
	}
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	_, err = fmt.Fprintf(c, "GET /ws/notifications/?token=%s HTTP/1.1\r\nHost: %s\r\n"+
		"Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"+
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n", token, addr)
	if err != nil {
		tb.Fatalf("write handshake: %v", err)
	}
	br := bufio.NewReaderSize(c, 512)
	resp, err := http.ReadResponse(br, nil)
	if err != nil || resp.StatusCode != http.StatusSwitchingProtocols {
		tb.Fatalf("handshake: status %v, error %v", resp, err)
	}
	var hdr [2]byte
	if _, err := io.ReadFull(br, hdr[:]); err != nil {
		tb.Fatalf("read first frame: %v", err)
	}
	size := int(hdr[1] & 0x7f)
	if size == 126 {
		var ext [2]byte
		if _, err := io.ReadFull(br, ext[:]); err != nil {
			tb.Fatalf("read first frame: %v", err)
		}
		size = int(binary.BigEndian.Uint16(ext[:]))
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(br, payload); err != nil {
		tb.Fatalf("read first frame: %v", err)
	}
	if !strings.Contains(string(payload), "connection_established") {
		tb.Fatalf("first frame = %s", payload)
	}
	_ = c.SetDeadline(time.Time{})
	return c
}
