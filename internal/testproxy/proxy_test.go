package testproxy

import (
	"bufio"
	"errors"
	"io"
	"net"
	"os"
	"testing"
	"time"
)

// echoServer answers every line with the same line, until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func dial(t *testing.T, p *Proxy) *client {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return &client{t: t, conn: c, r: bufio.NewReader(c)}
}

func (c *client) send(line string) {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(line + "\n")); err != nil {
		c.t.Fatalf("write: %v", err)
	}
}

// readLine waits up to d for a line.
func (c *client) readLine(d time.Duration) (string, error) {
	_ = c.conn.SetReadDeadline(time.Now().Add(d))
	s, err := c.r.ReadString('\n')
	if err != nil {
		return "", err
	}
	return s[:len(s)-1], nil
}

func (c *client) expect(want string) {
	c.t.Helper()
	got, err := c.readLine(10 * time.Second)
	if err != nil || got != want {
		c.t.Fatalf("read = %q, %v; want %q", got, err, want)
	}
}

// expectClosed waits for the connection to end (EOF or reset), not a timeout.
func (c *client) expectClosed() {
	c.t.Helper()
	got, err := c.readLine(10 * time.Second)
	if err == nil {
		c.t.Fatalf("read %q from a connection that should be closed", got)
	}
	if errors.Is(err, os.ErrDeadlineExceeded) {
		c.t.Fatalf("connection still open: %v", err)
	}
}

// expectRefused dials the proxy and expects the connection to fail or end
// without a byte.
func expectRefused(t *testing.T, p *Proxy) {
	t.Helper()
	conn, err := net.Dial("tcp", p.Addr())
	if err != nil {
		return // refused while connecting
	}
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
	defer conn.Close()
	c.expectClosed()
}

func TestForwards(t *testing.T) {
	p := Start(t, echoServer(t))
	a, b := dial(t, p), dial(t, p)
	a.send("hello")
	b.send("world")
	a.expect("hello")
	b.expect("world")
}

func TestStallHoldsBytesUntilResume(t *testing.T) {
	p := Start(t, echoServer(t))
	a := dial(t, p)
	a.send("before")
	a.expect("before")

	p.Stall()
	a.send("during")
	late := dial(t, p) // accepted while stalled, forwarded nothing yet
	late.send("late")
	// A stalled proxy keeps the connection open and delivers nothing: the
	// read ends by its own deadline, not by data or EOF.
	if got, err := a.readLine(200 * time.Millisecond); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read through a stalled proxy = %q, %v; want a timeout", got, err)
	}

	p.Resume()
	a.expect("during")
	late.expect("late")
	a.send("after")
	a.expect("after")
}

func TestCutClosesAndRefusesUntilResume(t *testing.T) {
	p := Start(t, echoServer(t))
	a := dial(t, p)
	a.send("one")
	a.expect("one")

	p.Cut()
	a.expectClosed()
	expectRefused(t, p)

	p.Resume()
	b := dial(t, p)
	b.send("two")
	b.expect("two")
}

func TestCutWhileStalled(t *testing.T) {
	p := Start(t, echoServer(t))
	a := dial(t, p)
	p.Stall()
	a.send("held")
	p.Cut()
	a.expectClosed()
	p.Resume()
	b := dial(t, p)
	b.send("fresh")
	b.expect("fresh")
}

func TestCloseEndsConnections(t *testing.T) {
	p := Start(t, echoServer(t))
	a := dial(t, p)
	a.send("x")
	a.expect("x")
	p.Close()
	a.expectClosed()
	if c, err := net.Dial("tcp", p.Addr()); err == nil {
		_ = c.Close()
		t.Fatal("dial after Close succeeded")
	}
}
