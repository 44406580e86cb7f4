package api_test

import (
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon/api"
)

// song is a playlist entry as the client posts it.
func song(ext string) object {
	return object{"title": "Title " + ext, "artist": "Artist " + ext, "duration_ms": 215000,
		"external_id": ext, "preview_url": "https://cdn.example/" + ext + ".mp3", "album_art": "https://cdn.example/" + ext + ".jpg"}
}

// playlistOrder returns the external ids of page's playlist, in order,
// after checking each song's order field matches its place.
func playlistOrder(t *testing.T, page object) []string {
	t.Helper()
	var out []string
	for i, s := range page["playlist"].([]any) {
		song := s.(object)
		if got := num(t, song["order"]); got != int64(i) {
			t.Fatalf("song %v at index %d has order %d", song["external_id"], i, got)
		}
		out = append(out, song["external_id"].(string))
	}
	return out
}

func TestStudio(t *testing.T) {
	onBothDatabases(t, api.Config{}, testStudio)
}

func testStudio(t *testing.T, ts *testServer) {
	alice, bob := ts.signup("alice"), ts.signup("bob")

	// A new user's page is empty, with every field there.
	var page object
	ts.mustDo("GET", "/api/mystudio/profile/", alice.Access, nil, http.StatusOK, &page)
	wantKeys(t, "empty studio", page, "selectedAvatar", "songTitle", "songArtist", "mood", "customBio", "theme",
		"wallpaper", "sliderStyle", "playlist", "external_id", "preview_url", "album_art", "auto_play")
	if len(page["playlist"].([]any)) != 0 || page["mood"] != "" {
		t.Fatalf("new studio = %v, want empty", page)
	}

	// Every field persists, PUT and PATCH alike, and a friend sees it.
	edit := object{"title": "Midnight City", "artist": "M83", "external_id": "12345",
		"preview_url": "https://cdn.example/p.mp3", "album_art": "https://cdn.example/a.jpg", "auto_play": true,
		"avatar": "neon-cat", "mood": "dreamy", "customBio": "Synths all day", "theme": "synthwave",
		"wallpaper": "grid", "sliderStyle": "neon"}
	ts.mustDo("PUT", "/api/mystudio/", alice.Access, edit, http.StatusOK, &page)
	ts.mustDo("PATCH", "/api/mystudio", alice.Access, object{"mood": "calm"}, http.StatusOK, nil)
	want := object{"selectedAvatar": "neon-cat", "songTitle": "Midnight City", "songArtist": "M83",
		"external_id": "12345", "preview_url": "https://cdn.example/p.mp3", "album_art": "https://cdn.example/a.jpg",
		"auto_play": true, "mood": "calm", "customBio": "Synths all day", "theme": "synthwave", "wallpaper": "grid",
		"sliderStyle": "neon", "playlist": []any{}}
	for _, path := range []string{"/api/mystudio/profile/"} {
		ts.mustDo("GET", path, alice.Access, nil, http.StatusOK, &page)
		if d := cmp.Diff(want, page); d != "" {
			t.Fatalf("GET %s (-want +got):\n%s", path, d)
		}
	}
	ts.mustDo("GET", "/api/mystudio/alice/", bob.Access, nil, http.StatusOK, &page)
	if d := cmp.Diff(want, page); d != "" {
		t.Fatalf("bob's view of alice's studio (-want +got):\n%s", d)
	}
	ts.mustDo("GET", "/api/mystudio/nobody/", bob.Access, nil, http.StatusNotFound, nil)

	// Bad fields are 400 per field, and change nothing.
	var fields map[string][]string
	ts.mustDo("PATCH", "/api/mystudio/", alice.Access, object{"mood": "x", "preview_url": "javascript:alert(1)",
		"customBio": strings.Repeat("b", 501)}, http.StatusBadRequest, &fields)
	if _, ok := fields["preview_url"]; !ok || len(fields) != 2 {
		t.Fatalf("bad update answered %v, want errors for preview_url and customBio", fields)
	}
	ts.mustDo("GET", "/api/mystudio/profile/", alice.Access, nil, http.StatusOK, &page)
	if page["mood"] != "calm" {
		t.Fatalf("mood after a refused update = %v, want calm", page["mood"])
	}

	// The playlist: five songs at most, each track once.
	var songs []object
	for _, ext := range []string{"a", "b", "c", "d", "e"} {
		var s object
		ts.mustDo("POST", "/api/mystudio/playlist/", alice.Access, song(ext), http.StatusCreated, &s)
		wantKeys(t, "added song", s, "id", "title", "artist", "duration", "duration_ms", "external_id",
			"preview_url", "album_art", "order")
		if s["duration"] != "3:35" {
			t.Fatalf("duration of 215000 ms = %v, want 3:35", s["duration"])
		}
		songs = append(songs, s)
	}
	var e map[string]string
	ts.mustDo("POST", "/api/mystudio/playlist/", alice.Access, song("f"), http.StatusBadRequest, &e)
	if e["error"] == "" {
		t.Fatalf("sixth song answered %v, want an error message", e)
	}
	ts.mustDo("DELETE", "/api/mystudio/playlist/"+id(num(t, songs[1]["id"]))+"/", alice.Access, nil, http.StatusNoContent, nil)
	ts.mustDo("POST", "/api/mystudio/playlist/", alice.Access, song("a"), http.StatusBadRequest, &e)
	if e["error"] == "" {
		t.Fatalf("duplicate song answered %v, want an error message", e)
	}
	ts.mustDo("POST", "/api/mystudio/playlist/", alice.Access, object{"title": "", "artist": "x"}, http.StatusBadRequest, &fields)
	if _, ok := fields["external_id"]; !ok {
		t.Fatalf("song without external_id answered %v", fields)
	}
	ts.mustDo("GET", "/api/mystudio/profile/", alice.Access, nil, http.StatusOK, &page)
	if d := cmp.Diff([]string{"a", "c", "d", "e"}, playlistOrder(t, page)); d != "" {
		t.Fatalf("playlist after delete (-want +got):\n%s", d)
	}

	// Bob cannot delete alice's song.
	ts.mustDo("DELETE", "/api/mystudio/playlist/"+id(num(t, songs[0]["id"]))+"/", bob.Access, nil, http.StatusNotFound, nil)

	// Reorder names exactly the current songs.
	ids := func(exts ...string) []any {
		byExt := map[string]any{}
		for _, s := range songs {
			byExt[s["external_id"].(string)] = s["id"]
		}
		var out []any
		for _, x := range exts {
			out = append(out, byExt[x])
		}
		return out
	}
	for _, bad := range [][]any{ids("e", "d", "c"), ids("e", "d", "c", "a", "a"), ids("e", "d", "c", "b"), ids("e", "d", "c", "a", "b")} {
		ts.mustDo("PATCH", "/api/mystudio/playlist/reorder/", alice.Access, object{"song_ids": bad}, http.StatusBadRequest, &fields)
		if _, ok := fields["song_ids"]; !ok {
			t.Fatalf("reorder %v answered %v, want a song_ids error", bad, fields)
		}
	}
	ts.mustDo("PATCH", "/api/mystudio/playlist/reorder/", alice.Access, object{}, http.StatusBadRequest, nil)
	ts.mustDo("PATCH", "/api/mystudio/playlist/reorder/", alice.Access, object{"song_ids": ids("e", "d", "a", "c")}, http.StatusOK, &page)
	if d := cmp.Diff([]string{"e", "d", "a", "c"}, playlistOrder(t, page)); d != "" {
		t.Fatalf("reorder answer (-want +got):\n%s", d)
	}
	ts.mustDo("GET", "/api/mystudio/alice/", bob.Access, nil, http.StatusOK, &page)
	if d := cmp.Diff([]string{"e", "d", "a", "c"}, playlistOrder(t, page)); d != "" {
		t.Fatalf("reordered playlist seen by bob (-want +got):\n%s", d)
	}
}

// TestStudioPlaylistLimitUnderConcurrency adds many songs at once: the
// playlist still ends with exactly five.
func TestStudioPlaylistLimitUnderConcurrency(t *testing.T) {
	onBothDatabases(t, api.Config{}, func(t *testing.T, ts *testServer) {
		alice := ts.signup("alice")
		var wg sync.WaitGroup
		statuses := make([]int, 12)
		for i := range statuses {
			wg.Add(1)
			go func() {
				defer wg.Done()
				statuses[i], _ = ts.do("POST", "/api/mystudio/playlist/", alice.Access, song(id(int64(i))))
			}()
		}
		wg.Wait()
		created := 0
		for _, st := range statuses {
			switch st {
			case http.StatusCreated:
				created++
			case http.StatusBadRequest:
			default:
				t.Fatalf("concurrent add answered %d", st)
			}
		}
		var page object
		ts.mustDo("GET", "/api/mystudio/profile/", alice.Access, nil, http.StatusOK, &page)
		if n := len(page["playlist"].([]any)); n != 5 || created != 5 {
			t.Fatalf("after 12 concurrent adds: %d created, playlist of %d; want 5 and 5", created, n)
		}
	})
}
