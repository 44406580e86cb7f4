package main_test

import (
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/numeneon/numeneon/client"
)

// TestWorkersShareOnePortAndStopOnSIGTERM: --workers 2 runs two processes on
// one port; users whose sockets sit on different workers get each other's
// events; SIGTERM stops every worker and the supervisor exits cleanly.
func TestWorkersShareOnePortAndStopOnSIGTERM(t *testing.T) {
	eachSharedLayer(t, ownRedis, testWorkersShareOnePortAndStopOnSIGTERM)
}

func testWorkersShareOnePortAndStopOnSIGTERM(t *testing.T, env []string) {
	sup := startProc(t, env, "--workers", "2")
	workers := sup.children()
	if len(workers) != 2 {
		t.Fatalf("supervisor runs %d workers, want 2", len(workers))
	}

	// Open sockets until both workers hold some: the kernel spreads
	// connections over the workers.
	sender := newUser(t, sup.URL, "sender")
	var streams []*client.Stream
	var receivers []*client.Client
	for i := 0; i < 12; i++ {
		r := newUser(t, sup.URL, "recv")
		s, err := r.Stream(t.Context(), nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		receivers = append(receivers, r)
		streams = append(streams, s)
	}
	sendLoop(t, sender, receivers, []string{sup.URL}, 120, nil)
	for i, r := range receivers {
		checkExactlyOnce(t, "receiver", r, streams[i])
		_ = i
	}

	if err := sup.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-sup.done:
	case <-time.After(30 * time.Second):
		t.Fatal("supervisor did not exit within 30s of SIGTERM")
	}
	if sup.err != nil {
		t.Errorf("supervisor exit after SIGTERM: %v, want success", sup.err)
	}
	for _, pid := range workers {
		if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
			// A zombie is gone as far as serving goes; check /proc state.
			if b, _ := os.ReadFile("/proc/" + itoa(pid) + "/stat"); len(b) > 0 {
				t.Errorf("worker %d still exists after the supervisor exited", pid)
			}
		}
	}
}
