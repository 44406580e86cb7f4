package app_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/deezer"
	"github.com/numeneon/numeneon/internal/fakedeezer"
)

var daftPunk = []fakedeezer.Track{
	{ID: 3135556, Title: "Harder, Better, Faster, Stronger", Artist: "Daft Punk", Album: "Discovery", Duration: 224},
	{ID: 3129775, Title: "One More Time", Artist: "Daft Punk", Album: "Discovery", Duration: 320},
}

// musicEnv is a service whose catalogue is a local Deezer stand-in, with a
// clock the test moves.
func musicEnv(t *testing.T, opts app.MusicOptions) (*env, *fakedeezer.Server, *testClock) {
	t.Helper()
	e := mustOpenEnv(t)
	fake := fakedeezer.Start(t, daftPunk...)
	clock := e.useTestClock()
	e.svc.UseCatalogue(deezer.New(fake.URL, nil), opts)
	return e, fake, clock
}

func TestSearchMusicCache(t *testing.T) {
	e, fake, clock := musicEnv(t, app.MusicOptions{CacheTTL: time.Minute, CacheSize: 2})
	ctx := context.Background()
	search := func(q string) []numeneon.Track {
		t.Helper()
		tracks, err := e.svc.SearchMusic(ctx, q)
		if err != nil {
			t.Fatalf("SearchMusic(%q): %v", q, err)
		}
		return tracks
	}
	if got := search("daft punk"); len(got) != 2 || got[0].ExternalID != "3135556" {
		t.Fatalf("first search = %+v", got)
	}
	// The same query, spelled differently, within the TTL: no new call.
	search("  Daft   PUNK ")
	if n := fake.Requests(); n != 1 {
		t.Fatalf("upstream requests after the same query twice = %d, want 1", n)
	}
	clock.Advance(time.Minute)
	search("daft punk")
	if n := fake.Requests(); n != 2 {
		t.Fatalf("upstream requests after the TTL = %d, want 2", n)
	}
	// Bounded: two other queries push the first out.
	search("one more")
	search("harder")
	search("daft punk")
	if n := fake.Requests(); n != 5 {
		t.Fatalf("upstream requests after eviction = %d, want 5", n)
	}
	// A failure is not cached.
	fake.SetMode(fakedeezer.ServerError)
	if _, err := e.svc.SearchMusic(ctx, "stronger"); numeneon.ErrorCode(err) != numeneon.EUPSTREAM {
		t.Fatalf("search with the catalogue down = %v, want EUPSTREAM", err)
	}
	fake.SetMode(fakedeezer.Normal)
	if got := search("stronger"); len(got) != 1 {
		t.Fatalf("search after the catalogue is back = %+v", got)
	}
}

func TestSearchMusicSharesConcurrentQueries(t *testing.T) {
	e, fake, _ := musicEnv(t, app.MusicOptions{Timeout: time.Minute})
	fake.SetMode(fakedeezer.Hang)
	const callers = 8
	var wg sync.WaitGroup
	errs := make([]error, callers)
	counts := make([]int, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tracks, err := e.svc.SearchMusic(context.Background(), "daft punk")
			counts[i], errs[i] = len(tracks), err
		}()
	}
	// Every caller is waiting while the first call is held upstream.
	for e.svc.MusicWaiting() != callers || fake.Held() != 1 {
		time.Sleep(time.Millisecond)
	}
	fake.Release()
	wg.Wait()
	for i := range callers {
		if errs[i] != nil || counts[i] != 2 {
			t.Fatalf("caller %d: %d tracks, %v", i, counts[i], errs[i])
		}
	}
	if n := fake.Requests(); n != 1 {
		t.Fatalf("upstream requests for %d concurrent identical queries = %d, want 1", callers, n)
	}
}

func TestSearchMusicBoundedWhenUpstreamHangs(t *testing.T) {
	e, fake, _ := musicEnv(t, app.MusicOptions{Timeout: 100 * time.Millisecond})
	fake.SetMode(fakedeezer.Hang)
	_, err := e.svc.SearchMusic(context.Background(), "daft punk")
	if numeneon.ErrorCode(err) != numeneon.EUPSTREAM {
		t.Fatalf("search with a hanging catalogue = %v, want EUPSTREAM", err)
	}
	// The catalogue answers nothing until released: only the bound
	// ended the wait.
}

func TestSearchMusicCallerGivingUpDoesNotFailOthers(t *testing.T) {
	e, fake, _ := musicEnv(t, app.MusicOptions{Timeout: time.Minute})
	fake.SetMode(fakedeezer.Hang)
	ctx, cancel := context.WithCancel(context.Background())
	gaveUp := make(chan error, 1)
	go func() {
		_, err := e.svc.SearchMusic(ctx, "daft punk")
		gaveUp <- err
	}()
	other := make(chan error, 1)
	go func() {
		tracks, err := e.svc.SearchMusic(context.Background(), "daft punk")
		if err == nil && len(tracks) != 2 {
			err = fmt.Errorf("%d tracks, want 2", len(tracks))
		}
		other <- err
	}()
	for e.svc.MusicWaiting() != 2 || fake.Held() != 1 {
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-gaveUp; err == nil {
		t.Fatalf("the caller that gave up got no error")
	}
	fake.Release()
	if err := <-other; err != nil {
		t.Fatalf("the caller that waited: %v", err)
	}
	if n := fake.Requests(); n != 1 {
		t.Fatalf("upstream requests = %d, want 1", n)
	}
}

func TestSearchMusicQuery(t *testing.T) {
	e, fake, _ := musicEnv(t, app.MusicOptions{})
	for _, q := range []string{"", " ", "a", " b  ", fmt.Sprintf("%0101d", 0)} {
		if _, err := e.svc.SearchMusic(context.Background(), q); numeneon.ErrorCode(err) != numeneon.EINVALID {
			t.Errorf("SearchMusic(%q) = %v, want EINVALID", q, err)
		}
	}
	if n := fake.Requests(); n != 0 {
		t.Fatalf("refused queries reached the catalogue %d times", n)
	}
	none := mustOpenEnv(t)
	if _, err := none.svc.SearchMusic(context.Background(), "daft"); numeneon.ErrorCode(err) != numeneon.EUNAVAILABLE {
		t.Fatalf("SearchMusic without a catalogue = %v, want EUNAVAILABLE", err)
	}
}
