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
)

// musicOff is the MUSIC_API_URL that turns the music search off.
const musicOff = "off"

// loadMusicEnv reads MUSIC_API_URL.
func (c *Config) loadMusicEnv(getenv func(string) string) {
	c.MusicAPIURL = getenv("MUSIC_API_URL")
	if c.MusicAPIURL == "" {
		c.MusicAPIURL = deezer.DefaultBaseURL
	}
}

func (c *Config) musicFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.MusicAPIURL, "music-api-url", c.MusicAPIURL, `base URL of the Deezer search API behind /api/mystudio/search/, or "off" (MUSIC_API_URL)`)
}

func (c *Config) validateMusic() error {
	if c.MusicAPIURL == musicOff {
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
	if c.MusicAPIURL == musicOff {
		return nil
	}
	return deezer.New(c.MusicAPIURL, nil)
}

func (c *Config) describeMusic(w io.Writer) {
	fmt.Fprintf(w, "MUSIC_API_URL    %s\n", maskURL(c.MusicAPIURL))
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
		fmt.Fprintf(w, "WARN  music catalogue at %s: %v (studio search answers 502 until it does; everything else works)\n", maskURL(cfg.MusicAPIURL), err)
		return
	}
	fmt.Fprintf(w, "ok    music catalogue at %s\n", maskURL(cfg.MusicAPIURL))
}
