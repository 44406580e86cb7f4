package testsvc

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// DefaultRedisURL is the shared server used when NUMENEON_TEST_REDIS_URL is not set.
const DefaultRedisURL = "redis://127.0.0.1:6379/0"

// RedisURL returns the URL of the shared Redis server after checking that it
// answers PING. Tests sharing it must isolate themselves by key and channel
// prefix, never by FLUSHALL.
func RedisURL(tb testing.TB) string {
	tb.Helper()
	u := envOr("NUMENEON_TEST_REDIS_URL", DefaultRedisURL)
	if err := pingRedis(u); err != nil {
		unavailable(tb, "Redis at %s: %v", redactURL(u), err)
	}
	return u
}

// Redis is a private redis-server started by a test.
type Redis struct {
	URL  string
	Addr string
	dir  string
	port int
	cmd  *exec.Cmd
}

// StartRedis starts a private redis-server on a free loopback port, without
// persistence, and stops it when the test ends.
func StartRedis(tb testing.TB) *Redis {
	tb.Helper()
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		unavailable(tb, "redis-server not on PATH")
	}
	_ = bin
	r := &Redis{dir: tb.TempDir(), port: freePort(tb)}
	r.Addr = fmt.Sprintf("127.0.0.1:%d", r.port)
	r.URL = "redis://" + r.Addr + "/0"
	r.Start(tb)
	tb.Cleanup(func() { r.Stop(tb) })
	return r
}

// Start starts the server (again) on the same port and waits until it answers.
func (r *Redis) Start(tb testing.TB) {
	tb.Helper()
	if r.cmd != nil {
		tb.Fatalf("redis-server already running")
	}
	r.cmd = exec.Command("redis-server",
		"--port", fmt.Sprint(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir,
		"--logfile", filepath.Join(r.dir, "redis.log"))
	if err := r.cmd.Start(); err != nil {
		tb.Fatalf("start redis-server: %v", err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := pingRedis(r.URL); err == nil {
			return
		} else if time.Now().After(deadline) {
			log, _ := os.ReadFile(filepath.Join(r.dir, "redis.log"))
			tb.Fatalf("redis-server on %s did not answer: %v\n%s", r.Addr, err, log)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// Stop kills the server (SIGKILL, as a crash would) and waits for it to exit.
// Stopping a stopped server does nothing.
func (r *Redis) Stop(tb testing.TB) {
	tb.Helper()
	if r.cmd == nil {
		return
	}
	_ = r.cmd.Process.Kill()
	_ = r.cmd.Wait()
	r.cmd = nil
}

// pingRedis sends PING over a raw connection, so this package does not
// depend on a Redis client.
func pingRedis(rawURL string) error {
	u, err := url.Parse(rawURL)
	if err != nil {
		return err
	}
	if u.Scheme != "redis" {
		return nil // rediss:// and others are checked by the test itself
	}
	host := u.Host
	if !strings.Contains(host, ":") {
		host += ":6379"
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return err
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(2 * time.Second))
	if pw, ok := u.User.Password(); ok {
		fmt.Fprintf(conn, "AUTH %s\r\n", pw)
		if _, err := bufio.NewReader(conn).ReadString('\n'); err != nil {
			return err
		}
	}
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("unexpected answer to PING: %q", strings.TrimSpace(line))
	}
	return nil
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(tb testing.TB) int {
	tb.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatalf("find a free port: %v", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// FreePort returns a loopback TCP port that was free a moment ago.
func FreePort(tb testing.TB) int {
	tb.Helper()
	return freePort(tb)
}
