package api

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/numeneon/numeneon/web"
)

// readyTimeout bounds the readiness probe: a probe that hangs tells the
// platform nothing, a 503 tells it to route elsewhere.
const readyTimeout = 2 * time.Second

// handleRoot serves the web UI to a browser and the status to everyone
// else (the original's answer, which monitors and the client check).
func (s *Server) handleRoot(w http.ResponseWriter, r *http.Request) {
	w.Header().Add("Vary", "Accept")
	if s.cfg.UI != nil && web.WantsHTML(r) {
		s.cfg.UI.ServeIndex(w, r)
		return
	}
	s.handleStatus(w, r)
}

// handleStatus answers GET / (and /api/) as the original did; the client and uptime
// monitors check it.
func (s *Server) handleStatus(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok", "service": "numeneon-backend"})
}

// handleHealthz says the process is alive and serving; nothing else.
func (s *Server) handleHealthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// handleReadyz runs Config.Ready: the database, the channel layer and a
// loopback event must all answer for this process to take traffic. The
// answer is fixed text either way, since anyone may call it; why a probe
// failed goes to the log. A result is reused for Config.ReadyCache, so a
// platform polling every few seconds does not cost a database round trip
// and a channel-layer event per poll.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if err := s.readiness.check(r.Context()); err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

// readiness runs the readiness probe and remembers its result for a while.
// One probe runs at a time; requests arriving meanwhile wait for it and
// share its result.
type readiness struct {
	probe  func(ctx context.Context) error // nil: always ready
	ttl    time.Duration
	logger *slog.Logger

	mu  sync.Mutex
	at  time.Time // when err was measured; zero: never
	err error
}

func (rd *readiness) check(ctx context.Context) error {
	if rd.probe == nil {
		return nil
	}
	rd.mu.Lock()
	defer rd.mu.Unlock()
	if !rd.at.IsZero() && time.Since(rd.at) < rd.ttl {
		return rd.err
	}
	// The probe does not hang on the caller: a platform that gave up still
	// gets a fresh result cached for the next poll.
	pctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), readyTimeout)
	defer cancel()
	err := rd.probe(pctx)
	if err != nil {
		rd.logger.Warn("not ready", "err", err)
	} else if rd.err != nil {
		rd.logger.Info("ready again")
	}
	rd.at, rd.err = time.Now(), err
	return err
}
