package api

import (
	"context"
	"net/http"
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
// loopback event must all answer for this process to take traffic.
func (s *Server) handleReadyz(w http.ResponseWriter, r *http.Request) {
	if s.ready == nil {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), readyTimeout)
	defer cancel()
	if err := s.ready(ctx); err != nil {
		s.logger.Warn("not ready", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
