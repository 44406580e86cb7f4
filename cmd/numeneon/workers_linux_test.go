package main_test

// Several workers on one port are Linux-only (see multipleWorkers), and so
// are these tests; they also read the workers' pids from /proc.

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"

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

	if err := sup.cmd.Process.Signal(unix.SIGTERM); err != nil {
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
		if err := unix.Kill(pid, 0); !errors.Is(err, unix.ESRCH) {
			// A zombie is gone as far as serving goes; check /proc state.
			if b, _ := os.ReadFile("/proc/" + itoa(pid) + "/stat"); len(b) > 0 {
				t.Errorf("worker %d still exists after the supervisor exited", pid)
			}
		}
	}
}

func TestNoLossWhenWorkerKilled(t *testing.T) {
	eachSharedLayer(t, ownRedis, testNoLossWhenWorkerKilled)
}

func testNoLossWhenWorkerKilled(t *testing.T, env []string) {
	sup := startProc(t, env, "--workers", "2")
	if n := len(sup.children()); n != 2 {
		t.Fatalf("supervisor runs %d workers, want 2", n)
	}

	sender := newUser(t, sup.URL, "sender")
	// 16 receivers: the kernel spreads their sockets over both workers, so
	// some sit on the one that is killed (all on one: 1 chance in 32,768).
	receivers := make([]*client.Client, 16)
	streams := make([]*client.Stream, len(receivers))
	for i := range receivers {
		receivers[i] = newUser(t, sup.URL, "recv")
		s, err := receivers[i].Stream(t.Context(), nil, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		streams[i] = s
	}

	var once sync.Once
	sendLoop(t, sender, receivers, []string{sup.URL}, 400, func(i int) {
		if i == 150 {
			once.Do(func() {
				pids := sup.children()
				t.Logf("killing worker pid %d of %v", pids[0], pids)
				if err := unix.Kill(pids[0], unix.SIGKILL); err != nil {
					t.Fatal(err)
				}
			})
		}
	})
	reconnected := 0
	for i, r := range receivers {
		checkExactlyOnce(t, fmt.Sprintf("receiver %d", i), r, streams[i])
		reconnected += streams[i].Report().Reconnects
	}
	if reconnected == 0 {
		t.Errorf("no socket had to reconnect: none sat on the killed worker, so the test proved nothing")
	}
	// The supervisor replaced the dead worker.
	deadline := time.Now().Add(20 * time.Second)
	for len(sup.children()) != 2 && time.Now().Before(deadline) {
		time.Sleep(50 * time.Millisecond)
	}
	if n := len(sup.children()); n != 2 {
		t.Errorf("after the kill the supervisor runs %d workers, want 2", n)
	}
}

// children returns the pids of the process's direct children (the workers).
// Linux lists a child under the thread that forked it, so every thread of
// the process is read.
func (p *proc) children() []int {
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", p.cmd.Process.Pid))
	var pids []int
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			if n, err := strconv.Atoi(f); err == nil {
				pids = append(pids, n)
			}
		}
	}
	return pids
}
