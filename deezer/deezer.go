// Package deezer implements numeneon.Catalogue over the public Deezer search
// API (GET /search?q=…&limit=…, no key needed), at a configurable base URL
// so tests and private mirrors can stand in for it.
package deezer

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

// DefaultBaseURL is Deezer's public API.
const DefaultBaseURL = "https://api.deezer.com"

// maxBody bounds what is read of an answer: 25 tracks take about 20 KB, so
// a larger body is not a search result.
const maxBody = 1 << 20

var _ numeneon.Catalogue = (*Client)(nil)

// Client searches Deezer. It is safe for concurrent use.
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

// searchAnswer is the part of Deezer's answer we read. A failure comes back
// as 200 with an "error" object instead of "data" (a quota, a bad query).
type searchAnswer struct {
	Data *[]struct {
		ID       json.Number `json:"id"`
		Title    string      `json:"title"`
		Duration int         `json:"duration"` // seconds
		Preview  string      `json:"preview"`
		Artist   struct {
			Name string `json:"name"`
		} `json:"artist"`
		Album struct {
			Title       string `json:"title"`
			CoverMedium string `json:"cover_medium"`
		} `json:"album"`
	} `json:"data"`
	Error *struct {
		Type    string `json:"type"`
		Message string `json:"message"`
		Code    int    `json:"code"`
	} `json:"error"`
}

// Search implements numeneon.Catalogue.
func (c *Client) Search(ctx context.Context, q string, limit int) ([]numeneon.Track, error) {
	u := c.base + "/search?" + url.Values{"q": {q}, "limit": {strconv.Itoa(limit)}}.Encode()
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
	if ans.Error != nil {
		return nil, upstream(fmt.Errorf("deezer error %d (%s): %s", ans.Error.Code, ans.Error.Type, ans.Error.Message))
	}
	if ans.Data == nil {
		return nil, upstream(fmt.Errorf("answer without data"))
	}
	tracks := make([]numeneon.Track, 0, len(*ans.Data))
	for _, d := range *ans.Data {
		if d.ID.String() == "" || d.Title == "" {
			continue // nothing a playlist could keep
		}
		tracks = append(tracks, numeneon.Track{
			ExternalID: d.ID.String(),
			Title:      d.Title,
			Artist:     d.Artist.Name,
			Album:      d.Album.Title,
			AlbumArt:   httpURL(d.Album.CoverMedium),
			PreviewURL: httpURL(d.Preview),
			DurationMS: d.Duration * 1000,
		})
		if len(tracks) == limit {
			break
		}
	}
	return tracks, nil
}

// httpURL returns s when it is an absolute http(s) URL, else "": the
// client plays and shows these, so nothing else passes through.
func httpURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return ""
	}
	return s
}

// upstream wraps cause as the EUPSTREAM error the client sees as 502.
func upstream(cause error) error {
	return fmt.Errorf("deezer search: %w: %w", numeneon.Errorf(numeneon.EUPSTREAM, "The music catalogue is not answering. Try again later."), cause)
}
