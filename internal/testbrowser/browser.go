// Package testbrowser runs a real headless Chromium for tests, driven with
// github.com/chromedp/chromedp: open a page, run a script in it and get its
// result, or run any chromedp action. One browser serves several pages, each
// in its own browser context (its own cookies and storage), so one test can
// be two users at once. Tests skip without Chromium on a laptop and fail
// without it in CI (NUMENEON_REQUIRE_SERVICES=1), like the services of
// internal/testsvc.
package testbrowser

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/numeneon/numeneon/internal/testsvc"
)

// startTimeout bounds the launch of Chromium and the opening of a page: a
// browser that does not start fails the test instead of hanging it.
const startTimeout = 30 * time.Second

// Browser is one headless Chromium process with a fresh profile, stopped
// when the test ends. Its methods Open, Eval and Do act on its first page;
// NewPage opens more.
type Browser struct {
	*Page
	ctx context.Context // the chromedp context that owns the browser
}

// Page is one tab. Its methods may be called from one goroutine at a time;
// pages are independent of each other.
type Page struct {
	ctx context.Context // the chromedp context of the tab
}

// binary finds Chromium: $NUMENEON_TEST_CHROMIUM, then chromium,
// chromium-browser and google-chrome on the PATH.
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

// Start launches Chromium headless with a fresh user data directory; it is
// stopped, and the directory removed, when the test ends.
func Start(tb testing.TB) *Browser {
	tb.Helper()
	bin, err := binary()
	if err != nil {
		testsvc.Unavailable(tb, "Chromium: %v", err)
	}
	// Without UserDataDir, chromedp makes a fresh temporary one and removes
	// it once every process of the browser is gone.
	allocCtx, allocCancel := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(bin),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		// /dev/shm is small in containers; tabs crash when it fills.
		chromedp.Flag("disable-dev-shm-usage", true),
		// Each page stands for a person looking at their own screen: none
		// is a background tab whose timers and animations are slowed.
		chromedp.Flag("disable-background-timer-throttling", true),
		chromedp.Flag("disable-backgrounding-occluded-windows", true),
		chromedp.Flag("disable-renderer-backgrounding", true),
	)
	ctx, cancel := chromedp.NewContext(allocCtx)
	tb.Cleanup(func() {
		closeCtx, closeCancel := context.WithTimeout(ctx, 10*time.Second)
		defer closeCancel()
		if err := chromedp.Cancel(closeCtx); err != nil && !errors.Is(err, context.Canceled) {
			tb.Logf("close Chromium: %v", err)
		}
		cancel()
		allocCancel() // waits for the process and removes its directory
	})
	if err := firstRun(ctx); err != nil {
		testsvc.Unavailable(tb, "start Chromium %s: %v", bin, err)
	}
	return &Browser{Page: &Page{ctx: ctx}, ctx: ctx}
}

// firstRun runs nothing on a new chromedp context, which starts its browser
// or opens its tab. That first run must get ctx itself, not a child with a
// deadline (the browser or tab lives as long as the first run's context),
// so the wait is bounded here instead.
func firstRun(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- chromedp.Do(ctx) }()
	select {
	case err := <-done:
		return err
	case <-time.After(startTimeout):
		return fmt.Errorf("not ready within %v", startTimeout)
	}
}

// NewPage opens a tab in a browser context of its own, which shares no
// cookies, storage or cache with the other pages: another user. It is
// closed when the test ends.
func (b *Browser) NewPage(tb testing.TB) *Page {
	tb.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithNewBrowserContext())
	tb.Cleanup(cancel)
	if err := firstRun(ctx); err != nil {
		tb.Fatalf("open a page: %v", err)
	}
	return &Page{ctx: ctx}
}

// Console returns the page's console messages, uncaught exceptions and
// browser log entries from now on, as chromedp.Console does; the iteration
// ends when the test's page closes.
func (p *Page) Console() iter.Seq2[chromedp.ConsoleMessage, error] {
	return chromedp.Console(p.ctx)
}

// Run runs action in page p until it finishes or ctx ends, and returns its
// value; action is any chromedp action (chromedp.Text, chromedp.Evaluate,
// chromedp.Click, ...).
func Run[T any](ctx context.Context, p *Page, action chromedp.Action[T]) (T, error) {
	runCtx, cancel := context.WithCancel(p.ctx)
	defer cancel()
	stop := context.AfterFunc(ctx, cancel)
	defer stop()
	v, err := chromedp.Run(runCtx, action)
	if err != nil && ctx.Err() != nil {
		return v, fmt.Errorf("%w (%w)", ctx.Err(), err)
	}
	return v, err
}

// Do runs steps in the page, in order, until one fails or ctx ends.
func (p *Page) Do(ctx context.Context, steps ...chromedp.Action[chromedp.Void]) error {
	_, err := Run(ctx, p, chromedp.Steps(steps...))
	return err
}

// Open navigates the page to url and waits until it has loaded.
func (p *Page) Open(ctx context.Context, url string) error {
	if err := p.Do(ctx, chromedp.Navigate(url)); err != nil {
		return fmt.Errorf("open %s: %w", url, err)
	}
	return nil
}

// Eval runs expression in the page, awaits it if it is a promise, and
// returns its value as JSON. A thrown exception or a rejected promise is an
// error.
func (p *Page) Eval(ctx context.Context, expression string) (string, error) {
	raw, err := Run(ctx, p, chromedp.Evaluate[[]byte](expression, chromedp.EvalAwaitPromise))
	if err != nil {
		return "", fmt.Errorf("evaluate script: %w", err)
	}
	return string(raw), nil
}
