package api

import (
	"fmt"
	"net/http"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

// studioPage is the studio object of API.md. The camelCase fields are the
// original's; the song's other fields come back under the names the
// update takes (external_id, preview_url, album_art, auto_play), so a
// client reads what it wrote.
type studioPage struct {
	SelectedAvatar string         `json:"selectedAvatar"`
	SongTitle      string         `json:"songTitle"`
	SongArtist     string         `json:"songArtist"`
	ExternalID     string         `json:"external_id"`
	PreviewURL     string         `json:"preview_url"`
	AlbumArt       string         `json:"album_art"`
	AutoPlay       bool           `json:"auto_play"`
	Mood           string         `json:"mood"`
	CustomBio      string         `json:"customBio"`
	Theme          string         `json:"theme"`
	Wallpaper      string         `json:"wallpaper"`
	SliderStyle    string         `json:"sliderStyle"`
	Playlist       []playlistSong `json:"playlist"`
}

// playlistSong is one song of a studio's playlist. duration is "m:ss" for
// display; order is the song's place, from 0.
type playlistSong struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	Artist     string `json:"artist"`
	Duration   string `json:"duration"`
	DurationMS int    `json:"duration_ms"`
	ExternalID string `json:"external_id"`
	PreviewURL string `json:"preview_url"`
	AlbumArt   string `json:"album_art"`
	Order      int    `json:"order"`
}

func newPlaylistSong(s *numeneon.Song) playlistSong {
	secs := s.DurationMS / 1000
	return playlistSong{
		ID: s.ID, Title: s.Title, Artist: s.Artist,
		Duration: fmt.Sprintf("%d:%02d", secs/60, secs%60), DurationMS: s.DurationMS,
		ExternalID: s.ExternalID, PreviewURL: s.PreviewURL, AlbumArt: s.AlbumArt, Order: s.Position,
	}
}

func newStudioPage(st *numeneon.Studio) studioPage {
	out := studioPage{
		SelectedAvatar: st.Avatar, SongTitle: st.SongTitle, SongArtist: st.SongArtist,
		ExternalID: st.SongExternalID, PreviewURL: st.SongPreviewURL, AlbumArt: st.SongAlbumArt,
		AutoPlay: st.AutoPlay, Mood: st.Mood, CustomBio: st.CustomBio, Theme: st.Theme,
		Wallpaper: st.Wallpaper, SliderStyle: st.SliderStyle,
		Playlist: make([]playlistSong, len(st.Playlist)),
	}
	for i, s := range st.Playlist {
		out.Playlist[i] = newPlaylistSong(s)
	}
	return out
}

// handleMyStudio returns the caller's studio page.
func (s *Server) handleMyStudio(w http.ResponseWriter, r *http.Request) {
	st, err := s.app.MyStudio(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newStudioPage(st))
}

// handleStudioOf returns the studio page of the user named in the path.
func (s *Server) handleStudioOf(w http.ResponseWriter, r *http.Request) {
	st, err := s.app.StudioOf(r.Context(), r.PathValue("username"))
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newStudioPage(st))
}

// studioRequest is the body of PUT and PATCH /api/mystudio/: any of the
// fields; an absent one is unchanged, null clears a text field.
type studioRequest struct {
	Title       optString `json:"title"`
	Artist      optString `json:"artist"`
	ExternalID  optString `json:"external_id"`
	PreviewURL  optString `json:"preview_url"`
	AlbumArt    optString `json:"album_art"`
	AutoPlay    *bool     `json:"auto_play"`
	Avatar      optString `json:"avatar"`
	Mood        optString `json:"mood"`
	CustomBio   optString `json:"customBio"`
	Theme       optString `json:"theme"`
	Wallpaper   optString `json:"wallpaper"`
	SliderStyle optString `json:"sliderStyle"`
}

// handleUpdateStudio applies the fields sent and returns the page.
func (s *Server) handleUpdateStudio(w http.ResponseWriter, r *http.Request) {
	var in studioRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	st, err := s.app.UpdateStudio(r.Context(), numeneon.StudioUpdate{
		Avatar: in.Avatar.ptr(), SongTitle: in.Title.ptr(), SongArtist: in.Artist.ptr(),
		SongExternalID: in.ExternalID.ptr(), SongPreviewURL: in.PreviewURL.ptr(), SongAlbumArt: in.AlbumArt.ptr(),
		AutoPlay: in.AutoPlay, Mood: in.Mood.ptr(), CustomBio: in.CustomBio.ptr(), Theme: in.Theme.ptr(),
		Wallpaper: in.Wallpaper.ptr(), SliderStyle: in.SliderStyle.ptr(),
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newStudioPage(st))
}

// songRequest is the body of POST /api/mystudio/playlist/.
type songRequest struct {
	Title      optString `json:"title"`
	Artist     optString `json:"artist"`
	DurationMS flexID    `json:"duration_ms"`
	ExternalID optString `json:"external_id"`
	PreviewURL optString `json:"preview_url"`
	AlbumArt   optString `json:"album_art"`
}

// handleAddSong adds a song to the caller's playlist: 201 with the song.
func (s *Server) handleAddSong(w http.ResponseWriter, r *http.Request) {
	var in songRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.DurationMS.Value > int64(^uint32(0)>>1) {
		s.writeError(w, r, numeneon.FieldError("duration_ms", "Ensure this value is a reasonable duration."))
		return
	}
	song, err := s.app.AddSong(r.Context(), app.NewSong{
		Title: in.Title.Value, Artist: in.Artist.Value, DurationMS: int(in.DurationMS.Value),
		ExternalID: in.ExternalID.Value, PreviewURL: in.PreviewURL.Value, AlbumArt: in.AlbumArt.Value,
	})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, newPlaylistSong(song))
}

// handleDeleteSong removes a song of the caller's playlist: 204.
func (s *Server) handleDeleteSong(w http.ResponseWriter, r *http.Request) {
	id, err := pathID(r, "song_id")
	if err == nil {
		err = s.app.DeleteSong(r.Context(), id)
	}
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// reorderRequest is the body of PATCH /api/mystudio/playlist/reorder/.
type reorderRequest struct {
	SongIDs []flexID `json:"song_ids"`
}

// handleReorderPlaylist puts the playlist in the order sent and returns
// the studio page.
func (s *Server) handleReorderPlaylist(w http.ResponseWriter, r *http.Request) {
	var in reorderRequest
	if err := decodeJSON(r, &in); err != nil {
		s.writeError(w, r, err)
		return
	}
	if in.SongIDs == nil {
		s.writeError(w, r, numeneon.FieldError("song_ids", "This field is required."))
		return
	}
	ids := make([]int64, len(in.SongIDs))
	for i, id := range in.SongIDs {
		ids[i] = id.Value
	}
	st, err := s.app.ReorderPlaylist(r.Context(), ids)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, newStudioPage(st))
}
