package main_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/numeneon/numeneon/internal/fakedeezer"
	"github.com/numeneon/numeneon/internal/testsvc"
)

// numeneon check warns when the music catalogue does not answer, and still
// passes: the rest of the app works without it.
func TestCheckReportsTheMusicCatalogue(t *testing.T) {
	db := "DATABASE_URL=sqlite:" + t.TempDir() + "/db.sqlite"
	down := "MUSIC_API_URL=http://127.0.0.1:" + itoa(testsvc.ClosedPort(t))
	out, err := runCommand(t, append(baseEnv(t), db, down), "check")
	if err != nil {
		t.Fatalf("check failed because of the catalogue alone: %v\n%s", err, out)
	}
	if !strings.Contains(out, "WARN  music catalogue") {
		t.Fatalf("check does not warn about the unreachable catalogue:\n%s", out)
	}

	fake := fakedeezer.Start(t, fakedeezer.Track{ID: 1, Title: "Da Funk", Artist: "Daft Punk"})
	out, err = runCommand(t, append(baseEnv(t), db, "MUSIC_API_URL="+fake.URL), "check")
	if err != nil || !strings.Contains(out, "ok    music catalogue") {
		t.Fatalf("check with a working catalogue: err=%v\n%s", err, out)
	}
	if fake.Requests() != 1 {
		t.Fatalf("check sent %d searches, want 1", fake.Requests())
	}
}

// The server searches the catalogue MUSIC_API_URL names.
func TestServeSearchesTheConfiguredCatalogue(t *testing.T) {
	fake := fakedeezer.Start(t, fakedeezer.Track{ID: 3135556, Title: "Harder, Better, Faster, Stronger", Artist: "Daft Punk"})
	p := startProc(t, append(baseEnv(t), "MUSIC_API_URL="+fake.URL))
	c := newUser(t, p.URL, "listener")
	var got struct {
		Results []struct {
			ExternalID string `json:"external_id"`
		}
	}
	if err := c.Do(t.Context(), "GET", "/api/mystudio/search/?q=daft", nil, &got, 200); err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != 1 || got.Results[0].ExternalID != "3135556" {
		t.Fatalf("search through the server = %+v", got.Results)
	}
}

// MUSIC_CATALOGUE=itunes searches the iTunes Search API instead.
func TestServeSearchesITunes(t *testing.T) {
	itunes := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/search" || r.URL.Query().Get("entity") != "song" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `{"resultCount":1,"results":[{"wrapperType":"track","kind":"song","trackId":697195462,
			"artistName":"Daft Punk","collectionName":"Discovery","trackName":"Harder, Better, Faster, Stronger",
			"previewUrl":"https://audio.example/p.m4a","artworkUrl100":"https://art.example/a.jpg","trackTimeMillis":224693}]}`)
	}))
	defer itunes.Close()
	p := startProc(t, append(baseEnv(t), "MUSIC_CATALOGUE=itunes", "MUSIC_API_URL="+itunes.URL))
	c := newUser(t, p.URL, "apple")
	var got struct {
		Results []struct {
			ExternalID string `json:"external_id"`
			DurationMS int    `json:"duration_ms"`
		}
	}
	if err := c.Do(t.Context(), "GET", "/api/mystudio/search/?q=daft", nil, &got, 200); err != nil {
		t.Fatal(err)
	}
	if len(got.Results) != 1 || got.Results[0].ExternalID != "697195462" || got.Results[0].DurationMS != 224693 {
		t.Fatalf("search through iTunes = %+v", got.Results)
	}
}
