package storetest

import (
	"context"
	"encoding/json"
	"sort"
	"sync"
	"testing"

	"github.com/numeneon/numeneon"
)

// notify stores a notification of type typ for user and returns it.
func notify(t *testing.T, s numeneon.Store, userID int64, typ, data string) *numeneon.Notification {
	t.Helper()
	n := &numeneon.Notification{UserID: userID, Type: typ, Data: json.RawMessage(data)}
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateNotification(ctx, n) })
	return n
}

func ids(ns []*numeneon.Notification) []int64 {
	out := make([]int64, 0, len(ns))
	for _, n := range ns {
		out = append(out, n.ID)
	}
	return out
}

func testNotifications(t *testing.T, open Opener) {
	t.Run("PerUserIDs", func(t *testing.T) {
		s := open(t)
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]
		var got []int64
		for _, step := range []struct {
			user *numeneon.User
			want int64
		}{{alice, 1}, {alice, 2}, {bob, 1}, {alice, 3}, {bob, 2}} {
			n := notify(t, s, step.user.ID, numeneon.EventNewMessage, `{"id": 1}`)
			if n.ID != step.want {
				t.Fatalf("notification for %s got id %d, want %d", step.user.Username, n.ID, step.want)
			}
			checkTimestamp(t, "Notification.CreatedAt", n.CreatedAt)
			got = append(got, n.ID)
		}
		diff(t, "ids in creation order", []int64{1, 2, 1, 3, 2}, got)
		for _, c := range []struct {
			user *numeneon.User
			want int64
		}{{alice, 3}, {bob, 2}} {
			last, err := s.LastNotificationID(context.Background(), c.user.ID)
			if err != nil || last != c.want {
				t.Errorf("LastNotificationID(%s) = %d, %v; want %d", c.user.Username, last, err, c.want)
			}
		}
		_, err := s.LastNotificationID(context.Background(), 999999)
		wantCode(t, err, numeneon.ENOTFOUND, "LastNotificationID of an unknown user")

		// Several notifications in one transaction take consecutive ids,
		// set by the time Update returns.
		var inOneTx []*numeneon.Notification
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			inOneTx = nil // Update may run this again
			for range 2 {
				n := &numeneon.Notification{UserID: alice.ID, Type: numeneon.EventNewPost, Data: json.RawMessage(`{}`)}
				if err := tx.CreateNotification(ctx, n); err != nil {
					return err
				}
				inOneTx = append(inOneTx, n)
			}
			return nil
		})
		diff(t, "ids of notifications created in one tx", []int64{4, 5}, ids(inOneTx))
	})

	t.Run("StoredContent", func(t *testing.T) {
		s := open(t)
		alice := createUser(t, s, "alice")
		data := `{"sender": {"id": 7, "username": "bob"}, "content": "héllo \"there\" 👋", "n": 1.5, "nil": null}`
		created := notify(t, s, alice.ID, numeneon.EventNewMessage, data)
		got, err := s.ListNotifications(context.Background(), alice.ID, 0, 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("got %d notifications, want 1", len(got))
		}
		n := got[0]
		if n.UserID != alice.ID || n.ID != 1 || n.Type != numeneon.EventNewMessage || n.Read || !n.CreatedAt.Equal(created.CreatedAt) {
			t.Fatalf("stored notification = %+v, want user %d id 1 type %s unread created %v", n, alice.ID, numeneon.EventNewMessage, created.CreatedAt)
		}
		jsonEqual(t, "notification data", json.RawMessage(data), n.Data)
	})

	t.Run("UnknownUser", func(t *testing.T) {
		s := open(t)
		alice := createUser(t, s, "alice")
		err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
			return tx.CreateNotification(ctx, &numeneon.Notification{UserID: alice.ID + 1000, Type: "x", Data: json.RawMessage(`{}`)})
		})
		wantCode(t, err, numeneon.ENOTFOUND, "CreateNotification(unknown user)")
	})

	t.Run("Concurrent", func(t *testing.T) {
		s := open(t)
		alice := createUser(t, s, "alice")
		const workers, each = 8, 10
		var (
			wg   sync.WaitGroup
			mu   sync.Mutex
			got  []int64
			errs = make(chan error, workers*each)
		)
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := 0; i < each; i++ {
					n := &numeneon.Notification{UserID: alice.ID, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{}`)}
					err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
						return tx.CreateNotification(ctx, n)
					})
					if err != nil {
						errs <- err
						continue
					}
					// n.ID is final once Update returned, whichever run of
					// fn committed.
					mu.Lock()
					got = append(got, n.ID)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Errorf("concurrent CreateNotification: %v", err)
		}
		sort.Slice(got, func(i, j int) bool { return got[i] < got[j] })
		want := make([]int64, workers*each)
		for i := range want {
			want[i] = int64(i + 1)
		}
		diff(t, "ids handed out concurrently (sorted)", want, got)

		stored, err := s.ListNotifications(context.Background(), alice.ID, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "stored ids", want, ids(stored))
	})

	t.Run("ListSinceLimit", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]
		for i := 0; i < 5; i++ {
			notify(t, s, alice.ID, numeneon.EventNewMessage, `{}`)
		}
		notify(t, s, bob.ID, numeneon.EventFriendRequest, `{}`)

		for _, tc := range []struct {
			name  string
			user  int64
			since int64
			limit int
			want  []int64
		}{
			{"All", alice.ID, 0, 0, []int64{1, 2, 3, 4, 5}},
			{"Since", alice.ID, 2, 0, []int64{3, 4, 5}},
			{"SinceLimit", alice.ID, 1, 2, []int64{2, 3}},
			{"SinceLast", alice.ID, 5, 10, []int64{}},
			{"OtherUser", bob.ID, 0, 10, []int64{1}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.ListNotifications(ctx, tc.user, tc.since, tc.limit)
				if err != nil {
					t.Fatal(err)
				}
				for _, n := range got {
					if n.UserID != tc.user {
						t.Fatalf("notification %d of user %d listed for user %d", n.ID, n.UserID, tc.user)
					}
				}
				diff(t, "notification ids", tc.want, ids(got))
			})
		}
	})

	t.Run("MarkRead", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]
		for i := 0; i < 4; i++ {
			notify(t, s, alice.ID, numeneon.EventNewMessage, `{}`)
			notify(t, s, bob.ID, numeneon.EventNewMessage, `{}`)
		}
		markRead := func(user *numeneon.User, upTo int64) int64 {
			t.Helper()
			var n int64
			update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
				n, err = tx.MarkNotificationsRead(ctx, user.ID, upTo)
				return err
			})
			return n
		}
		if n := markRead(alice, 2); n != 2 {
			t.Fatalf("MarkNotificationsRead(alice, 2) = %d, want 2", n)
		}
		if n := markRead(alice, 2); n != 0 {
			t.Fatalf("MarkNotificationsRead(alice, 2) again = %d, want 0", n)
		}
		if n := markRead(alice, 3); n != 1 {
			t.Fatalf("MarkNotificationsRead(alice, 3) = %d, want 1", n)
		}
		readFlags := func(user *numeneon.User) []bool {
			t.Helper()
			ns, err := s.ListNotifications(ctx, user.ID, 0, 0)
			if err != nil {
				t.Fatal(err)
			}
			var out []bool
			for _, n := range ns {
				out = append(out, n.Read)
			}
			return out
		}
		diff(t, "alice's read flags", []bool{true, true, true, false}, readFlags(alice))
		diff(t, "bob's read flags (untouched)", []bool{false, false, false, false}, readFlags(bob))
	})
}
