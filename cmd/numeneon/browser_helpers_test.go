package main_test

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/numeneon/numeneon/internal/testbrowser"
)

// This file drives real headless Chromium pages for the web UI tests: one
// browser, one isolated browser context (its own storage) per user, console
// errors collected, and screenshots at a phone and a desktop width.

// viewport sizes of the screenshots.
var (
	phone   = [2]int64{375, 812}
	desktop = [2]int64{1280, 800}
)

// uiPage is one user's page: a tab in a browser context of its own.
type uiPage struct {
	t    *testing.T
	name string
	base string
	page *testbrowser.Page

	mu       sync.Mutex
	console  []consoleEntry
	tolerate func(consoleEntry) bool // expected errors, while set
}

type consoleEntry struct {
	at   time.Time
	text string
}

// openPage opens base in a fresh browser context at desktop size and
// starts collecting the page's console errors and uncaught exceptions.
func openPage(t *testing.T, browser *testbrowser.Browser, name, base string) *uiPage {
	t.Helper()
	p := &uiPage{t: t, name: name, base: base, page: browser.NewPage(t)}
	p.do(chromedp.EmulateViewport(desktop[0], desktop[1]))
	messages := p.page.Console()
	go func() {
		for m, err := range messages {
			if err != nil {
				return
			}
			if m.Type != chromedp.ConsoleError && m.Type != chromedp.ConsoleException {
				continue
			}
			e := consoleEntry{at: time.Now(), text: m.String()}
			p.mu.Lock()
			if p.tolerate == nil || !p.tolerate(e) {
				p.console = append(p.console, e)
			}
			p.mu.Unlock()
		}
	}()
	t.Cleanup(func() {
		p.mu.Lock()
		defer p.mu.Unlock()
		for _, e := range p.console {
			t.Errorf("console error on %s's page at %s: %s", name, e.at.Format("15:04:05.000"), e.text)
		}
	})
	p.do(chromedp.Navigate(base + "/"))
	return p
}

// tolerateWhile ignores console errors matching fn until the returned func
// is called.
func (p *uiPage) tolerateWhile(fn func(text string) bool) (stop func()) {
	p.mu.Lock()
	p.tolerate = func(e consoleEntry) bool { return fn(e.text) }
	p.mu.Unlock()
	return func() {
		p.mu.Lock()
		p.tolerate = nil
		p.mu.Unlock()
	}
}

func (p *uiPage) do(actions ...chromedp.Action[chromedp.Void]) {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.t.Context(), 30*time.Second)
	defer cancel()
	if err := p.page.Do(ctx, actions...); err != nil {
		p.t.Fatalf("%s's page: %v", p.name, err)
	}
}

// eval runs a JavaScript expression in the page and decodes its value.
func eval[T any](p *uiPage, js string) T {
	p.t.Helper()
	ctx, cancel := context.WithTimeout(p.t.Context(), 30*time.Second)
	defer cancel()
	v, err := testbrowser.Run(ctx, p.page, chromedp.Evaluate[T](js))
	if err != nil {
		p.t.Fatalf("%s's page: evaluate %s: %v", p.name, js, err)
	}
	return v
}

// waitFor waits until the JavaScript condition holds, within d, and says
// how long it took.
func (p *uiPage) waitFor(what, cond string, d time.Duration) time.Duration {
	p.t.Helper()
	start := time.Now()
	ctx, cancel := context.WithTimeout(p.t.Context(), d+5*time.Second)
	defer cancel()
	_, err := testbrowser.Run(ctx, p.page, chromedp.Poll[bool](cond,
		chromedp.WithPollingInterval(25*time.Millisecond), chromedp.WithPollingTimeout(d)))
	if err != nil {
		p.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		p.t.Fatalf("%s's page: %s did not happen within %s: %v", p.name, what, d, err)
	}
	return time.Since(start)
}

// goTo changes the route the way a link does (the page is not reloaded).
func (p *uiPage) goTo(hash string) {
	p.t.Helper()
	eval[bool](p, fmt.Sprintf("(location.hash = %q, true)", hash))
}

// click clicks the element as a person would: scrolled to the middle of
// the screen first, where no toast covers it.
func (p *uiPage) click(css string) {
	p.t.Helper()
	p.do(chromedp.WaitVisible(chromedp.CSS(css)))
	eval[bool](p, fmt.Sprintf(`(document.querySelector(%q).scrollIntoView({block: 'center'}), true)`, css))
	p.do(chromedp.Click(chromedp.CSS(css), chromedp.NodeVisible))
}

func (p *uiPage) setValue(css, value string) {
	p.t.Helper()
	p.do(chromedp.SetValue(chromedp.CSS(css), value, chromedp.NodeVisible))
}

func (p *uiPage) typeInto(css, text string) {
	p.t.Helper()
	p.do(chromedp.SendKeys(chromedp.CSS(css), text, chromedp.NodeVisible))
}

// screenshotDir is where a test's screenshots go: a folder named after
// the test in $NUMENEON_TEST_SCREENSHOTS, or in a new temporary folder that
// outlives the test so they can be looked at.
var (
	shotMu   sync.Mutex
	shotBase string
	shotSeq  = map[string]int{}
)

