package api_test

import (
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/web"
)

// TestUIContentNegotiation: a browser opening "/" gets the web UI under a
// policy that forbids inline script; curl, monitors and API clients keep
// the JSON status, which /api/ always answers.
func TestUIContentNegotiation(t *testing.T) {
	ts := newTestServer(t, api.Config{UI: web.NewHandler()})
	browser := "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
	tests := []struct {
		path, accept string
		wantHTML     bool
	}{
		{"/", browser, true},
		{"/", "", false},
		{"/", "*/*", false},
		{"/", "application/json", false},
		{"/", "application/json, text/html;q=0.5", false},
		{"/", "text/html;q=0", false},
		{"/api/", browser, false},
		{"/api", browser, false},
	}
	for _, tt := range tests {
		resp := ts.request("GET", tt.path, "", nil, http.Header{"Accept": {tt.accept}})
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s Accept %q: status %d", tt.path, tt.accept, resp.StatusCode)
			continue
		}
		isHTML := strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html")
		if isHTML != tt.wantHTML {
			t.Errorf("GET %s Accept %q: Content-Type %s, want HTML %v", tt.path, tt.accept, resp.Header.Get("Content-Type"), tt.wantHTML)
			continue
		}
		if !tt.wantHTML && strings.TrimSpace(string(body)) != `{"service":"numeneon-backend","status":"ok"}` {
			t.Errorf("GET %s Accept %q: body %s, want the status", tt.path, tt.accept, body)
		}
		if tt.wantHTML {
			csp := resp.Header.Get("Content-Security-Policy")
			for _, want := range []string{"script-src 'self'", "require-trusted-types-for 'script'", "frame-ancestors 'none'"} {
				if !strings.Contains(csp, want) {
					t.Errorf("page CSP %q lacks %q", csp, want)
				}
			}
			if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
				t.Errorf("page CSP %q allows inline script or eval", csp)
			}
			if n, m := strings.Count(string(body), "<script"), strings.Count(string(body), "<script type=\"module\" src="); n != m || n == 0 {
				t.Errorf("the page has %d script elements, %d of them module files:\n%s", n, m, body)
			}
			if !slices.Contains(resp.Header.Values("Vary"), "Accept") {
				t.Errorf("GET / varies by Accept but says Vary: %q", resp.Header.Values("Vary"))
			}
		}
	}
}

// TestUIAssets: the page's module script is served as JavaScript (browsers
// refuse modules served otherwise), revalidated with an ETag; unknown
// assets are 404.
func TestUIAssets(t *testing.T) {
	ts := newTestServer(t, api.Config{UI: web.NewHandler()})
	resp := ts.request("GET", "/assets/js/main.js", "", nil, nil)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/javascript") {
		t.Fatalf("main.js: status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	etag := resp.Header.Get("ETag")
	again := ts.request("GET", "/assets/js/main.js", "", nil, http.Header{"If-None-Match": {etag}})
	again.Body.Close()
	if etag == "" || again.StatusCode != http.StatusNotModified {
		t.Errorf("revalidation with ETag %q: status %d, want 304", etag, again.StatusCode)
	}
	for _, path := range []string{"/assets/nope.js", "/assets/index.html", "/assets/../web.go"} {
		if status, _ := ts.do("GET", path, "", nil); status != http.StatusNotFound {
			t.Errorf("GET %s: status %d, want 404", path, status)
		}
	}

	// Without a UI, "/" is the status whatever the browser asks.
	plain := newTestServer(t, api.Config{})
	resp = plain.request("GET", "/", "", nil, http.Header{"Accept": {"text/html"}})
	resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("GET / without a UI: Content-Type %q", ct)
	}
}
