// Package fakedeezer is a local stand-in for the Deezer search API, for
// tests: an HTTP server on loopback that answers GET /search?q=&limit= with
// Deezer's JSON, and that can be told to fail the ways the real one can
// (an error object, a 5xx, garbage, or no answer at all).
package fakedeezer

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

// Mode is how the server answers.
type Mode int

const (
	// Normal answers the tracks whose title or artist contains q.
	Normal Mode = iota
	// QuotaError answers 200 with Deezer's error object.
	QuotaError
	// ServerError answers 503.
	ServerError
	// Garbage answers 200 with a body that is not JSON.
	Garbage
	// Hang holds every request until Release (or the test's end), then
	// answers as Normal.
	Hang
)

// Track is a track the server knows, in Deezer's shape.
type Track struct {
	ID       int64
	Title    string
	Artist   string
	Album    string
	Cover    string
	Preview  string
	Duration int // seconds
}

// Server is the stand-in. Its methods are safe for concurrent use.
type Server struct {
	URL string

	mode     atomic.Int64
	requests atomic.Int64
	held     atomic.Int64
	release  chan struct{}
	once     sync.Once
	tracks   []Track
	// arrived receives one value per request, when it arrives (buffered;
	// a test that does not read it loses nothing).
	arrived chan string
}

// Start starts a server knowing tracks; it closes when the test ends.
func Start(t testing.TB, tracks ...Track) *Server {
	t.Helper()
	s := &Server{tracks: tracks, release: make(chan struct{}), arrived: make(chan string, 1024)}
	srv := httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(func() {
		s.Release()
		srv.Close()
	})
	s.URL = srv.URL
	return s
}

// SetMode changes how the next requests are answered.
func (s *Server) SetMode(m Mode) { s.mode.Store(int64(m)) }

// Requests returns how many search requests arrived.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Held returns how many requests are being held now (Hang).
func (s *Server) Held() int64 { return s.held.Load() }

// Arrived receives the query of each request as it arrives.
func (s *Server) Arrived() <-chan string { return s.arrived }

// Release lets every held request go, now and from then on.
func (s *Server) Release() { s.once.Do(func() { close(s.release) }) }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != "/search" {
		http.NotFound(w, r)
		return
	}
	q := r.URL.Query().Get("q")
	s.requests.Add(1)
	select {
	case s.arrived <- q:
	default:
	}
	switch Mode(s.mode.Load()) {
	case QuotaError:
		writeJSON(w, map[string]any{"error": map[string]any{"type": "Exception", "message": "Quota limit exceeded", "code": 4}})
		return
	case ServerError:
		http.Error(w, "upstream down", http.StatusServiceUnavailable)
		return
	case Garbage:
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, "<html>Service temporarily unavailable</html>")
		return
	case Hang:
		s.held.Add(1)
		defer s.held.Add(-1)
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
	}
	limit, err := strconv.Atoi(r.URL.Query().Get("limit"))
	if err != nil || limit <= 0 {
		limit = 25
	}
	data := []map[string]any{}
	for _, t := range s.tracks {
		if len(data) == limit || !matches(t, q) {
			continue
		}
		data = append(data, map[string]any{
			"id": t.ID, "readable": true, "title": t.Title, "title_short": t.Title,
			"link":     "https://www.deezer.com/track/" + strconv.FormatInt(t.ID, 10),
			"duration": t.Duration, "rank": 900000, "explicit_lyrics": false, "preview": t.Preview,
			"artist": map[string]any{"id": 27, "name": t.Artist, "type": "artist"},
			"album":  map[string]any{"id": 302127, "title": t.Album, "cover_medium": t.Cover, "type": "album"},
			"type":   "track",
		})
	}
	writeJSON(w, map[string]any{"data": data, "total": len(data)})
}

func matches(t Track, q string) bool {
	q = strings.ToLower(q)
	return strings.Contains(strings.ToLower(t.Title), q) || strings.Contains(strings.ToLower(t.Artist), q)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(v)
}
