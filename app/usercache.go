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
// forgets a user as soon as it changes one; another process sees the change
// within userCacheTTL (a deactivated account keeps its access that long).
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
	u       numeneon.User
	expires time.Time
}

func newUserCache() *userCache {
	return &userCache{m: make(map[int64]cachedUser)}
}

// get returns a copy of the cached user, so callers may change it freely.
func (c *userCache) get(id int64, now time.Time) (*numeneon.User, bool) {
	c.mu.Lock()
	e, ok := c.m[id]
	c.mu.Unlock()
	if !ok || now.After(e.expires) {
		return nil, false
	}
	u := e.u
	return &u, true
}

func (c *userCache) put(u *numeneon.User, now time.Time) {
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
	c.m[u.ID] = cachedUser{u: *u, expires: now.Add(userCacheTTL)}
}

func (c *userCache) forget(id int64) {
	c.mu.Lock()
	delete(c.m, id)
	c.mu.Unlock()
}

// findUser returns the user with id, from the cache when it is fresh.
// Errors are the store's (ENOTFOUND for an unknown id).
func (s *Service) findUser(ctx context.Context, id int64) (*numeneon.User, error) {
	now := time.Now()
	if u, ok := s.users.get(id, now); ok {
		return u, nil
	}
	u, err := s.store.FindUserByID(ctx, id)
	if err != nil {
		return nil, err
	}
	s.users.put(u, now)
	return u, nil
}
