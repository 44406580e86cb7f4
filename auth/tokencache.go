package auth

import "sync"

// verifiedCacheSize bounds the verified access tokens remembered: two
// generations of up to this many each, about 0.5 KiB an entry.
const verifiedCacheSize = 8192

// verifiedCache remembers access tokens that passed every check of Parse,
// so a client's next requests with the same token skip the signature and
// the JSON decoding (about a tenth of a message send's CPU). An entry is
// used only while the token would still be accepted; a token is the same
// string with the same signature, so its verdict cannot change before
// that. Refresh tokens are not cached: each is used once.
type verifiedCache struct {
	mu       sync.Mutex
	cur, old map[string]*Claims
}

// get returns the claims of token if it was verified before.
func (c *verifiedCache) get(token string) *Claims {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cl, ok := c.cur[token]; ok {
		return cl
	}
	cl, ok := c.old[token]
	if ok {
		c.putLocked(token, cl) // still in use: keep it in the young generation
	}
	return cl
}

func (c *verifiedCache) put(token string, cl *Claims) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.putLocked(token, cl)
}

func (c *verifiedCache) putLocked(token string, cl *Claims) {
	if c.cur == nil || len(c.cur) >= verifiedCacheSize {
		c.old, c.cur = c.cur, make(map[string]*Claims, verifiedCacheSize/4)
	}
	c.cur[token] = cl
}
