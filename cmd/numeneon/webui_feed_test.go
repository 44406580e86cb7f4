package main_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/numeneon/numeneon/client"
	"github.com/numeneon/numeneon/internal/testbrowser"
)

// loginPage logs the page in as c through the form.
func loginPage(p *uiPage, c *client.Client) {
	p.t.Helper()
	p.goTo("#/login")
	p.waitFor("login form", `!!document.getElementById('auth-email')`, 5*time.Second)
	p.setValue("#auth-email", c.Name+"@example.com")
	p.setValue("#auth-password", "password-"+c.Name)
	p.click("form.auth-form button[type=submit]")
	p.waitFor("connected", `document.getElementById('conn').dataset.state === 'connected'`, 15*time.Second)
}

// TestWebUIFeed: two friends on their home pages. One posts; the post
// appears at the top of the other's feed without a reload; the other likes
// and comments; the author is told and sees the comment in the post's open
// comments; a post on a friend's wall reaches them. Hostile text stays text.
func TestWebUIFeed(t *testing.T) {
	browser := testbrowser.Start(t)
	p := startProc(t, baseEnv(t))
	t.Logf("screenshots: %s", screenshotDir(t))
	ctx := t.Context()
	poster, reader := newUser(t, p.URL, "poster"), newUser(t, p.URL, "reader")
	if err := client.Befriend(ctx, poster, reader); err != nil {
		t.Fatal(err)
	}
	a := openPage(t, browser, "poster", p.URL)
	b := openPage(t, browser, "reader", p.URL)
	loginPage(a, poster)
	loginPage(b, reader)
	b.waitFor("empty feed", `!!document.querySelector('#feed .empty')`, 5*time.Second)

	const text = `First post <img src=x onerror=window.__xss=4>`
	a.setValue("#post-content", text)
	a.click("form.post-composer button[type=submit]")
	a.waitFor("own post", fmt.Sprintf(`[...document.querySelectorAll('#feed .post-text')].some(e => e.textContent === %q)`, text), 5*time.Second)
	took := b.waitFor("friend's post", fmt.Sprintf(`document.querySelector('#feed .post .post-text')?.textContent === %q`, text), realtimeBound)
	t.Logf("the reader saw the post after %s", took)
	b.shot("post-arrived")

	b.click(`#feed .post button[aria-pressed]`)
	b.waitFor("liked", `document.querySelector('#feed .post button[aria-pressed]').getAttribute('aria-pressed') === 'true'`, 5*time.Second)
	a.click(`#feed .post button[aria-label^="Comments"]`)
	a.waitFor("comments open", `!!document.querySelector('#feed .post .comment-form')`, 5*time.Second)
	b.click(`#feed .post button[aria-label^="Comments"]`)
	b.waitFor("comment form", `!!document.querySelector('#feed .post .comment-form')`, 5*time.Second)
	b.setValue("#feed .post .comment-input", "Nice one")
	b.click("#feed .post .comment-form button[type=submit]")
	b.waitFor("own comment", `[...document.querySelectorAll('#feed .comment-text')].some(e => e.textContent === 'Nice one')`, 5*time.Second)
	a.waitFor("comment arrived", `[...document.querySelectorAll('#feed .comment-text')].some(e => e.textContent === 'Nice one')`, realtimeBound)
	a.waitFor("comment toast", `[...document.querySelectorAll('#toasts .toast-text')].some(e => e.textContent.includes('commented on your post'))`, realtimeBound)
	a.shot("comment-arrived")

	// A post on the friend's wall.
	a.goTo("#/u/" + reader.Name)
	a.waitFor("wall composer", `!!document.querySelector('#wall') && !!document.getElementById('post-content')`, 5*time.Second)
	a.setValue("#post-content", "Happy birthday!")
	a.click("form.post-composer button[type=submit]")
	a.waitFor("wall post", `[...document.querySelectorAll('#wall .post-text')].some(e => e.textContent === 'Happy birthday!')`, 5*time.Second)
	b.waitFor("wall toast", `[...document.querySelectorAll('#toasts .toast-text')].some(e => e.textContent.includes('posted on your wall'))`, realtimeBound)
	a.shot("wall")
	b.goTo("#/profile")
	b.waitFor("own wall", `[...document.querySelectorAll('#wall .post-text')].some(e => e.textContent === 'Happy birthday!')`, 5*time.Second)
	b.shot("own-wall")

	for _, pg := range []*uiPage{a, b} {
		if eval[bool](pg, `window.__xss !== undefined || document.querySelector('img[src="x"]') !== null`) {
			t.Errorf("%s's page rendered user text as HTML", pg.name)
		}
	}
}
