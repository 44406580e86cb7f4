package itunes_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/itunes"
)

// answer is an iTunes Search API answer, trimmed from a real one.
const answer = `{"resultCount":2,"results":[
{"wrapperType":"track","kind":"song","artistId":5468295,"collectionId":697194953,"trackId":697195462,
 "artistName":"Daft Punk","collectionName":"Discovery","trackName":"Harder, Better, Faster, Stronger",
 "previewUrl":"https://audio.example/preview.m4a","artworkUrl100":"https://art.example/100x100bb.jpg",
 "trackTimeMillis":224693,"country":"USA","currency":"USD","primaryGenreName":"Electronic"},
{"wrapperType":"track","kind":"music-video","trackId":1,"trackName":"A video","artistName":"Daft Punk"}]}`

func TestSearch(t *testing.T) {
	var got map[string]string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = map[string]string{"path": r.URL.Path, "term": r.URL.Query().Get("term"),
			"media": r.URL.Query().Get("media"), "entity": r.URL.Query().Get("entity"), "limit": r.URL.Query().Get("limit")}
		w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		fmt.Fprint(w, answer)
	}))
	defer srv.Close()
	tracks, err := itunes.New(srv.URL, nil).Search(context.Background(), "daft punk", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []numeneon.Track{{ExternalID: "697195462", Title: "Harder, Better, Faster, Stronger", Artist: "Daft Punk",
		Album: "Discovery", AlbumArt: "https://art.example/100x100bb.jpg", PreviewURL: "https://audio.example/preview.m4a",
		DurationMS: 224693}}
	if d := cmp.Diff(want, tracks); d != "" {
		t.Fatalf("tracks (-want +got):\n%s", d)
	}
	wantReq := map[string]string{"path": "/search", "term": "daft punk", "media": "music", "entity": "song", "limit": "10"}
	if d := cmp.Diff(wantReq, got); d != "" {
		t.Fatalf("request (-want +got):\n%s", d)
	}
}

func TestSearchFailures(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"server error": func(w http.ResponseWriter, r *http.Request) { http.Error(w, "busy", http.StatusServiceUnavailable) },
		"garbage":      func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>maintenance</html>") },
		"other json": func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"errorMessage":"Invalid value(s) for key(s): [term]"}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			srv := httptest.NewServer(h)
			defer srv.Close()
			_, err := itunes.New(srv.URL, nil).Search(context.Background(), "daft", 10)
			if code := numeneon.ErrorCode(err); code != numeneon.EUPSTREAM {
				t.Fatalf("Search = %v (code %q), want EUPSTREAM", err, code)
			}
		})
	}
}
