package app

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"golang.org/x/sync/singleflight"

	"github.com/numeneon/numeneon"
)

// MusicOptions tunes the music search in front of a Catalogue. Zero values
// are the documented defaults.
type MusicOptions struct {
	// Timeout bounds one upstream search (3 s): past it the caller gets
	// EUPSTREAM rather than a hang.
	Timeout time.Duration
	// CacheTTL is how long an answer is reused (10 minutes). Preview URLs
	// of some catalogues are signed and expire within hours, so an answer
	// is not kept longer.
	CacheTTL time.Duration
	// CacheSize is how many distinct queries are remembered (1000, about
	// 10 KB each).
	CacheSize int
}

// Defaults of MusicOptions.
const (
	DefaultMusicTimeout   = 3 * time.Second
	DefaultMusicCacheTTL  = 10 * time.Minute
	DefaultMusicCacheSize = 1000
	// musicResults is how many tracks a search returns.
	musicResults = 20
	// maxMusicQueryLen bounds a query: no song title needs more.
	maxMusicQueryLen = 100
	msgMusicQuery    = "Search query must be at least 2 characters."
)

// musicSearch is the catalogue with its cache and request sharing.
type musicSearch struct {
	catalogue numeneon.Catalogue
	timeout   time.Duration
	cache     *trackCache
	// calls shares one upstream call among concurrent identical queries.
	calls singleflight.Group
	// waiting counts the callers waiting for an upstream call, their own
	// or a shared one (tests wait on it to know every caller has joined).
	waiting atomic.Int64
}

// UseCatalogue turns the music search on, over c. Call it before serving.
func (s *Service) UseCatalogue(c numeneon.Catalogue, opts MusicOptions) {
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultMusicTimeout
	}
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultMusicCacheTTL
	}
	if opts.CacheSize <= 0 {
		opts.CacheSize = DefaultMusicCacheSize
	}
	s.music = &musicSearch{catalogue: c, timeout: opts.Timeout,
		cache: newTrackCache(opts.CacheSize, opts.CacheTTL, s.clock)}
}

// normalizeMusicQuery trims q and folds case and inner spaces, so that
// queries a catalogue answers alike share one cache entry.
func normalizeMusicQuery(q string) string {
	return strings.ToLower(strings.Join(strings.Fields(q), " "))
}

// SearchMusic returns up to 20 tracks of the catalogue matching q. A query
// under 2 characters (after trimming) or over 100 is EINVALID; no catalogue
// configured is EUNAVAILABLE; a catalogue that fails, answers garbage or
// takes longer than the timeout is EUPSTREAM, returned within the timeout.
// An answer is reused for the cache TTL, and concurrent identical queries
// share one upstream call.
func (s *Service) SearchMusic(ctx context.Context, q string) ([]numeneon.Track, error) {
	key := normalizeMusicQuery(q)
	if n := len([]rune(key)); n < 2 {
		return nil, numeneon.Errorf(numeneon.EINVALID, msgMusicQuery)
	} else if n > maxMusicQueryLen || !plainText(key) {
		return nil, numeneon.Errorf(numeneon.EINVALID, "Search query must be text of at most %d characters.", maxMusicQueryLen)
	}
	m := s.music
	if m == nil {
		return nil, numeneon.Errorf(numeneon.EUNAVAILABLE, "Music search is not configured on this server.")
	}
	if tracks, ok := m.cache.get(key); ok {
		return tracks, nil
	}
	ch := m.calls.DoChan(key, func() (any, error) {
		// The shared call belongs to no one request: a caller that gives
		// up must not fail the others waiting on it.
		ctx, cancel := context.WithTimeout(context.Background(), m.timeout)
		defer cancel()
		tracks, err := m.catalogue.Search(ctx, key, musicResults)
		if err != nil {
			if numeneon.ErrorCode(err) != numeneon.EUPSTREAM {
				err = fmt.Errorf("%w: %w", numeneon.Errorf(numeneon.EUPSTREAM, "The music catalogue is not answering. Try again later."), err)
			}
			return nil, err
		}
		m.cache.put(key, tracks)
		return tracks, nil
	})
	m.waiting.Add(1)
	defer m.waiting.Add(-1)
	select {
	case res := <-ch:
		if res.Err != nil {
			return nil, fmt.Errorf("search music %q: %w", key, res.Err)
		}
		return res.Val.([]numeneon.Track), nil
	case <-ctx.Done():
		return nil, fmt.Errorf("search music %q: %w", key, ctx.Err())
	}
}

// PingCatalogue runs one search to tell whether the catalogue answers
// (numeneon check); it bypasses the cache.
func PingCatalogue(ctx context.Context, c numeneon.Catalogue) error {
	ctx, cancel := context.WithTimeout(ctx, DefaultMusicTimeout)
	defer cancel()
	_, err := c.Search(ctx, "daft punk", 1)
	return err
}
