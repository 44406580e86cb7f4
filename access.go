package numeneon

import "time"

// AccessGrant is what a verified access token allows its bearer: who it
// names, and until when.
type AccessGrant struct {
	User *User
	// ExpiresAt is the first instant the token is refused: its exp plus the
	// leeway every check of a token allows. The REST API and the WebSocket
	// handshake refuse it from then on. Zero: never.
	ExpiresAt time.Time
	// SignedInUntil is when the sign-in that issued the token ends at the
	// latest: the token's iat plus the refresh-token lifetime, after which
	// no refresh token of that sign-in can get a fresh access token (an
	// approximation: the refresh token that led to this access token may be
	// younger than the sign-in). Zero: never.
	SignedInUntil time.Time
}
