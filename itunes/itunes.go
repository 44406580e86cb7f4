// Package itunes implements numeneon.Catalogue over the public iTunes Search
// API (GET /search?term=…&media=music&entity=song&limit=…, no key needed),
// at a configurable base URL. It is the alternative to the deezer package
// where Deezer is unavailable.
package itunes

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/numeneon/numeneon"
)

// DefaultBaseURL is Apple's public search API.
const DefaultBaseURL = "https://itunes.apple.com"

// maxBody bounds what is read of an answer.
const maxBody = 1 << 20

var _ numeneon.Catalogue = (*Client)(nil)

// Client searches iTunes. It is safe for concurrent use.
type Client struct {
	base string
	http *http.Client
}

// New returns a Client of the API at baseURL (DefaultBaseURL when "")
// using hc (http.DefaultClient when nil). Its calls are bounded by their
// context only.
func New(baseURL string, hc *http.Client) *Client {
	if baseURL == "" {
		baseURL = DefaultBaseURL
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: strings.TrimSuffix(baseURL, "/"), http: hc}
}

// searchAnswer is the part of the iTunes answer we read.
type searchAnswer struct {
	ResultCount *int `json:"resultCount"`
	Results     []struct {
		Kind            string `json:"kind"`
		TrackID         int64  `json:"trackId"`
		TrackName       string `json:"trackName"`
		ArtistName      string `json:"artistName"`
		CollectionName  string `json:"collectionName"`
		ArtworkURL100   string `json:"artworkUrl100"`
		PreviewURL      string `json:"previewUrl"`
		TrackTimeMillis int    `json:"trackTimeMillis"`
	} `json:"results"`
}

// Search implements numeneon.Catalogue.
func (c *Client) Search(ctx context.Context, q string, limit int) ([]numeneon.Track, error) {
	u := c.base + "/search?" + url.Values{"term": {q}, "media": {"music"}, "entity": {"song"},
		"limit": {strconv.Itoa(limit)}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, upstream(fmt.Errorf("build request: %w", err))
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, upstream(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, upstream(fmt.Errorf("status %s", resp.Status))
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody+1))
	if err != nil {
		return nil, upstream(fmt.Errorf("read answer: %w", err))
	}
	if len(body) > maxBody {
		return nil, upstream(fmt.Errorf("answer over %d bytes", maxBody))
	}
	var ans searchAnswer
	if err := json.Unmarshal(body, &ans); err != nil {
		return nil, upstream(fmt.Errorf("decode answer: %w", err))
	}
	if ans.ResultCount == nil {
		return nil, upstream(fmt.Errorf("answer without resultCount"))
	}
	tracks := make([]numeneon.Track, 0, len(ans.Results))
	for _, r := range ans.Results {
		if r.TrackID == 0 || r.TrackName == "" || (r.Kind != "" && r.Kind != "song") {
			continue
		}
		tracks = append(tracks, numeneon.Track{
			ExternalID: strconv.FormatInt(r.TrackID, 10),
			Title:      r.TrackName,
			Artist:     r.ArtistName,
			Album:      r.CollectionName,
			AlbumArt:   httpURL(r.ArtworkURL100),
			PreviewURL: httpURL(r.PreviewURL),
			DurationMS: r.TrackTimeMillis,
		})
		if len(tracks) == limit {
			break
		}
	}
	return tracks, nil
}

// httpURL returns s when it is an absolute http(s) URL, else "".
func httpURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}

// upstream wraps cause as the EUPSTREAM error the client sees as 502.
func upstream(cause error) error {
	return fmt.Errorf("itunes search: %w: %w", numeneon.Errorf(numeneon.EUPSTREAM, "The music catalogue is not answering. Try again later."), cause)
}
