package main

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/realtime"
)

// Config is the effective configuration: the environment first (12-factor),
// then flags, which override it. Zero values are the embedded defaults.
type Config struct {
	Env            string // "production" or "development" (NUMENEON_ENV)
	Port           int    // PORT, 8000
	Host           string // HOST, "" = every interface
	DataDir        string // NUMENEON_DATA_DIR, "data": the SQLite file and the development secret key
	DatabaseURL    string // DATABASE_URL, "" = a SQLite file in DataDir
	RedisURL       string // REDIS_URL, "" = the in-process layer (one process only)
	SecretKey      string // SECRET_KEY; generated and kept in DataDir outside production
	AllowedOrigins []string
	LogFormat      string // LOG_FORMAT: text | json
	LogLevel       string // LOG_LEVEL: debug | info | warn | error (info logs every request)
	PprofAddr      string // PPROF_ADDR: serve /debug/pprof/ on this (private) address; "" = off
	Workers        int    // WEB_CONCURRENCY, 1
	RateLimits     string // RATE_LIMITS, "" = defaults, "off" = none
	ClientIPHeader string // CLIENT_IP_HEADER: header of a trusted proxy carrying the client address
	// PresenceHeartbeat is PRESENCE_HEARTBEAT, 0 = 40s (the redis and
	// pglayer defaults): how often a process tells the others it is alive
	// (one Redis command, or one PostgreSQL statement).
	PresenceHeartbeat time.Duration
	// RefreshRotation is REFRESH_ROTATION: "reuse" (a used refresh token
	// stays valid until it expires, the original's behaviour and the
	// public client's need) or "strict" (reuse detection).
	RefreshRotation string
	// PasswordMinLength is PASSWORD_MIN_LENGTH, 8; at least 6 (what the
	// public client allows).
	PasswordMinLength int
	// StoryCleanupInterval is how often expired stories' views, reactions
	// and unreplied rows are deleted (STORY_CLEANUP_INTERVAL); 0 = 10m.
	StoryCleanupInterval time.Duration
	// NotificationRetention is NOTIFICATION_RETENTION: stored events older
	// than this are pruned in the background; 0 = 30 days.
	NotificationRetention time.Duration
	// SocketTokenExpiry is SOCKET_TOKEN_EXPIRY: "signed-in" (default: a
	// socket outlives its token while the user stays signed in) or
	// "enforce" (it closes with 4001 when the token expires).
	SocketTokenExpiry realtime.TokenExpiry
	// ReadyzCache is READYZ_CACHE, 5s: how long a readiness probe's result
	// answers /readyz; 0 probes on every request.
	ReadyzCache time.Duration
	// SocketsPerUser is SOCKETS_PER_USER: how many WebSockets one user may
	// hold on one process (realtime.DefaultSocketsPerUser).
	SocketsPerUser int
	// MusicCatalogue is MUSIC_CATALOGUE: deezer (default) or itunes;
	// MusicAPIURL is MUSIC_API_URL: its search API's base URL ("" for the
	// public one), or "off" (music.go).
	MusicCatalogue string
	MusicAPIURL    string
	// VAPIDPublicKey, VAPIDPrivateKey and VAPIDSubject (VAPID_*) turn Web
	// Push on when all three are set (push.go).
	VAPIDPublicKey  string
	VAPIDPrivateKey string
	VAPIDSubject    string

	secretGenerated bool
}

// Production reports whether the production switch is on.
func (c *Config) Production() bool { return c.Env == "production" }

