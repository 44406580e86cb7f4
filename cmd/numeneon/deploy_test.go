package main_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/numeneon/numeneon/client"
)

// balancer is the load balancer of a platform in front of a deployment: it
// sends each request and socket handshake to one of its current backends in
// turn. A rolling deploy adds the new instance, removes the old one, and only
// then sends the old one SIGTERM.
type balancer struct {
	*httptest.Server
	mu       sync.Mutex
	backends []*url.URL
	next     atomic.Uint64
}

func newBalancer(t *testing.T) *balancer {
	b := &balancer{}
	proxy := &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			b.mu.Lock()
			target := b.backends[int(b.next.Add(1))%len(b.backends)]
			b.mu.Unlock()
			r.SetURL(target)
			r.Out.Host = r.In.Host // the Origin check sees the public host
		},
		FlushInterval: -1,
	}
	b.Server = httptest.NewServer(proxy)
	t.Cleanup(b.Server.Close)
	return b
}

// route makes procs the backends.
func (b *balancer) route(procs ...*proc) {
	var us []*url.URL
	for _, p := range procs {
		u, _ := url.Parse(p.URL)
		us = append(us, u)
	}
	b.mu.Lock()
	b.backends = us
	b.mu.Unlock()
}

// TestRollingDeployLosesNothing: instances A and B share the database and
// the layer behind a load balancer; clients hold sockets through it and
// messages flow. A is replaced by C (C starts, takes traffic, A gets
// SIGTERM), then B by D. Every socket on an old instance is closed with 1012
// and resumes on a new one; every stored event reaches its receiver once,
// in order; each old instance exits cleanly within its bound.
func TestRollingDeployLosesNothing(t *testing.T) {
	eachSharedLayer(t, ownRedis, testRollingDeployLosesNothing)
}

func testRollingDeployLosesNothing(t *testing.T, env []string) {
	a, b := startProc(t, env), startProc(t, env)
	lb := newBalancer(t)
	lb.route(a, b)

	sender := newUser(t, lb.URL, "sender")
	receivers := make([]*client.Client, 12)
	streams := make([]*client.Stream, len(receivers))
	for i := range receivers {
		receivers[i] = newUser(t, lb.URL, "recv")
		s, err := receivers[i].Stream(t.Context(), []string{lb.URL}, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		streams[i] = s
	}

	replace := func(old, keep *proc) *proc {
		t.Helper()
		fresh := startProc(t, env)
		lb.route(keep, fresh)
		start := time.Now()
		old.Stop()
		took := time.Since(start)
		if old.err != nil {
			t.Errorf("the old instance exited with %v after SIGTERM:\n%s", old.err, old.out.String())
		}
		t.Logf("old instance exited %v after SIGTERM", took.Round(time.Millisecond))
		return fresh
	}
	var c *proc
	sendLoop(t, sender, receivers, []string{lb.URL}, 600, func(i int) {
		switch i {
		case 150:
			c = replace(a, b)
		case 350:
			replace(b, c)
		}
	})

	moved := 0
	for i, r := range receivers {
		checkExactlyOnce(t, fmt.Sprintf("receiver %d", i), r, streams[i])
		rep := streams[i].Report()
		if rep.Disordered != 0 {
			t.Errorf("receiver %d: %d events out of order", i, rep.Disordered)
		}
		for code, n := range rep.Closes {
			if code != 1012 {
				t.Errorf("receiver %d: %d sockets closed with %d, want 1012 (service restart)", i, n, code)
			}
		}
		moved += rep.Closes[1012]
	}
	// Every socket sat on A or B, and both were replaced.
	if moved < len(receivers) {
		t.Errorf("%d sockets were closed with 1012 and moved, want at least %d (one per receiver)", moved, len(receivers))
	}
}

// TestSIGTERMFinishesRequestsInFlight: a message whose request is still
// arriving when the process gets SIGTERM is answered 201, and its event,
// published while the process shuts down, reaches the receiver's socket on
// another process live; the process stops accepting at once and exits
// cleanly once the request is done.
func TestSIGTERMFinishesRequestsInFlight(t *testing.T) {
	env := postgresEnv(t)
	a, b := startProc(t, env), startProc(t, env)
	sender, receiver := newUser(t, a.URL, "inflight"), newUser(t, b.URL, "inflight")
	stream, err := receiver.Stream(t.Context(), []string{b.URL}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer stream.Close()

	addr := strings.TrimPrefix(a.URL, "http://")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	body := fmt.Sprintf(`{"receiver_id": %d, "content": "sent during shutdown"}`, receiver.UserID)
	fmt.Fprintf(conn, "POST /api/messages/ HTTP/1.1\r\nHost: %s\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s",
		addr, sender.Access, len(body), body[:10])
	// The request is in flight once the server has read its headers and
	// waits for the rest of the body: then /metrics counts it next to its
	// own scrape. A signal before that could close the listener with the
	// connection still in its backlog, never accepted.
	waitMetric(t, a, "numeneon_http_requests_in_flight", 2)

	if err := a.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// The listener closes first: new connections are refused.
	deadline := time.Now().Add(10 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			break
		}
		c.Close()
		if time.Now().After(deadline) {
			t.Fatal("the process still accepts connections 10 s after SIGTERM")
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := conn.Write([]byte(body[10:])); err != nil {
		t.Fatalf("finish the request: %v", err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("read the answer to the request in flight: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("the request in flight at SIGTERM got %s, want 201 Created", resp.Status)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := stream.WaitCount(ctx, 1); err != nil {
		t.Fatalf("the message sent during shutdown did not reach the receiver's socket on the other process: %v", err)
	}
	select {
	case <-a.done:
		if a.err != nil {
			t.Errorf("exit after SIGTERM: %v\n%s", a.err, a.out.String())
		}
	case <-time.After(20 * time.Second):
		t.Fatal("the process did not exit within 20 s of SIGTERM")
	}
}
