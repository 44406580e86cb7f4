// Package testbrowser runs a real headless Chromium for tests and drives it
// over the Chrome DevTools Protocol (CDP): open a page, run a script in it
// and return its result. Tests skip without Chromium on a laptop and fail
// without it in CI (NUMENEON_REQUIRE_SERVICES=1), like the other services
// in internal/testsvc.
package testbrowser

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon/internal/testsvc"
)

// Browser is one headless Chromium process with one page.
type Browser struct {
	conn *websocket.Conn

	mu     sync.Mutex
	nextID int64
}

// binary finds Chromium: $NUMENEON_TEST_CHROMIUM, then chromium and
// chromium-browser on the PATH.
func binary() (string, error) {
	if p := os.Getenv("NUMENEON_TEST_CHROMIUM"); p != "" {
		return p, nil
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no chromium on the PATH (set NUMENEON_TEST_CHROMIUM)")
}

var devtoolsLine = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// Start launches Chromium headless with a fresh profile; it is stopped when
// the test ends.
func Start(tb testing.TB) *Browser {
	tb.Helper()
	bin, err := binary()
	if err != nil {
		testsvc.Unavailable(tb, "Chromium: %v", err)
	}
	// The profile directory is removed by hand, after every process of the
	// browser is gone: its helpers write there until then.
	profile, err := os.MkdirTemp("", "numeneon-chromium-")
	if err != nil {
		tb.Fatalf("profile directory: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--disable-dev-shm-usage", "--remote-debugging-port=0",
		"--user-data-dir="+profile, "about:blank")
	// Chromium starts helper processes: kill the whole group.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	stderr, err := cmd.StderrPipe()
	if err != nil {
		cancel()
		tb.Fatalf("chromium stderr: %v", err)
	}
	if err := cmd.Start(); err != nil {
		cancel()
		testsvc.Unavailable(tb, "start Chromium %s: %v", bin, err)
	}
	tb.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		var err error
		for range 50 { // helpers killed with the group may still be exiting
			if err = os.RemoveAll(profile); err == nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
		tb.Logf("remove browser profile %s: %v", profile, err)
	})

	// Chromium prints the browser's DevTools address on stderr once ready.
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			if m := devtoolsLine.FindStringSubmatch(sc.Text()); m != nil {
				found <- m[1]
				break
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	var browserURL string
	select {
	case browserURL = <-found:
	case <-time.After(30 * time.Second):
		tb.Fatalf("Chromium did not print its DevTools address within 30 s")
	}

	pageURL, err := firstPage(browserURL)
	if err != nil {
		tb.Fatalf("find Chromium's page: %v", err)
	}
	dctx, dcancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer dcancel()
	conn, _, err := websocket.Dial(dctx, pageURL, nil)
	if err != nil {
		tb.Fatalf("connect to Chromium's page: %v", err)
	}
	conn.SetReadLimit(-1)
	tb.Cleanup(func() { conn.CloseNow() })
	return &Browser{conn: conn}
}

// firstPage asks the DevTools HTTP endpoint for the page target.
func firstPage(browserURL string) (string, error) {
	host := strings.TrimPrefix(browserURL, "ws://")
	host = host[:strings.IndexByte(host, '/')]
	resp, err := http.Get("http://" + host + "/json/list")
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var targets []struct {
		Type string `json:"type"`
		URL  string `json:"webSocketDebuggerUrl"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&targets); err != nil {
		return "", err
	}
	for _, t := range targets {
		if t.Type == "page" {
			return t.URL, nil
		}
	}
	return "", fmt.Errorf("no page among %d targets", len(targets))
}

// call sends one CDP command and waits for its answer, skipping events.
func (b *Browser) call(ctx context.Context, method string, params any) (json.RawMessage, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.nextID++
	id := b.nextID
	msg, err := json.Marshal(map[string]any{"id": id, "method": method, "params": params})
	if err != nil {
		return nil, err
	}
	if err := b.conn.Write(ctx, websocket.MessageText, msg); err != nil {
		return nil, fmt.Errorf("%s: %w", method, err)
	}
	for {
		_, data, err := b.conn.Read(ctx)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		var resp struct {
			ID     int64           `json:"id"`
			Result json.RawMessage `json:"result"`
			Error  *struct {
				Message string `json:"message"`
			} `json:"error"`
		}
		if err := json.Unmarshal(data, &resp); err != nil {
			return nil, fmt.Errorf("%s: %w", method, err)
		}
		if resp.ID != id {
			continue // an event, or an answer to nothing we wait for
		}
		if resp.Error != nil {
			return nil, fmt.Errorf("%s: %s", method, resp.Error.Message)
		}
		return resp.Result, nil
	}
}

// Open navigates the page to url and waits until it has loaded.
func (b *Browser) Open(ctx context.Context, url string) error {
	if _, err := b.call(ctx, "Page.navigate", map[string]any{"url": url}); err != nil {
		return err
	}
	for {
		state, err := b.Eval(ctx, `document.readyState`)
		if err != nil {
			return err
		}
		if state == `"complete"` {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// Eval runs expression in the page, awaits it if it is a promise, and
// returns its value as JSON. A thrown exception is an error.
func (b *Browser) Eval(ctx context.Context, expression string) (string, error) {
	res, err := b.call(ctx, "Runtime.evaluate", map[string]any{
		"expression": expression, "awaitPromise": true, "returnByValue": true,
	})
	if err != nil {
		return "", err
	}
	var out struct {
		Result struct {
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		Exception *struct {
			Text      string `json:"text"`
			Exception struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	if err := json.Unmarshal(res, &out); err != nil {
		return "", err
	}
	if out.Exception != nil {
		return "", fmt.Errorf("script threw: %s %s", out.Exception.Text, out.Exception.Exception.Description)
	}
	return string(out.Result.Value), nil
}
