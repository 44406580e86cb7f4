// Package testproxy is a TCP proxy for tests that puts a service in front of
// the code under test and then misbehaves on demand: it can stop forwarding
// while keeping connections open (a hung database or peer), or cut every
// connection and refuse new ones (a service that went away), and then recover.
package testproxy

import (
	"errors"
	"net"
	"sync"
	"testing"
)

// Proxy forwards TCP connections from Addr to a target address.
type Proxy struct {
	tb     testing.TB
	ln     net.Listener
	target string

	mu      sync.Mutex
	stalled bool
	cut     bool
	resumed chan struct{} // closed by Resume; replaced by Stall
	conns   map[*pair]struct{}
	closed  bool
	wg      sync.WaitGroup
}

// pair is one client connection and its connection to the target.
type pair struct {
	client, server net.Conn
	once           sync.Once
	done           chan struct{}
}

func (c *pair) close() {
	c.once.Do(func() {
		close(c.done)
		_ = c.client.Close()
		_ = c.server.Close()
	})
}

// Start listens on a free loopback port and forwards every connection to
// target ("host:port"). The proxy closes when the test ends.
func Start(tb testing.TB, target string) *Proxy {
	tb.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("testproxy: listen: %v", err)
	}
	p := &Proxy{tb: tb, ln: ln, target: target, conns: map[*pair]struct{}{}, resumed: make(chan struct{})}
	close(p.resumed)
	p.wg.Add(1)
	go p.accept()
	tb.Cleanup(p.Close)
	return p
}

// Addr is the proxy's "host:port"; point the code under test at it.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Stall stops forwarding bytes in both directions. Connections stay open and
// new ones are accepted, but nothing reaches the other side until Resume.
func (p *Proxy) Stall() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if !p.stalled {
		p.stalled = true
		p.resumed = make(chan struct{})
	}
}

// Cut closes every open connection and refuses new ones (they are closed as
// soon as they are accepted) until Resume.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.cut = true
	conns := p.conns
	p.conns = map[*pair]struct{}{}
	p.mu.Unlock()
	for c := range conns {
		c.close()
	}
}

// Resume undoes Stall and Cut: bytes held back by Stall are delivered and new
// connections are forwarded again.
func (p *Proxy) Resume() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = false
	if p.stalled {
		p.stalled = false
		close(p.resumed)
	}
}

// Close stops the proxy and closes every connection. It is called when the
// test ends; calling it earlier is allowed.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return
	}
	p.closed = true
	conns := p.conns
	p.conns = nil
	if p.stalled {
		p.stalled = false
		close(p.resumed)
	}
	p.mu.Unlock()
	_ = p.ln.Close()
	for c := range conns {
		c.close()
	}
	p.wg.Wait()
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		client, err := p.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				p.tb.Logf("testproxy: accept: %v", err)
			}
			return
		}
		p.mu.Lock()
		refuse := p.cut || p.closed
		if !refuse {
			p.wg.Add(1)
		}
		p.mu.Unlock()
		if refuse {
			reset(client)
			continue
		}
		go p.serve(client)
	}
}

func (p *Proxy) serve(client net.Conn) {
	defer p.wg.Done()
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		p.tb.Logf("testproxy: dial %s: %v", p.target, err)
		reset(client)
		return
	}
	c := &pair{client: client, server: server, done: make(chan struct{})}
	p.mu.Lock()
	refuse := p.cut || p.closed
	if !refuse {
		p.conns[c] = struct{}{}
	}
	p.mu.Unlock()
	if refuse { // cut or closed while dialling
		reset(client)
		_ = server.Close()
		return
	}
	defer p.forget(c)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { defer wg.Done(); p.pipe(c, server, client) }()
	go func() { defer wg.Done(); p.pipe(c, client, server) }()
	wg.Wait()
}

// reset closes a connection with a TCP reset, as a refused one would end.
func reset(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

func (p *Proxy) forget(c *pair) {
	p.mu.Lock()
	if p.conns != nil {
		delete(p.conns, c)
	}
	p.mu.Unlock()
}

// pipe copies src to dst, holding each chunk while the proxy is stalled. When
// either side ends, the whole pair is closed.
func (p *Proxy) pipe(c *pair, dst, src net.Conn) {
	defer c.close()
	buf := make([]byte, 32*1024)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if !p.waitFlowing(c) {
				return
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// waitFlowing blocks while the proxy is stalled; false means the pair was
// closed meanwhile.
func (p *Proxy) waitFlowing(c *pair) bool {
	for {
		p.mu.Lock()
		stalled, resumed := p.stalled, p.resumed
		p.mu.Unlock()
		if !stalled {
			select {
			case <-c.done:
				return false
			default:
				return true
			}
		}
		select {
		case <-resumed:
		case <-c.done:
			return false
		}
	}
}
