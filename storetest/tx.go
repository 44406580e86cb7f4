package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
)

func testTx(t *testing.T, open Opener) {
	t.Run("RollbackOnError", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]
		notify(t, s, bob.ID, numeneon.EventNewMessage, `{}`) // bob's counter is at 1

		errBoom := errors.New("boom")
		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			if err := tx.CreateUser(ctx, newUser("carol")); err != nil {
				return err
			}
			m := &numeneon.Message{SenderID: alice.ID, ReceiverID: bob.ID, Content: "never sent"}
			if err := tx.CreateMessage(ctx, m); err != nil {
				return err
			}
			n := &numeneon.Notification{UserID: bob.ID, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{}`)}
			if err := tx.CreateNotification(ctx, n); err != nil {
				return err
			}
			if err := tx.CreateFriendship(ctx, alice.ID, bob.ID); err != nil {
				return err
			}
			if err := tx.RevokeToken(ctx, "jti-1", time.Now().Add(7*24*time.Hour)); err != nil {
				return err
			}
			// A store need only set n.ID by the time Update returns; one
			// that set it already must have taken the next id.
			if n.ID != 0 && n.ID != 2 {
				t.Errorf("notification inside the transaction got id %d, want 2", n.ID)
			}
			return errBoom
		})
		if !errors.Is(err, errBoom) {
			t.Fatalf("Update returned %v, want fn's error", err)
		}

		_, err = s.FindUserByUsername(ctx, "carol")
		wantCode(t, err, numeneon.ENOTFOUND, "user created in a rolled-back transaction")
		if ms, err := s.ListMessages(ctx, bob.ID, numeneon.Page{}); err != nil || len(ms) != 0 {
			t.Fatalf("messages after rollback = %v, %v; want none", contents(ms), err)
		}
		if ok, err := s.AreFriends(ctx, alice.ID, bob.ID); err != nil || ok {
			t.Fatalf("AreFriends after rollback = %v, %v; want false", ok, err)
		}
		if ns, err := s.ListNotifications(ctx, bob.ID, 0, 0); err != nil {
			t.Fatal(err)
		} else {
			diff(t, "bob's notifications after rollback", []int64{1}, ids(ns))
		}
		// The counter did not move: the next id is 2, with no gap.
		if n := notify(t, s, bob.ID, numeneon.EventNewMessage, `{}`); n.ID != 2 {
			t.Fatalf("next notification id after rollback = %d, want 2", n.ID)
		}
		if err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.RevokeToken(ctx, "jti-1", time.Now().Add(time.Hour))
		}); err != nil {
			t.Fatalf("RevokeToken of a jti revoked only in a rolled-back transaction: %v", err)
		}
	})

	t.Run("CommitsWhenNil", func(t *testing.T) {
		s := open(t)
		var u *numeneon.User
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			u = newUser("alice")
			if err := tx.CreateUser(ctx, u); err != nil {
				return err
			}
			// The transaction sees its own writes.
			return tx.UpdateProfile(ctx, u.ID, numeneon.ProfileUpdate{Bio: ptrTo("written in the same tx")})
		})
		got, err := s.FindUserByUsername(context.Background(), "alice")
		if err != nil {
			t.Fatal(err)
		}
		if got.ID != u.ID || got.Profile.Bio != "written in the same tx" {
			t.Fatalf("committed user = %+v, want id %d with the bio", got, u.ID)
		}
	})

	t.Run("DomainErrorFromFn", func(t *testing.T) {
		s := open(t)
		err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
			return numeneon.Errorf(numeneon.EFORBIDDEN, "not yours")
		})
		wantCode(t, err, numeneon.EFORBIDDEN, "Update with fn's domain error")
		if msg := numeneon.ErrorMessage(err); msg != "not yours" {
			t.Fatalf("message = %q, want fn's", msg)
		}
	})

	t.Run("CanceledContext", func(t *testing.T) {
		s := open(t)
		alice := createUser(t, s, "alice")
		ctx, cancel := context.WithCancel(context.Background())
		cancel()

		ran := false
		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			ran = true
			return tx.CreateUser(ctx, newUser("bob"))
		})
		if err == nil {
			t.Fatalf("Update with a canceled context succeeded (fn ran: %v)", ran)
		}
		for _, tc := range []struct {
			name string
			call func() error
		}{
			{"FindUserByID", func() error { _, err := s.FindUserByID(ctx, alice.ID); return err }},
			{"SearchUsers", func() error { _, err := s.SearchUsers(ctx, "", 0, 10); return err }},
			{"ListConversations", func() error { _, err := s.ListConversations(ctx, alice.ID, 10); return err }},
			{"ListNotifications", func() error { _, err := s.ListNotifications(ctx, alice.ID, 0, 10); return err }},
			{"Ping", func() error { return s.Ping(ctx) }},
		} {
			if err := tc.call(); err == nil {
				t.Errorf("%s with a canceled context: no error", tc.name)
			} else if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
				t.Errorf("%s with a canceled context: %v; a cancellation is not a missing row", tc.name, err)
			}
		}
		if _, err := s.FindUserByUsername(context.Background(), "bob"); numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
			t.Fatalf("user created under a canceled context exists (err %v)", err)
		}
		// The store still works after the canceled calls.
		if err := s.Ping(context.Background()); err != nil {
			t.Fatalf("Ping after canceled calls: %v", err)
		}
		createUser(t, s, "carol")
	})

	// CallInsideUpdate: the one rule of Update on every database. Inside
	// fn, a Store method (a read, Ping, a nested Update) fails with
	// ErrCallInsideUpdate at once instead of reading around the
	// transaction, waiting for the writer fn holds (SQLite) or for a second
	// connection (PostgreSQL); fn can still use tx, and fn's choice decides
	// the commit.
	t.Run("CallInsideUpdate", func(t *testing.T) {
		s := open(t)
		alice := createUser(t, s, "alice")
		err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
			for _, tc := range []struct {
				name string
				call func() error
			}{
				{"FindUserByID", func() error { _, err := s.FindUserByID(ctx, alice.ID); return err }},
				{"SearchUsers", func() error { _, err := s.SearchUsers(ctx, "", 0, 10); return err }},
				{"ListConversations", func() error { _, err := s.ListConversations(ctx, alice.ID, 10); return err }},
				{"ListNotifications", func() error { _, err := s.ListNotifications(ctx, alice.ID, 0, 10); return err }},
				{"Ping", func() error { return s.Ping(ctx) }},
				{"Update", func() error {
					return s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return nil })
				}},
			} {
				if err := tc.call(); !errors.Is(err, numeneon.ErrCallInsideUpdate) {
					t.Errorf("%s inside Update's fn = %v, want ErrCallInsideUpdate", tc.name, err)
				}
			}
			return tx.CreateUser(ctx, newUser("bob"))
		})
		if err != nil {
			t.Fatalf("Update whose fn used tx after the refused calls: %v", err)
		}
		if _, err := s.FindUserByUsername(context.Background(), "bob"); err != nil {
			t.Fatalf("the user fn created through tx: %v", err)
		}
	})
}

func ptrTo(s string) *string { return &s }
