package postgres_test

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/numeneon/numeneon"
)

// TestUpdateRetriesDeadlock makes two transactions update two users'
// profiles in opposite orders, so PostgreSQL must abort one as a deadlock
// victim. Both Updates must still succeed (the victim is run again), with
// their notifications: each user must end with ids 1 and 2, without a gap.
func TestUpdateRetriesDeadlock(t *testing.T) {
	s := MustOpenStore(t)
	alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
	ctx := context.Background()

	// Each transaction announces it holds its first lock, then waits for the
	// other's before asking for its second, which forces the cycle. Only the
	// first run of each waits: a rerun must go straight through.
	var (
		holds = [2]chan struct{}{make(chan struct{}), make(chan struct{})}
		once  [2]sync.Once
		runs  [2]atomic.Int32
		wg    sync.WaitGroup
		errs  [2]error
	)
	// Notifications only lock their users' rows at commit, in id order, so
	// the opposite orders come from profile updates, which lock at once.
	touch := func(ctx context.Context, tx numeneon.Tx, userID int64) error {
		bio := "touched"
		if err := tx.UpdateProfile(ctx, userID, numeneon.ProfileUpdate{Bio: &bio}); err != nil {
			return err
		}
		return tx.CreateNotification(ctx, &numeneon.Notification{UserID: userID, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{}`)})
	}
	order := [2][2]int64{{alice.ID, bob.ID}, {bob.ID, alice.ID}}
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
				first := runs[i].Add(1) == 1
				if err := touch(ctx, tx, order[i][0]); err != nil {
					return err
				}
				if first {
					once[i].Do(func() { close(holds[i]) })
					<-holds[1-i]
				}
				return touch(ctx, tx, order[i][1])
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Update %d: %v", i, err)
		}
	}
	if total := runs[0].Load() + runs[1].Load(); total < 3 {
		t.Fatalf("fn ran %d times in all; a deadlock should have made one run again", total)
	}
	for _, u := range []*numeneon.User{alice, bob} {
		ns, err := s.ListNotifications(ctx, u.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		var got []int64
		for _, n := range ns {
			got = append(got, n.ID)
		}
		if d := cmp.Diff([]int64{1, 2}, got); d != "" {
			t.Fatalf("%s's notification ids (-want +got):\n%s", u.Username, d)
		}
	}
}

// TestConcurrentNotificationIDs has 8 goroutines create notifications for
// one user, each in its own Update, while the same transactions also write a
// message: every id must be handed out once, with no gap, and the ids must
// follow commit order (a later id is never visible without the earlier one).
func TestConcurrentNotificationIDs(t *testing.T) {
	s := MustOpenStore(t)
	alice, bob := createUser(t, s, "alice"), createUser(t, s, "bob")
	ctx := context.Background()
	const workers, each = 8, 15

	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	stop := make(chan struct{})
	gaps := make(chan []int64, 1)
	// A reader polls while writers run: what it sees must always be a
	// prefix 1..n, never 1, 3 with 2 still to commit.
	go func() {
		defer close(gaps)
		for {
			ns, err := s.ListNotifications(ctx, alice.ID, 0, 0)
			if err == nil {
				for i, n := range ns {
					if n.ID != int64(i+1) {
						var seen []int64
						for _, n := range ns {
							seen = append(seen, n.ID)
						}
						gaps <- seen
						return
					}
				}
			}
			select {
			case <-stop:
				return
			default:
			}
		}
	}()
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range each {
				err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
					m := &numeneon.Message{SenderID: bob.ID, ReceiverID: alice.ID, Content: "hi"}
					if err := tx.CreateMessage(ctx, m); err != nil {
						return err
					}
					data, _ := json.Marshal(map[string]int64{"id": m.ID})
					return tx.CreateNotification(ctx, &numeneon.Notification{UserID: alice.ID, Type: numeneon.EventNewMessage, Data: data})
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(stop)
	close(errs)
	for err := range errs {
		t.Errorf("Update: %v", err)
	}
	if seen, ok := <-gaps; ok {
		t.Fatalf("a reader saw notification ids %v: a later id committed before an earlier one", seen)
	}
	ns, err := s.ListNotifications(ctx, alice.ID, 0, 1000)
	if err != nil {
		t.Fatal(err)
	}
	want := make([]int64, workers*each)
	for i := range want {
		want[i] = int64(i + 1)
	}
	var got []int64
	for _, n := range ns {
		got = append(got, n.ID)
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Fatalf("stored ids (-want +got):\n%s", d)
	}
}
