package app

import (
	"container/list"
	"sync"
	"time"

	"github.com/numeneon/numeneon"
)

// trackCache keeps search answers for a while, at most max of them: the
// least recently used goes first when it is full, and an answer older than
// ttl is never returned. Safe for concurrent use.
type trackCache struct {
	max int
	ttl time.Duration
	now func() time.Time

	mu    sync.Mutex
	order *list.List // of *cachedTracks, most recently used first
	byKey map[string]*list.Element
}

type cachedTracks struct {
	key    string
	tracks []numeneon.Track
	at     time.Time
}

func newTrackCache(max int, ttl time.Duration, now func() time.Time) *trackCache {
	return &trackCache{max: max, ttl: ttl, now: now, order: list.New(), byKey: make(map[string]*list.Element)}
}

// get returns the answer cached for key if it is younger than ttl.
func (c *trackCache) get(key string) ([]numeneon.Track, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	e := el.Value.(*cachedTracks)
	if c.now().Sub(e.at) >= c.ttl {
		c.order.Remove(el)
		delete(c.byKey, key)
		return nil, false
	}
	c.order.MoveToFront(el)
	return e.tracks, true
}

// put caches tracks under key, evicting the least recently used answer
// when the cache is full.
func (c *trackCache) put(key string, tracks []numeneon.Track) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.byKey[key]; ok {
		e := el.Value.(*cachedTracks)
		e.tracks, e.at = tracks, c.now()
		c.order.MoveToFront(el)
		return
	}
	c.byKey[key] = c.order.PushFront(&cachedTracks{key: key, tracks: tracks, at: c.now()})
	for c.order.Len() > c.max {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.byKey, last.Value.(*cachedTracks).key)
	}
}
