package main_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/numeneon/numeneon/internal/fakedeezer"
	"github.com/numeneon/numeneon/internal/testbrowser"
)

// TestWebUIStudio: a user sets up their studio (mood, bio, theme, the song
// playing) and a playlist (from the catalogue's search, a local stand-in
// for Deezer, and by hand; reorder, remove; a duplicate and a catalogue
// that is down explained in the server's words); another user opening it
// sees the same, hostile text as text.
func TestWebUIStudio(t *testing.T) {
	browser := testbrowser.Start(t)
	music := fakedeezer.Start(t,
		fakedeezer.Track{ID: 1, Title: "Heroes", Artist: "David Bowie", Album: "Heroes", Duration: 371},
		fakedeezer.Track{ID: 2, Title: "Life on Mars?", Artist: "David Bowie", Album: "Hunky Dory", Duration: 233})
	p := startProc(t, append(baseEnv(t), "MUSIC_API_URL="+music.URL))
	t.Logf("screenshots: %s", screenshotDir(t))
	owner, visitor := newUser(t, p.URL, "dj"), newUser(t, p.URL, "fan")
	a := openPage(t, browser, "dj", p.URL)
	b := openPage(t, browser, "fan", p.URL)
	loginPage(a, owner)
	loginPage(b, visitor)

	const bio = `Spinning <img src=x onerror=window.__xss=5> all night`
	a.click(`nav a[href="#/studio"]`)
	a.waitFor("studio form", `!!document.getElementById('studio-mood')`, 5*time.Second)
	a.setValue("#studio-mood", "electric")
	a.setValue("#studio-customBio", bio)
	a.setValue("#studio-theme", "sunset")
	a.setValue("#studio-wallpaper", "stars")
	a.setValue("#studio-title", "Blue Monday")
	a.setValue("#studio-artist", "New Order")
	a.click("form.studio-form button[type=submit]")
	a.waitFor("saved", fmt.Sprintf(`document.querySelector('.studio-bio')?.textContent === %q && !!document.querySelector('.studio-stage.theme-sunset.wallpaper-stars')`, bio), 5*time.Second)

	// From the catalogue: one song to the playlist, one to play now.
	a.setValue("#music-q", "bowie")
	a.click("form.search button[type=submit]")
	a.waitFor("search results", `document.querySelectorAll('#music-results .song-row').length === 2`, 5*time.Second)
	a.shot("music-search")
	a.click(`button[aria-label="Add Heroes to the playlist"]`)
	a.waitFor("song Heroes", `[...document.querySelectorAll('#playlist .song-title')].some(e => e.textContent === 'Heroes')`, 5*time.Second)
	a.setValue("#music-q", "mars")
	a.click("form.search button[type=submit]")
	a.click(`button[aria-label="Play Life on Mars? now"]`)
	a.waitFor("now playing", `document.querySelector('.now-playing .song-title')?.textContent === 'Life on Mars? — David Bowie'`, 5*time.Second)

	// The catalogue down: the server's answer, in its words. (A new query:
	// the server caches answers.)
	music.SetMode(fakedeezer.ServerError)
	stop := a.tolerateWhile(func(text string) bool { return strings.Contains(text, "the server responded with a status of 502") })
	a.setValue("#music-q", "ziggy")
	a.click("form.search button[type=submit]")
	a.waitFor("catalogue error", `!!document.querySelector('#music-results .form-error')`, 5*time.Second)
	t.Logf("with the catalogue down the page says: %s", eval[string](a, `document.querySelector('#music-results .form-error').textContent`))
	stop()
	music.SetMode(fakedeezer.Normal)

	// By hand.
	for _, song := range [][2]string{{"Windowlicker", "Aphex Twin"}, {"Teardrop", "Massive Attack"}} {
		a.setValue("#song-title", song[0])
		a.setValue("#song-artist", song[1])
		a.click("form.song-form button[type=submit]")
		a.waitFor("song "+song[0], fmt.Sprintf(`[...document.querySelectorAll('#playlist .song-title')].some(e => e.textContent === %q)`, song[0]), 5*time.Second)
	}
	stop = a.tolerateWhile(refusals)
	a.setValue("#song-title", "Teardrop")
	a.setValue("#song-artist", "Massive Attack")
	a.click("form.song-form button[type=submit]")
	a.waitFor("duplicate refused", `document.querySelector('.song-form + .form-error')?.textContent === 'This song is already in your playlist.'`, 5*time.Second)
	stop()
	a.click(`button[aria-label="Move Teardrop up"]`)
	a.waitFor("reordered", `[...document.querySelectorAll('#playlist .song-title')].map(e => e.textContent).join() === 'Heroes,Teardrop,Windowlicker'`, 5*time.Second)
	a.click(`button[aria-label="Remove Windowlicker"]`)
	a.waitFor("removed", `[...document.querySelectorAll('#playlist .song-title')].map(e => e.textContent).join() === 'Heroes,Teardrop'`, 5*time.Second)
	a.shot("studio-edited")

	b.goTo("#/studio/" + owner.Name)
	b.waitFor("the owner's studio", fmt.Sprintf(`document.querySelector('.studio-bio')?.textContent === %q && document.querySelector('.studio-mood strong')?.textContent === 'electric' && [...document.querySelectorAll('#playlist .song-title')].map(e => e.textContent).join() === 'Heroes,Teardrop'`, bio), 5*time.Second)
	if eval[bool](b, `!!document.getElementById('studio-mood')`) {
		t.Errorf("a visitor is offered the owner's studio form")
	}
	b.shot("studio-visited")

	for _, pg := range []*uiPage{a, b} {
		if eval[bool](pg, `window.__xss !== undefined || document.querySelector('img[src="x"]') !== null`) {
			t.Errorf("%s's page rendered user text as HTML", pg.name)
		}
	}
}
