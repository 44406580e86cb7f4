package main_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/numeneon/numeneon/internal/testbrowser"
)

// TestWebUISeededDemo is the README's quick start: a server, numeneon seed
// beside it, and a newcomer logging in as ada finds friends, stories with
// their pictures, and a conversation with unread messages.
func TestWebUISeededDemo(t *testing.T) {
	browser := testbrowser.Start(t)
	env := baseEnv(t)
	p := startProc(t, env)
	// The stories' pictures are served by the server on the port seed is
	// told.
	if out, err := runCommand(t, env, "seed", "--port", strconv.Itoa(p.Port)); err != nil {
		t.Fatalf("seed: %v\n%s", err, out)
	}
	t.Logf("screenshots: %s", screenshotDir(t))

	ada := openPage(t, browser, "ada", p.URL)
	ada.waitFor("login form", `!!document.getElementById('auth-email')`, 5*time.Second)
	ada.setValue("#auth-email", "ada@example.com")
	ada.setValue("#auth-password", "numeneon-demo")
	ada.click("form.auth-form button[type=submit]")
	ada.waitFor("connected", `document.getElementById('conn').dataset.state === 'connected'`, 15*time.Second)

	ada.waitFor("two friends' stories", `document.querySelectorAll('#stories .story-bubble:not(.placeholder)').length === 2`, 5*time.Second)
	ada.shot("home")
	ada.click(`#stories button[aria-label^="Stories of grace"]`)
	ada.waitFor("story picture", `(() => { const i = document.querySelector('dialog[open] img.story-media'); return !!i && i.complete && i.naturalWidth > 0 })()`, 5*time.Second)
	ada.shot("story")
	ada.click("dialog.story-dialog .close")

	ada.waitFor("unread messages badge", `document.getElementById('badge-messages').textContent === '3'`, 5*time.Second)
	ada.goTo("#/messages")
	ada.waitFor("conversations", `document.querySelectorAll('#conversations .conv.has-unread').length === 2`, 5*time.Second)
	ada.shot("conversations")
	ada.click(`#conversations a[data-user="grace"]`)
	ada.waitFor("thread", `document.querySelectorAll('#thread .msg-text').length === 4`, 5*time.Second)
	ada.waitFor("read", `document.getElementById('badge-messages').textContent === '1'`, 5*time.Second)
	ada.shot("thread")

	ada.goTo("#/friends")
	ada.waitFor("friends", `document.querySelectorAll('#friends .person').length === 2`, 5*time.Second)
	ada.shot("friends")
}
