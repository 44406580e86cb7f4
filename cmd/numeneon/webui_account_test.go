package main_test

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/numeneon/numeneon/internal/testbrowser"
)

// storedTokens are the tokens the UI keeps in sessionStorage.
type storedTokens struct {
	Access  string `json:"access"`
	Refresh string `json:"refresh"`
}

func readTokens(p *uiPage) storedTokens {
	p.t.Helper()
	var tok storedTokens
	raw := eval[string](p, `sessionStorage.getItem('numeneon.tokens') || 'null'`)
	if err := json.Unmarshal([]byte(raw), &tok); err != nil {
		p.t.Fatalf("stored tokens %q: %v", raw, err)
	}
	return tok
}

// expireAccessToken replaces the stored access token by one whose exp has
// passed (its signature no longer matters: the UI must refresh before it
// sends it), as a tab finds it after a laptop slept for an hour.
func expireAccessToken(p *uiPage) {
	p.t.Helper()
	tok := readTokens(p)
	parts := strings.Split(tok.Access, ".")
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		p.t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil {
		p.t.Fatal(err)
	}
	claims["exp"] = time.Now().Add(-time.Minute).Unix()
	b, _ := json.Marshal(claims)
	parts[1] = base64.RawURLEncoding.EncodeToString(b)
	tok.Access = strings.Join(parts, ".")
	j, _ := json.Marshal(tok)
	eval[bool](p, fmt.Sprintf(`(sessionStorage.setItem('numeneon.tokens', %q), true)`, j))
}

// refusals matches the console line Chromium writes for a 4xx answer.
func refusals(text string) bool {
	return strings.Contains(text, "Failed to load resource: the server responded with a status of 4")
}

