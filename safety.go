package numeneon

import (
	"context"
	"time"
)

// Report is a user's complaint about another user or about one of their
// messages, kept for the operator.
type Report struct {
	ID         int64
	ReporterID int64
	UserID     int64  // the reported user (a reported message's sender)
	MessageID  *int64 // the reported message; nil for a report of a user, or once the message is deleted
	Reason     string
	CreatedAt  time.Time

	// Filled by ListReports for the operator.
	ReporterUsername string
	Username         string
	MessageContent   *string // the message's content while it exists
}

// UserChange records that an account changed in a way every serving process
// must notice at once: a process forgets the user from its cache, and for
// ChangeDeactivated or ChangePassword ends the user's sockets.
type UserChange struct {
	Seq    int64 // increasing in commit order
	UserID int64
	Kind   string
}

// Kinds of UserChange.
const (
	ChangeProfile     = "profile"     // names, profile fields, avatar
	ChangeDeactivated = "deactivated" // the account was deactivated
	ChangeActivated   = "activated"   // the account was activated again
	ChangePassword    = "password"    // a new password: earlier tokens are refused
)

// SafetyStore is the part of Store about blocks, reports and account
// changes.
type SafetyStore interface {
	// Blocked reports whether a blocked b or b blocked a. It may run
	// concurrently and does not block beyond one indexed lookup.
	Blocked(ctx context.Context, a, b int64) (bool, error)
	// ListBlocked returns the users userID blocked, ascending by user id,
	// those with an id below page.Before when it is set.
	ListBlocked(ctx context.Context, userID int64, page Page) ([]*User, error)
	// FindMessage returns message id with SenderID, ReceiverID, Content and
	// CreatedAt (Sender, Receiver and Story not filled), or ENOTFOUND.
	FindMessage(ctx context.Context, id int64) (*Message, error)
	// ListReports returns the reports, newest first, those with an id below
	// page.Before when it is set, with the usernames and the message filled.
	ListReports(ctx context.Context, page Page) ([]*Report, error)
	// ListUsers returns users newest first (id below page.Before when set),
	// inactive ones included, for the operator.
	ListUsers(ctx context.Context, page Page) ([]*User, error)
	// UserChangesSince returns the changes with Seq > seq, ascending, at
	// most limit of them (the store default applies to limit <= 0).
	UserChangesSince(ctx context.Context, seq int64, limit int) ([]UserChange, error)
	// LastUserChange returns the Seq of the newest change, 0 when none: a
	// process starts watching from there.
	LastUserChange(ctx context.Context) (int64, error)
}

// SafetyTx is the part of Tx about blocks, reports and account changes.
type SafetyTx interface {
	// Blocked is SafetyStore.Blocked inside the transaction.
	Blocked(ctx context.Context, a, b int64) (bool, error)
	// CreateBlock records that blockerID blocked blockedID. Blocking twice
	// is ECONFLICT; an unknown user is ENOTFOUND.
	CreateBlock(ctx context.Context, blockerID, blockedID int64) error
	// DeleteBlock removes that block, or returns ENOTFOUND when there is
	// none.
	DeleteBlock(ctx context.Context, blockerID, blockedID int64) error
	// CreateReport stores r and sets r.ID and r.CreatedAt. An unknown user
	// or message is ENOTFOUND.
	CreateReport(ctx context.Context, r *Report) error
	// SetUserActive sets the user's IsActive, or returns ENOTFOUND.
	SetUserActive(ctx context.Context, userID int64, active bool) error
	// RecordUserChange appends a UserChange for userID and returns its
	// Seq. Changes older than an hour are purged along the way: a process
	// that falls that far behind has long forgotten its cached users.
	RecordUserChange(ctx context.Context, userID int64, kind string) (int64, error)
}
