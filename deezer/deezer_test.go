package deezer_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/deezer"
	"github.com/numeneon/numeneon/internal/fakedeezer"
)

var harder = fakedeezer.Track{ID: 3135556, Title: "Harder, Better, Faster, Stronger", Artist: "Daft Punk",
	Album: "Discovery", Cover: "https://cdn.example/cover.jpg", Preview: "https://cdn.example/preview.mp3", Duration: 224}

func TestSearch(t *testing.T) {
	fake := fakedeezer.Start(t, harder,
		fakedeezer.Track{ID: 3129775, Title: "One More Time", Artist: "Daft Punk", Album: "Discovery", Duration: 320,
			Preview: "javascript:alert(1)", Cover: "ftp://cdn.example/c.jpg"},
		fakedeezer.Track{ID: 1, Title: "Unrelated", Artist: "Someone Else"})
	c := deezer.New(fake.URL, nil)
	got, err := c.Search(context.Background(), "daft punk", 10)
	if err != nil {
		t.Fatal(err)
	}
	want := []numeneon.Track{
		{ExternalID: "3135556", Title: "Harder, Better, Faster, Stronger", Artist: "Daft Punk", Album: "Discovery",
			AlbumArt: "https://cdn.example/cover.jpg", PreviewURL: "https://cdn.example/preview.mp3", DurationMS: 224000},
		// Links that are not http(s) are dropped, not passed to the client.
		{ExternalID: "3129775", Title: "One More Time", Artist: "Daft Punk", Album: "Discovery", DurationMS: 320000},
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("Search (-want +got):\n%s", d)
	}
	got, err = c.Search(context.Background(), "daft punk", 1)
	if err != nil || len(got) != 1 {
		t.Fatalf("Search with limit 1 = %d tracks, %v", len(got), err)
	}
	got, err = c.Search(context.Background(), "nothing matches", 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("Search without matches = %v, %v; want none, no error", got, err)
	}
}

func TestSearchFailures(t *testing.T) {
	for _, tc := range []struct {
		name string
		mode fakedeezer.Mode
	}{
		{"error object", fakedeezer.QuotaError},
		{"server error", fakedeezer.ServerError},
		{"garbage", fakedeezer.Garbage},
		{"hang", fakedeezer.Hang},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := fakedeezer.Start(t, harder)
			fake.SetMode(tc.mode)
			ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
			defer cancel()
			_, err := deezer.New(fake.URL, nil).Search(ctx, "daft", 10)
			if code := numeneon.ErrorCode(err); code != numeneon.EUPSTREAM {
				t.Fatalf("Search = %v (code %q), want EUPSTREAM", err, code)
			}
		})
	}
	t.Run("unreachable", func(t *testing.T) {
		// Port 1 on loopback: nothing listens there.
		_, err := deezer.New("http://127.0.0.1:1", nil).Search(context.Background(), "daft", 10)
		if code := numeneon.ErrorCode(err); code != numeneon.EUPSTREAM {
			t.Fatalf("Search of a closed port = %v (code %q), want EUPSTREAM", err, code)
		}
	})
}
