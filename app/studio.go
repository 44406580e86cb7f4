package app

import (
	"context"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/numeneon/numeneon"
)

// Rules of the studio page. A playlist is a short list to show off, not a
// library; the text fields are a word or a line each, the bio a paragraph.
const (
	PlaylistMax        = 5
	maxSongTextLen     = 200 // a title or an artist
	maxExternalIDLen   = 100
	maxSongDurationMS  = 24 * 60 * 60 * 1000
	maxStudioWordLen   = 100 // mood, theme, slider style, avatar preset
	maxStudioBioLen    = maxBioLen
	msgSongMissing     = "Song not found"
	msgPlaylistFull    = "Your playlist already has 5 songs. Remove one first."
	msgSongInPlaylist  = "This song is already in your playlist."
	msgReorderMismatch = "song_ids must list every song of your playlist exactly once."
)

// NewSong is a song the caller adds to their playlist, as a catalogue
// search returned it.
type NewSong struct {
	Title      string
	Artist     string
	DurationMS int
	ExternalID string
	PreviewURL string
	AlbumArt   string
}

// plainText reports whether s can be stored as text in both databases:
// valid UTF-8 without NUL (PostgreSQL refuses NUL in text).
func plainText(s string) bool { return utf8.ValidString(s) && !strings.ContainsRune(s, 0) }

// checkText adds field's error when v is too long or not plain text.
func checkText(fe fieldErrors, field, v string, max int) {
	switch {
	case tooLong(v, max):
		fe.add(field, fmt.Sprintf("Ensure this field has no more than %d characters.", max))
	case !plainText(v):
		fe.add(field, "Must be text without NUL characters.")
	}
}

// checkOptionalURL adds field's error unless v is "" or an http(s) URL: the
// client loads these as audio and images.
func checkOptionalURL(fe fieldErrors, field, v string) {
	switch {
	case v == "":
	case tooLong(v, maxAvatarLen):
		fe.add(field, fmt.Sprintf("Ensure this field has no more than %d characters.", maxAvatarLen))
	case !validHTTPURL(v):
		fe.add(field, "Enter a valid http or https URL.")
	}
}

// validateStudioUpdate reports every bad field of upd at once, under the
// names the client sends.
func validateStudioUpdate(upd numeneon.StudioUpdate) error {
	fe := fieldErrors{}
	text := []struct {
		field string
		v     *string
		max   int
	}{
		{"title", upd.SongTitle, maxSongTextLen},
		{"artist", upd.SongArtist, maxSongTextLen},
		{"external_id", upd.SongExternalID, maxExternalIDLen},
		{"mood", upd.Mood, maxStudioWordLen},
		{"customBio", upd.CustomBio, maxStudioBioLen},
		{"theme", upd.Theme, maxStudioWordLen},
		{"sliderStyle", upd.SliderStyle, maxStudioWordLen},
		// An avatar or a wallpaper is a preset's name or a picture's URL.
		{"avatar", upd.Avatar, maxAvatarLen},
		{"wallpaper", upd.Wallpaper, maxAvatarLen},
	}
	for _, f := range text {
		if f.v != nil {
			checkText(fe, f.field, *f.v, f.max)
		}
	}
	if upd.SongPreviewURL != nil {
		checkOptionalURL(fe, "preview_url", *upd.SongPreviewURL)
	}
	if upd.SongAlbumArt != nil {
		checkOptionalURL(fe, "album_art", *upd.SongAlbumArt)
	}
	return fe.err()
}

// validateNewSong reports every bad field of in at once.
func validateNewSong(in NewSong) error {
	fe := fieldErrors{}
	required := []struct {
		field, v string
		max      int
	}{
		{"title", in.Title, maxSongTextLen},
		{"artist", in.Artist, maxSongTextLen},
		{"external_id", in.ExternalID, maxExternalIDLen},
	}
	for _, f := range required {
		if strings.TrimSpace(f.v) == "" {
			fe.add(f.field, "This field is required.")
			continue
		}
		checkText(fe, f.field, f.v, f.max)
	}
	if in.DurationMS < 0 || in.DurationMS > maxSongDurationMS {
		fe.add("duration_ms", fmt.Sprintf("Ensure this value is between 0 and %d.", maxSongDurationMS))
	}
	checkOptionalURL(fe, "preview_url", in.PreviewURL)
	checkOptionalURL(fe, "album_art", in.AlbumArt)
	return fe.err()
}

// MyStudio returns the caller's studio page.
func (s *Service) MyStudio(ctx context.Context) (*numeneon.Studio, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	st, err := s.store.FindStudio(ctx, me.ID)
	if err != nil {
		return nil, fmt.Errorf("find studio of user %d: %w", me.ID, err)
	}
	return st, nil
}

