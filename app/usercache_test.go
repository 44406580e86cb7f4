package app_test

import (
	"testing"

	"github.com/numeneon/numeneon"
)

// TestProfileChangeIsSeenAtOnce: users are cached for authentication and
// messages, but a change made through this process is visible on the next
// request, in what a message shows of its receiver and in the
// authenticated user.
func TestProfileChangeIsSeenAtOnce(t *testing.T) {
	e := mustOpenEnv(t)
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")
	access, err := e.tokens.IssueAccess(bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	// Warm the cache: authenticate and message.
	if _, _, err := e.svc.AuthenticateAccess(t.Context(), access); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendMessage(as(alice), bob.ID, "hi", nil); err != nil {
		t.Fatal(err)
	}
	first := "Bobby"
	if _, err := e.svc.UpdateProfile(as(bob), numeneon.ProfileUpdate{FirstName: &first}); err != nil {
		t.Fatal(err)
	}
	m, err := e.svc.SendMessage(as(alice), bob.ID, "again", nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Receiver.FirstName != "Bobby" {
		t.Errorf("receiver first name after the change = %q, want Bobby", m.Receiver.FirstName)
	}
	u, _, err := e.svc.AuthenticateAccess(t.Context(), access)
	if err != nil || u.FirstName != "Bobby" {
		t.Errorf("authenticated user = %+v, %v; want first name Bobby", u, err)
	}
}
