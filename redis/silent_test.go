package redis_test

import (
	"context"
	"log/slog"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
)

// TestLayerDetectsASilentServer freezes Redis (SIGSTOP) so that the
// subscriber connection stays open but nothing answers, as behind a dead
// proxy. The layer's own health check must notice, and once Redis answers
// again the layer must reconnect, tell the hub and deliver.
func TestLayerDetectsASilentServer(t *testing.T) {
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

	lost := make(chan struct{}, 1)
	opts := testOptions(t, srv.URL)
	opts.Logger = slog.New(&noticeHandler{Handler: opts.Logger.Handler(), match: "connection lost", notice: lost})
	opts.HeartbeatInterval = 100 * time.Millisecond
	opts.MaxReconnectDelay = 200 * time.Millisecond
	l := mustNewLayer(t, opts)
	rec := layertest.NewRecorder()
	l.Listen(rec)
	if err := l.Subscribe(t.Context(), 1); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP redis-server: %v", err)
	}
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			_ = syscall.Kill(pid, syscall.SIGCONT)
		}
	}
	t.Cleanup(resume)
	select {
	case <-lost:
	case <-time.After(20 * time.Second):
		t.Fatalf("the layer did not notice a server that stopped answering")
	}
	resume()

	rec.WaitFor(t, "LayerReconnected", func(r *layertest.Recorder) bool { return r.Reconnects() >= 1 })
	frame := []byte(`{"type":"after-freeze"}`)
	poll(t, "a successful publish", func() bool {
		ctx, cancel := context.WithTimeout(t.Context(), time.Second)
		defer cancel()
		return l.Publish(ctx, numeneon.Envelope{UserID: 1, ID: 1, Frame: frame}) == nil
	})
	rec.WaitForEnvelope(t, 1, frame)
}

// noticeHandler signals notice when a record's message contains match.
type noticeHandler struct {
	slog.Handler
	match  string
	notice chan struct{}
}

func (h *noticeHandler) Handle(ctx context.Context, r slog.Record) error {
	if strings.Contains(r.Message, h.match) {
		select {
		case h.notice <- struct{}{}:
		default:
		}
	}
	return h.Handler.Handle(ctx, r)
}

func (h *noticeHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &noticeHandler{Handler: h.Handler.WithAttrs(attrs), match: h.match, notice: h.notice}
}

func (h *noticeHandler) WithGroup(name string) slog.Handler {
	return &noticeHandler{Handler: h.Handler.WithGroup(name), match: h.match, notice: h.notice}
}