// loadEnv fills c from the environment. getenv is os.Getenv outside tests.
func (c *Config) loadEnv(getenv func(string) string) error {
	c.Env = strings.ToLower(strings.TrimSpace(getenv("NUMENEON_ENV")))
	if c.Env == "" {
		c.Env = "development"
	}
	c.Port = 8000
	if v := getenv("PORT"); v != "" {
		p, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("PORT=%q: not a port number", v)
		}
		c.Port = p
	}
	c.Host = getenv("HOST")
	c.DataDir = getenv("NUMENEON_DATA_DIR")
	if c.DataDir == "" {
		c.DataDir = "data"
	}
	c.DatabaseURL = getenv("DATABASE_URL")
	c.RedisURL = getenv("REDIS_URL")
	c.SecretKey = getenv("SECRET_KEY")
	c.AllowedOrigins = splitList(getenv("ALLOWED_ORIGINS"))
	c.LogFormat = getenv("LOG_FORMAT")
	if c.LogFormat == "" {
		c.LogFormat = "text"
	}
	c.LogLevel = getenv("LOG_LEVEL")
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	c.PprofAddr = getenv("PPROF_ADDR")
	c.Workers = 1
	if v := getenv("WEB_CONCURRENCY"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("WEB_CONCURRENCY=%q: not a number", v)
		}
		c.Workers = n
	}
	c.RateLimits = getenv("RATE_LIMITS")
	c.ClientIPHeader = getenv("CLIENT_IP_HEADER")
	if v := getenv("PRESENCE_HEARTBEAT"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("PRESENCE_HEARTBEAT=%q: not a duration such as 40s", v)
		}
		c.PresenceHeartbeat = d
	}
	c.RefreshRotation = getenv("REFRESH_ROTATION")
	if c.RefreshRotation == "" {
		c.RefreshRotation = string(app.RotationReuse)
	}
	c.PasswordMinLength = app.DefaultPasswordMinLength
	if v := getenv("PASSWORD_MIN_LENGTH"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("PASSWORD_MIN_LENGTH=%q: not a number", v)
		}
		c.PasswordMinLength = n
	}
	if v := getenv("STORY_CLEANUP_INTERVAL"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("STORY_CLEANUP_INTERVAL=%q: not a duration (e.g. 10m)", v)
		}
		c.StoryCleanupInterval = d
	}
	c.NotificationRetention = app.DefaultNotificationRetention
	if v := getenv("NOTIFICATION_RETENTION"); v != "" {
		d, err := app.ParseRetention(v)
		if err != nil {
			return fmt.Errorf("NOTIFICATION_RETENTION=%q: %w", v, err)
		}
		c.NotificationRetention = d
	}
	c.SocketTokenExpiry = realtime.TokenExpiry(getenv("SOCKET_TOKEN_EXPIRY"))
	if c.SocketTokenExpiry == "" {
		c.SocketTokenExpiry = realtime.TokenExpirySignedIn
	}
	c.ReadyzCache = defaultReadyzCache
	if v := getenv("READYZ_CACHE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			return fmt.Errorf("READYZ_CACHE=%q: not a duration (e.g. 5s)", v)
		}
		c.ReadyzCache = d
	}
	c.SocketsPerUser = realtime.DefaultSocketsPerUser
	if v := getenv("SOCKETS_PER_USER"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil {
			return fmt.Errorf("SOCKETS_PER_USER=%q: not a number", v)
		}
		c.SocketsPerUser = n
	}
	c.loadMusicEnv(getenv)
	c.loadPushEnv(getenv)
	return nil
}

// AccountPolicy returns the account settings for app.Service.
func (c *Config) AccountPolicy() app.AccountPolicy {
	return app.AccountPolicy{RefreshRotation: app.RefreshRotation(c.RefreshRotation), PasswordMinLength: c.PasswordMinLength}
}

