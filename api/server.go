package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/web"
)

// Config is what a Server is built from. Zero values are the documented
// defaults.
type Config struct {
	App    *app.Service // required
	Logger *slog.Logger // nil discards logs

	// AllowedOrigins is the Origin allow-list shared by CORS and the
	// WebSocket handshake (ALLOWED_ORIGINS). Entries are origins such as
	// "https://numeneon.example", where "*" stands for one DNS label or part
	// of one ("https://numeneon-frontend*.vercel.app") or for a port
	// ("http://localhost:*"); a lone "*" allows every origin. The API's own
	// host is always allowed, and a request without Origin is accepted.
	AllowedOrigins []string
	// Production turns off the development defaults: without it,
	// http://localhost:* and http://127.0.0.1:* are allowed origins.
	Production bool

	// RateLimits configures the per-client limits (RATE_LIMITS). "" means
	// the defaults, "off" disables every limit; otherwise a comma-separated
	// list of class=N/unit overriding the defaults, with unit s, m or h and
	// N = 0 disabling that class, for example
	// "login=10/m,login_account=30/h,signup=5/m,refresh=30/m,message=600/m,socket=60/m,music=60/m"
	// (those are the defaults; login_account counts failed logins per
	// account, the others requests per client address, or per user for
	// message). A class allows a burst of N, refilled evenly
	// over the unit.
	RateLimits string
	// ClientIPHeader names a header set by a trusted reverse proxy that
	// carries the client address (e.g. "X-Forwarded-For"; its last entry is
	// used, the one the proxy appended). Empty: the connection's address.
	// Only set it behind such a proxy: clients can write the header too.
	ClientIPHeader string
	// Edge, when set, is the origin policy and rate limits to use, shared
	// with the socket hub; AllowedOrigins, Production, RateLimits and
	// ClientIPHeader are then ignored. Nil builds one from those fields.
	Edge *Edge

	// BodyReadTimeout bounds how long a request may take to send its body
	// (default 30 s), so a client trickling a body cannot hold a connection
	// and a goroutine forever. The WebSocket endpoint is exempt.
	BodyReadTimeout time.Duration
	// RequestTimeout bounds the handling of one request, waits for the
	// database included (REQUEST_TIMEOUT, default DefaultRequestTimeout); a
	// request that runs out answers 503. The WebSocket endpoint is exempt.
	RequestTimeout time.Duration

	// Socket serves the WebSocket endpoint /ws/notifications/.
	Socket http.Handler
	// UI is the browser UI, served at "/" to requests that ask for HTML
	// and at /assets/; nil serves none ("/" always answers the JSON status).
	UI *web.Handler
	// Ready is the readiness probe behind /readyz; nil is always ready.
	Ready func(ctx context.Context) error
	// ReadyCache is how long a probe's result answers /readyz before the
	// next request probes again (READYZ_CACHE); 0 probes on every request.
	ReadyCache time.Duration

	// Registerer receives the HTTP metrics; Gatherer, when set, is served
	// at /metrics.
	Registerer prometheus.Registerer
	Gatherer   prometheus.Gatherer
}

// Server is the HTTP handler of the whole API. It is safe for concurrent use.
type Server struct {
	app       *app.Service
	logger    *slog.Logger
	edge      *Edge
	limits    *rateLimits // edge.limits
	readiness *readiness
	mux       *http.ServeMux
	// long holds the mux patterns of routes exempt from the body deadline.
	long    map[string]bool
	metrics *httpMetrics
	// metricsHandler serves /metrics when Config.Gatherer is set.
	metricsHandler http.Handler
	cfg            Config
}

