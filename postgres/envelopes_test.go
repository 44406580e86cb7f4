package postgres_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/numeneon/numeneon"
)

// TestStoredEnvelopes reads notifications back by user and id, as the
// PostgreSQL layer does for events too long for a notification: the frames
// are those a socket gets on a replay, and refs that name nothing are left
// out.
func TestStoredEnvelopes(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	var users []*numeneon.User
	for _, name := range []string{"ada", "bob"} {
		u := &numeneon.User{Username: name, Email: name + "@example.com"}
		if err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
			t.Fatalf("create user: %v", err)
		}
		users = append(users, u)
	}
	long, _ := json.Marshal(map[string]string{"content": strings.Repeat("é\"", 5000)})
	var stored []*numeneon.Notification
	for _, n := range []*numeneon.Notification{
		{UserID: users[0].ID, Type: numeneon.EventNewMessage, Data: long},
		{UserID: users[1].ID, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{"id": 1}`)},
		{UserID: users[0].ID, Type: numeneon.EventNewMessage},
	} {
		if err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateNotification(ctx, n) }); err != nil {
			t.Fatalf("create notification: %v", err)
		}
		stored = append(stored, n)
	}
	refs := []numeneon.Envelope{
		{UserID: users[0].ID, ID: stored[0].ID},
		{UserID: users[1].ID, ID: stored[1].ID},
		{UserID: users[0].ID, ID: stored[2].ID},
		{UserID: users[1].ID, ID: 99}, // not stored
	}
	got, err := s.StoredEnvelopes(ctx, refs)
	if err != nil {
		t.Fatalf("StoredEnvelopes: %v", err)
	}
	want := []numeneon.Envelope{stored[0].Envelope(), stored[1].Envelope(), stored[2].Envelope()}
	byKey := cmpopts.SortSlices(func(a, b numeneon.Envelope) bool {
		return a.UserID < b.UserID || a.UserID == b.UserID && a.ID < b.ID
	})
	if diff := cmp.Diff(want, got, byKey); diff != "" {
		t.Errorf("envelopes (-want +got):\n%s", diff)
	}
}