// flagSet returns the flags of a subcommand; parsing them overrides the
// environment already loaded into c.
func (c *Config) flagSet(name string, output io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(output)
	fs.StringVar(&c.Env, "env", c.Env, "environment: development or production (NUMENEON_ENV)")
	fs.IntVar(&c.Port, "port", c.Port, "HTTP port (PORT)")
	fs.StringVar(&c.Host, "host", c.Host, "interface to listen on, empty for all (HOST)")
	fs.StringVar(&c.DataDir, "data-dir", c.DataDir, "folder for the SQLite database and the development secret key (NUMENEON_DATA_DIR)")
	fs.StringVar(&c.DatabaseURL, "database-url", c.DatabaseURL, "postgres://… or sqlite:path; empty for a SQLite file in the data folder (DATABASE_URL)")
	fs.StringVar(&c.RedisURL, "redis-url", c.RedisURL, "redis:// or rediss:// URL of Redis as the shared channel layer; empty: PostgreSQL's LISTEN/NOTIFY on PostgreSQL, the in-process layer on SQLite (REDIS_URL)")
	fs.Func("allowed-origins", "comma-separated origins allowed for CORS and WebSockets (ALLOWED_ORIGINS)", func(s string) error {
		c.AllowedOrigins = splitList(s)
		return nil
	})
	fs.StringVar(&c.LogFormat, "log-format", c.LogFormat, "text or json (LOG_FORMAT)")
	fs.StringVar(&c.LogLevel, "log-level", c.LogLevel, "debug, info (one line per request), warn or error (LOG_LEVEL)")
	fs.StringVar(&c.PprofAddr, "pprof", c.PprofAddr, "serve Go's /debug/pprof/ profiles on this private address, e.g. 127.0.0.1:6060 (PPROF_ADDR)")
	fs.IntVar(&c.Workers, "workers", c.Workers, "worker processes sharing the port (WEB_CONCURRENCY)")
	fs.StringVar(&c.RateLimits, "rate-limits", c.RateLimits, `rate limits, "off" to disable (RATE_LIMITS)`)
	fs.DurationVar(&c.PresenceHeartbeat, "presence-heartbeat", c.PresenceHeartbeat, "how often a process tells the others through the shared layer (Redis or PostgreSQL) it is alive; its users are reported offline about 1.75 beats after it dies, 0 for 40s (PRESENCE_HEARTBEAT)")
	fs.StringVar(&c.ClientIPHeader, "client-ip-header", c.ClientIPHeader, "header a trusted reverse proxy sets to the client address, e.g. X-Forwarded-For (CLIENT_IP_HEADER)")
	fs.StringVar(&c.RefreshRotation, "refresh-rotation", c.RefreshRotation, "reuse: a used refresh token stays valid until it expires; strict: it is revoked and its reuse ends the login (REFRESH_ROTATION)")
	fs.IntVar(&c.PasswordMinLength, "password-min-length", c.PasswordMinLength, "shortest password accepted at signup and password change, at least 6 (PASSWORD_MIN_LENGTH)")
	fs.DurationVar(&c.StoryCleanupInterval, "story-cleanup-interval", c.StoryCleanupInterval, "how often expired stories are cleaned up; 0 for the default, 10m (STORY_CLEANUP_INTERVAL)")
	fs.Func("notification-retention", "how long stored events are kept, e.g. 30d or 720h; older ones are pruned and a resume from them gets a resync (NOTIFICATION_RETENTION, default 30d)", func(v string) error {
		d, err := app.ParseRetention(v)
		if err != nil {
			return fmt.Errorf("NOTIFICATION_RETENTION: %w", err)
		}
		c.NotificationRetention = d
		return nil
	})
	fs.Func("socket-token-expiry", `when an open WebSocket's access token expires: "signed-in" (default) keeps it open while the user stays signed in, "enforce" closes it with 4001 (SOCKET_TOKEN_EXPIRY)`, func(s string) error {
		c.SocketTokenExpiry = realtime.TokenExpiry(s)
		return nil
	})
	fs.DurationVar(&c.ReadyzCache, "readyz-cache", c.ReadyzCache, "how long a readiness probe's result answers /readyz; 0 probes on every request (READYZ_CACHE)")
	fs.IntVar(&c.SocketsPerUser, "sockets-per-user", c.SocketsPerUser, "WebSockets one user may hold on one process; one more is refused with 429 (SOCKETS_PER_USER)")
	c.musicFlags(fs)
	c.pushFlags(fs)
	return fs
}