// StudioOf returns the studio page of the active user with this username,
// for any signed-in caller (it is a public page); ENOTFOUND otherwise.
func (s *Service) StudioOf(ctx context.Context, username string) (*numeneon.Studio, error) {
	if _, err := actor(ctx); err != nil {
		return nil, err
	}
	u, err := s.FindUserByUsername(ctx, username)
	if err != nil {
		return nil, err
	}
	st, err := s.store.FindStudio(ctx, u.ID)
	if err != nil {
		return nil, fmt.Errorf("find studio of user %d: %w", u.ID, err)
	}
	return st, nil
}

// UpdateStudio applies the non-nil fields of upd to the caller's studio and
// returns it. Bad fields are EINVALID, all reported at once.
func (s *Service) UpdateStudio(ctx context.Context, upd numeneon.StudioUpdate) (*numeneon.Studio, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateStudioUpdate(upd); err != nil {
		return nil, err
	}
	var st *numeneon.Studio
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.UpdateStudio(ctx, me.ID, upd, s.clock()); err != nil {
			return err
		}
		st, err = tx.FindStudio(ctx, me.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("update studio of user %d: %w", me.ID, err)
	}
	return st, nil
}

// AddSong appends a song to the caller's playlist and returns it. A full
// playlist (PlaylistMax songs) or a track already in it is EINVALID with a
// message for the user; bad fields are EINVALID per field.
func (s *Service) AddSong(ctx context.Context, in NewSong) (*numeneon.Song, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	if err := validateNewSong(in); err != nil {
		return nil, err
	}
	now := s.clock()
	song := &numeneon.Song{UserID: me.ID, Title: in.Title, Artist: in.Artist, DurationMS: in.DurationMS,
		ExternalID: in.ExternalID, PreviewURL: in.PreviewURL, AlbumArt: in.AlbumArt, CreatedAt: now}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		// The lock makes the count below hold until commit, whatever
		// the caller's other requests do meanwhile.
		if err := tx.LockStudio(ctx, me.ID); err != nil {
			return err
		}
		st, err := tx.FindStudio(ctx, me.ID)
		if err != nil {
			return err
		}
		for _, other := range st.Playlist {
			if other.ExternalID == in.ExternalID {
				return numeneon.Errorf(numeneon.EINVALID, msgSongInPlaylist)
			}
		}
		if len(st.Playlist) >= PlaylistMax {
			return numeneon.Errorf(numeneon.EINVALID, msgPlaylistFull)
		}
		if err := tx.AddSong(ctx, song); err != nil {
			return err
		}
		return tx.UpdateStudio(ctx, me.ID, numeneon.StudioUpdate{}, now)
	})
	if numeneon.ErrorCode(err) == numeneon.ECONFLICT {
		err = numeneon.Errorf(numeneon.EINVALID, msgSongInPlaylist)
	}
	if err != nil {
		return nil, fmt.Errorf("add song to the playlist of user %d: %w", me.ID, err)
	}
	return song, nil
}

// DeleteSong removes song id from the caller's playlist; ENOTFOUND when the
// caller has no such song.
func (s *Service) DeleteSong(ctx context.Context, id int64) error {
	me, err := actor(ctx)
	if err != nil {
		return err
	}
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.LockStudio(ctx, me.ID); err != nil {
			return err
		}
		if err := tx.DeleteSong(ctx, me.ID, id); err != nil {
			if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
				return numeneon.Errorf(numeneon.ENOTFOUND, msgSongMissing)
			}
			return err
		}
		return tx.UpdateStudio(ctx, me.ID, numeneon.StudioUpdate{}, s.clock())
	})
	if err != nil {
		return fmt.Errorf("delete song %d of user %d: %w", id, me.ID, err)
	}
	return nil
}

// ReorderPlaylist puts the caller's songs in the order of songIDs, which
// must name every song of the playlist exactly once (EINVALID otherwise),
// and returns the studio.
func (s *Service) ReorderPlaylist(ctx context.Context, songIDs []int64) (*numeneon.Studio, error) {
	me, err := actor(ctx)
	if err != nil {
		return nil, err
	}
	var st *numeneon.Studio
	err = s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.LockStudio(ctx, me.ID); err != nil {
			return err
		}
		cur, err := tx.FindStudio(ctx, me.ID)
		if err != nil {
			return err
		}
		if !sameSongs(cur.Playlist, songIDs) {
			return numeneon.FieldError("song_ids", msgReorderMismatch)
		}
		if err := tx.SetSongPositions(ctx, me.ID, songIDs); err != nil {
			return err
		}
		if err := tx.UpdateStudio(ctx, me.ID, numeneon.StudioUpdate{}, s.clock()); err != nil {
			return err
		}
		st, err = tx.FindStudio(ctx, me.ID)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("reorder the playlist of user %d: %w", me.ID, err)
	}
	return st, nil
}

// sameSongs reports whether ids names every song of playlist exactly once.
func sameSongs(playlist []*numeneon.Song, ids []int64) bool {
	if len(ids) != len(playlist) {
		return false
	}
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			return false
		}
		seen[id] = true
	}
	for _, song := range playlist {
		if !seen[song.ID] {
			return false
		}
	}
	return true
}
