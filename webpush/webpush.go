// Package webpush implements numeneon.Pusher: Web Push (RFC 8030) with
// payload encryption (RFC 8291, aes128gcm) and VAPID (RFC 8292), through
// github.com/SherClockHolmes/webpush-go, which does the cryptography.
package webpush

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	wp "github.com/SherClockHolmes/webpush-go"

	"github.com/numeneon/numeneon"
)

// DefaultTTL is Config.TTL left at zero: how long a push service keeps a
// message for a device that is off.
const DefaultTTL = 24 * time.Hour

var _ numeneon.Pusher = (*Pusher)(nil)

// Keys is a VAPID key pair, base64url without padding as browsers take the
// public one (applicationServerKey): the public key is the 65-byte
// uncompressed P-256 point, the private key the 32-byte scalar.
type Keys struct {
	Public  string
	Private string
}

// GenerateKeys returns a fresh VAPID key pair.
func GenerateKeys() (Keys, error) {
	priv, pub, err := wp.GenerateVAPIDKeys()
	if err != nil {
		return Keys{}, fmt.Errorf("generate VAPID keys: %w", err)
	}
	return Keys{Public: pub, Private: priv}, nil
}

// decodeKey reads a base64url key, with or without padding.
func decodeKey(s string) ([]byte, error) {
	s = strings.TrimRight(strings.TrimSpace(s), "=")
	return base64.RawURLEncoding.DecodeString(s)
}

// Validate checks that k is a P-256 key pair whose halves belong together.
func (k Keys) Validate() error {
	pub, err := decodeKey(k.Public)
	if err != nil || len(pub) != 65 {
		return errors.New("the public key is not a base64url P-256 point (65 bytes)")
	}
	priv, err := decodeKey(k.Private)
	if err != nil || len(priv) != 32 {
		return errors.New("the private key is not a base64url P-256 scalar (32 bytes)")
	}
	key, err := ecdh.P256().NewPrivateKey(priv)
	if err != nil {
		return fmt.Errorf("the private key is not a P-256 key: %w", err)
	}
	if !bytes.Equal(key.PublicKey().Bytes(), pub) {
		return errors.New("the public key does not belong to the private key")
	}
	return nil
}

// Config is what a Pusher needs. Zero values of the optional fields are the
// documented defaults.
type Config struct {
	Keys Keys
	// Subject is the contact push services may use about this server: a
	// mailto: address or an https: URL (VAPID_SUBJECT).
	Subject string
	// TTL is how long a push service keeps an undelivered message
	// (DefaultTTL).
	TTL time.Duration
	// HTTPClient sends the requests (a client of its own when nil). The
	// caller's context bounds each request.
	HTTPClient *http.Client
}

// Pusher sends Web Push messages. It is safe for concurrent use.
type Pusher struct {
	opts wp.Options
}

// New returns a Pusher after checking cfg's keys and subject.
func New(cfg Config) (*Pusher, error) {
	if err := cfg.Keys.Validate(); err != nil {
		return nil, fmt.Errorf("VAPID keys: %w", err)
	}
	subject := cfg.Subject
	switch {
	case strings.HasPrefix(subject, "mailto:") && len(subject) > len("mailto:"):
		// The library adds "mailto:" to anything that is not https:.
		subject = strings.TrimPrefix(subject, "mailto:")
	case strings.HasPrefix(subject, "https://") && len(subject) > len("https://"):
	default:
		return nil, fmt.Errorf("VAPID subject %q: want mailto:you@example.com or an https:// URL", cfg.Subject)
	}
	if cfg.TTL <= 0 {
		cfg.TTL = DefaultTTL
	}
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{}
	}
	return &Pusher{opts: wp.Options{
		HTTPClient:      hc,
		Subscriber:      subject,
		TTL:             int(cfg.TTL / time.Second),
		Urgency:         wp.UrgencyNormal,
		VAPIDPublicKey:  cfg.Keys.Public,
		VAPIDPrivateKey: cfg.Keys.Private,
	}}, nil
}

// Push implements numeneon.Pusher.
func (p *Pusher) Push(ctx context.Context, sub *numeneon.PushSubscription, payload []byte) error {
	opts := p.opts
	// A JWT per request, valid for an hour: push services refuse one
	// valid for more than 24 hours.
	opts.VapidExpiration = time.Now().Add(time.Hour)
	resp, err := wp.SendNotificationWithContext(ctx, payload, &wp.Subscription{
		Endpoint: sub.Endpoint,
		Keys:     wp.Keys{Auth: sub.Auth, P256dh: sub.P256dh},
	}, &opts)
	if err != nil {
		if ctx.Err() != nil || isNetError(err) {
			return fmt.Errorf("push to %s: %w: %w", host(sub.Endpoint), numeneon.Errorf(numeneon.EUNAVAILABLE, "push service unreachable"), err)
		}
		return fmt.Errorf("push to %s: %w: %w", host(sub.Endpoint), numeneon.Errorf(numeneon.EINVALID, "subscription unusable"), err)
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, 4096))
	switch s := resp.StatusCode; {
	case s >= 200 && s < 300:
		return nil
	case s == http.StatusNotFound || s == http.StatusGone:
		return fmt.Errorf("push to %s: %w", host(sub.Endpoint), numeneon.Errorf(numeneon.ENOTFOUND, "subscription gone (%d)", s))
	case s == http.StatusTooManyRequests || s >= 500:
		err := fmt.Errorf("push to %s: %w", host(sub.Endpoint), numeneon.Errorf(numeneon.EUNAVAILABLE, "push service answered %d", s))
		if d, ok := retryAfter(resp.Header.Get("Retry-After")); ok {
			return &retryError{err: err, after: d}
		}
		return err
	default:
		return fmt.Errorf("push to %s: %w", host(sub.Endpoint), numeneon.Errorf(numeneon.EINVALID, "push service refused the message (%d)", s))
	}
}

// retryError is an EUNAVAILABLE push error with the service's Retry-After.
type retryError struct {
	err   error
	after time.Duration
}

func (e *retryError) Error() string             { return e.err.Error() }
func (e *retryError) Unwrap() error             { return e.err }
func (e *retryError) RetryAfter() time.Duration { return e.after }

var _ numeneon.PushRetryAfter = (*retryError)(nil)

// retryAfter reads a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second, true
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0), true
	}
	return 0, false
}

// isNetError reports whether err came from sending the request (no
// answer): http.Client returns those as *url.Error, while the library's
// own failures (keys it cannot use) come before any request.
func isNetError(err error) bool {
	var ue *url.Error
	return errors.As(err, &ue)
}

// host returns the push service's host, for logs: the endpoint's path is a
// device's capability and stays out of them.
func host(endpoint string) string {
	rest, ok := strings.CutPrefix(endpoint, "https://")
	if !ok {
		rest = strings.TrimPrefix(endpoint, "http://")
	}
	h, _, _ := strings.Cut(rest, "/")
	return h
}