// validate checks the configuration once flags are parsed. It does not
// touch the disk or the network.
func (c *Config) validate() error {
	var errs []error
	if c.Env != "production" && c.Env != "development" {
		errs = append(errs, fmt.Errorf("NUMENEON_ENV=%q: want production or development", c.Env))
	}
	if c.Port < 0 || c.Port > 65535 {
		errs = append(errs, fmt.Errorf("PORT=%d: out of range", c.Port))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("LOG_FORMAT=%q: want text or json", c.LogFormat))
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		errs = append(errs, err)
	}
	if c.PprofAddr != "" && c.Workers > 1 {
		errs = append(errs, errors.New("PPROF_ADDR serves one process: use it with one worker (profile a worker by running it alone)"))
	}
	if c.PresenceHeartbeat < 0 {
		errs = append(errs, fmt.Errorf("PRESENCE_HEARTBEAT=%v: want a positive duration, or 0 for the default", c.PresenceHeartbeat))
	}
	if c.StoryCleanupInterval < 0 {
		errs = append(errs, fmt.Errorf("STORY_CLEANUP_INTERVAL=%v: want a positive duration, or 0 for the default", c.StoryCleanupInterval))
	}
	if e := c.SocketTokenExpiry; e != realtime.TokenExpirySignedIn && e != realtime.TokenExpiryEnforce {
		errs = append(errs, fmt.Errorf("SOCKET_TOKEN_EXPIRY=%q: want %s or %s", e, realtime.TokenExpirySignedIn, realtime.TokenExpiryEnforce))
	}
	if c.ReadyzCache < 0 {
		errs = append(errs, fmt.Errorf("READYZ_CACHE=%v: want 0 or a positive duration", c.ReadyzCache))
	}
	if c.SocketsPerUser < 1 {
		errs = append(errs, fmt.Errorf("SOCKETS_PER_USER=%d: want at least 1", c.SocketsPerUser))
	}
	if c.Workers < 1 {
		errs = append(errs, fmt.Errorf("--workers=%d: want at least 1", c.Workers))
	}
	if c.Workers > 1 && !multipleWorkers {
		errs = append(errs, fmt.Errorf("--workers=%d needs Linux: the workers share one port with SO_REUSEPORT, and only Linux spreads its connections between them; on %s run one worker per process (several instances behind a proxy)", c.Workers, runtime.GOOS))
	}
	if c.Workers > 1 && !c.SharedLayer() {
		errs = append(errs, fmt.Errorf("--workers=%d on SQLite without REDIS_URL: the in-process channel layer cannot carry an event from one worker to a socket held by another, so notifications would be lost; use PostgreSQL (DATABASE_URL=postgres://…), set REDIS_URL=redis://… (or rediss://…), or run one worker", c.Workers))
	}
	if c.Workers > 1 && c.Port == 0 {
		errs = append(errs, errors.New("--workers>1 needs a fixed --port: the workers share it"))
	}
	if c.Production() && c.SecretKey == "" {
		errs = append(errs, errors.New("SECRET_KEY is required when NUMENEON_ENV=production"))
	}
	if c.Production() && c.SecretKey != "" && len(c.SecretKey) < 32 {
		errs = append(errs, errors.New("SECRET_KEY is too short for production: use at least 32 characters"))
	}
	if _, err := app.ParseRefreshRotation(c.RefreshRotation); err != nil {
		errs = append(errs, fmt.Errorf("REFRESH_ROTATION=%q: want reuse or strict", c.RefreshRotation))
	}
	if c.PasswordMinLength < app.LowestPasswordMinLength {
		errs = append(errs, fmt.Errorf("PASSWORD_MIN_LENGTH=%d: want at least %d (the public client allows %d)",
			c.PasswordMinLength, app.LowestPasswordMinLength, app.LowestPasswordMinLength))
	} else if err := (app.AccountPolicy{PasswordMinLength: c.PasswordMinLength}).Validate(); err != nil {
		errs = append(errs, fmt.Errorf("PASSWORD_MIN_LENGTH=%d: %w", c.PasswordMinLength, err))
	}
	if c.DatabaseURL != "" {
		if _, err := c.databaseKind(); err != nil {
			errs = append(errs, err)
		}
	}
	if c.RedisURL != "" {
		u, err := url.Parse(c.RedisURL)
		if err != nil || (u.Scheme != "redis" && u.Scheme != "rediss") {
			errs = append(errs, fmt.Errorf("REDIS_URL: want redis://… or rediss://…"))
		}
	}
	if err := c.validateMusic(); err != nil {
		errs = append(errs, err)
	}
	if err := c.validatePush(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// databaseKind returns "postgres" or "sqlite".
func (c *Config) databaseKind() (string, error) {
	if c.DatabaseURL == "" {
		return "sqlite", nil
	}
	u, err := url.Parse(c.DatabaseURL)
	if err != nil {
		return "", fmt.Errorf("DATABASE_URL: cannot parse it as a URL")
	}
	switch u.Scheme {
	case "postgres", "postgresql":
		return "postgres", nil
	case "sqlite", "file":
		return "sqlite", nil
	}
	return "", fmt.Errorf("DATABASE_URL: unsupported scheme %q (want postgres:// or sqlite:path)", u.Scheme)
}

// sqlitePath returns the SQLite file to use.
func (c *Config) sqlitePath() string {
	if c.DatabaseURL == "" {
		return filepath.Join(c.DataDir, "numeneon.db")
	}
	p := strings.TrimPrefix(strings.TrimPrefix(c.DatabaseURL, "sqlite:"), "file:")
	return strings.TrimPrefix(p, "//")
}

// ensureSecretKey generates and stores a development key when none is set,
// so tokens survive restarts on a laptop. In production validate has already
// refused a missing key.
func (c *Config) ensureSecretKey() error {
	if c.SecretKey != "" {
		return nil
	}
	if c.loadStoredSecretKey() {
		return nil
	}
	path := filepath.Join(c.DataDir, "secret_key")
	if err := os.MkdirAll(c.DataDir, 0o700); err != nil {
		return fmt.Errorf("create data folder: %w", err)
	}
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("generate secret key: %w", err)
	}
	key := hex.EncodeToString(b[:])
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		// Another worker wrote it first: use theirs.
		return c.ensureSecretKey()
	} else if err != nil {
		return fmt.Errorf("store development secret key: %w", err)
	}
	if _, err := f.WriteString(key + "\n"); err != nil {
		f.Close()
		return fmt.Errorf("store development secret key: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("store development secret key: %w", err)
	}
	c.SecretKey = key
	c.secretGenerated = true
	return nil
}

