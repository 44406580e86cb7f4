package app

import (
	"context"
	"sync"
	"time"

	"github.com/numeneon/numeneon"
)

// userCacheTTL bounds how stale a cached user may be. Every authenticated
// request and every message reads its users, and users rarely change: the
// cache saves the database one or two queries per request. This process
// forgets a user as soon as it changes one; a change made by another process
// or by numeneon user reaches it through the store's log of account changes,
// which UserWatch reads every second (userwatch.go). The TTL is the bound
// when no watch runs.
const (
	userCacheTTL = 10 * time.Second
	userCacheMax = 100_000
)

// userCache keeps recently read users for userCacheTTL.
type userCache struct {
	mu sync.Mutex
	m  map[int64]cachedUser
}

type cachedUser struct {
	u numeneon.User
	// validAfter is the user's Store.TokensValidAfter: their tokens with
	// an older iat are refused.
	validAfter time.Time
	expires    time.Time
}

func newUserCache() *userCache {
	return &userCache{m: make(map[int64]cachedUser)}
}

// get returns a copy of the cached user, so callers may change it freely,
// and its tokens' valid-after instant.
func (c *userCache) get(id int64, now time.Time) (*numeneon.User, time.Time, bool) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || now.After(e.expires) {
		return nil, time.Time{}, false
	}
	u := e.u
	return &u, e.validAfter, true
}

func (c *userCache) put(u *numeneon.User, validAfter, now time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= userCacheMax {
		for id, e := range c.m {
			if now.After(e.expires) {
				delete(c.m, id)
			}
		}
		if len(c.m) >= userCacheMax {
			clear(c.m) // all fresh: start over rather than grow without bound
		}
	}
	c.m[u.ID] = cachedUser{u: *u, validAfter: validAfter, expires: now.Add(userCacheTTL)}
}

func (c *userCache) forget(id int64) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// findUser returns the user with id, from the cache when it is fresh.
// Errors are the store's (ENOTFOUND for an unknown id).
func (s *Service) findUser(ctx context.Context, id int64) (*numeneon.User, error) {
	u, _, err := s.findUserSessions(ctx, id)
	return u, err
}

// findUserSessions is findUser with the instant before which the user's
// tokens are refused.
func (s *Service) findUserSessions(ctx context.Context, id int64) (*numeneon.User, time.Time, error) {
	now := time.Now()
	if u, validAfter, ok := s.users.get(id, now); ok {
		return u, validAfter, nil
	}
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return nil, time.Time{}, err
	}
	validAfter, err := s.store.TokensValidAfter(ctx, id)
	if err != nil {
		return nil, time.Time{}, err
	}
	s.users.put(u, validAfter, now)
	return u, validAfter, nil
}
