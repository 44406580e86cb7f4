package api_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/numeneon/numeneon/api"
)

func TestCORSPreflight(t *testing.T) {
	ts := newTestServer(t, api.Config{
		AllowedOrigins: []string{"https://numeneon-frontend*.vercel.app", "https://app.numeneon.example"},
		Production:     true,
	})
	tests := []struct {
		origin     string
		wantStatus int
		wantAllow  string
	}{
		{"https://app.numeneon.example", http.StatusNoContent, "https://app.numeneon.example"},
		{"https://numeneon-frontend-git-main-team.vercel.app", http.StatusNoContent, "https://numeneon-frontend-git-main-team.vercel.app"},
		{"https://evil.example", http.StatusForbidden, ""},
		{"https://numeneon-frontend.vercel.app.evil.example", http.StatusForbidden, ""},
		{"http://app.numeneon.example", http.StatusForbidden, ""},
		{"http://localhost:5173", http.StatusForbidden, ""}, // production: no dev defaults
	}
	for _, tt := range tests {
		t.Run(tt.origin, func(t *testing.T) {
			resp := ts.request("OPTIONS", "/api/messages/", "", nil, http.Header{
				"Origin":                         {tt.origin},
				"Access-Control-Request-Method":  {"POST"},
				"Access-Control-Request-Headers": {"authorization,content-type"},
			})
			resp.Body.Close()
			if resp.StatusCode != tt.wantStatus {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			h := resp.Header
			if got := h.Get("Access-Control-Allow-Origin"); got != tt.wantAllow {
				t.Errorf("Allow-Origin = %q, want %q", got, tt.wantAllow)
			}
			if tt.wantAllow == "" {
				return
			}
			if h.Get("Access-Control-Allow-Headers") != "Authorization, Content-Type" ||
				h.Get("Access-Control-Allow-Methods") == "" ||
				h.Get("Access-Control-Allow-Credentials") != "" {
				t.Errorf("preflight headers = %v", h)
			}
		})
	}

	// A simple request from an allowed origin gets the header; a refused
	// origin's request is served without it, so the browser hides it.
	alice := ts.signup("alice")
	resp := ts.request("GET", "/api/auth/me/", alice.Access, nil, http.Header{"Origin": {"https://app.numeneon.example"}})
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "https://app.numeneon.example" {
		t.Errorf("allowed GET lacks Allow-Origin: %v", resp.Header)
	}
	resp = ts.request("GET", "/api/auth/me/", alice.Access, nil, http.Header{"Origin": {"https://evil.example"}})
	resp.Body.Close()
	if resp.Header.Get("Access-Control-Allow-Origin") != "" {
		t.Errorf("refused origin got Allow-Origin %q", resp.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestCheckOrigin(t *testing.T) {
	srv := mustNewServer(t, api.Config{AllowedOrigins: []string{"https://app.example"}})
	dev := mustNewServer(t, api.Config{})
	tests := []struct {
		name   string
		s      *api.Server
		host   string
		origin string
		want   bool
	}{
		{"listed", srv, "api.example", "https://app.example", true},
		{"missing origin", srv, "api.example", "", true},
		{"same host", srv, "api.example:8000", "http://api.example:8000", true},
		{"not listed", srv, "api.example", "https://other.example", false},
		{"dev localhost any port", dev, "api.example", "http://localhost:5173", true},
		{"dev 127.0.0.1", dev, "api.example", "http://127.0.0.1:3000", true},
		{"dev localhost https not listed", dev, "api.example", "https://localhost.evil.example", false},
		{"garbage", srv, "api.example", "::::", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "http://"+tt.host+"/ws/notifications/", nil)
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if got := tt.s.CheckOrigin(r); got != tt.want {
				t.Errorf("CheckOrigin(%q on %s) = %v, want %v", tt.origin, tt.host, got, tt.want)
			}
		})
	}
}

func TestBadConfigRefused(t *testing.T) {
	for _, cfg := range []api.Config{
		{AllowedOrigins: []string{"app.example"}},
		{AllowedOrigins: []string{"https://app.example/path"}},
		{RateLimits: "login=ten/m"},
		{RateLimits: "logins=10/m"},
		{RateLimits: "login=10/day"},
	} {
		cfg.App = mustNewServerApp(t)
		if _, err := api.NewServer(cfg); err == nil {
			t.Errorf("NewServer(%+v) accepted a bad configuration", cfg)
		}
	}
}
