package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/auth"
	"github.com/numeneon/numeneon/groupcommit"
	"github.com/numeneon/numeneon/pglayer"
	"github.com/numeneon/numeneon/realtime"
	"github.com/numeneon/numeneon/web"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// Server is one serving process: the store, the channel layer, the socket
// hub and the HTTP server, wired together. Open listens synchronously, so a
// test can run the whole program on port 0 and read Addr.
type Server struct {
	Config Config
	Logger *slog.Logger
	// ReusePort makes the listener share its port with the other workers.
	ReusePort bool

	store    numeneon.Store
	writes   *groupcommit.Committer
	stories  *app.StoryCleanup
	users    *app.UserWatch
	push     *app.PushSender
	pruner   *app.NotificationPruner
	layer    numeneon.Layer
	presence numeneon.Presence
	hub      *realtime.Hub
	http     *http.Server
	ln       net.Listener
	served   chan error
}

// Open connects to the database and the channel layer, migrates when asked,
// and starts listening. Serving runs in the background until Close.
func (s *Server) Open(ctx context.Context, migrate bool) (err error) {
	defer func() {
		if err != nil {
			s.Close()
		}
	}()
	cfg := &s.Config
	if err := cfg.ensureSecretKey(); err != nil {
		return err
	}
	// The policy at the door first: the API and the socket handshake share
	// one origin policy and one set of rate-limit buckets.
	edge, err := api.NewEdge(api.EdgeConfig{
		AllowedOrigins: cfg.AllowedOrigins,
		Production:     cfg.Production(),
		RateLimits:     cfg.RateLimits,
		ClientIPHeader: cfg.ClientIPHeader,
	})
	if err != nil {
		return err
	}
	if s.store, err = openStore(ctx, cfg, migrate); err != nil {
		return err
	}
	events, _ := s.store.(pglayer.Events)
	if s.layer, s.presence, err = openLayer(ctx, cfg, events, s.Logger); err != nil {
		return err
	}
	layer, why := cfg.layerChoice()
	s.Logger.Info("channel layer", "layer", layer, "why", why)

	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))

	// Concurrent messages share transactions. SQLite has one writer, so one
	// lane; PostgreSQL gains from two (measured: 2 beat 1, 4, 8 and 16).
	lanes := 1
	if kind, _ := cfg.databaseKind(); kind == "postgres" {
		lanes = 2
	}
	s.writes = groupcommit.New(s.store, groupcommit.Options{Lanes: lanes, BatchTimeout: cfg.DatabaseTimeout})

	tokens := auth.NewTokens([]byte(cfg.SecretKey))
	svc := app.NewService(s.store, s.layer, tokens, s.Logger, app.Options{GroupCommit: s.writes})
	if err := svc.SetAccountPolicy(cfg.AccountPolicy()); err != nil {
		return err
	}
	svc.UsePresence(s.presence)
	if cat := cfg.catalogue(); cat != nil {
		svc.UseCatalogue(cat, app.MusicOptions{})
	}
	if cfg.PushEnabled() {
		pusher, err := cfg.pusher()
		if err != nil {
			return err
		}
		s.push, err = svc.StartPush(pusher, app.PushOptions{PublicKey: cfg.VAPIDPublicKey, Presence: s.presence, Registerer: reg})
		if err != nil {
			return err
		}
	}
	s.stories = svc.StartStoryCleanup(cfg.StoryCleanupInterval)
	s.pruner = svc.StartNotificationPruner(cfg.NotificationRetention)
	// Without a shared layer, the operator's command cannot reach this
	// process's sockets: the watch closes a deactivated user's here.
	if s.users, err = svc.StartUserWatch(ctx, 0, !cfg.SharedLayer()); err != nil {
		return err
	}
	s.hub = realtime.NewHub(realtime.Config{
		Store:          s.store,
		Rules:          svc,
		Layer:          s.layer,
		Presence:       s.presence,
		Authenticate:   svc.AuthenticateSocket,
		CheckOrigin:    edge.CheckOrigin,
		AllowHandshake: edge.AllowHandshake,
		Logger:         s.Logger,
		Registerer:     reg,

		SocketTokenExpiry: cfg.SocketTokenExpiry,
		SocketsPerUser:    cfg.SocketsPerUser,
		StoreTimeout:      cfg.DatabaseTimeout,
	})
	apiSrv, err := api.NewServer(api.Config{
		App:        svc,
		Logger:     s.Logger,
		Edge:       edge,
		Socket:     s.hub,
		UI:         web.NewHandler(),
		Ready:      s.ready,
		ReadyCache: cfg.ReadyzCache,

		RequestTimeout: cfg.RequestTimeout,
		Registerer:     reg,
		Gatherer:       reg,
	})
	if err != nil {
		return err
	}

	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	if s.ln, err = listen(ctx, addr, s.ReusePort); err != nil {
		return fmt.Errorf("listen on %s: %w", addr, err)
	}
	s.http = &http.Server{
		Handler:           apiSrv,
		ReadHeaderTimeout: 10 * time.Second,
		// A response is written within its request's bound plus a
		// margin for a slow reader; sockets are hijacked, which lifts it.
		WriteTimeout: cfg.RequestTimeout + 10*time.Second,
		IdleTimeout:  120 * time.Second,
		ErrorLog:     slog.NewLogLogger(s.Logger.Handler(), slog.LevelWarn),
	}
	s.served = make(chan error, 1)
	go func() { s.served <- s.http.Serve(s.ln) }()
	s.Logger.Info("listening", "addr", s.ln.Addr().String(), "layer", layerName(cfg), "env", cfg.Env,
		"open_files_limit", openFilesLimit())
	return nil
}

