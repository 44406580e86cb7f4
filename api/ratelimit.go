package api

import (
	"container/heap"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/numeneon/numeneon"
)

// defaultRateLimits are the limits without RATE_LIMITS, per client and unit.
// Login and signup are the guessing and spam targets; a message rate of 600
// a minute is ten a second, far above any typing human. A music search
// that misses the cache costs a call to the catalogue: 60 a minute is a
// search box typed into at a human pace.
//
// login_account counts failed logins per account (the email given), from
// whatever address: it caps a guesser spread over many addresses at 30
// guesses an hour per account. While it is spent, that account's logins get
// 429, the right password's too, until a token is back (two minutes), except
// from addresses that signed in to it before (see loginlimit.go).
var defaultRateLimits = map[string]string{
	"login":         "10/m",
	"login_account": "30/h",
	"signup":        "5/m",
	"refresh":       "30/m",
	"message":       "600/m",
	"socket":        "60/m",
	"music":         "60/m",
}

// maxLimiterKeys bounds the memory one class spends on distinct clients
// (about 2 MB at this bound): a flood of spoofed or rotating addresses evicts
// keys instead of growing the map without end. Which keys go is
// keyedLimiter's policy.
const maxLimiterKeys = 10000

// rateLimits holds one keyed limiter per class; a missing class is
// unlimited.
type rateLimits struct {
	classes map[string]*keyedLimiter
	// knownSignIns and knownFailures exempt the addresses an account signed
	// in from before from its spent login_account budget (see
	// loginlimit.go). Both are nil when login_account is off.
	knownSignIns  *signInLog
	knownFailures *keyedLimiter
}

// newRateLimits parses RATE_LIMITS (see Config.RateLimits).
func newRateLimits(spec string) (*rateLimits, error) {
	rl := &rateLimits{classes: map[string]*keyedLimiter{}}
	spec = strings.TrimSpace(spec)
	if strings.EqualFold(spec, "off") {
		return rl, nil
	}
	specs := map[string]string{}
	for class, v := range defaultRateLimits {
		specs[class] = v
	}
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		class, v, ok := strings.Cut(item, "=")
		class = strings.TrimSpace(class)
		if _, known := defaultRateLimits[class]; !ok || !known {
			return nil, fmt.Errorf("rate limits %q: %q is not class=N/unit with class one of login, login_account, signup, refresh, message, socket", spec, item)
		}
		specs[class] = strings.TrimSpace(v)
	}
	for class, v := range specs {
		n, per, err := parseRate(v)
		if err != nil {
			return nil, fmt.Errorf("rate limits: %s=%s: %w", class, v, err)
		}
		if n > 0 {
			rl.classes[class] = newKeyedLimiter(rate.Limit(float64(n)/per.Seconds()), n, maxLimiterKeys)
		}
	}
	if accounts := rl.classes["login_account"]; accounts != nil {
		rl.knownSignIns = newSignInLog(maxKnownSignIns)
		rl.knownFailures = newKeyedLimiter(accounts.limit, accounts.burst, maxLimiterKeys)
	}
	return rl, nil
}

// parseRate reads "N/unit" with unit s, m or h.
func parseRate(v string) (int, time.Duration, error) {
	ns, unit, ok := strings.Cut(v, "/")
	n, err := strconv.Atoi(ns)
	if !ok || err != nil || n < 0 {
		return 0, 0, fmt.Errorf("want N/unit, such as 10/m")
	}
	switch unit {
	case "s":
		return n, time.Second, nil
	case "m":
		return n, time.Minute, nil
	case "h":
		return n, time.Hour, nil
	}
	return 0, 0, fmt.Errorf("unit %q: want s, m or h", unit)
}

// allow takes one token of class for key. When the bucket is empty it
// reports how long until a token is back.
func (rl *rateLimits) allow(class, key string) (bool, time.Duration) {
	kl, ok := rl.classes[class]
	if !ok {
		return true, 0
	}
	return kl.allow(key, time.Now())
}

// available reports whether key of class has a token, without taking it;
// when not, how long until it has one.
func (rl *rateLimits) available(class, key string) (bool, time.Duration) {
	kl, ok := rl.classes[class]
	if !ok {
		return true, 0
	}
	return kl.available(key, time.Now())
}

// keyedLimiter is a token bucket per key, for at most maxKeys keys.
//
// When a new key finds the limiter full, it evicts the key whose bucket will
// be full again soonest: forgetting a key hands its client a full bucket, so
// that key is the one whose forgetting gives away the fewest tokens. Buckets
// that are full already give away none and go first (they are dropped as
// soon as a new key needs room). A client that spent its budget holds the
// bucket that refills last, so a flood of new addresses, each a bucket with
// one token taken, evicts its own members and never that client. The order
// is kept in a heap by the instant each bucket is full again, which changes
// only when a token is taken.
type keyedLimiter struct {
	limit   rate.Limit
	burst   int
	maxKeys int

	mu     sync.Mutex
	keys   map[string]*limiterEntry
	byFull fullHeap
}

