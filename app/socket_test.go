package app_test

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/numeneon/numeneon"
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