// Addr returns the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Done receives the HTTP server's error if it stops serving on its own.
func (s *Server) Done() <-chan error { return s.served }

// defaultDatabaseTimeout is DATABASE_TIMEOUT's default: far above any
// statement of this schema, far below a client's patience.
const defaultDatabaseTimeout = 10 * time.Second

// defaultReadyzCache is READYZ_CACHE's default: a platform polling every
// few seconds costs one probe (a database round trip and one event through
// the channel layer) per 5 s per process.
const defaultReadyzCache = 5 * time.Second

// ready is the readiness probe: the database answers and an event sent
// through the channel layer comes back to this process.
func (s *Server) ready(ctx context.Context) error {
	if err := s.store.Ping(ctx); err != nil {
		return fmt.Errorf("database: %w", err)
	}
	pctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := s.hub.Probe(pctx); err != nil {
		return fmt.Errorf("channel layer: %w", err)
	}
	return nil
}

// Shutdown bounds. Render, like most platforms, sends SIGKILL 30 s after
// SIGTERM; the whole shutdown stays well inside that.
const (
	// shutdownRequestsTimeout bounds the wait for in-flight requests.
	shutdownRequestsTimeout = 10 * time.Second
	// shutdownTimeout bounds Close as a whole: in-flight requests, then the
	// group commit, the publisher's queue, presence and the store.
	shutdownTimeout = 20 * time.Second
)

// Close shuts the server down without losing anything: it stops accepting
// connections, closes the sockets with 1012 (clients reconnect to another
// instance and resume from the store), lets in-flight requests finish
// (shutdownRequestsTimeout), then commits what the group commit holds,
// sends what the layer's publisher holds, and closes presence, the layer
// and the store. runServe gives it shutdownTimeout.
func (s *Server) Close() error {
	var errs []error
	var requestsDone chan error
	if s.http != nil {
		// Shutdown closes the listener at once, then waits for the
		// requests in flight; the sockets close meanwhile.
		requestsDone = make(chan error, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), shutdownRequestsTimeout)
			defer cancel()
			requestsDone <- s.http.Shutdown(ctx)
		}()
	} else if s.ln != nil {
		s.ln.Close()
	}
	if s.hub != nil {
		s.hub.Close()
	}
	if requestsDone != nil {
		if err := <-requestsDone; err != nil {
			errs = append(errs, fmt.Errorf("shut down http: %w", err))
		}
	}
	if s.writes != nil {
		s.writes.Close() // after the HTTP server: no request is left to queue a write
	}
	if s.pruner != nil {
		s.pruner.Close() // before the store it prunes
	}
	if s.push != nil {
		s.push.Close() // after the requests that queue pushes; before presence and the store it reads
	}
	if s.stories != nil {
		s.stories.Close() // before the store it cleans
	}
	if s.users != nil {
		s.users.Close() // before the store it reads
	}
	if s.presence != nil {
		if err := s.presence.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close presence: %w", err))
		}
	}
	if s.layer != nil {
		if err := s.layer.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close layer: %w", err))
		}
	}
	if s.store != nil {
		if err := s.store.Close(); err != nil {
			errs = append(errs, fmt.Errorf("close store: %w", err))
		}
	}
	return errors.Join(errs...)
}

func layerName(cfg *Config) string {
	kind, _ := cfg.layerChoice()
	return kind
}
