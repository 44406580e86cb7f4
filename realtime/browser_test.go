package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/numeneon/numeneon/internal/testbrowser"
	"github.com/numeneon/numeneon/realtime"
)

// browserScript runs in a real Chromium page served from another origin, as
// the web client is: it opens the socket with the token subprotocol, pings,
// stays connected across several server pings (which only the browser
// answers), resumes from 0 to get the stored events (one of them larger
// than 64 KiB, so the 64-bit length of a frame is exercised), and closes.
const browserScript = `(async () => {
  const out = {messages: []};
  const ws = new WebSocket(%q, ["access_token", %q]);
  const waiters = [];
  ws.onmessage = (e) => {
    const m = JSON.parse(e.data);
    out.messages.push({type: m.type, id: m.id || 0, size: e.data.length});
    for (const w of waiters.splice(0)) w();
  };
  const until = async (pred) => {
    const deadline = Date.now() + 10000;
    while (!pred()) {
      if (Date.now() > deadline) throw new Error("timeout; got " + JSON.stringify(out));
      await new Promise((r) => { waiters.push(r); setTimeout(r, 50); });
    }
  };
  await new Promise((res, rej) => { ws.onopen = res; ws.onerror = () => rej(new Error("socket error")); });
  out.protocol = ws.protocol;
  await until(() => out.messages.some((m) => m.type === "connection_established"));
  ws.send(JSON.stringify({type: "ping"}));
  await until(() => out.messages.some((m) => m.type === "pong"));
  await new Promise((r) => setTimeout(r, 1500));
  out.openAfterPings = ws.readyState === WebSocket.OPEN;
  ws.send(JSON.stringify({type: "resume", since: 0}));
  await until(() => out.messages.filter((m) => m.id > 0).length >= %d);
  const closed = new Promise((r) => { ws.onclose = (e) => r({code: e.code, clean: e.wasClean}); });
  ws.close(1000, "bye");
  out.close = await closed;
  return out;
})()`

func TestBrowserSocket(t *testing.T) {
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>numeneon</title>")
	}))
	defer page.Close()
	var (
		mu      sync.Mutex
		origins []string
	)
	e := newEnv(t, func(c *realtime.Config) {
		// Pings every 200 ms, each to be answered within 300 ms: a browser
		// that did not answer would lose its socket within the 1.5 s the
		// script waits.
		c.PingInterval = 200 * time.Millisecond
		c.WriteTimeout = 300 * time.Millisecond
		c.CheckOrigin = func(r *http.Request) bool {
			mu.Lock()
			origins = append(origins, r.Header.Get("Origin"))
			mu.Unlock()
			return r.Header.Get("Origin") == page.URL
		}
	})
	alice := e.createUser(t, "alice")
	sizes := []int{200, 2000, 100 << 10}
	for i, n := range sizes {
		e.storeEvent(t, alice, fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", n)))
	}

	b := testbrowser.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := b.Open(ctx, page.URL); err != nil {
		t.Fatalf("open page: %v", err)
	}
	raw, err := b.Eval(ctx, fmt.Sprintf(browserScript, e.url(""), "tok-alice", len(sizes)))
	if err != nil {
		t.Fatalf("browser script: %v", err)
	}
	var out struct {
		Protocol       string `json:"protocol"`
		OpenAfterPings bool   `json:"openAfterPings"`
		Messages       []struct {
			Type string `json:"type"`
			ID   int64  `json:"id"`
			Size int    `json:"size"`
		} `json:"messages"`
		Close struct {
			Code  int  `json:"code"`
			Clean bool `json:"clean"`
		} `json:"close"`
	}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		t.Fatalf("decode %s: %v", raw, err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(origins) == 0 || origins[0] != page.URL {
		t.Errorf("Origin of the browser's handshake = %q, want %q", origins, page.URL)
	}
	if out.Protocol != "access_token" {
		t.Errorf("negotiated subprotocol %q, want access_token", out.Protocol)
	}
	if len(out.Messages) < 2 || out.Messages[0].Type != "connection_established" || out.Messages[1].Type != "pong" {
		t.Errorf("first messages %+v, want connection_established then pong", out.Messages)
	}
	if !out.OpenAfterPings {
		t.Error("the socket closed while the server pinged: the browser's pongs were not seen")
	}
	var ids []int64
	for _, m := range out.Messages {
		if m.ID > 0 {
			ids = append(ids, m.ID)
			if want := sizes[m.ID-1]; m.Size < want {
				t.Errorf("event %d arrived with %d bytes, want more than %d", m.ID, m.Size, want)
			}
		}
	}
	if fmt.Sprint(ids) != "[1 2 3]" {
		t.Errorf("stored events in the browser: ids %v, want [1 2 3]", ids)
	}
	if out.Close.Code != 1000 || !out.Close.Clean {
		t.Errorf("browser saw close %+v, want a clean 1000", out.Close)
	}
	waitFor(t, "the browser's socket to be released", func() bool { return e.hub.Sockets() == 0 })
	if strings.Contains(e.logs.String(), "no pong") {
		t.Errorf("the hub missed a pong:\n%s", e.logs)
	}
}
