package numeneon

import (
	"context"
	"time"
)

// Studio is a user's studio page: a song of the moment, a mood, a look
// (theme, wallpaper, slider style) and a short playlist. A user who never
// edited theirs has the empty studio: every field "", AutoPlay false, no
// songs.
type Studio struct {
	UserID int64
	// Avatar is the picture chosen for the studio page (the client's
	// selectedAvatar): a preset's name or a URL.
	Avatar string
	// The song of the moment, as a catalogue search returned it.
	SongTitle      string
	SongArtist     string
	SongExternalID string
	SongPreviewURL string
	SongAlbumArt   string
	AutoPlay       bool
	Mood           string
	CustomBio      string
	Theme          string
	Wallpaper      string
	SliderStyle    string
	// UpdatedAt is the last change of the page or its playlist; zero for
	// the empty studio.
	UpdatedAt time.Time
	// Playlist is in the order the user chose (Song.Position ascending).
	Playlist []*Song
}

// Song is one song of a studio's playlist. ExternalID is the catalogue's
// id of the track; a playlist holds each at most once.
type Song struct {
	ID         int64
	UserID     int64
	Title      string
	Artist     string
	DurationMS int
	ExternalID string
	PreviewURL string
	AlbumArt   string
	// Position is the song's place in the playlist, from 0, without gaps.
	Position  int
	CreatedAt time.Time
}

// StudioUpdate lists the studio fields to change; nil fields are left as
// they are.
type StudioUpdate struct {
	Avatar         *string
	SongTitle      *string
	SongArtist     *string
	SongExternalID *string
	SongPreviewURL *string
	SongAlbumArt   *string
	AutoPlay       *bool
	Mood           *string
	CustomBio      *string
	Theme          *string
	Wallpaper      *string
	SliderStyle    *string
}

// StudioStore is the part of Store about studio pages.
type StudioStore interface {
	// FindStudio returns the user's studio with its playlist in order (the
	// empty studio when the user never edited it), or ENOTFOUND for an
	// unknown user. Two queries, whatever the playlist's length.
	FindStudio(ctx context.Context, userID int64) (*Studio, error)
}

// StudioTx is the part of Tx about studio pages. The rules (how many songs,
// which lengths) live in the app; the store keeps positions without gaps.
type StudioTx interface {
	// FindStudio is StudioStore.FindStudio inside the transaction.
	FindStudio(ctx context.Context, userID int64) (*Studio, error)
	// LockStudio creates the user's studio row if it is missing and holds
	// it until the transaction ends, so that concurrent playlist changes
	// of one user run one after the other and the app's count of songs
	// stays true until it commits. An unknown user is ENOTFOUND.
	LockStudio(ctx context.Context, userID int64) error
	// UpdateStudio applies the non-nil fields of upd, creating the studio
	// if needed, and sets UpdatedAt to at. An unknown user is ENOTFOUND.
	UpdateStudio(ctx context.Context, userID int64, upd StudioUpdate, at time.Time) error
	// AddSong appends song to song.UserID's playlist: it sets song.ID and
	// song.Position (after the last song) and stores CreatedAt as given.
	// A song with the same ExternalID in that playlist is ECONFLICT; an
	// unknown user is ENOTFOUND.
	AddSong(ctx context.Context, song *Song) error
	// DeleteSong removes song songID from userID's playlist and moves the
	// songs after it up one place, or returns ENOTFOUND when userID has no
	// such song.
	DeleteSong(ctx context.Context, userID, songID int64) error
	// SetSongPositions gives songIDs[i] position i in userID's playlist.
	// The caller passes exactly the ids of the playlist (the app checks);
	// an id that is not one of userID's songs is ENOTFOUND.
	SetSongPositions(ctx context.Context, userID int64, songIDs []int64) error
}
