package api

import (
	"net/http"
	"strconv"

	"github.com/numeneon/numeneon"
)

// musicResult is one track of GET /api/mystudio/search/. id is the
// catalogue's id, a number when it is one (Deezer's are), as the original
// answered; external_id is the same id as a string, what a playlist keeps.
type musicResult struct {
	ID         any    `json:"id"`
	Title      string `json:"title"`
	Artist     string `json:"artist"`
	Album      string `json:"album"`
	AlbumArt   string `json:"album_art"`
	PreviewURL string `json:"preview_url"`
	DurationMS int    `json:"duration_ms"`
	ExternalID string `json:"external_id"`
}

func newMusicResult(t numeneon.Track) musicResult {
	var id any = t.ExternalID
	if n, err := strconv.ParseInt(t.ExternalID, 10, 64); err == nil {
		id = n
	}
	return musicResult{ID: id, Title: t.Title, Artist: t.Artist, Album: t.Album, AlbumArt: t.AlbumArt,
		PreviewURL: t.PreviewURL, DurationMS: t.DurationMS, ExternalID: t.ExternalID}
}

// handleMusicSearch searches the music catalogue: {results: [...]}; 400
// for a query under 2 characters, 502 {error} when the catalogue fails.
func (s *Server) handleMusicSearch(w http.ResponseWriter, r *http.Request) {
	tracks, err := s.app.SearchMusic(r.Context(), r.URL.Query().Get("q"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	out := make([]musicResult, len(tracks))
	for i, t := range tracks {
		out[i] = newMusicResult(t)
	}
	writeJSON(w, http.StatusOK, map[string][]musicResult{"results": out})
}
