// Package storetest is the conformance suite of numeneon.Store. Every store
// implementation (sqlite, postgres) runs it from its own tests, so the two
// databases behave the same to the app package: same orders, same paging,
// same error codes, same per-user notification ids.
//
// The suite speaks only through the numeneon.Store and numeneon.Tx
// interfaces; nothing in it knows which database is underneath.
package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/numeneon/numeneon"
)

// Opener returns a fresh, migrated, empty store. The opener registers the
// store's Close with t.Cleanup.
type Opener func(t *testing.T) numeneon.Store

// Run runs the whole conformance suite against the stores open returns. Each
// subtest opens its own store, so subtests never see each other's rows.
func Run(t *testing.T, open func(t *testing.T) numeneon.Store) {
	t.Helper()
	subjects := []struct {
		name string
		run  func(t *testing.T, open Opener)
	}{
		{"Users", testUsers},
		{"Profile", testProfile},
		{"FriendRequests", testFriendRequests},
		{"Friendships", testFriendships},
		{"Messages", testMessages},
		{"Conversations", testConversations},
		{"Notifications", testNotifications},
		{"Stories", testStories},
		{"Posts", testPosts},
		{"Studio", testStudio},
		{"PushSubscriptions", testPushSubscriptions},
		{"Blocks", testBlocks},
		{"Reports", testReports},
		{"AccountAdmin", testAccountAdmin},
		{"Tokens", testTokens},
		{"TokenFamilies", testTokenFamilies},
		{"TokensValidAfter", testTokensValidAfter},
		{"Tx", testTx},
	}
	for _, s := range subjects {
		t.Run(s.name, func(t *testing.T) { s.run(t, open) })
	}
}

// update runs fn in one transaction and fails the test if it returns an error.
func update(t *testing.T, s numeneon.Store, fn func(ctx context.Context, tx numeneon.Tx) error) {
	t.Helper()
	if err := s.Update(context.Background(), fn); err != nil {
		t.Fatalf("Update: %v", err)
	}
}

// newUser returns an unsaved active user whose email derives from username.
func newUser(username string) *numeneon.User {
	return &numeneon.User{
		Username:     username,
		Email:        username + "@example.com",
		FirstName:    "First " + username,
		LastName:     "Last " + username,
		PasswordHash: "argon2id$" + username,
		IsActive:     true,
	}
}

// createUser stores newUser(username) and returns it with its ids set.
func createUser(t *testing.T, s numeneon.Store, username string) *numeneon.User {
	t.Helper()
	u := newUser(username)
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, u) })
	return u
}

// createUsers stores one user per name, in order (so ids and join times
// increase in that order).
func createUsers(t *testing.T, s numeneon.Store, names ...string) []*numeneon.User {
	t.Helper()
	users := make([]*numeneon.User, len(names))
	for i, n := range names {
		users[i] = createUser(t, s, n)
	}
	return users
}

// wantCode fails the test unless err carries the domain code want.
func wantCode(t *testing.T, err error, want, what string) {
	t.Helper()
	if got := numeneon.ErrorCode(err); got != want {
		t.Fatalf("%s: error code = %q (err: %v), want %q", what, got, err, want)
	}
}

// usernames lists the usernames of users, for readable diffs.
func usernames(users []*numeneon.User) []string {
	out := make([]string, 0, len(users))
	for _, u := range users {
		out = append(out, u.Username)
	}
	return out
}

// diff fails the test when got differs from want.
func diff(t *testing.T, what string, want, got any, opts ...cmp.Option) {
	t.Helper()
	if d := cmp.Diff(want, got, opts...); d != "" {
		t.Fatalf("%s mismatch (-want +got):\n%s", what, d)
	}
}

// checkTimestamp fails unless ts is a plausible store-assigned time: set, in
// UTC, with no precision below a microsecond (what both databases keep), and
// not off by a time zone.
func checkTimestamp(t *testing.T, what string, ts time.Time) {
	t.Helper()
	if ts.IsZero() {
		t.Fatalf("%s is zero", what)
	}
	if ts.Location() != time.UTC {
		t.Fatalf("%s = %v, want UTC location", what, ts)
	}
	if !ts.Equal(ts.Truncate(time.Microsecond)) {
		t.Fatalf("%s = %v has sub-microsecond precision the database cannot keep", what, ts)
	}
	// A generous window: this catches local-time and unit bugs, not slowness.
	if now := time.Now(); ts.Before(now.Add(-time.Hour)) || ts.After(now.Add(time.Hour)) {
		t.Fatalf("%s = %v, want close to now (%v)", what, ts, now.UTC())
	}
}

// jsonEqual compares JSON documents by value, since a database may reformat
// them (PostgreSQL jsonb reorders keys and drops spaces).
func jsonEqual(t *testing.T, what string, want, got json.RawMessage) {
	t.Helper()
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		t.Fatalf("%s: bad wanted JSON %s: %v", what, want, err)
	}
	if err := json.Unmarshal(got, &g); err != nil {
		t.Fatalf("%s: stored JSON %q does not parse: %v", what, got, err)
	}
	diff(t, what, w, g)
}

func name(format string, args ...any) string { return fmt.Sprintf(format, args...) }