// TestWebUIAccount: the server's refusals are shown as they are; an expired
// access token is refreshed before use and the rotated refresh token kept
// (under REFRESH_ROTATION=strict, reusing the old one would sign the login
// out); a profile edit shows hostile text as text; a story posted by URL
// appears in the strip; logging out signs the login out on the server.
func TestWebUIAccount(t *testing.T) {
	browser := testbrowser.Start(t)
	p := startProc(t, append(baseEnv(t), "REFRESH_ROTATION=strict"))
	t.Logf("screenshots: %s", screenshotDir(t))
	cy := openPage(t, browser, "cy", p.URL)

	// A wrong password: the server's words. (Chromium logs every 4xx
	// answer to the console; those the test provokes are expected.)
	stop := cy.tolerateWhile(refusals)
	cy.waitFor("login form", `!!document.getElementById('auth-email')`, 5*time.Second)
	cy.setValue("#auth-email", "nobody@example.com")
	cy.setValue("#auth-password", "wrong password")
	cy.click("form.auth-form button[type=submit]")
	cy.waitFor("login refusal", `document.getElementById('auth-error').textContent === 'Invalid email or password.'`, 5*time.Second)
	cy.shot("login-refused")
	stop()

	signup(cy, "cy", "Cy Twombly")

	// Twice: an expired access token is refreshed, and the rotated refresh
	// token is the one kept.
	for i := range 2 {
		before := readTokens(cy)
		expireAccessToken(cy)
		cy.do(chromedp.Reload())
		cy.waitFor("connected after reload", `document.getElementById('conn') && document.getElementById('conn').dataset.state === 'connected'`, 15*time.Second)
		after := readTokens(cy)
		if after.Refresh == "" || after.Refresh == before.Refresh || after.Access == before.Access {
			t.Fatalf("refresh %d: the page keeps refresh %t, access %t from before", i+1, after.Refresh == before.Refresh, after.Access == before.Access)
		}
	}

	// The browser says it is offline: the page says so, and is live again
	// when the network is back (the socket stayed open meanwhile).
	setOffline := func(offline bool) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, network.OverrideNetworkState, network.OverrideNetworkStateParams{Offline: offline, DownloadThroughput: -1, UploadThroughput: -1})
			return err
		})
	}
	cy.do(setOffline(true))
	cy.waitFor("offline state", `document.getElementById('conn').dataset.state === 'offline'`, 5*time.Second)
	cy.shot("offline")
	cy.do(setOffline(false))
	cy.waitFor("live again", `document.getElementById('conn').dataset.state === 'connected'`, 5*time.Second)

	// Profile: a refused website is explained; hostile text stays text.
	const hostileBio = `<img src=x onerror=window.__xss=3> hello`
	cy.goTo("#/profile")
	cy.click("#edit-profile")
	cy.waitFor("profile form", `!!document.getElementById('profile-bio') && document.getElementById('profile-bio').getClientRects().length > 0`, 5*time.Second)
	cy.setValue("#profile-bio", hostileBio)
	stop = cy.tolerateWhile(refusals)
	cy.setValue("#profile-website", "javascript:alert(1)")
	cy.click("form.profile-form button[type=submit]")
	cy.waitFor("website refusal", `/website/i.test(document.querySelector('form.profile-form .form-error').textContent) && document.activeElement.id === 'profile-website'`, 5*time.Second)
	cy.shot("profile-refused")
	stop()
	cy.setValue("#profile-website", "https://example.com/cy")
	cy.click("form.profile-form button[type=submit]")
	cy.waitFor("saved bio", fmt.Sprintf(`document.querySelector('.profile-card .bio') && document.querySelector('.profile-card .bio').textContent === %q`, hostileBio), 5*time.Second)
	cy.shot("profile-saved")

	// A story by URL shows in the strip and opens in a dialog.
	cy.goTo("#/")
	cy.click("#h-stories + button")
	cy.setValue("#story-url", p.URL+"/assets/icon.svg")
	cy.setValue("#story-caption", "first light")
	cy.click("dialog form button[type=submit]")
	cy.waitFor("story bubble", `!!document.querySelector('#stories .story-bubble:not(.placeholder)')`, 5*time.Second)
	cy.click("#stories .story-bubble")
	cy.waitFor("story viewer", `!!document.querySelector('dialog.story-dialog[open] .story-caption')`, 5*time.Second)
	cy.shot("story")
	// The dark theme, for people whose system asks for it.
	scheme := func(v string) chromedp.Action[chromedp.Void] {
		return chromedp.Func(func(ctx context.Context, t *chromedp.Target) error {
			_, err := cdp.Call(ctx, t, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
				Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}})
			return err
		})
	}
	cy.do(scheme("dark"))
	cy.shot("story-dark")
	cy.do(scheme(""))
	cy.click("dialog.story-dialog .close")
	cy.waitFor("viewer closed", `!document.querySelector('dialog[open]')`, 5*time.Second)

	if eval[bool](cy, `window.__xss !== undefined || document.querySelector('img[src="x"]') !== null`) {
		t.Errorf("the page rendered user text as HTML")
	}

	// Logging out forgets the tokens and signs the login out on the server.
	last := readTokens(cy)
	cy.goTo("#/profile")
	cy.click(".account-panel button")
	cy.waitFor("login form", `!!document.getElementById('auth-email')`, 5*time.Second)
	if got := eval[string](cy, `String(sessionStorage.getItem('numeneon.tokens'))`); got != "null" {
		t.Errorf("tokens kept after logout: %s", got)
	}
	body, _ := json.Marshal(map[string]string{"refresh": last.Refresh})
	resp, err := http.Post(p.URL+"/api/auth/token/refresh/", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("refresh with the logged-out token: %d, want 401", resp.StatusCode)
	}
	cy.shot("logged-out")

	// Back in with the keyboard alone: the form focuses its first field,
	// Tab moves on, Enter submits.
	cy.do(chromedp.KeyEvent("cy@example.com\tpassword-cy\r"))
	cy.waitFor("connected after a keyboard login", `document.getElementById('conn').dataset.state === 'connected'`, 15*time.Second)
}