// NewServer builds the routes and middleware of cfg. It fails on a bad
// ALLOWED_ORIGINS entry or RATE_LIMITS value, so a typo stops the start
// instead of silently opening or closing the door.
func NewServer(cfg Config) (*Server, error) {
	if cfg.App == nil {
		return nil, errors.New("new api server: Config.App is nil")
	}
	logger := cfg.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	edge := cfg.Edge
	if edge == nil {
		var err error
		edge, err = NewEdge(EdgeConfig{
			AllowedOrigins: cfg.AllowedOrigins, Production: cfg.Production,
			RateLimits: cfg.RateLimits, ClientIPHeader: cfg.ClientIPHeader,
		})
		if err != nil {
			return nil, fmt.Errorf("new api server: %w", err)
		}
	}
	metrics, err := newHTTPMetrics(cfg.Registerer)
	if err != nil {
		return nil, fmt.Errorf("new api server: %w", err)
	}
	s := &Server{
		app:       cfg.App,
		logger:    logger,
		edge:      edge,
		limits:    edge.limits,
		readiness: &readiness{probe: cfg.Ready, ttl: cfg.ReadyCache, logger: logger},
		mux:       http.NewServeMux(),
		long:      map[string]bool{},
		metrics:   metrics,
		cfg:       cfg,
	}
	if cfg.Gatherer != nil {
		s.metricsHandler = promhttp.HandlerFor(cfg.Gatherer, promhttp.HandlerOpts{})
	}
	s.routes()
	return s, nil
}

// ServeHTTP runs the middleware every request passes, then the route.
// defaultBodyReadTimeout is Config.BodyReadTimeout's default.
const defaultBodyReadTimeout = 30 * time.Second

// DefaultRequestTimeout is Config.RequestTimeout's default.
const DefaultRequestTimeout = 30 * time.Second

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer s.metrics.begin()()
	rec := &statusRecorder{ResponseWriter: w}
	_, route := s.mux.Handler(r)
	defer func() {
		s.logRequest(r, rec, route, time.Since(start))
	}()
	defer s.recoverPanic(rec, r)

	if !s.applyCORS(rec, r) {
		return
	}
	if r.ContentLength > maxBodyBytes {
		writeJSON(rec, http.StatusRequestEntityTooLarge, map[string]string{"error": fmt.Sprintf("Request body too large (limit %d bytes).", maxBodyBytes)})
		return
	}
	r.Body = http.MaxBytesReader(rec, r.Body, maxBodyBytes)
	// The socket is exempt by route. (net/http's Hijack also clears the
	// deadline, so a socket survives it either way; the exemption keeps
	// the handshake itself from inheriting it.)
	if !s.long[route] {
		timeout := s.cfg.BodyReadTimeout
		if timeout <= 0 {
			timeout = defaultBodyReadTimeout
		}
		// Not every writer supports deadlines (httptest recorders); the
		// real server's does.
		_ = http.NewResponseController(rec).SetReadDeadline(time.Now().Add(timeout))

		// A request never waits longer than RequestTimeout on the store;
		// running out answers 503 (writeError).
		limit := s.cfg.RequestTimeout
		if limit <= 0 {
			limit = DefaultRequestTimeout
		}
		ctx, cancel := context.WithTimeout(r.Context(), limit)
		defer cancel()
		r = r.WithContext(ctx)
	}
	if route == "" {
		s.notRouted(rec, r)
		return
	}
	s.mux.ServeHTTP(rec, r)
}

// notRouted answers a path no route matches (404) or a method the path does
// not take (405, with Allow) in JSON, as DRF did, instead of ServeMux's
// plain text.
func (s *Server) notRouted(w http.ResponseWriter, r *http.Request) {
	probe := &headerProbe{header: http.Header{}}
	s.mux.ServeHTTP(probe, r)
	if probe.status == http.StatusMethodNotAllowed {
		w.Header().Set("Allow", probe.header.Get("Allow"))
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": fmt.Sprintf("Method %q not allowed.", r.Method)})
		return
	}
	writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not found."})
}

// headerProbe records what the mux would answer without sending it.
type headerProbe struct {
	header http.Header
	status int
}

func (p *headerProbe) Header() http.Header         { return p.header }
func (p *headerProbe) Write(b []byte) (int, error) { return len(b), nil }
func (p *headerProbe) WriteHeader(status int)      { p.status = status }
