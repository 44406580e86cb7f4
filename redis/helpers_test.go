package redis_test

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"maps"
	"net"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/numeneon/numeneon/redis"
)

// testOptions returns options for url with a prefix no other test uses, and
// logs that go to the test.
func testOptions(t testing.TB, url string) redis.Options {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return redis.Options{
		URL:    url,
		Prefix: "numeneon-test:" + hex.EncodeToString(b[:]) + ":",
		Logger: slog.New(slog.NewTextHandler(testWriter{t}, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
}

// testWriter sends log lines to t.Log.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Logf("%s", p)
	return len(p), nil
}

// mustNewLayer opens a layer and closes it at the end of the test.
func mustNewLayer(t testing.TB, opts redis.Options) *redis.Layer {
	t.Helper()
	l, err := redis.NewLayer(t.Context(), opts)
	if err != nil {
		t.Fatalf("NewLayer: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}

// mustNewPresence opens a presence and closes it at the end of the test.
func mustNewPresence(t testing.TB, opts redis.Options) *redis.Presence {
	t.Helper()
	p, err := redis.NewPresence(t.Context(), opts)
	if err != nil {
		t.Fatalf("NewPresence: %v", err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// adminClient is a plain client for inspecting a server.
func adminClient(t testing.TB, url string) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// poll calls cond until it holds or the deadline passes.
func poll(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// commandMonitor counts the commands clients send to a server, seen through
// MONITOR. Unlike INFO commandstats it leaves out the commands scripts run,
// matching how hosted Redis plans count: one EVALSHA is one command.
type commandMonitor struct {
	mu     sync.Mutex
	counts map[string]int64
	lines  []string
	conn   net.Conn
	done   chan struct{}

	ctl   net.Conn // sends the ECHO markers of Sync
	syncs int64
}

// monitor starts counting the commands sent to the server at addr from now on.
func monitor(t testing.TB, addr string) *commandMonitor {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	ctl, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	m := &commandMonitor{counts: make(map[string]int64), conn: conn, ctl: ctl, done: make(chan struct{})}
	rd := bufio.NewReader(conn)
	if _, err := conn.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatalf("MONITOR: %v", err)
	}
	if line, err := rd.ReadString('\n'); err != nil || !strings.HasPrefix(line, "+OK") {
		t.Fatalf("MONITOR: %q, %v", line, err)
	}
	go func() {
		defer close(m.done)
		for {
			line, err := rd.ReadString('\n')
			if err != nil {
				return
			}
			// +1700000000.123456 [0 127.0.0.1:52345] "evalsha" "..." ...
			_, rest, ok := strings.Cut(line, "] \"")
			if !ok || strings.Contains(line, " lua] ") {
				continue
			}
			name, _, _ := strings.Cut(rest, "\"")
			m.mu.Lock()
			m.counts[strings.ToLower(name)]++
			m.lines = append(m.lines, strings.TrimSpace(line))
			m.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		_ = conn.Close()
		_ = ctl.Close()
		<-m.done
	})
	return m
}

// Sync waits until the monitor has seen every command the server executed
// before this call: MONITOR streams them asynchronously, in execution order,
// so once a marker sent now has arrived, everything before it has too.
func (m *commandMonitor) Sync(t testing.TB) {
	t.Helper()
	if _, err := m.ctl.Write([]byte("ECHO sync\r\n")); err != nil {
		t.Fatalf("ECHO: %v", err)
	}
	buf := make([]byte, 64)
	if _, err := m.ctl.Read(buf); err != nil {
		t.Fatalf("ECHO: %v", err)
	}
	m.syncs++
	poll(t, "the monitor to catch up", func() bool {
		m.mu.Lock()
		defer m.mu.Unlock()
		return m.counts["echo"] >= m.syncs
	})
}

// Counts returns the commands seen so far, by name, without Sync's markers.
func (m *commandMonitor) Counts() map[string]int64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	c := maps.Clone(m.counts)
	delete(c, "echo")
	return c
}

// Lines returns the raw MONITOR lines seen so far, for failure messages.
func (m *commandMonitor) Lines() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.lines)
}

func total(calls map[string]int64) int64 {
	var n int64
	for _, c := range calls {
		n += c
	}
	return n
}

// commandCalls returns the calls per command from INFO commandstats, e.g.
// "subscribe" → 3. It counts the commands scripts run too.
func commandCalls(t testing.TB, c *goredis.Client) map[string]int64 {
	t.Helper()
	info, err := c.Info(context.Background(), "commandstats").Result()
	if err != nil {
		t.Fatalf("INFO commandstats: %v", err)
	}
	calls := make(map[string]int64)
	for _, line := range strings.Split(info, "\n") {
		// cmdstat_publish:calls=12,usec=40,...
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for _, field := range strings.Split(rest, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				n, err := strconv.ParseInt(v, 10, 64)
				if err != nil {
					t.Fatalf("parse %q: %v", line, err)
				}
				calls[strings.TrimPrefix(name, "cmdstat_")] = n
			}
		}
	}
	return calls
}
