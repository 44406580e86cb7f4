package sqlite_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/sqlite"
)

// mustCreateUsers creates one active user per name and returns them.
func mustCreateUsers(tb testing.TB, s *sqlite.Store, names ...string) []*numeneon.User {
	tb.Helper()
	users := make([]*numeneon.User, len(names))
	err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		for i, name := range names {
			users[i] = &numeneon.User{Username: name, Email: name + "@example.com", IsActive: true}
			if err := tx.CreateUser(ctx, users[i]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("create users %v: %v", names, err)
	}
	return users
}

// BenchmarkFindUserByID measures the lookup every authenticated request
// makes.
func BenchmarkFindUserByID(b *testing.B) {
	s := mustOpenMigrated(b)
	ctx := context.Background()
	u := mustCreateUsers(b, s, "alice")[0]
	b.ReportAllocs()
	for b.Loop() {
		got, err := s.FindUserByID(ctx, u.ID)
		if err != nil {
			b.Fatal(err)
		}
		if got.Username != u.Username {
			b.Fatalf("FindUserByID(%d) = %q, want %q", u.ID, got.Username, u.Username)
		}
	}
}

// BenchmarkListNotifications measures reading a page of 100 notifications,
// what a reconnecting notification socket replays.
func BenchmarkListNotifications(b *testing.B) {
	s := mustOpenMigrated(b)
	ctx := context.Background()
	u := mustCreateUsers(b, s, "alice")[0]
	const page = 100
	data := json.RawMessage(`{"id":1,"sender":{"id":1,"username":"bob"},"content":"hello there"}`)
	if err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		for range page {
			if err := tx.CreateNotification(ctx, &numeneon.Notification{UserID: u.ID, Type: numeneon.EventNewMessage, Data: data}); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ns, err := s.ListNotifications(ctx, u.ID, 0, page)
		if err != nil {
			b.Fatal(err)
		}
		if len(ns) != page {
			b.Fatalf("ListNotifications returned %d notifications, want %d", len(ns), page)
		}
	}
}

// BenchmarkListConversation measures reading the newest page of 20
// messages of a thread, the read a chat screen makes.
func BenchmarkListConversation(b *testing.B) {
	s := mustOpenMigrated(b)
	ctx := context.Background()
	users := mustCreateUsers(b, s, "alice", "bob")
	const page = 20
	if err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		for i := range 2 * page {
			m := &numeneon.Message{SenderID: users[i%2].ID, ReceiverID: users[1-i%2].ID, Content: "hello there"}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		ms, err := s.ListConversation(ctx, users[0].ID, users[1].ID, numeneon.Page{Limit: page})
		if err != nil {
			b.Fatal(err)
		}
		if len(ms) != page {
			b.Fatalf("ListConversation returned %d messages, want %d", len(ms), page)
		}
	}
}

// BenchmarkLastNotificationID measures the counter read a notification
// socket makes when it opens without a since.
func BenchmarkLastNotificationID(b *testing.B) {
	s := mustOpenMigrated(b)
	ctx := context.Background()
	u := mustCreateUsers(b, s, "alice")[0]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := s.LastNotificationID(ctx, u.ID); err != nil {
			b.Fatal(err)
		}
	}
}
