package redis

import (
	"cmp"
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"github.com/numeneon/numeneon"
)

// Options configure a Layer or a Presence. The zero value of every field but
// URL is a documented default.
type Options struct {
	// URL of the server: redis://[user:password@]host:port/db, or rediss://
	// for TLS (hosted Redis such as Upstash). Required.
	URL string
	// Prefix of every key and channel, so that several deployments (or
	// tests) can share one server. Default "numeneon:".
	Prefix string
	// Logger receives connection losses and reconnects. Default slog.Default().
	Logger *slog.Logger
	// HeartbeatInterval is how often a Presence publishes its beat, its one
	// command per interval while idle (the subscriber connections of the
	// Layer and the Presence cost none: TCP keepalive watches them). Default
	// DefaultHeartbeatInterval, 40s: 1.5 commands a minute per process.
	HeartbeatInterval time.Duration
	// SuspectAfter is how long a Presence node may go unheard before another
	// checks it; if Redis no longer counts its subscriber connection, its
	// process is dead and its users are reported offline. Nodes look for
	// silent ones six times per SuspectAfter, so a killed process's users are
	// reported offline within 7/6 SuspectAfter of its last beat. Default 1.5
	// HeartbeatInterval (60s; 70s in all).
	SuspectAfter time.Duration
	// StaleAfter is how long a node may go unheard before it is reported
	// dead even though Redis still counts its subscriber connection: its
	// machine vanished without closing it. Default 8 HeartbeatInterval
	// (about 5 minutes).
	StaleAfter time.Duration
	// TLSConfig overrides the TLS settings of a rediss:// URL, e.g. to trust
	// a private CA. The server name defaults to the URL's host. Setting it
	// with a redis:// URL is an error: it would silently not be used.
	TLSConfig *tls.Config
	// ResubscribeBatch is how many channels one SUBSCRIBE carries when a
	// layer subscribes again after a reconnect. Default 1000.
	ResubscribeBatch int
	// MaxPublishBatch bounds the envelopes sent in one pipeline. Default 1024.
	MaxPublishBatch int
	// PublishTimeout bounds one pipeline of PUBLISH commands. Default 5s.
	PublishTimeout time.Duration
	// MaxReconnectDelay caps the backoff between attempts to reconnect the
	// subscriber connection. Default 5s.
	MaxReconnectDelay time.Duration
}

// DefaultHeartbeatInterval is the beat period when Options.HeartbeatInterval
// is zero.
const DefaultHeartbeatInterval = 40 * time.Second

// DefaultPrefix is the key and channel prefix used when Options.Prefix is empty.
const DefaultPrefix = "numeneon:"

// withDefaults returns o with every zero field set to its default.
func (o Options) withDefaults() Options {
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.HeartbeatInterval <= 0 {
		o.HeartbeatInterval = DefaultHeartbeatInterval
	}
	if o.SuspectAfter <= 0 {
		o.SuspectAfter = o.HeartbeatInterval * 3 / 2
	}
	if o.StaleAfter <= 0 {
		o.StaleAfter = 8 * o.HeartbeatInterval
	}
	o.StaleAfter = max(o.StaleAfter, o.SuspectAfter)
	if o.ResubscribeBatch <= 0 {
		o.ResubscribeBatch = 1000
	}
	if o.MaxPublishBatch <= 0 {
		o.MaxPublishBatch = 1024
	}
	if o.PublishTimeout <= 0 {
		o.PublishTimeout = 5 * time.Second
	}
	if o.MaxReconnectDelay <= 0 {
		o.MaxReconnectDelay = 5 * time.Second
	}
	return o
}

