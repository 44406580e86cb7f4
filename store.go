package numeneon

import (
	"context"
	"time"
)

// Store is the persistent state of NUMENEON, implemented by the sqlite and
// postgres packages and checked by one conformance suite (storetest).
//
// Stores hold data, not rules: permission checks, validation and the choice of
// which events a change raises live in the app package. Every method is safe
// for concurrent use. Driver errors are mapped to domain codes at the store:
// a missing row is ENOTFOUND, a unique violation ECONFLICT, anything else an
// EINTERNAL-coded error that wraps the cause.
//
// List methods return items in the order documented on each and never more
// than the page's limit (a store default of 100 applies to Limit <= 0).
type Store interface {
	StoryStore
	PostStore
	StudioStore
	PushStore
	SafetyStore
	// Update runs fn in one read-write transaction and commits it when fn
	// returns nil. It returns fn's error (after rolling back) or the commit's.
	// fn may be run again after a transient failure (a serialization failure
	// or a deadlock), so it must not have effects outside tx other than
	// recording what tx returned. Update blocks until the commit is durable.
	//
	// Inside fn, use tx only: every Store method (Update included) called
	// with fn's ctx fails with ErrCallInsideUpdate, on every database.
	Update(ctx context.Context, fn func(ctx context.Context, tx Tx) error) error

	// FindUserByID returns the user with the given id, or ENOTFOUND.
	FindUserByID(ctx context.Context, id int64) (*User, error)
	// FindUserByUsername returns the user with exactly this username, or ENOTFOUND.
	FindUserByUsername(ctx context.Context, username string) (*User, error)
	// FindUserByEmail matches the email case-insensitively, or returns ENOTFOUND.
	FindUserByEmail(ctx context.Context, email string) (*User, error)
	// SearchUsers returns up to limit users other than excludeID whose
	// username, first or last name contains q (case-insensitive, q taken
	// literally: % and _ are not wildcards), ordered by username. An empty q
	// returns the newest users, newest first. Users who blocked excludeID,
	// or whom excludeID blocked, are left out.
	SearchUsers(ctx context.Context, q string, excludeID int64, limit int) ([]*User, error)

	// ListFriends returns the user's friends ordered by id.
	ListFriends(ctx context.Context, userID int64, page Page) ([]*User, error)
	// FriendIDs returns the ids of all the user's friends (for fan-out).
	FriendIDs(ctx context.Context, userID int64) ([]int64, error)
	// AreFriends reports whether a and b are friends.
	AreFriends(ctx context.Context, a, b int64) (bool, error)
	// FriendSuggestions returns up to limit users who are not userID, not
	// friends of userID and have no pending request or block with userID
	// either way, newest first.
	FriendSuggestions(ctx context.Context, userID int64, limit int) ([]*User, error)
	// FindFriendRequest returns the pending request with that id, with
	// FromUser and ToUser filled, or ENOTFOUND.
	FindFriendRequest(ctx context.Context, id int64) (*FriendRequest, error)
	// ListIncomingFriendRequests returns pending requests to userID, newest
	// first, with FromUser filled.
	ListIncomingFriendRequests(ctx context.Context, userID int64, page Page) ([]*FriendRequest, error)

	// ListMessages returns the messages the user sent or received, ascending
	// by id: the newest page.Limit of those with id < page.Before (when set).
	// Sender and Receiver are filled.
	ListMessages(ctx context.Context, userID int64, page Page) ([]*Message, error)
	// ListConversation returns the messages between userID and otherID,
	// ascending by id, paged like ListMessages.
	ListConversation(ctx context.Context, userID, otherID int64, page Page) ([]*Message, error)
	// ListConversations returns one entry per user the caller has exchanged
	// messages with, newest last message first, in a fixed number of queries
	// whatever the number of conversations.
	ListConversations(ctx context.Context, userID int64, limit int) ([]*Conversation, error)

	// ListNotifications returns the user's stored notifications with id >
	// since, ascending by id, at most limit of them.
	ListNotifications(ctx context.Context, userID int64, since int64, limit int) ([]*Notification, error)
	// LastNotificationID returns the id of the user's newest committed
	// notification (0 when none), or ENOTFOUND for an unknown user. A socket
	// opened without a resume point starts from it, so that it can notice
	// gaps and duplicates from its first live event on.
	LastNotificationID(ctx context.Context, userID int64) (int64, error)

	// TokenRevoked reports whether the refresh token with this jti, or the
	// family it belongs to, was revoked (Tx.RevokeToken, Tx.RevokeTokenFamily)
	// (a token past its expiry may still be reported revoked).
	TokenRevoked(ctx context.Context, jti, family string) (bool, error)
	// TokensValidAfter returns the instant before which the user's tokens
	// are refused (the zero time when the user never ended their sessions),
	// or ENOTFOUND for an unknown user.
	TokensValidAfter(ctx context.Context, userID int64) (time.Time, error)

	// Ping checks that the database answers.
	Ping(ctx context.Context) error
	// Close releases the connections. It waits for running calls.
	Close() error
}

