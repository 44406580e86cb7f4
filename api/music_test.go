package api_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/deezer"
	"github.com/numeneon/numeneon/internal/fakedeezer"
)

func TestMusicSearch(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	fake := fakedeezer.Start(t, fakedeezer.Track{ID: 3135556, Title: "Harder, Better, Faster, Stronger",
		Artist: "Daft Punk", Album: "Discovery", Cover: "https://cdn.example/c.jpg",
		Preview: "https://cdn.example/p.mp3", Duration: 224})
	ts.app.UseCatalogue(deezer.New(fake.URL, nil), app.MusicOptions{Timeout: 200 * time.Millisecond})

	// Public: no token.
	var got struct{ Results []object }
	ts.mustDo("GET", "/api/mystudio/search/?q=daft", "", nil, http.StatusOK, &got)
	want := []object{{"id": float64(3135556), "title": "Harder, Better, Faster, Stronger", "artist": "Daft Punk",
		"album": "Discovery", "album_art": "https://cdn.example/c.jpg", "preview_url": "https://cdn.example/p.mp3",
		"duration_ms": float64(224000), "external_id": "3135556"}}
	if d := cmp.Diff(want, got.Results); d != "" {
		t.Fatalf("results (-want +got):\n%s", d)
	}
	// A result goes into the playlist as it is.
	alice := ts.signup("alice")
	ts.mustDo("POST", "/api/mystudio/playlist/", alice.Access, got.Results[0], http.StatusCreated, nil)

	for _, q := range []string{"", "a", "%20x%20"} {
		var e map[string]string
		ts.mustDo("GET", "/api/mystudio/search/?q="+q, "", nil, http.StatusBadRequest, &e)
		if e["error"] == "" {
			t.Errorf("q=%q answered %v, want {error}", q, e)
		}
	}
	ts.mustDo("GET", "/api/mystudio/search/", "", nil, http.StatusBadRequest, nil)

	for _, mode := range []fakedeezer.Mode{fakedeezer.QuotaError, fakedeezer.ServerError, fakedeezer.Garbage, fakedeezer.Hang} {
		fake.SetMode(mode)
		var e map[string]string
		ts.mustDo("GET", "/api/mystudio/search/?q=fresh+query", "", nil, http.StatusBadGateway, &e)
		if e["error"] == "" {
			t.Errorf("mode %d answered %v, want {error}", mode, e)
		}
	}
}

func TestMusicSearchNotConfigured(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	ts.mustDo("GET", "/api/mystudio/search/?q=daft", "", nil, http.StatusServiceUnavailable, nil)
}
