package numeneon

import "context"

// Layer is the channel layer: it moves envelopes from the process that raised
// them to every process holding a socket of the target user. Implementations:
// inmem (one process only) and redis (any number of processes and machines).
//
// Delivery is at most once: an envelope published while a subscriber is
// disconnected from the broker is lost. Completeness comes from the store:
// every stored event has a per-user id, and the local hub replays from the
// store when it notices a gap or when the layer reports a reconnect.
type Layer interface {
	// Listen registers the receiver of envelopes for users this process is
	// subscribed to. It is called once, before the first Subscribe.
	Listen(h LayerHandler)
	// Publish hands envelopes to the broker and returns once they are sent
	// (not once they are delivered). It never waits for subscribers. Safe for
	// concurrent use. It returns an error if the broker cannot be reached
	// before ctx ends; the events stay in the store either way.
	Publish(ctx context.Context, envs ...Envelope) error
	// Subscribe makes this process receive the envelopes of these users. It is
	// idempotent per user and safe for concurrent use. An error means the
	// subscription may not be in place; the caller may retry.
	Subscribe(ctx context.Context, userIDs ...int64) error
	// Unsubscribe stops the envelopes of these users. Idempotent.
	Unsubscribe(ctx context.Context, userIDs ...int64) error
	// Close stops the layer and waits for its goroutines.
	Close() error
}

// LayerHandler receives what the layer delivers. Its methods are called from
// the layer's own goroutine, one call at a time, and must not block.
type LayerHandler interface {
	// DeliverEnvelope is called for every envelope of a subscribed user.
	DeliverEnvelope(env Envelope)
	// LayerReconnected is called after the layer lost its broker connection
	// and subscribed again: envelopes may have been lost in between, so the
	// receiver catches up from the store.
	LayerReconnected()
}

// Presence tracks which users have at least one socket open anywhere (on any
// process). Implementations: inmem (one process) and redis (shared, with
// expiring per-process heartbeats so a process that dies does not leave its
// users online forever).
type Presence interface {
	// Connect records a socket of userID on this process. It reports whether
	// the user had no socket anywhere before (came online).
	Connect(ctx context.Context, userID int64) (cameOnline bool, err error)
	// Disconnect records that this process holds no more sockets of userID.
	// It reports whether the user now has no socket anywhere (went offline).
	Disconnect(ctx context.Context, userID int64) (wentOffline bool, err error)
	// Online reports whether the user has a socket open on any process
	// now, in one round trip at most (a process that died without saying
	// so counts until it is found dead). An error means it cannot tell.
	// Safe for concurrent use.
	Online(ctx context.Context, userID int64) (bool, error)
	// OnlineAmong is Online for many users in one round trip: it returns
	// the users of userIDs that are online (absent means offline). Safe
	// for concurrent use.
	OnlineAmong(ctx context.Context, userIDs []int64) (map[int64]bool, error)
	// Listen registers fn, called (from the presence's own goroutine) with the
	// users that went offline because the process that held their sockets
	// stopped without saying so. Called once, before the first Connect.
	Listen(fn func(userIDs []int64))
	// Close stops heartbeats and removes this process's entries.
	Close() error
}
