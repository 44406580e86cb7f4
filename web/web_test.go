package web_test

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/numeneon/numeneon/web"
)

func TestWantsHTML(t *testing.T) {
	tests := []struct {
		accept string
		want   bool
	}{
		{"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", true}, // Chromium, Firefox
		{"text/html", true},
		{"", false},
		{"*/*", false},
		{"application/json", false},
		{"application/json, text/html", false},
		{"text/html;q=0.9, application/json;q=0.5", true},
		{"application/json;q=0.5, TEXT/HTML", true},
		{"text/html;q=0", false},
		{"text/html;q=abc", false},
	}
	for _, tt := range tests {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header.Set("Accept", tt.accept)
		if got := web.WantsHTML(r); got != tt.want {
			t.Errorf("WantsHTML(Accept: %q) = %v, want %v", tt.accept, got, tt.want)
		}
	}
}

// TestEveryAnswerCarriesThePolicy: the page, a file and a miss all carry
// the Content-Security-Policy, so no answer of the UI runs inline script.
func TestEveryAnswerCarriesThePolicy(t *testing.T) {
	h := web.NewHandler()
	for _, path := range []string{"/", "/assets/app.css", "/assets/missing.js"} {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", path, nil)
		if path == "/" {
			h.ServeIndex(w, r)
		} else {
			h.ServeHTTP(w, r)
		}
		if csp := w.Header().Get("Content-Security-Policy"); !strings.Contains(csp, "script-src 'self'") {
			t.Errorf("GET %s: Content-Security-Policy %q", path, csp)
		}
		if w.Header().Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("GET %s: no nosniff", path)
		}
		want := http.StatusOK
		if strings.Contains(path, "missing") {
			want = http.StatusNotFound
		}
		if w.Code != want {
			t.Errorf("GET %s: status %d, want %d", path, w.Code, want)
		}
	}
}
