package testsvc

import (
	"bufio"
	"context"
	"errors"
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
	done chan struct{} // closed when cmd has exited
}

// errPortTaken is a redis-server that could not bind its port: another
// process took it between freePort and the start.
var errPortTaken = errors.New("port taken")

// StartRedis starts a private redis-server on a free loopback port, without
// persistence, and stops it when the test ends. A port taken by another
// process before redis-server binds it is replaced by another one.
func StartRedis(tb testing.TB) *Redis {
	tb.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		unavailable(tb, "redis-server not on PATH")
	}
	r := &Redis{dir: tb.TempDir()}
	tb.Cleanup(func() { r.Stop(tb) })
	for attempt := 1; ; attempt++ {
		r.port = freePort(tb)
		r.Addr = fmt.Sprintf("127.0.0.1:%d", r.port)
		r.URL = "redis://" + r.Addr + "/0"
		err := r.start()
		if err == nil {
			return r
		}
		if !errors.Is(err, errPortTaken) || attempt == 5 {
			tb.Fatalf("redis-server on %s: %v", r.Addr, err)
		}
		tb.Logf("redis-server on %s: %v; trying another port", r.Addr, err)
	}
}

// Start starts the server again on the same port, after Stop, and waits
// until it answers.
func (r *Redis) Start(tb testing.TB) {
	tb.Helper()
	if err := r.start(); err != nil {
		tb.Fatalf("redis-server on %s: %v", r.Addr, err)
	}
}

// start runs redis-server on r.port and waits until it answers PING. It
// returns errPortTaken when the server exited because the port was taken.
func (r *Redis) start() error {
	if r.cmd != nil {
		return errors.New("already running")
	}
	logPath := filepath.Join(r.dir, "redis.log")
	_ = os.Remove(logPath) // the log of an earlier start says nothing of this one
	cmd := exec.Command("redis-server",
		"--port", fmt.Sprint(r.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", r.dir,
		"--logfile", logPath)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start: %w", err)
	}
	r.cmd, r.done = cmd, make(chan struct{})
	done := r.done
	go func() { _ = cmd.Wait(); close(done) }()
	// Ready only once this server says it listens: a PING alone could be
	// answered by another server that took the port.
	deadline := time.Now().Add(10 * time.Second)
	for {
		log, _ := os.ReadFile(logPath)
		err := errors.New("not ready")
		if strings.Contains(string(log), "Ready to accept connections") {
			if err = pingRedis(r.URL); err == nil {
				return nil
			}
		}
		select {
		case <-done:
			// It exited: it never bound the port.
			r.cmd = nil
			log, _ := os.ReadFile(logPath)
			if strings.Contains(string(log), "Address already in use") {
				return errPortTaken
			}
			return fmt.Errorf("exited during start:\n%s", log)
		default:
		}
		if time.Now().After(deadline) {
			log, _ := os.ReadFile(logPath)
			return fmt.Errorf("did not answer: %v\n%s", err, log)
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
	<-r.done
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
