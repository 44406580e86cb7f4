package main_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/numeneon/numeneon/internal/testlog"
	"github.com/numeneon/numeneon/internal/testsvc"
)

// binary is the numeneon executable built once for these tests.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "numeneon-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binary = filepath.Join(dir, "numeneon")
	args := []string{"build", "-o", binary}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
	if err != nil {
		fmt.Fprintf(os.Stderr, "build numeneon: %v\n%s", err, out)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// proc is a running numeneon process.
type proc struct {
	t    *testing.T
	cmd  *exec.Cmd
	URL  string
	Port int
	out  *testlog.Buffer
	done chan struct{}
	err  error
}

// baseEnv is the environment of every process a test starts: nothing from
// the developer's shell leaks in, and rate limits are off for the volumes
// these tests send.
func baseEnv(t *testing.T) []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + t.TempDir(),
		"NUMENEON_DATA_DIR=" + t.TempDir(),
		"RATE_LIMITS=off",
		"SECRET_KEY=test-secret-key-0123456789abcdefghijklmnopqrstuvwxyz",
		// No test reaches the internet: a test that needs the catalogue
		// sets a local stand-in (internal/fakedeezer).
		"MUSIC_API_URL=off",
	}
}

// startProc runs numeneon with env and args on a free port and waits until
// it says it listens (NUMENEON_READY_FD; a supervisor once every worker
// does) and /healthz answers. A port that another process took first is
// replaced by another one. The process is stopped (SIGTERM) when the test
// ends.
func startProc(t *testing.T, env []string, args ...string) *proc {
	t.Helper()
	for attempt := 1; ; attempt++ {
		p, err := tryStartProc(t, env, args...)
		if err == nil {
			return p
		}
		if !errors.Is(err, errPortTaken) || attempt == 5 {
			t.Fatal(err)
		}
		t.Logf("numeneon on port %d: %v; trying another port", p.Port, err)
	}
}

// errPortTaken is a numeneon that could not listen: another process took
// its port between FreePort and the start.
var errPortTaken = errors.New("port taken")

func tryStartProc(t *testing.T, env []string, args ...string) (*proc, error) {
	t.Helper()
	port := testsvc.FreePort(t)
	p := &proc{t: t, Port: port, URL: "http://127.0.0.1:" + strconv.Itoa(port), out: &testlog.Buffer{}, done: make(chan struct{})}
	p.cmd = exec.Command(binary, append([]string{"serve", "--port", strconv.Itoa(port), "--host", "127.0.0.1"}, args...)...)
	p.cmd.Env = env
	p.cmd.Stdout, p.cmd.Stderr = p.out, p.out
	readyR, readyW, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	ready := make(chan struct{})
	if runtime.GOOS == "windows" {
		// No inherited descriptors there: /healthz below is the only
		// signal.
		close(ready)
	} else {
		p.cmd.Env = append(env, "NUMENEON_READY_FD=3")
		p.cmd.ExtraFiles = []*os.File{readyW}
	}
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start numeneon: %v", err)
	}
	readyW.Close()
	go func() {
		defer readyR.Close()
		if n, _ := readyR.Read(make([]byte, 1)); n > 0 {
			close(ready)
		}
	}()
	go func() { p.err = p.cmd.Wait(); close(p.done) }()
	select {
	case <-ready:
	case <-p.done:
		if strings.Contains(p.out.String(), "address already in use") {
			return p, errPortTaken
		}
		return p, fmt.Errorf("numeneon exited during start: %v\n%s", p.err, p.out.String())
	case <-time.After(30 * time.Second):
		p.Stop()
		return p, fmt.Errorf("numeneon did not listen within 30 s:\n%s", p.out.String())
	}
	t.Cleanup(func() {
		p.Stop()
		if t.Failed() {
			t.Logf("output of numeneon on port %d:\n%s", port, p.out.String())
		}
	})
	deadline := time.Now().Add(30 * time.Second)
	for {
		select {
		case <-p.done:
			t.Fatalf("numeneon exited during start: %v\n%s", p.err, p.out.String())
		default:
		}
		resp, err := http.Get(p.URL + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return p, nil
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("numeneon did not become healthy: %v\n%s", err, p.out.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// Stop sends SIGTERM and waits for the exit (SIGKILL after 20 s).
func (p *proc) Stop() {
	select {
	case <-p.done:
		return
	default:
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(20 * time.Second):
		p.t.Errorf("numeneon did not stop within 20s of SIGTERM")
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// runCommand runs numeneon to completion and returns its output and error.
func runCommand(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, binary, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	return string(out), err
}
