package sqlite_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/sqlite"
)

// The store keeps its statements prepared across calls; these tests cover
// what that could break: a statement that failed to prepare, statements
// shared by concurrent calls, and calls after Close.

func TestCallsBeforeMigrateFailThenWork(t *testing.T) {
	ctx := context.Background()
	s := mustOpen(t, filepath.Join(t.TempDir(), "numeneon.db"))
	createAlice := func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateUser(ctx, &numeneon.User{Username: "alice", Email: "alice@example.com"})
	}
	// Without tables, the same texts fail to prepare, twice: nothing broken
	// may stay cached for after Migrate.
	for i := range 2 {
		if _, err := s.FindUserByID(ctx, 1); err == nil {
			t.Fatalf("FindUserByID #%d before Migrate succeeded", i+1)
		}
		if err := s.Update(ctx, createAlice); err == nil {
			t.Fatalf("CreateUser #%d before Migrate succeeded", i+1)
		}
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate: %v", err)
	}
	if err := s.Update(ctx, createAlice); err != nil {
		t.Fatalf("CreateUser after Migrate: %v", err)
	}
	for i := range 2 {
		u, err := s.FindUserByID(ctx, 1)
		if err != nil {
			t.Fatalf("FindUserByID #%d after Migrate: %v", i+1, err)
		}
		if u.Username != "alice" {
			t.Fatalf("FindUserByID #%d after Migrate = %q, want alice", i+1, u.Username)
		}
	}
}

func TestConcurrentSendersSeeTheirOwnMessages(t *testing.T) {
	ctx := context.Background()
	s := mustOpenMigrated(t)
	const pairs, perPair = 4, 25
	names := make([]string, 2*pairs)
	for i := range names {
		names[i] = fmt.Sprintf("user%d", i)
	}
	users := mustCreateUsers(t, s, names...)

	// Each pair writes and reads its own thread through the same prepared
	// statements as every other pair, on the one write connection and the
	// shared read connections.
	var wg sync.WaitGroup
	errs := make([]error, pairs)
	for p := range pairs {
		a, b := users[2*p], users[2*p+1]
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[p] = sendAndRead(ctx, s, a, b, perPair)
		}()
	}
	wg.Wait()
	for p, err := range errs {
		if err != nil {
			t.Errorf("pair %d: %v", p, err)
		}
	}
}

// sendAndRead sends n messages from a to b, each with b's notification,
// checking after each that the thread, b and b's notifications show it.
func sendAndRead(ctx context.Context, s *sqlite.Store, a, b *numeneon.User, n int) error {
	for i := range n {
		content := fmt.Sprintf("%s to %s #%d", a.Username, b.Username, i)
		m := &numeneon.Message{SenderID: a.ID, ReceiverID: b.ID, Content: content}
		if err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			return tx.CreateNotification(ctx, &numeneon.Notification{UserID: b.ID, Type: numeneon.EventNewMessage})
		}); err != nil {
			return fmt.Errorf("send #%d: %w", i, err)
		}
		ms, err := s.ListConversation(ctx, b.ID, a.ID, numeneon.Page{Limit: 1})
		if err != nil {
			return fmt.Errorf("list conversation after #%d: %w", i, err)
		}
		if len(ms) != 1 || ms[0].ID != m.ID || ms[0].Content != content {
			return fmt.Errorf("after #%d the newest message of the thread is %+v, want message %d %q", i, ms, m.ID, content)
		}
		got, err := s.FindUserByID(ctx, b.ID)
		if err != nil {
			return fmt.Errorf("find receiver after #%d: %w", i, err)
		}
		if got.Username != b.Username {
			return fmt.Errorf("FindUserByID(%d) = %q, want %q", b.ID, got.Username, b.Username)
		}
		last, err := s.LastNotificationID(ctx, b.ID)
		if err != nil {
			return fmt.Errorf("last notification id after #%d: %w", i, err)
		}
		if last != int64(i+1) {
			return fmt.Errorf("after #%d the last notification id of %s is %d, want %d", i, b.Username, last, i+1)
		}
	}
	return nil
}

func TestCallsAfterCloseFail(t *testing.T) {
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "numeneon.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	u := mustCreateUsers(t, s, "alice")[0]
	notify := func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateNotification(ctx, &numeneon.Notification{UserID: u.ID, Type: numeneon.EventNewMessage})
	}
	// Twice each, so that both statements are prepared before Close.
	for range 2 {
		if err := s.Update(ctx, notify); err != nil {
			t.Fatal(err)
		}
		if _, err := s.FindUserByID(ctx, u.ID); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatalf("Close: %v", err)
	}
	if _, err := s.FindUserByID(ctx, u.ID); err == nil {
		t.Error("FindUserByID after Close succeeded")
	}
	if err := s.Update(ctx, notify); err == nil {
		t.Error("CreateNotification after Close succeeded")
	}
}
