package api

import (
	"fmt"
	"net/http"
	"time"
)

// EdgeConfig is what an Edge is built from; the fields mean what the
// fields of the same names in Config mean.
type EdgeConfig struct {
	AllowedOrigins []string
	Production     bool
	RateLimits     string
	ClientIPHeader string
}

// Edge is the policy at the door, shared by the HTTP API and the WebSocket
// handshake: which origins may call, the per-client rate limits and how the
// client's address is read. Build it first and hand the same Edge to
// NewServer (Config.Edge) and to the socket hub (CheckOrigin,
// AllowHandshake), so both count against the same buckets.
type Edge struct {
	origins *originPolicy
	limits  *rateLimits
	ipHdr   string
}

// NewEdge validates cfg. It fails on a bad ALLOWED_ORIGINS entry or
// RATE_LIMITS value, so a typo stops the start instead of silently opening
// or closing the door.
func NewEdge(cfg EdgeConfig) (*Edge, error) {
	origins, err := newOriginPolicy(cfg.AllowedOrigins, !cfg.Production)
	if err != nil {
		return nil, fmt.Errorf("edge policy: %w", err)
	}
	limits, err := newRateLimits(cfg.RateLimits)
	if err != nil {
		return nil, fmt.Errorf("edge policy: %w", err)
	}
	return &Edge{origins: origins, limits: limits, ipHdr: cfg.ClientIPHeader}, nil
}

// CheckOrigin reports whether r's Origin may use the API and open a socket.
// A request without Origin (not from a browser) is accepted.
func (e *Edge) CheckOrigin(r *http.Request) bool {
	return e.origins.allows(r.Header.Get("Origin"), r)
}

// AllowHandshake applies the socket rate limit to a WebSocket handshake,
// keyed by client address. When it refuses, it returns how long the client
// should wait; the endpoint answers 429 with Retry-After.
func (e *Edge) AllowHandshake(r *http.Request) (bool, time.Duration) {
	return e.limits.allow("socket", e.clientIP(r))
}
