package realtime

import (
	"context"

	"github.com/numeneon/numeneon"
)

// Rules are the business rules the hub asks about; it keeps the sockets,
// not the rules. The application service implements them.
type Rules interface {
	// TypingEvent returns the envelope that tells user to that user from
	// is typing. A refusal is a *numeneon.Error (EFORBIDDEN: not friends;
	// EINVALID) whose message the client may see; any other error is
	// internal. It may block on the store until ctx ends, and is called
	// concurrently.
	TypingEvent(ctx context.Context, from, to int64) (numeneon.Envelope, error)
	// PresenceAudience returns the users who hear that userID came online
	// or went offline. It may block on the store until ctx ends, and is
	// called concurrently; on error nobody is told.
	PresenceAudience(ctx context.Context, userID int64) ([]int64, error)
}
