package sqlite_test

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/sqlite"
)

// writeMessages commits n messages with their notifications, one
// transaction each.
func writeMessages(tb testing.TB, s *sqlite.Store, from, to int64, n int) {
	tb.Helper()
	ctx := context.Background()
	data := json.RawMessage(`{"content":"a message long enough to fill a few pages of log over a few hundred commits"}`)
	for range n {
		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			m := &numeneon.Message{SenderID: from, ReceiverID: to, Content: "checkpoint me"}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			return tx.CreateNotification(ctx, &numeneon.Notification{UserID: to, Type: numeneon.EventNewMessage, Data: data})
		})
		if err != nil {
			tb.Fatal(err)
		}
	}
}

func TestWALIsCopiedBackInTheBackground(t *testing.T) {
	path := filepath.Join(t.TempDir(), "db.sqlite")
	s := mustOpenMigratedAt(t, path)
	users := mustCreateUsers(t, s, "alice", "bob")
	size := func(name string) int64 {
		fi, err := os.Stat(name)
		if err != nil {
			return 0
		}
		return fi.Size()
	}
	// Let the migrations' and sign-ups' log be copied, then measure.
	time.Sleep(300 * time.Millisecond)
	before := size(path)

	// A few hundred commits stay far below the writer's own checkpoint
	// threshold: only the background checkpoint copies them into the
	// database file.
	writeMessages(t, s, users[0].ID, users[1].ID, 300)
	if wal := size(path + "-wal"); wal == 0 {
		t.Fatal("no write-ahead log after 300 commits")
	}
	deadline := time.Now().Add(10 * time.Second)
	for size(path) <= before {
		if time.Now().After(deadline) {
			t.Fatalf("database file still %d bytes 10 s after 300 commits: the log was not copied back", before)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestWALStaysBoundedUnderContinuousWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("writes thousands of commits")
	}
	path := filepath.Join(t.TempDir(), "db.sqlite")
	s := mustOpenMigratedAt(t, path)
	users := mustCreateUsers(t, s, "alice", "bob")
	// Commits without a pause never let a background checkpoint finish
	// the whole log, so only the writer's own checkpoint can start it
	// over; without it the log grows by every commit.
	const maxWAL = 64 << 20
	for range 10 {
		writeMessages(t, s, users[0].ID, users[1].ID, 1000)
		fi, err := os.Stat(path + "-wal")
		if err != nil {
			t.Fatal(err)
		}
		if fi.Size() > maxWAL {
			t.Fatalf("write-ahead log is %d MiB after continuous writes, want at most %d", fi.Size()>>20, maxWAL>>20)
		}
	}
}