// Tx is a read-write transaction of a Store. It is used by one goroutine.
// Its methods return ENOTFOUND for missing rows and ECONFLICT for unique
// violations, like Store's.
type Tx interface {
	StoryTx
	PostTx
	StudioTx
	PushTx
	SafetyTx
	// CreateUser inserts u and its profile and sets u.ID, u.DateJoined,
	// u.Profile.ID and the profile timestamps. A taken username or email
	// (case-insensitively) is ECONFLICT, with Message naming the field
	// ("username" or "email").
	CreateUser(ctx context.Context, u *User) error
	// SetPasswordHash replaces the user's password hash.
	SetPasswordHash(ctx context.Context, userID int64, hash string) error
	// UpdateProfile applies the non-nil fields of upd and bumps updated_at.
	UpdateProfile(ctx context.Context, userID int64, upd ProfileUpdate) error

	// FindFriendRequestBetween returns the pending request from fromID to
	// toID, or ENOTFOUND.
	FindFriendRequestBetween(ctx context.Context, fromID, toID int64) (*FriendRequest, error)
	// CreateFriendRequest inserts a pending request and returns it (without
	// FromUser and ToUser). A pending request from fromID to toID is ECONFLICT.
	CreateFriendRequest(ctx context.Context, fromID, toID int64) (*FriendRequest, error)
	// DeleteFriendRequest removes a pending request, or returns ENOTFOUND.
	DeleteFriendRequest(ctx context.Context, id int64) error
	// AreFriends reports whether a and b are friends.
	AreFriends(ctx context.Context, a, b int64) (bool, error)
	// CreateFriendship makes a and b friends of each other. ECONFLICT if they
	// already are.
	CreateFriendship(ctx context.Context, a, b int64) error
	// DeleteFriendship ends the friendship of a and b, or returns ENOTFOUND.
	DeleteFriendship(ctx context.Context, a, b int64) error

	// CreateMessage inserts m and sets m.ID and m.CreatedAt. An unknown
	// sender or receiver is ENOTFOUND, from this call or, when the store
	// defers the insert to the commit, from Update.
	CreateMessage(ctx context.Context, m *Message) error
	// MarkMessagesRead marks every unread message from senderID to
	// receiverID read and returns how many changed and the largest id among
	// them (0 when none changed).
	MarkMessagesRead(ctx context.Context, receiverID, senderID int64) (marked, lastID int64, err error)

	// CreateNotification stores n for n.UserID and sets n.ID to the user's
	// next notification id and n.CreatedAt by the time Update returns (it
	// may set them earlier). It takes the per-user counter with a row lock,
	// so ids of one user are strictly increasing in commit order. An unknown
	// user is ENOTFOUND, from this call or from Update.
	CreateNotification(ctx context.Context, n *Notification) error
	// MarkNotificationsRead marks the user's unread notifications with
	// id <= upTo read and returns how many changed.
	MarkNotificationsRead(ctx context.Context, userID, upTo int64) (int64, error)

	// RevokeToken records that the refresh token with this jti is used up.
	// Revoking a jti twice is ECONFLICT: that is how refresh rotation stops
	// a replayed token. Rows past expiresAt may be purged.
	RevokeToken(ctx context.Context, jti string, expiresAt time.Time) error
	// RevokeTokenFamily records that every refresh token of this family
	// (a login and every token rotated from it) is refused until expiresAt.
	// Revoking a family again is not an error; the later expiry is kept.
	// Revocations past their expiry are purged along the way, so the table
	// holds only families that could still present a token.
	RevokeTokenFamily(ctx context.Context, family string, expiresAt time.Time) error
	// SetTokensValidAfter makes the user's tokens issued before t refused
	// (Store.TokensValidAfter) and returns the instant now stored. It never
	// moves back: a t earlier than the stored one changes nothing, and the
	// stored one is returned. An unknown user is ENOTFOUND.
	SetTokensValidAfter(ctx context.Context, userID int64, t time.Time) (time.Time, error)
}
