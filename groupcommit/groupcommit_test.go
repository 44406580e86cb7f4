package groupcommit_test

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/groupcommit"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/postgres"
	"github.com/numeneon/numeneon/sqlite"
)

// countingStore counts the transactions a real store runs.
type countingStore struct {
	numeneon.Store
	updates atomic.Int64
}

func (s *countingStore) Update(ctx context.Context, fn func(context.Context, numeneon.Tx) error) error {
	s.updates.Add(1)
	return s.Store.Update(ctx, fn)
}

func openSQLite(tb testing.TB) numeneon.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := sqlite.Open(ctx, filepath.Join(tb.TempDir(), "db.sqlite"))
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func openPostgres(tb testing.TB) numeneon.Store {
	tb.Helper()
	ctx := context.Background()
	s, err := postgres.Open(ctx, testsvc.PostgresURL(tb))
	if err != nil {
		tb.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

func createUsers(tb testing.TB, s numeneon.Store, n int) []*numeneon.User {
	tb.Helper()
	var users []*numeneon.User
	err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		users = users[:0]
		for i := range n {
			u := &numeneon.User{Username: fmt.Sprintf("u%d", i), Email: fmt.Sprintf("u%d@example.com", i), PasswordHash: "x", IsActive: true}
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			users = append(users, u)
		}
		return nil
	})
	if err != nil {
		tb.Fatal(err)
	}
	return users
}

// sendMessage is the write a direct message makes: the message and the
// receiver's notification, in one transaction.
func sendMessage(from, to int64, content string, out **numeneon.Notification) func(context.Context, numeneon.Tx) error {
	return func(ctx context.Context, tx numeneon.Tx) error {
		m := &numeneon.Message{SenderID: from, ReceiverID: to, Content: content}
		if err := tx.CreateMessage(ctx, m); err != nil {
			return err
		}
		n := &numeneon.Notification{UserID: to, Type: numeneon.EventNewMessage, Data: []byte(fmt.Sprintf(`{"id":%d}`, m.ID))}
		if err := tx.CreateNotification(ctx, n); err != nil {
			return err
		}
		*out = n
		return nil
	}
}

func TestConcurrentWritesShareTransactions(t *testing.T) {
	for _, tc := range []struct {
		name  string
		open  func(testing.TB) numeneon.Store
		lanes int
	}{{"sqlite", openSQLite, 1}, {"postgres", openPostgres, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			store := &countingStore{Store: tc.open(t)}
			users := createUsers(t, store, 6)
			store.updates.Store(0)
			c := groupcommit.New(store, groupcommit.Options{Lanes: tc.lanes})
			defer c.Close()

			const writes = 400
			var wg sync.WaitGroup
			errs := make(chan error, writes)
			got := make([]*numeneon.Notification, writes)
			for i := range writes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					to := users[1+i%5]
					errs <- c.Update(t.Context(), to.ID, sendMessage(users[0].ID, to.ID, fmt.Sprint(i), &got[i]))
				}()
			}
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatalf("write failed: %v", err)
				}
			}
			// Every write is stored, and each receiver's ids are 1..n with no gap.
			for _, u := range users[1:] {
				ns, err := store.ListNotifications(t.Context(), u.ID, 0, 1000)
				if err != nil {
					t.Fatal(err)
				}
				if len(ns) != writes/5 {
					t.Fatalf("user %d has %d notifications, want %d", u.ID, len(ns), writes/5)
				}
				for i, n := range ns {
					if n.ID != int64(i+1) {
						t.Fatalf("user %d: notification %d has id %d", u.ID, i, n.ID)
					}
				}
			}
			seen := map[[2]int64]bool{}
			for _, n := range got {
				if n == nil || seen[[2]int64{n.UserID, n.ID}] {
					t.Fatalf("a caller got no notification or a duplicate id: %+v", n)
				}
				seen[[2]int64{n.UserID, n.ID}] = true
			}
			if u := store.updates.Load(); u >= writes {
				t.Errorf("%d transactions for %d concurrent writes: nothing was batched", u, writes)
			} else {
				t.Logf("%d concurrent writes in %d transactions", writes, u)
			}
		})
	}
}

func TestFailingWriteDoesNotSpoilItsBatch(t *testing.T) {
	store := openSQLite(t)
	users := createUsers(t, store, 2)
	c := groupcommit.New(store, groupcommit.Options{})
	defer c.Close()

	const writes = 100
	var wg sync.WaitGroup
	results := make([]error, writes)
	got := make([]*numeneon.Notification, writes)
	for i := range writes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			to := users[1].ID
			if i%10 == 0 {
				to = 999999 // unknown receiver: this write fails
			}
			results[i] = c.Update(t.Context(), to, sendMessage(users[0].ID, to, fmt.Sprint(i), &got[i]))
		}()
	}
	wg.Wait()
	ok := 0
	for i, err := range results {
		if i%10 == 0 {
			if numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
				t.Errorf("write %d to an unknown user: %v, want ENOTFOUND", i, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("write %d: %v", i, err)
		}
		ok++
	}
	ns, err := store.ListNotifications(t.Context(), users[1].ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	if len(ns) != ok {
		t.Fatalf("%d notifications stored, want %d (the good writes)", len(ns), ok)
	}
	msgs, err := store.ListMessages(t.Context(), users[0].ID, numeneon.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != ok {
		t.Fatalf("%d messages stored, want %d", len(msgs), ok)
	}
}

func TestCanceledAndClosed(t *testing.T) {
	store := openSQLite(t)
	users := createUsers(t, store, 2)
	c := groupcommit.New(store, groupcommit.Options{})
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	var n *numeneon.Notification
	if err := c.Update(ctx, users[1].ID, sendMessage(users[0].ID, users[1].ID, "x", &n)); err == nil {
		t.Fatal("a write with a canceled context succeeded")
	}
	if ns, _ := store.ListNotifications(t.Context(), users[1].ID, 0, 10); len(ns) != 0 {
		t.Fatalf("a canceled write was stored: %d notifications", len(ns))
	}
	c.Close()
	if err := c.Update(t.Context(), users[1].ID, sendMessage(users[0].ID, users[1].ID, "x", &n)); numeneon.ErrorCode(err) != numeneon.EUNAVAILABLE {
		t.Fatalf("write after Close: %v, want EUNAVAILABLE", err)
	}
}

// BenchmarkSendMessage compares one transaction per message with group
// commit, with many concurrent senders (b.RunParallel × SetParallelism).
func BenchmarkSendMessage(b *testing.B) {
	for _, db := range []struct {
		name  string
		open  func(testing.TB) numeneon.Store
		lanes int
	}{{"sqlite", openSQLite, 1}, {"postgres", openPostgres, 4}} {
		for _, mode := range []string{"direct", "groupcommit"} {
			b.Run(db.name+"/"+mode, func(b *testing.B) {
				store := db.open(b)
				users := createUsers(b, store, 17)
				c := groupcommit.New(store, groupcommit.Options{Lanes: db.lanes})
				defer c.Close()
				var seq atomic.Int64
				b.SetParallelism(8)
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					var n *numeneon.Notification
					for pb.Next() {
						k := seq.Add(1)
						to := users[1+k%16].ID
						fn := sendMessage(users[0].ID, to, "benchmark", &n)
						var err error
						if mode == "direct" {
							err = store.Update(context.Background(), fn)
						} else {
							err = c.Update(context.Background(), to, fn)
						}
						if err != nil {
							b.Fatal(err)
						}
					}
				})
			})
		}
	}
}
