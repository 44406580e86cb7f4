package api

import (
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
// a minute is ten a second, far above any typing human.
//
// login_account counts failed logins per account (the email given), from
// whatever address: it caps a guesser spread over many addresses at 30
// guesses an hour per account. While it is spent, that account's logins get
// 429, the right password's too, until a token is back (two minutes).
var defaultRateLimits = map[string]string{
	"login":         "10/m",
	"login_account": "30/h",
	"signup":        "5/m",
	"refresh":       "30/m",
	"message":       "600/m",
	"socket":        "60/m",
}

// maxLimiterKeys bounds the memory one class spends on distinct clients; a
// flood of spoofed or rotating addresses evicts idle keys instead of
// growing the map without end.
const maxLimiterKeys = 10000

// rateLimits holds one keyed limiter per class; a missing class is
// unlimited.
type rateLimits struct {
	classes map[string]*keyedLimiter
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
			rl.classes[class] = newKeyedLimiter(rate.Limit(float64(n)/per.Seconds()), n, per)
		}
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

// keyedLimiter is a token bucket per key.
type keyedLimiter struct {
	limit rate.Limit
	burst int
	idle  time.Duration // a key unused this long has a full bucket again

	mu   sync.Mutex
	keys map[string]*limiterEntry
}

type limiterEntry struct {
	lim  *rate.Limiter
	seen time.Time
}

func newKeyedLimiter(limit rate.Limit, burst int, per time.Duration) *keyedLimiter {
	return &keyedLimiter{limit: limit, burst: burst, idle: per, keys: map[string]*limiterEntry{}}
}

func (k *keyedLimiter) allow(key string, now time.Time) (bool, time.Duration) {
	k.mu.Lock()
	defer k.mu.Unlock()
	e, ok := k.keys[key]
	if !ok {
		if len(k.keys) >= maxLimiterKeys {
			k.evict(now)
		}
		e = &limiterEntry{lim: rate.NewLimiter(k.limit, k.burst)}
		k.keys[key] = e
	}
	e.seen = now
	res := e.lim.ReserveN(now, 1)
	if delay := res.DelayFrom(now); delay > 0 {
		res.CancelAt(now)
		return false, delay
	}
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

// evict drops keys idle long enough for their bucket to be full again:
// forgetting them changes no answer. If every key is busy, it drops an
// arbitrary half, which only ever gives those clients a fresh bucket.
func (k *keyedLimiter) evict(now time.Time) {
	for key, e := range k.keys {
		if now.Sub(e.seen) >= k.idle {
			delete(k.keys, key)
		}
	}
	for key := range k.keys {
		if len(k.keys) < maxLimiterKeys/2 {
			break
		}
		delete(k.keys, key)
	}
}

// clientIP returns the address limits are keyed by: the connection's, or
// the last entry of Config.ClientIPHeader behind a trusted proxy. An IPv6
// address is cut to its /64, the block one subscriber gets: keyed by the
// whole address, one client could rotate through 2^64 fresh buckets.
func (s *Server) clientIP(r *http.Request) string {
	if s.ipHdr != "" {
		if v := r.Header.Get(s.ipHdr); v != "" {
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

// AllowHandshake applies the socket rate limit to a WebSocket handshake,
// keyed by client address. When it refuses, it returns how long the client
// should wait; the endpoint answers 429 with Retry-After.
func (s *Server) AllowHandshake(r *http.Request) (bool, time.Duration) {
	return s.limits.allow("socket", s.clientIP(r))
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