// clientOptions turns the URL into go-redis options tuned for a low command
// count: RESP2 without HELLO, no CLIENT SETINFO and no maintenance
// notifications on connect, so a connection costs no command beyond AUTH and
// SELECT when the URL asks for them.
func (o Options) clientOptions() (*goredis.Options, error) {
	if o.URL == "" {
		return nil, numeneon.Errorf(numeneon.EINVALID, "redis: URL is required")
	}
	u, err := url.Parse(o.URL)
	if err != nil {
		return nil, numeneon.Errorf(numeneon.EINVALID, "redis: cannot parse URL %q", redact(o.URL))
	}
	if u.Scheme != "redis" && u.Scheme != "rediss" {
		return nil, numeneon.Errorf(numeneon.EINVALID, "redis: URL scheme must be redis:// or rediss://, not %q", u.Scheme)
	}
	opt, err := goredis.ParseURL(o.URL)
	if err != nil {
		return nil, fmt.Errorf("parse redis URL %s: %w: %w", redact(o.URL),
			numeneon.Errorf(numeneon.EINVALID, "redis: invalid URL"), err)
	}
	if o.TLSConfig != nil {
		if opt.TLSConfig == nil {
			return nil, numeneon.Errorf(numeneon.EINVALID, "redis: TLSConfig is set but the URL is redis://, use rediss://")
		}
		cfg := o.TLSConfig.Clone()
		if cfg.ServerName == "" {
			cfg.ServerName = opt.TLSConfig.ServerName
		}
		if cfg.MinVersion == 0 {
			cfg.MinVersion = tls.VersionTLS12
		}
		opt.TLSConfig = cfg
	}
	opt.Dialer = keepAliveDialer(cmp.Or(opt.DialTimeout, 5*time.Second), opt.TLSConfig)
	opt.Protocol = 2
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	return opt, nil
}

// keepAlive is the TCP keepalive of every connection. It is what notices a
// dead peer or a network partition on the idle subscriber connection, at no
// Redis command: probes start after 30s of silence and the connection is
// dropped after 3 unanswered ones 10s apart, about a minute in all. A server
// that is frozen but whose kernel still answers (SIGSTOP) is not noticed;
// nothing is delivered meanwhile anyway, publishes fail and are kept for
// later, and the connection works again when the server resumes.
var keepAlive = net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3}

// keepAliveDialer dials TCP, or TLS when tlsConfig is set, with keepAlive.
func keepAliveDialer(timeout time.Duration, tlsConfig *tls.Config) func(ctx context.Context, network, addr string) (net.Conn, error) {
	nd := &net.Dialer{Timeout: timeout, KeepAliveConfig: keepAlive}
	if tlsConfig == nil {
		return nd.DialContext
	}
	td := &tls.Dialer{NetDialer: nd, Config: tlsConfig}
	return td.DialContext
}

// redact hides the password of a Redis URL for logs and errors.
func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(unparsable URL)"
	}
	return u.Redacted()
}

// unavailable marks err as the broker being unreachable, keeping the cause
// in the chain for the log.
func unavailable(op string, err error) error {
	return fmt.Errorf("%s: %w: %w", op, numeneon.Errorf(numeneon.EUNAVAILABLE, "channel layer unavailable"), err)
}

// errClosed is returned by calls on a closed Layer or Presence.
func errClosed(what string) error {
	return numeneon.Errorf(numeneon.EUNAVAILABLE, "redis %s closed", what)
}

// cloneOptions returns a copy of o: go-redis writes its defaults into the
// options it is given, and each client gets its own.
func cloneOptions(o *goredis.Options) *goredis.Options {
	c := *o
	return &c
}

// publisherOptions are the options of the publishing client. It does not
// retry: a pipeline retried after a partial write would deliver some
// envelopes twice, while a failed one leaves them in the store, from where
// the hub replays them.
func publisherOptions(o *goredis.Options) *goredis.Options {
	c := cloneOptions(o)
	c.MaxRetries = -1
	// One dial attempt: while Redis is away the publisher fails fast and
	// probes again shortly (see flush), instead of retrying each dial.
	c.DialerRetries = 1
	// Without it go-redis ignores the context's deadline and waits for its
	// own 3 s read timeout: a stalled Redis would hold every publish (and the
	// requests waiting on them) for that long instead of PublishTimeout.
	c.ContextTimeoutEnabled = true
	return c
}
