package testbrowser_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/numeneon/numeneon/internal/testbrowser"
)

// Two pages of one browser are two users: what one stores, the other does
// not see, and each keeps its own.
func TestPagesAreSeparateUsers(t *testing.T) {
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<!doctype html><title>numeneon</title>")
	}))
	defer site.Close()

	b := testbrowser.Start(t)
	alice, bob := b.NewPage(t), b.NewPage(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for name, p := range map[string]*testbrowser.Page{"alice": alice, "bob": bob} {
		if err := p.Open(ctx, site.URL); err != nil {
			t.Fatal(err)
		}
		if _, err := p.Eval(ctx, fmt.Sprintf(`localStorage.setItem("me", %q)`, name)); err != nil {
			t.Fatal(err)
		}
	}
	if err := b.Open(ctx, site.URL); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		page *testbrowser.Page
		want string
	}{{alice, `"alice"`}, {bob, `"bob"`}, {b.Page, `null`}} {
		got, err := tc.page.Eval(ctx, `new Promise((r) => setTimeout(() => r(localStorage.getItem("me")), 10))`)
		if err != nil {
			t.Fatal(err)
		}
		if got != tc.want {
			t.Errorf("localStorage me = %s, want %s", got, tc.want)
		}
	}
	if _, err := alice.Eval(ctx, `(async () => { throw new Error("boom") })()`); err == nil {
		t.Error("a rejected promise evaluated without an error")
	}
}
