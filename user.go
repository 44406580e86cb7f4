package numeneon

import (
	"context"
	"time"
)

// User is an account with its profile. Which fields the client sees depends on
// who is looking (the api package decides: email only for the user itself).
type User struct {
	ID           int64
	Username     string
	Email        string
	FirstName    string
	LastName     string
	PasswordHash string // argon2id, or a Django pbkdf2_sha256 hash until the next login
	IsActive     bool
	DateJoined   time.Time
	Profile      Profile
}

// Profile is the public part of an account a user edits.
type Profile struct {
	ID        int64
	Bio       string
	Avatar    *string // nil when unset; rendered as null
	Location  string
	Website   string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// ProfileUpdate lists the fields a PATCH changes; nil means "leave as is".
// Avatar set to a pointer to "" clears the avatar.
type ProfileUpdate struct {
	Bio       *string
	Avatar    *string
	Location  *string
	Website   *string
	FirstName *string
	LastName  *string
}

// Page bounds a list. Limit <= 0 means the endpoint's default; Before > 0
// returns only items whose id is smaller (a cursor for older items).
type Page struct {
	Limit  int
	Before int64
}

type userContextKey struct{}

// NewContextWithUser returns a copy of ctx that carries the acting user.
func NewContextWithUser(ctx context.Context, u *User) context.Context {
	return context.WithValue(ctx, userContextKey{}, u)
}

// UserFromContext returns the acting user, or nil for an anonymous request.
func UserFromContext(ctx context.Context) *User {
	u, _ := ctx.Value(userContextKey{}).(*User)
	return u
}

// UserIDFromContext returns the acting user's id, or 0 when anonymous.
func UserIDFromContext(ctx context.Context) int64 {
	if u := UserFromContext(ctx); u != nil {
		return u.ID
	}
	return 0
}