type limiterEntry struct {
	key    string
	lim    *rate.Limiter
	fullAt time.Time // when the bucket is full again if no token is taken
	index  int       // in byFull
}

func newKeyedLimiter(limit rate.Limit, burst, maxKeys int) *keyedLimiter {
	return &keyedLimiter{limit: limit, burst: burst, maxKeys: maxKeys, keys: map[string]*limiterEntry{}}
}

func (k *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.keys[key]
	if !ok {
		k.makeRoom(now)
		e = &limiterEntry{key: key, lim: rate.NewLimiter(k.limit, k.burst)}
		k.keys[key] = e
		heap.Push(&k.byFull, e)
	}
	res := e.lim.ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now)
		return false, delay
	}
	missing := float64(k.burst) - e.lim.TokensAt(now)
	e.fullAt = now.Add(time.Duration(missing / float64(k.limit) * float64(time.Second)))
	heap.Fix(&k.byFull, e.index)
	return true, 0
}

func (k *keyedLimiter) available(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.keys[key]
	if !ok {
		return true, 0
	}
	tokens := e.lim.TokensAt(now)
	if tokens >= 1 {
		return true, 0
	}
	return false, time.Duration((1 - tokens) / float64(k.limit) * float64(time.Second))
}

// makeRoom drops the keys whose buckets are full (forgetting them changes no
// answer) and, if the limiter is still full, the one that will be full
// soonest.
func (k *keyedLimiter) makeRoom(now time.Time) {
	for len(k.byFull) > 0 && !k.byFull[0].fullAt.After(now) {
		k.evictFirst()
	}
	if len(k.keys) >= k.maxKeys {
		k.evictFirst()
	}
}

func (k *keyedLimiter) evictFirst() {
	e := heap.Pop(&k.byFull).(*limiterEntry)
	delete(k.keys, e.key)
}

// len returns the number of keys held.
func (k *keyedLimiter) len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.keys)
}

// fullHeap orders limiter entries by fullAt, the soonest first
// (container/heap).
type fullHeap []*limiterEntry

func (h fullHeap) Len() int           { return len(h) }
func (h fullHeap) Less(i, j int) bool { return h[i].fullAt.Before(h[j].fullAt) }
func (h fullHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].index, h[j].index = i, j
}
func (h *fullHeap) Push(x any) {
	e := x.(*limiterEntry)
	e.index = len(*h)
	*h = append(*h, e)
}
func (h *fullHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}

// clientIP returns the address limits are keyed by: the connection's, or
// the last entry of Config.ClientIPHeader behind a trusted proxy. An IPv6
// address is cut to its /64, the block one subscriber gets: keyed by the
// whole address, one client could rotate through 2^64 fresh buckets.
func (e *Edge) clientIP(r *http.Request) string {
	if e.ipHdr != "" {
		if v := r.Header.Get(e.ipHdr); v != "" {
			parts := strings.Split(v, ",")
			if ip := strings.TrimSpace(parts[len(parts)-1]); ip != "" {
				return limitKey(ip)
			}
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return limitKey(r.RemoteAddr)
	}
	return limitKey(host)
}

// clientIP is the Edge's clientIP.
func (s *Server) clientIP(r *http.Request) string { return s.edge.clientIP(r) }

// limitKey is the rate-limit key of an address: an IPv4 address as is, an
// IPv6 address as its /64 prefix, anything unparsable as given.
func limitKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, err := ip.Prefix(64)
	if err != nil {
		return addr
	}
	return p.String()
}

// limited applies rate limit class to h, keyed by client address.
func (s *Server) limited(class string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if ok, wait := s.limits.allow(class, s.clientIP(r)); !ok {
			writeRateLimited(w, wait)
			return
		}
		h(w, r)
	}
}

// limitedByUser applies class keyed by the authenticated user, not the
// address: many people share one address behind a NAT, and message sending
// needs an account anyway. It must run inside authed.
func (s *Server) limitedByUser(class string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		key := "user:" + strconv.FormatInt(numeneon.UserIDFromContext(r.Context()), 10)
		if ok, wait := s.limits.allow(class, key); !ok {
			writeRateLimited(w, wait)
			return
		}
		h(w, r)
	}
}

// AllowHandshake is the Edge's AllowHandshake.
func (s *Server) AllowHandshake(r *http.Request) (bool, time.Duration) {
	return s.edge.AllowHandshake(r)
}

func writeRateLimited(w http.ResponseWriter, wait time.Duration) {
	secs := int(math.Ceil(wait.Seconds()))
	if secs < 1 {
		secs = 1
	}
	w.Header().Set("Retry-After", strconv.Itoa(secs))
	writeJSON(w, http.StatusTooManyRequests, map[string]string{
		"detail": fmt.Sprintf("Request was throttled. Expected available in %d seconds.", secs),
	})
}
