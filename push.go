package numeneon

import (
	"context"
	"time"
)

// PushSubscription is one browser or device that asked for Web Push
// (RFC 8030): where to send (Endpoint, the push service's URL) and the keys
// the payload is encrypted to (RFC 8291), base64url as the browser gives
// them. An endpoint belongs to one user at a time.
type PushSubscription struct {
	ID        int64
	UserID    int64
	Endpoint  string
	P256dh    string // the browser's P-256 public key
	Auth      string // the 16-byte authentication secret
	CreatedAt time.Time
}

// PushStore is the part of Store about push subscriptions.
type PushStore interface {
	// ListPushSubscriptions returns the user's subscriptions, oldest first.
	ListPushSubscriptions(ctx context.Context, userID int64) ([]*PushSubscription, error)
}

// PushTx is the part of Tx about push subscriptions.
type PushTx interface {
	// SavePushSubscription stores sub (setting sub.ID), or updates the
	// subscription with the same endpoint: its user and keys become sub's
	// (a browser that signs in as someone else keeps its endpoint), its
	// CreatedAt stays. An unknown user is ENOTFOUND.
	SavePushSubscription(ctx context.Context, sub *PushSubscription) error
	// DeletePushSubscription removes userID's subscription with this
	// endpoint, or returns ENOTFOUND when userID has none.
	DeletePushSubscription(ctx context.Context, userID int64, endpoint string) error
	// TrimPushSubscriptions deletes userID's oldest subscriptions beyond
	// the newest keep and returns how many it deleted.
	TrimPushSubscriptions(ctx context.Context, userID int64, keep int) (int, error)
}

// PushRetryAfter is implemented by a Push error whose push service said
// when to try again (429 or 503 with Retry-After).
type PushRetryAfter interface {
	RetryAfter() time.Duration
}

// Pusher sends Web Push messages. Implementation: webpush.
type Pusher interface {
	// Push encrypts payload for sub (RFC 8291), signs the request with the
	// server's VAPID key (RFC 8292) and posts it to sub's push service
	// (RFC 8030). It returns when the service answered or ctx ended.
	// Errors: ENOTFOUND when the service says the subscription is gone
	// (404, 410), so it should be deleted; EUNAVAILABLE when a later try
	// may succeed (429, 5xx, no answer before ctx ended; when the service
	// sent Retry-After, the error also implements PushRetryAfter); EINVALID for a
	// subscription that cannot be used (bad keys, a refused request).
	// Safe for concurrent use.
	Push(ctx context.Context, sub *PushSubscription, payload []byte) error
}
