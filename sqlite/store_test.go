package sqlite_test

import (
	"context"
	"encoding/json"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/teststore"
	"github.com/numeneon/numeneon/sqlite"
	"github.com/numeneon/numeneon/storetest"
)

// mustOpen opens the database file at path and closes it when the test ends.
func mustOpen(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s, err := sqlite.Open(context.Background(), path)
	if err != nil {
		tb.Fatalf("Open(%s): %v", path, err)
	}
	tb.Cleanup(func() {
		if err := s.Close(); err != nil {
			tb.Errorf("Close: %v", err)
		}
	})
	return s
}

// mustOpenMigrated opens a fresh migrated database in a temporary directory.
func mustOpenMigrated(tb testing.TB) *sqlite.Store {
	tb.Helper()
	return teststore.SQLite(tb)
}

// mustOpenMigratedAt opens the database file at path and migrates it.
func mustOpenMigratedAt(tb testing.TB, path string) *sqlite.Store {
	tb.Helper()
	s := mustOpen(tb, path)
	if err := s.Migrate(context.Background()); err != nil {
		tb.Fatalf("Migrate: %v", err)
	}
	return s
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) numeneon.Store { return mustOpenMigrated(t) })
}

func TestMigrateTwiceAndReopen(t *testing.T) {
	ctx := context.Background()
	// A parent directory that does not exist yet: Open creates it.
	path := filepath.Join(t.TempDir(), "data", "nested", "numeneon.db")
	s := mustOpen(t, path)
	for i := 0; i < 2; i++ {
		if err := s.Migrate(ctx); err != nil {
			t.Fatalf("Migrate #%d: %v", i+1, err)
		}
	}
	u := &numeneon.User{Username: "alice", Email: "alice@example.com", IsActive: true}
	n := &numeneon.Notification{UserID: 0, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{"a":1}`)}
	if err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.CreateUser(ctx, u); err != nil {
			return err
		}
		n.UserID = u.ID
		return tx.CreateNotification(ctx, n)
	}); err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatalf("Migrate with data: %v", err)
	}

	// A second store on the same file (another worker) sees the data and
	// continues the same notification counter.
	other := mustOpen(t, path)
	if err := other.Migrate(ctx); err != nil {
		t.Fatalf("Migrate from the second store: %v", err)
	}
	got, err := other.FindUserByEmail(ctx, "ALICE@example.com")
	if err != nil {
		t.Fatalf("second store: FindUserByEmail: %v", err)
	}
	if got.ID != u.ID {
		t.Fatalf("second store found user %d, want %d", got.ID, u.ID)
	}
	next := &numeneon.Notification{UserID: u.ID, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{}`)}
	if err := other.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateNotification(ctx, next) }); err != nil {
		t.Fatal(err)
	}
	if next.ID != 2 {
		t.Fatalf("notification id from the second store = %d, want 2", next.ID)
	}
	ns, err := s.ListNotifications(ctx, u.ID, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != 2 {
		t.Fatalf("first store lists %d notifications, want 2 (one written by the other store)", len(ns))
	}
}

func TestMigrateConcurrently(t *testing.T) {
	// Workers starting together each migrate the same new file.
	path := filepath.Join(t.TempDir(), "numeneon.db")
	const workers = 4
	stores := make([]*sqlite.Store, workers)
	for i := range stores {
		stores[i] = mustOpen(t, path)
	}
	var wg sync.WaitGroup
	errs := make([]error, workers)
	for i, s := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Migrate(context.Background())
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Migrate of worker %d: %v", i, err)
		}
	}
	u := &numeneon.User{Username: "alice", Email: "alice@example.com"}
	if err := stores[0].Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateUser(ctx, u)
	}); err != nil {
		t.Fatalf("CreateUser after concurrent migrations: %v", err)
	}
	if _, err := stores[workers-1].FindUserByID(context.Background(), u.ID); err != nil {
		t.Fatalf("another worker cannot find the user: %v", err)
	}
}

func TestOpenRejectsNonFilePaths(t *testing.T) {
	for _, path := range []string{"", ":memory:", "file:x.db?mode=memory", filepath.Join(t.TempDir(), "a?b.db")} {
		s, err := sqlite.Open(context.Background(), path)
		if err == nil {
			_ = s.Close()
			t.Errorf("Open(%q) succeeded, want an error", path)
		} else if code := numeneon.ErrorCode(err); code != numeneon.EINVALID {
			t.Errorf("Open(%q) error code = %q, want %q", path, code, numeneon.EINVALID)
		}
	}
}

// BenchmarkCreateMessageWithNotification measures the write path of a
// direct message: one transaction inserting the message and the receiver's
// notification (counter update included).
func BenchmarkCreateMessageWithNotification(b *testing.B) {
	s := mustOpenMigrated(b)
	ctx := context.Background()
	users := make([]*numeneon.User, 2)
	for i, name := range []string{"alice", "bob"} {
		users[i] = &numeneon.User{Username: name, Email: name + "@example.com", IsActive: true}
		if err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, users[i]) }); err != nil {
			b.Fatal(err)
		}
	}
	data := json.RawMessage(`{"id":1,"sender":{"id":1,"username":"alice"},"content":"hello there","created_at":"2026-01-30T12:00:00.123456Z"}`)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; b.Loop(); i++ {
		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			m := &numeneon.Message{SenderID: users[0].ID, ReceiverID: users[1].ID, Content: "hello there"}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			return tx.CreateNotification(ctx, &numeneon.Notification{UserID: m.ReceiverID, Type: numeneon.EventNewMessage, Data: data})
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

func TestPostListsRunOneQuery(t *testing.T) {
	storetest.RunQueryCounts(t, func(t *testing.T) (numeneon.Store, *atomic.Int64) {
		s := mustOpenMigrated(t)
		return s, sqlite.CountQueries(s)
	})
}
