//go:build unix

package redis_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
)

// TestLayerSurvivesAFrozenServer freezes Redis (SIGSTOP): the subscriber
// connection stays open but nothing answers, and the layer sends no health
// check to notice (TCP keepalive only catches a dead peer). What a user
// notices is that nothing is lost: an envelope published during the freeze
// fails fast, is kept by the publisher, and reaches the handler once Redis
// runs again (SIGCONT), over the same subscriber connection; so does one
// published afterwards.
func TestLayerSurvivesAFrozenServer(t *testing.T) {
	srv := testsvc.StartRedis(t)
	admin := adminClient(t, srv.URL)
	info, err := admin.Info(t.Context(), "server").Result()
	if err != nil {
		t.Fatalf("INFO server: %v", err)
	}
	pid := 0
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "process_id:"); ok {
			pid, _ = strconv.Atoi(v)
		}
	}
	if pid == 0 {
		t.Fatalf("no process_id in INFO server")
	}

	opts := testOptions(t, srv.URL)
	opts.HeartbeatInterval = 100 * time.Millisecond
	opts.PublishTimeout = 300 * time.Millisecond
	l := mustNewLayer(t, opts)
	rec := layertest.NewRecorder()
	l.Listen(rec)
	if err := l.Subscribe(t.Context(), 1); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	if err := unix.Kill(pid, unix.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP redis-server: %v", err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = unix.Kill(pid, unix.SIGCONT)
		}
	}
	t.Cleanup(resume)
	during := []byte(`{"type":"during-freeze"}`)
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	err = l.Publish(ctx, numeneon.Envelope{UserID: 1, ID: 1, Frame: during})
	cancel()
	if err == nil {
		t.Fatalf("a publish to a frozen server succeeded; the server was not frozen")
	}
	resume()

	rec.WaitForEnvelope(t, 1, during)
	after := []byte(`{"type":"after-freeze"}`)
	poll(t, "a successful publish", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		return l.Publish(ctx, numeneon.Envelope{UserID: 1, ID: 2, Frame: after}) == nil
	})
	rec.WaitForEnvelope(t, 1, after)
	if n := rec.Reconnects(); n != 0 {
		t.Errorf("the layer reconnected %d times; the subscriber connection should have outlived the freeze", n)
	}
}
