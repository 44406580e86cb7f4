package redis_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"strconv"
	"strings"
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

// commandCalls returns the calls per command from INFO commandstats, e.g.
// "publish" → 12. The INFO call itself is counted by the server.
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

// callsSince returns the calls per command made between two snapshots,
// leaving out the commands the test itself uses to measure.
func callsSince(before, after map[string]int64) map[string]int64 {
	diff := make(map[string]int64)
	for name, n := range after {
		if name == "info" || name == "config|resetstat" || name == "config" {
			continue
		}
		if d := n - before[name]; d > 0 {
			diff[name] = d
		}
	}
	return diff
}

func total(calls map[string]int64) int64 {
	var n int64
	for _, c := range calls {
		n += c
	}
	return n
}