// loadStoredSecretKey reads the development key kept in the data folder and
// reports whether there was one.
func (c *Config) loadStoredSecretKey() bool {
	b, err := os.ReadFile(filepath.Join(c.DataDir, "secret_key"))
	if key := strings.TrimSpace(string(b)); err == nil && len(key) >= 32 {
		c.SecretKey = key
		c.secretGenerated = true
		return true
	}
	return false
}

// describe writes the effective configuration with secrets masked.
func (c *Config) describe(w io.Writer) {
	kind, _ := c.databaseKind()
	db := c.DatabaseURL
	if db == "" {
		db = "sqlite:" + c.sqlitePath() + " (default)"
	}
	redisURL := "(not set)"
	if c.RedisURL != "" {
		redisURL = maskURL(c.RedisURL)
	}
	layer, why := c.layerChoice()
	secret := "(not set: a development key is generated on the first serve)"
	switch {
	case c.SecretKey != "" && c.secretGenerated:
		secret = "******** (generated, stored in " + filepath.Join(c.DataDir, "secret_key") + ")"
	case c.SecretKey != "":
		secret = "********"
	}
	origins := "(same host; localhost in development)"
	if len(c.AllowedOrigins) > 0 {
		origins = strings.Join(c.AllowedOrigins, ",")
	}
	rl := c.RateLimits
	if rl == "" {
		rl = "(defaults)"
	}
	fmt.Fprintf(w, "NUMENEON_ENV     %s\n", c.Env)
	fmt.Fprintf(w, "PORT             %d\n", c.Port)
	fmt.Fprintf(w, "DATABASE_URL     %s [%s]\n", maskURL(db), kind)
	fmt.Fprintf(w, "REDIS_URL        %s\n", redisURL)
	fmt.Fprintf(w, "channel layer    %s (%s)\n", layer, why)
	fmt.Fprintf(w, "SECRET_KEY       %s\n", secret)
	fmt.Fprintf(w, "ALLOWED_ORIGINS  %s\n", origins)
	fmt.Fprintf(w, "WEB_CONCURRENCY  %d\n", c.Workers)
	fmt.Fprintf(w, "LOG_FORMAT       %s\n", c.LogFormat)
	fmt.Fprintf(w, "LOG_LEVEL        %s\n", c.LogLevel)
	if c.PprofAddr != "" {
		fmt.Fprintf(w, "PPROF_ADDR       %s\n", c.PprofAddr)
	}
	fmt.Fprintf(w, "RATE_LIMITS      %s\n", rl)
	fmt.Fprintf(w, "REFRESH_ROTATION %s\n", c.RefreshRotation)
	fmt.Fprintf(w, "PASSWORD_MIN_LENGTH %d\n", c.PasswordMinLength)
	if c.ClientIPHeader != "" {
		fmt.Fprintf(w, "CLIENT_IP_HEADER %s\n", c.ClientIPHeader)
	}
	fmt.Fprintf(w, "SOCKET_TOKEN_EXPIRY %s\n", c.SocketTokenExpiry)
	fmt.Fprintf(w, "SOCKETS_PER_USER %d\n", c.SocketsPerUser)
	fmt.Fprintf(w, "READYZ_CACHE     %v\n", c.ReadyzCache)
	c.describeMusic(w)
	c.describePush(w)
	fmt.Fprintf(w, "data folder      %s\n", c.DataDir)
}

// parseLevel reads LOG_LEVEL.
func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return 0, fmt.Errorf("LOG_LEVEL=%q: want debug, info, warn or error", s)
	}
	return l, nil
}

// maskURL hides the password of a URL.
func maskURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.String()
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}