func screenshotDir(t *testing.T) string {
	shotMu.Lock()
	defer shotMu.Unlock()
	if shotBase == "" {
		shotBase = os.Getenv("NUMENEON_TEST_SCREENSHOTS")
		if shotBase == "" {
			shotBase, _ = os.MkdirTemp("", "numeneon-webui-screenshots-")
		}
	}
	dir := filepath.Join(shotBase, t.Name())
	_ = os.MkdirAll(dir, 0o755)
	return dir
}

// shot writes the page as a phone and as a desktop shows it.
func (p *uiPage) shot(step string) {
	p.t.Helper()
	dir := screenshotDir(p.t)
	shotMu.Lock()
	shotSeq[p.t.Name()]++
	n := shotSeq[p.t.Name()]
	shotMu.Unlock()
	for _, size := range []struct {
		name string
		wh   [2]int64
		opts []chromedp.EmulateViewportOption
	}{
		{"phone", phone, []chromedp.EmulateViewportOption{chromedp.EmulateTouch, chromedp.EmulatePortrait}},
		{"desktop", desktop, nil},
	} {
		ctx, cancel := context.WithTimeout(p.t.Context(), 20*time.Second)
		err := p.page.Do(ctx, chromedp.EmulateViewport(size.wh[0], size.wh[1], size.opts...))
		var png []byte
		if err == nil {
			// Two frames for the layout to settle at the new width.
			_, err = testbrowser.Run(ctx, p.page, chromedp.Evaluate[bool](
				`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(() => r(true))))`, chromedp.EvalAwaitPromise))
		}
		if err == nil {
			// Every control has a name a screen reader can say.
			if unnamed, err := testbrowser.Run(ctx, p.page, chromedp.Evaluate[[]string](unnamedControls)); err == nil && len(unnamed) > 0 {
				p.t.Errorf("%s's page at step %s has controls without an accessible name: %q", p.name, step, unnamed)
			}
			// Nothing may be wider than the screen.
			if w, err := testbrowser.Run(ctx, p.page, chromedp.Evaluate[int](`document.documentElement.scrollWidth - innerWidth`)); err == nil && w > 0 {
				p.t.Errorf("%s's page at step %s is %d px wider than the %s screen", p.name, step, w, size.name)
			}
			png, err = testbrowser.Run(ctx, p.page, chromedp.CaptureScreenshot())
		}
		cancel()
		if err != nil {
			p.t.Logf("screenshot %s of %s: %v", step, p.name, err)
			continue
		}
		file := filepath.Join(dir, fmt.Sprintf("%02d-%s-%s-%s.png", n, step, p.name, size.name))
		if err := os.WriteFile(file, png, 0o644); err != nil {
			p.t.Logf("write screenshot: %v", err)
		}
	}
}

// unnamedControls lists the visible buttons, links and fields that have no
// accessible name (aria-label, aria-labelledby, a label, or text), by their
// HTML start.
const unnamedControls = `[...document.querySelectorAll('button, a[href], input, textarea, select')]
  .filter(el => el.getClientRects().length > 0 && el.type !== 'hidden')
  .filter(el => {
    if ((el.getAttribute('aria-label') || '').trim()) return false;
    const by = el.getAttribute('aria-labelledby');
    if (by && by.split(' ').some(id => (document.getElementById(id)?.textContent || '').trim())) return false;
    if (el.labels && [...el.labels].some(l => l.textContent.trim())) return false;
    if (el.matches('button, a') && el.textContent.trim()) return false;
    return !(el.getAttribute('title') || '').trim();
  })
  .map(el => el.outerHTML.slice(0, 80))`

// cutProxy is a TCP proxy in front of a server: Cut closes every connection
// through it and refuses new ones (accepted, then closed at once) until
// Resume. A browser's offline emulation does not close an open WebSocket;
// this does, as a lost network path would.
type cutProxy struct {
	ln     net.Listener
	target string

	mu    sync.Mutex
	cut   bool
	conns map[net.Conn]struct{}
	wg    sync.WaitGroup
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(func() {
		ln.Close()
		p.Cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) Addr() string { return p.ln.Addr().String() }

func (p *cutProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		if p.cut {
			p.mu.Unlock()
			c.Close()
			continue
		}
		p.wg.Add(1)
		p.mu.Unlock()
		go p.pipe(c)
	}
}

func (p *cutProxy) pipe(client net.Conn) {
	defer p.wg.Done()
	server, err := net.DialTimeout("tcp", p.target, 5*time.Second)
	if err != nil {
		client.Close()
		return
	}
	if !p.track(client, server) {
		client.Close()
		server.Close()
		return
	}
	done := make(chan struct{}, 2)
	copyHalf := func(dst, src net.Conn) {
		_, _ = io.Copy(dst, src)
		dst.Close()
		src.Close()
		done <- struct{}{}
	}
	go copyHalf(server, client)
	go copyHalf(client, server)
	<-done
	<-done
	p.mu.Lock()
	delete(p.conns, client)
	delete(p.conns, server)
	p.mu.Unlock()
}

func (p *cutProxy) track(conns ...net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cut {
		return false
	}
	for _, c := range conns {
		p.conns[c] = struct{}{}
	}
	return true
}

// Cut closes every connection and refuses new ones until Resume.
func (p *cutProxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		c.Close()
	}
}

// Resume lets connections through again.
func (p *cutProxy) Resume() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}
