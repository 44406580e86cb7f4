package postgres_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/postgres"
)

// TestBatchOfMessageWrites runs several message writes in one Update, as
// group commit does, interleaving two receivers: every event must carry its
// message's id, each receiver's notifications must take consecutive ids in
// the order they were created, and the stored rows must match what the
// writes returned.
func TestBatchOfMessageWrites(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	alice, bob, carol := createUser(t, s, "alice"), createUser(t, s, "bob"), createUser(t, s, "carol")
	notifyUser(t, s, bob.ID) // bob's counter starts at 1, alice's at 0

	type write struct {
		to *numeneon.User
		m  *numeneon.Message
		n  *numeneon.Notification
	}
	var writes []write
	err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		writes = nil // Update may run this again
		for i, to := range []*numeneon.User{alice, bob, alice, alice, bob} {
			m := &numeneon.Message{SenderID: carol.ID, ReceiverID: to.ID, Content: fmt.Sprintf("m%d", i)}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			data, _ := json.Marshal(map[string]any{"id": m.ID, "created_at": m.CreatedAt})
			n := &numeneon.Notification{UserID: to.ID, Type: numeneon.EventNewMessage, Data: data}
			if err := tx.CreateNotification(ctx, n); err != nil {
				return err
			}
			writes = append(writes, write{to, m, n})
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}

	var gotIDs []int64
	for i, w := range writes {
		gotIDs = append(gotIDs, w.n.ID)
		if i > 0 && w.m.ID <= writes[i-1].m.ID {
			t.Errorf("message %d has id %d, not above the previous %d", i, w.m.ID, writes[i-1].m.ID)
		}
	}
	if d := cmp.Diff([]int64{1, 2, 2, 3, 3}, gotIDs); d != "" {
		t.Errorf("notification ids in creation order (-want +got):\n%s", d)
	}

	for _, u := range []*numeneon.User{alice, bob} {
		stored, err := s.ListNotifications(ctx, u.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var want []*numeneon.Notification
		if u == bob {
			want = append(want, stored[0]) // the one from before
		}
		for _, w := range writes {
			if w.to == u {
				want = append(want, w.n)
			}
		}
		if d := cmp.Diff(want, stored); d != "" {
			t.Errorf("%s's stored notifications (-returned +stored):\n%s", u.Username, d)
		}
	}
	thread, err := s.ListMessages(ctx, carol.ID, numeneon.Page{})
	if err != nil {
		t.Fatal(err)
	}
	for i, m := range thread {
		m.Sender, m.Receiver = nil, nil
		if d := cmp.Diff(writes[i].m, m); d != "" {
			t.Errorf("stored message %d (-returned +stored):\n%s", i, d)
		}
	}
}

// TestQueuedWritesVisibleToLaterCalls checks that a statement run after
// CreateMessage and CreateNotification in the same transaction sees them.
func TestQueuedWritesVisibleToLaterCalls(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
	var markedMessages, markedNotes int64
	var n *numeneon.Notification
	err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.CreateMessage(ctx, &numeneon.Message{SenderID: alice.ID, ReceiverID: bob.ID, Content: "hi"}); err != nil {
			return err
		}
		n = &numeneon.Notification{UserID: bob.ID, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{}`)}
		if err := tx.CreateNotification(ctx, n); err != nil {
			return err
		}
		var err error
		if markedMessages, _, err = tx.MarkMessagesRead(ctx, bob.ID, alice.ID); err != nil {
			return err
		}
		markedNotes, err = tx.MarkNotificationsRead(ctx, bob.ID, 1)
		return err
	})
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	if markedMessages != 1 || markedNotes != 1 {
		t.Fatalf("marked %d messages and %d notifications read in the writing transaction, want 1 and 1", markedMessages, markedNotes)
	}
	stored, err := s.ListNotifications(ctx, bob.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(stored) != 1 || stored[0].ID != n.ID || !stored[0].Read {
		t.Fatalf("bob's notifications = %+v, want id %d read", stored, n.ID)
	}
}

// TestUnknownUserFailsUpdate checks what the deferred writes change for
// callers: a message or notification naming an unknown user is reported by
// Update, even when fn ignored an error from a later call, and nothing of the
// transaction stays, not even a counter step of a known user.
func TestUnknownUserFailsUpdate(t *testing.T) {
	s := MustOpenStore(t)
	ctx := context.Background()
	alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
	const unknown = 1 << 40
	for _, tc := range []struct {
		name string
		bad  func(ctx context.Context, tx numeneon.Tx) error
	}{
		{"MessageToUnknown", func(ctx context.Context, tx numeneon.Tx) error {
			return tx.CreateMessage(ctx, &numeneon.Message{SenderID: alice.ID, ReceiverID: unknown, Content: "hi"})
		}},
		{"MessageFromUnknown", func(ctx context.Context, tx numeneon.Tx) error {
			return tx.CreateMessage(ctx, &numeneon.Message{SenderID: unknown, ReceiverID: alice.ID, Content: "hi"})
		}},
		{"NotificationForUnknown", func(ctx context.Context, tx numeneon.Tx) error {
			return tx.CreateNotification(ctx, &numeneon.Notification{UserID: unknown, Type: "x", Data: json.RawMessage(`{}`)})
		}},
	} {
		for _, later := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/LaterCall=%v", tc.name, later), func(t *testing.T) {
				err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
					if err := tx.CreateMessage(ctx, &numeneon.Message{SenderID: alice.ID, ReceiverID: bob.ID, Content: "lost"}); err != nil {
						return err
					}
					if err := tx.CreateNotification(ctx, &numeneon.Notification{UserID: bob.ID, Type: "x", Data: json.RawMessage(`{}`)}); err != nil {
						return err
					}
					if err := tx.CreateNotification(ctx, &numeneon.Notification{UserID: alice.ID, Type: "x", Data: json.RawMessage(`{}`)}); err != nil {
						return err
					}
					if err := tx.CreateNotification(ctx, &numeneon.Notification{UserID: alice.ID, Type: "x", Data: json.RawMessage(`{}`)}); err != nil {
						return err
					}
					if err := tc.bad(ctx, tx); err != nil {
						return err
					}
					if later {
						_, _ = tx.AreFriends(ctx, alice.ID, bob.ID) // its error is ignored
					}
					return nil
				})
				if numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
					t.Fatalf("Update = %v, want ENOTFOUND", err)
				}
				if ms, err := s.ListMessages(ctx, alice.ID, numeneon.Page{}); err != nil || len(ms) != 0 {
					t.Fatalf("messages after the failed Update = %d, %v; want none", len(ms), err)
				}
				for _, u := range []*numeneon.User{alice, bob} {
					if last, err := s.LastNotificationID(ctx, u.ID); err != nil || last != 0 {
						t.Fatalf("%s's last notification id after the failed Update = %d, %v; want 0", u.Username, last, err)
					}
				}
			})
		}
	}
	// The store goes on: the same write without the unknown user commits.
	if n := notifyUser(t, s, bob.ID); n.ID != 1 {
		t.Fatalf("first notification of bob got id %d, want 1", n.ID)
	}
}

// notifyUser stores one notification for userID in its own Update.
func notifyUser(t *testing.T, s *postgres.Store, userID int64) *numeneon.Notification {
	t.Helper()
	n := &numeneon.Notification{UserID: userID, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{}`)}
	if err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateNotification(ctx, n)
	}); err != nil {
		t.Fatalf("notify user %d: %v", userID, err)
	}
	return n
}
