package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/url"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/deezer"
	"github.com/numeneon/numeneon/itunes"
)

// musicOff is the MUSIC_API_URL that turns the music search off.
const musicOff = "off"

// The catalogues MUSIC_CATALOGUE names.
const (
	catalogueDeezer = "deezer"
	catalogueITunes = "itunes"
)

// loadMusicEnv reads MUSIC_CATALOGUE and MUSIC_API_URL.
func (c *Config) loadMusicEnv(getenv func(string) string) {
	c.MusicCatalogue = getenv("MUSIC_CATALOGUE")
	if c.MusicCatalogue == "" {
		c.MusicCatalogue = catalogueDeezer
	}
	c.MusicAPIURL = getenv("MUSIC_API_URL")
}

func (c *Config) musicFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.MusicCatalogue, "music-catalogue", c.MusicCatalogue, `music catalogue behind /api/mystudio/search/: deezer or itunes (MUSIC_CATALOGUE)`)
	fs.StringVar(&c.MusicAPIURL, "music-api-url", c.MusicAPIURL, `base URL of the catalogue's search API, empty for its public one, or "off" (MUSIC_API_URL)`)
}

// musicBaseURL is MUSIC_API_URL, or the chosen catalogue's public API.
func (c *Config) musicBaseURL() string {
	switch {
	case c.MusicAPIURL != "":
		return c.MusicAPIURL
	case c.MusicCatalogue == catalogueITunes:
		return itunes.DefaultBaseURL
	}
	return deezer.DefaultBaseURL
}

func (c *Config) validateMusic() error {
	if c.MusicCatalogue != catalogueDeezer && c.MusicCatalogue != catalogueITunes {
		return fmt.Errorf("MUSIC_CATALOGUE=%q: want deezer or itunes", c.MusicCatalogue)
	}
	if c.MusicAPIURL == musicOff || c.MusicAPIURL == "" {
		return nil
	}
	u, err := url.Parse(c.MusicAPIURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("MUSIC_API_URL=%q: want an http(s) URL, or off", c.MusicAPIURL)
	}
	return nil
}

// catalogue returns the music catalogue, nil when it is off.
func (c *Config) catalogue() numeneon.Catalogue {
	switch {
	case c.MusicAPIURL == musicOff:
		return nil
	case c.MusicCatalogue == catalogueITunes:
		return itunes.New(c.musicBaseURL(), nil)
	}
	return deezer.New(c.musicBaseURL(), nil)
}

func (c *Config) describeMusic(w io.Writer) {
	fmt.Fprintf(w, "MUSIC_CATALOGUE  %s\n", c.MusicCatalogue)
	fmt.Fprintf(w, "MUSIC_API_URL    %s\n", maskURL(c.musicBaseURL()))
}

// checkMusic reports whether the catalogue answers. A catalogue that does
// not is a warning: the rest of the app works without it.
func checkMusic(ctx context.Context, cfg *Config, w io.Writer) {
	cat := cfg.catalogue()
	if cat == nil {
		fmt.Fprintln(w, "off   music catalogue (MUSIC_API_URL=off): /api/mystudio/search/ answers 503")
		return
	}
	if err := app.PingCatalogue(ctx, cat); err != nil {
		fmt.Fprintf(w, "WARN  music catalogue at %s: %v (studio search answers 502 until it does; everything else works)\n", maskURL(cfg.musicBaseURL()), err)
		return
	}
	fmt.Fprintf(w, "ok    music catalogue at %s\n", maskURL(cfg.musicBaseURL()))
}
