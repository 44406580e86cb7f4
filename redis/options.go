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
	// HeartbeatInterval is how often a Presence refreshes its node heartbeat
	// (one command). A node whose heartbeat is older than 3 intervals is
	// dead; every 5th beat a node scans for dead ones, so a dead node's
	// users are reported offline within about 8 intervals. The idle cost of
	// a process is 1.6 commands per interval, counted as Redis counts; the
	// Layer's subscriber connection costs none (TCP keepalive watches it).
	// Default 60s.
	HeartbeatInterval time.Duration
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
		o.HeartbeatInterval = 60 * time.Second
	}
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
