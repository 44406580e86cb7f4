package main_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/numeneon/numeneon/internal/testbrowser"
	"github.com/numeneon/numeneon/internal/testsvc"
)

// realtimeBound is how soon a live update must show on the other page.
const realtimeBound = 2 * time.Second

// xssName and xssMessage would run script if the UI ever rendered user text
// as HTML; the page's CSP would block the handler too, so the test also
// checks that no such element exists at all.
const (
	xssName    = `Ada <img src=x onerror=window.__xss=1>`
	xssMessage = `Hi Bob <img src=x onerror=window.__xss=2>`
)

// TestWebUITwoBrowsers is the acceptance procedure of the original team,
// automated: two users in two browser contexts of a real Chromium, each on
// a different server process, the processes sharing PostgreSQL and Redis.
// A asks B to be friends, B accepts, they exchange messages, B's network
// path is cut while A sends three more, and when it is back B has all
// three, in order, once. Screenshots of every step, at a phone's and a
// desktop's width, go to the folder the log names.
func TestWebUITwoBrowsers(t *testing.T) {
	browser := testbrowser.Start(t)
	// A Redis of its own: processes of other tests on the shared one use
	// the same channel names, and their users have the same ids.
	env := sharedEnv(t, testsvc.StartRedis(t).URL)
	p1 := startProc(t, env)
	p2 := startProc(t, env)
	proxy := startCutProxy(t, "127.0.0.1:"+strconv.Itoa(p2.Port))
	t.Logf("screenshots: %s", screenshotDir(t))
	t.Cleanup(func() { t.Logf("screenshots: %s", screenshotDir(t)) })

	a := openPage(t, browser, "ada", p1.URL)
	b := openPage(t, browser, "bob", "http://"+proxy.Addr())
	a.shot("login")

	signup(a, "ada", xssName)
	signup(b, "bob", "Bob Marley")
	if n := socketsOpen(t, p2); n != 1 {
		t.Fatalf("process 2 has %d sockets open, want bob's 1: the test would prove nothing", n)
	}
	a.shot("signed-up")

	// A asks B; B, on the friends page, sees it without reloading.
	b.goTo("#/friends")
	a.goTo("#/friends")
	a.setValue("#friend-search", "bob")
	a.click("form.search button[type=submit]")
	a.waitFor("search result", `!!document.querySelector('#search-results button[aria-label="Add bob as a friend"]')`, 5*time.Second)
	a.shot("search")
	a.click(`#search-results button[aria-label="Add bob as a friend"]`)
	took := b.waitFor("friend request", `!!document.querySelector('#requests [data-user="ada"]')`, realtimeBound)
	t.Logf("bob saw the friend request after %s", took)
	b.waitFor("bell badge", `!document.getElementById('badge-bell').hidden`, realtimeBound)
	if got := eval[string](b, `document.querySelector('#requests [data-user="ada"] .person-name').textContent`); got != xssName {
		t.Errorf("bob sees the requester's name as %q, want the text %q", got, xssName)
	}
	b.shot("request-received")

	// The bell lists it; opening the bell marks it read.
	b.click("#bell")
	b.waitFor("bell panel", `!document.getElementById('bell-panel').hidden && document.querySelectorAll('#bell-panel .activity-item').length === 1`, realtimeBound)
	b.waitFor("badge cleared", `document.getElementById('badge-bell').hidden`, realtimeBound)
	b.shot("bell")
	b.do(chromedp.KeyEvent(kb.Escape))
	b.waitFor("bell closed", `document.getElementById('bell-panel').hidden && document.activeElement.id === 'bell'`, realtimeBound)

	// B accepts; A, on the friends page, sees B among the friends.
	b.click(`button[aria-label="Accept friend request from ada"]`)
	took = a.waitFor("friend accepted", `!!document.querySelector('#friends [data-user="bob"]')`, realtimeBound)
	t.Logf("ada saw the acceptance after %s", took)
	a.shot("request-accepted")

	// A reloads: bob came online before this page, so only the friend
	// list's is_online can show his dot.
	a.do(chromedp.Reload())
	a.waitFor("connected after reload", `document.getElementById('conn') && document.getElementById('conn').dataset.state === 'connected'`, 15*time.Second)
	a.goTo("#/friends")
	a.waitFor("bob's online dot", `!!document.querySelector('#friends [data-user="bob"] .presence.online')`, 5*time.Second)
	a.shot("friend-online-on-load")

	// Both open their thread; A types (B sees it) and sends.
	b.goTo("#/messages")
	b.waitFor("conversation list", `!!document.querySelector('#conversations a[data-user="ada"]')`, realtimeBound)
	b.shot("conversations")
	b.click(`#conversations a[data-user="ada"]`)
	b.waitFor("thread", `!!document.querySelector('#thread[aria-busy="false"]')`, 5*time.Second)
	a.goTo("#/messages")
	a.click(`#conversations a[data-user="bob"]`)
	a.waitFor("thread", `!!document.querySelector('#thread[aria-busy="false"]')`, 5*time.Second)
	a.typeInto("#composer", xssMessage)
	b.waitFor("typing indicator", `!!document.querySelector('.thread-status.typing')`, realtimeBound)
	b.shot("typing")
	a.click("form.composer button[type=submit]")
	took = b.waitFor("message in the open thread", threadHas(xssMessage), realtimeBound)
	t.Logf("bob saw the message after %s", took)
	b.waitFor("message toast", fmt.Sprintf(`[...document.querySelectorAll('#toasts .toast-text')].some(e => e.textContent === %q)`, xssMessage), realtimeBound)
	b.shot("message-received")
	a.waitFor("read mark", `[...document.querySelectorAll('#thread .read-mark')].some(e => e.textContent.includes('Seen'))`, 5*time.Second)
	a.shot("message-seen")

	// B replies.
	b.typeInto("#composer", "Hello Ada!")
	b.click("form.composer button[type=submit]")
	took = a.waitFor("reply", threadHas("Hello Ada!"), realtimeBound)
	t.Logf("ada saw the reply after %s", took)
	a.shot("reply-received")

	// B's path is cut: the server sees the socket close, B's page says so.
	stopTolerating := b.tolerateWhile(func(text string) bool {
		return strings.Contains(text, "WebSocket connection to") || strings.Contains(text, "net::ERR_")
	})
	proxy.Cut()
	waitSocketsOpen(t, p2, 0)
	b.waitFor("reconnecting state", `document.getElementById('conn').dataset.state !== 'connected'`, 5*time.Second)
	b.shot("cut")

	// A sends three messages while B is away.
	for _, text := range []string{"one", "two", "three"} {
		a.typeInto("#composer", text)
		a.click("form.composer button[type=submit]")
		a.waitFor("own message "+text, threadHas(text), 5*time.Second)
	}
	a.shot("sent-three")

	// B's path is back: B reconnects (backoff), resumes, and has all three,
	// in order, once. A fourth message sent after is the marker that
	// nothing else is still on its way.
	proxy.Resume()
	took = b.waitFor("reconnected", `document.getElementById('conn').dataset.state === 'connected'`, 45*time.Second)
	t.Logf("bob reconnected %s after the path was restored", took)
	stopTolerating()
	b.waitFor("the three messages", threadHas("three"), realtimeBound)
	b.shot("resumed")
	a.typeInto("#composer", "four")
	a.click("form.composer button[type=submit]")
	b.waitFor("marker message", threadHas("four"), realtimeBound)
	want := []string{xssMessage, "Hello Ada!", "one", "two", "three", "four"}
	if got := threadTexts(b); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("bob's thread after the cut:\n%q\nwant\n%q", got, want)
	}
	// Messages from one person share one toast, showing the latest.
	if got := toastsWith(b, "four"); got != 1 {
		t.Errorf("bob has %d toasts showing the message \"four\", want 1", got)
	}
	b.shot("all-delivered")

	// A's story shows in B's strip; B's reaction reaches A as a toast.
	a.goTo("#/")
	a.click("#h-stories + button")
	a.setValue("#story-url", p1.URL+"/assets/icon.svg")
	a.click("dialog form button[type=submit]")
	a.waitFor("own story", `!!document.querySelector('#stories .story-bubble:not(.placeholder)')`, 5*time.Second)
	b.goTo("#/")
	b.waitFor("friend's story", `!!document.querySelector('#stories button[aria-label^="Stories of ada"]')`, 5*time.Second)
	b.click(`#stories button[aria-label^="Stories of ada"]`)
	b.click(`dialog.story-dialog button[aria-label="React with a heart"]`)
	b.waitFor("reaction counted", `document.querySelector('dialog.story-dialog button[aria-label="React with a heart"]').getAttribute('aria-pressed') === 'true'`, realtimeBound)
	b.shot("story-reaction")
	a.waitFor("reaction toast", `[...document.querySelectorAll('#toasts .toast-text')].some(e => e.textContent.includes('reacted ♥ to your story'))`, realtimeBound)
	a.shot("story-reaction-received")

	// No user text ever became markup.
	for _, p := range []*uiPage{a, b} {
		if eval[bool](p, `window.__xss !== undefined || document.querySelector('img[src="x"]') !== null`) {
			t.Errorf("%s's page rendered user text as HTML", p.name)
		}
	}
}

