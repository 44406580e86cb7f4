package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/auth"
)

func befriend(t *testing.T, e *env, a, b *numeneon.User) {
	t.Helper()
	err := e.store.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateFriendship(ctx, a.ID, b.ID)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// A friend gets a typing event naming who types; anyone else, or oneself,
// is refused with a message the client can be shown.
func TestTypingEvent(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	alice, bob, carol := e.createUser(t, "alice"), e.createUser(t, "bob"), e.createUser(t, "carol")
	befriend(t, e, alice, bob)

	env, err := e.svc.TypingEvent(ctx, alice.ID, bob.ID)
	if err != nil {
		t.Fatalf("typing to a friend: %v", err)
	}
	want := fmt.Sprintf(`{"type":"typing","data":{"user":{"id":%d,"username":"alice"}}}`, alice.ID)
	if env.UserID != bob.ID || env.ID != 0 || string(env.Frame) != want {
		t.Errorf("envelope = to %d, id %d, %s; want to %d, id 0, %s", env.UserID, env.ID, env.Frame, bob.ID, want)
	}

	_, err = e.svc.TypingEvent(ctx, alice.ID, carol.ID)
	wantCode(t, err, numeneon.EFORBIDDEN)
	_, err = e.svc.TypingEvent(ctx, alice.ID, alice.ID)
	wantCode(t, err, numeneon.EINVALID)
}

// A user's presence is heard by the user's friends, and nobody else.
func TestPresenceAudience(t *testing.T) {
	e := mustOpenEnv(t)
	alice, bob, carol := e.createUser(t, "alice"), e.createUser(t, "bob"), e.createUser(t, "carol")
	e.createUser(t, "dave") // a stranger
	befriend(t, e, alice, bob)
	befriend(t, e, carol, alice)
	got, err := e.svc.PresenceAudience(context.Background(), alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(got)
	if want := []int64{bob.ID, carol.ID}; !slices.Equal(got, want) {
		t.Errorf("audience of alice = %v, want %v", got, want)
	}
}

// A socket's token lasts exactly as long as the REST API accepts it, and
// its sign-in one refresh lifetime from the token's issue.
func TestAuthenticateSocket(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	alice := e.createUser(t, "alice")
	issued := time.Now().Add(-time.Hour - 10*time.Second).Truncate(time.Second)
	e.tokens.Now = func() time.Time { return issued }
	token, err := e.tokens.IssueAccess(alice.ID)
	e.tokens.Now = nil
	if err != nil {
		t.Fatal(err)
	}
	// Expired ten seconds ago, still within the leeway: REST accepts it.
	if _, _, err := e.svc.AuthenticateAccess(ctx, token); err != nil {
		t.Fatalf("AuthenticateAccess: %v", err)
	}
	g, err := e.svc.AuthenticateSocket(ctx, token)
	if err != nil {
		t.Fatalf("AuthenticateSocket: %v", err)
	}
	claims, err := e.tokens.Parse(token, auth.TokenAccess)
	if err != nil {
		t.Fatal(err)
	}
	if g.User.ID != alice.ID {
		t.Errorf("user = %d, want %d", g.User.ID, alice.ID)
	}
	if want := auth.AcceptedUntil(claims); !g.ExpiresAt.Equal(want) || !g.ExpiresAt.After(time.Now()) {
		t.Errorf("ExpiresAt = %v, want %v (the token's exp plus the leeway, still ahead)", g.ExpiresAt, want)
	}
	if want := issued.Add(e.tokens.RefreshTTL); !g.SignedInUntil.Equal(want) {
		t.Errorf("SignedInUntil = %v, want %v", g.SignedInUntil, want)
	}

	_, err = e.svc.AuthenticateSocket(ctx, "not a token")
	wantCode(t, err, numeneon.EUNAUTHORIZED)
}
