package numeneon

import "context"

// Track is one song as a music catalogue describes it. ExternalID is the
// catalogue's id for it, the one a playlist keeps.
type Track struct {
	ExternalID string
	Title      string
	Artist     string
	Album      string
	AlbumArt   string // an http(s) URL, or ""
	PreviewURL string // a short http(s) audio clip, or ""
	DurationMS int
}

// Catalogue searches a music catalogue on the internet. Implementation:
// deezer. The app puts a cache, a time bound and request sharing in
// front of it, so an implementation only speaks the protocol.
type Catalogue interface {
	// Search returns up to limit tracks matching q, in the catalogue's
	// order (none is not an error). It returns by the time ctx ends. A
	// catalogue that cannot be reached, answers an error or garbage, or
	// does not answer before ctx ends, is an EUPSTREAM error wrapping the
	// cause. Safe for concurrent use.
	Search(ctx context.Context, q string, limit int) ([]Track, error)
}