// signup fills in the sign-up form and waits for the live connection.
func signup(p *uiPage, username, displayName string) {
	p.t.Helper()
	p.goTo("#/signup")
	p.waitFor("sign-up form", `!!document.getElementById('auth-username')`, 5*time.Second)
	p.setValue("#auth-username", username)
	p.setValue("#auth-display_name", displayName)
	p.setValue("#auth-email", username+"@example.com")
	p.setValue("#auth-password", "password-"+username)
	p.click("form.auth-form button[type=submit]")
	p.waitFor("connected state", `document.getElementById('conn').dataset.state === 'connected'`, 15*time.Second)
}

// threadHas is the condition that the open thread shows a message with
// exactly this text.
func threadHas(text string) string {
	return fmt.Sprintf(`[...document.querySelectorAll('#thread .msg-text')].some(e => e.textContent === %q)`, text)
}

func threadTexts(p *uiPage) []string {
	p.t.Helper()
	raw := eval[string](p, `JSON.stringify([...document.querySelectorAll('#thread .msg-text')].map(e => e.textContent))`)
	var out []string
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		p.t.Fatal(err)
	}
	return out
}

func toastsWith(p *uiPage, text string) int {
	p.t.Helper()
	return eval[int](p, fmt.Sprintf(`[...document.querySelectorAll('#toasts .toast-text')].filter(e => e.textContent === %q).length`, text))
}

// socketsOpen reads numeneon_ws_sockets_open from the process's /metrics.
func socketsOpen(t *testing.T, p *proc) int {
	t.Helper()
	resp, err := http.Get(p.URL + "/metrics")
	if err != nil {
		t.Fatalf("metrics: %v", err)
	}
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "numeneon_ws_sockets_open "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("metrics line %q: %v", sc.Text(), err)
			}
			return int(f)
		}
	}
	t.Fatalf("numeneon_ws_sockets_open not in the metrics of %s", p.URL)
	return 0
}

// waitSocketsOpen waits until the process counts n open sockets.
func waitSocketsOpen(t *testing.T, p *proc, n int) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		got := socketsOpen(t, p)
		if got == n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("process on port %d counts %d open sockets, want %d", p.Port, got, n)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
