package storetest

import (
	"context"
	"math"
	"testing"

	"github.com/numeneon/numeneon"
)

// createFriendRequest stores a pending request from → to.
func createFriendRequest(t *testing.T, s numeneon.Store, from, to *numeneon.User) *numeneon.FriendRequest {
	t.Helper()
	var fr *numeneon.FriendRequest
	update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
		fr, err = tx.CreateFriendRequest(ctx, from.ID, to.ID)
		return err
	})
	return fr
}

// befriend makes a and b friends.
func befriend(t *testing.T, s numeneon.Store, a, b *numeneon.User) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateFriendship(ctx, a.ID, b.ID) })
}

func testFriendRequests(t *testing.T, open Opener) {
	t.Run("CreateFindDelete", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]

		fr := createFriendRequest(t, s, alice, bob)
		if fr.ID <= 0 || fr.FromUserID != alice.ID || fr.ToUserID != bob.ID {
			t.Fatalf("CreateFriendRequest = %+v, want an id, from alice, to bob", fr)
		}
		checkTimestamp(t, "FriendRequest.CreatedAt", fr.CreatedAt)

		got, err := s.FindFriendRequest(ctx, fr.ID)
		if err != nil {
			t.Fatalf("FindFriendRequest: %v", err)
		}
		if got.ID != fr.ID || got.FromUserID != alice.ID || got.ToUserID != bob.ID || !got.CreatedAt.Equal(fr.CreatedAt) {
			t.Fatalf("FindFriendRequest = %+v, want %+v", got, fr)
		}
		if got.FromUser == nil || got.FromUser.ID != alice.ID || got.FromUser.Username != "alice" {
			t.Fatalf("FindFriendRequest FromUser = %+v, want alice", got.FromUser)
		}
		if got.ToUser == nil || got.ToUser.ID != bob.ID || got.ToUser.Username != "bob" {
			t.Fatalf("FindFriendRequest ToUser = %+v, want bob", got.ToUser)
		}

		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			between, err := tx.FindFriendRequestBetween(ctx, alice.ID, bob.ID)
			if err != nil {
				t.Errorf("FindFriendRequestBetween(alice, bob): %v", err)
			} else if between.ID != fr.ID {
				t.Errorf("FindFriendRequestBetween(alice, bob) = request %d, want %d", between.ID, fr.ID)
			}
			_, err = tx.FindFriendRequestBetween(ctx, bob.ID, alice.ID)
			wantCode(t, err, numeneon.ENOTFOUND, "FindFriendRequestBetween(bob, alice)")
			return nil
		})

		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			_, err := tx.CreateFriendRequest(ctx, alice.ID, bob.ID)
			return err
		})
		wantCode(t, err, numeneon.ECONFLICT, "CreateFriendRequest(duplicate)")

		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeleteFriendRequest(ctx, fr.ID) })
		_, err = s.FindFriendRequest(ctx, fr.ID)
		wantCode(t, err, numeneon.ENOTFOUND, "FindFriendRequest(deleted)")
		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeleteFriendRequest(ctx, fr.ID) })
		wantCode(t, err, numeneon.ENOTFOUND, "DeleteFriendRequest(deleted)")

		// Once deleted, the same pair may ask again.
		createFriendRequest(t, s, alice, bob)
	})

	t.Run("UnknownUser", func(t *testing.T) {
		s := open(t)
		alice := createUser(t, s, "alice")
		err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
			_, err := tx.CreateFriendRequest(ctx, alice.ID, alice.ID+1000)
			return err
		})
		wantCode(t, err, numeneon.ENOTFOUND, "CreateFriendRequest(to unknown user)")
	})

	t.Run("Incoming", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "bob", "alice", "carol", "dave", "erin")
		bob := us[0]
		var reqs []*numeneon.FriendRequest
		for _, from := range us[1:4] { // alice, carol, dave → bob, in that order
			reqs = append(reqs, createFriendRequest(t, s, from, bob))
		}
		createFriendRequest(t, s, bob, us[4]) // outgoing: never listed as incoming
		createFriendRequest(t, s, us[1], us[4])

		for _, tc := range []struct {
			name string
			page numeneon.Page
			want []string
		}{
			{"All", numeneon.Page{}, []string{"dave", "carol", "alice"}},
			{"Limit", numeneon.Page{Limit: 2}, []string{"dave", "carol"}},
			{"Before", numeneon.Page{Before: reqs[1].ID}, []string{"alice"}},
			{"BeforeAndLimit", numeneon.Page{Limit: 1, Before: reqs[2].ID}, []string{"carol"}},
			{"BeforeBeyondInt32", numeneon.Page{Before: math.MaxInt64}, []string{"dave", "carol", "alice"}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := s.ListIncomingFriendRequests(ctx, bob.ID, tc.page)
				if err != nil {
					t.Fatal(err)
				}
				var from []string
				for _, fr := range got {
					if fr.FromUser == nil {
						t.Fatalf("request %d has no FromUser", fr.ID)
					}
					if fr.ToUserID != bob.ID || fr.FromUser.ID != fr.FromUserID {
						t.Fatalf("request %+v is not to bob or has a FromUser not matching FromUserID", fr)
					}
					from = append(from, fr.FromUser.Username)
				}
				diff(t, "incoming requests (by sender)", tc.want, from)
			})
		}
	})

	t.Run("Suggestions", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "me", "friend", "askedbyme", "askedme", "x", "y", "z")
		me, friend, askedByMe, askedMe := us[0], us[1], us[2], us[3]
		befriend(t, s, friend, me)
		createFriendRequest(t, s, me, askedByMe)
		createFriendRequest(t, s, askedMe, me)
		// Relations between other users do not hide them from me.
		befriend(t, s, us[4], us[5])
		createFriendRequest(t, s, us[6], us[4])

		got, err := s.FriendSuggestions(ctx, me.ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "suggestions", []string{"z", "y", "x"}, usernames(got))
		got, err = s.FriendSuggestions(ctx, me.ID, 2)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "suggestions with limit 2", []string{"z", "y"}, usernames(got))
		got, err = s.FriendSuggestions(ctx, us[4].ID, 20)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "suggestions for x", []string{"askedme", "askedbyme", "friend", "me"}, usernames(got))
	})
}

func testFriendships(t *testing.T, open Opener) {
	t.Run("BothDirections", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob", "carol")
		alice, bob, carol := us[0], us[1], us[2]
		befriend(t, s, bob, alice)

		for _, tc := range []struct {
			a, b *numeneon.User
			want bool
		}{{alice, bob, true}, {bob, alice, true}, {alice, carol, false}, {carol, bob, false}} {
			got, err := s.AreFriends(ctx, tc.a.ID, tc.b.ID)
			if err != nil {
				t.Fatal(err)
			}
			var inTx bool
			update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
				inTx, err = tx.AreFriends(ctx, tc.a.ID, tc.b.ID)
				return err
			})
			if got != tc.want || inTx != tc.want {
				t.Fatalf("AreFriends(%s, %s) = %v (in Tx: %v), want %v", tc.a.Username, tc.b.Username, got, inTx, tc.want)
			}
		}

		for _, pair := range [][2]*numeneon.User{{alice, bob}, {bob, alice}} {
			err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
				return tx.CreateFriendship(ctx, pair[0].ID, pair[1].ID)
			})
			wantCode(t, err, numeneon.ECONFLICT, name("CreateFriendship(%s, %s) again", pair[0].Username, pair[1].Username))
		}
	})

	t.Run("ListAndIDs", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob", "carol", "dave", "erin")
		alice := us[0]
		befriend(t, s, us[3], alice) // dave
		befriend(t, s, alice, us[1]) // bob
		befriend(t, s, us[4], alice) // erin
		befriend(t, s, us[1], us[2]) // bob–carol: not alice's

		got, err := s.ListFriends(ctx, alice.ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "friends of alice (by id)", []string{"bob", "dave", "erin"}, usernames(got))
		got, err = s.ListFriends(ctx, us[1].ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "friends of bob", []string{"alice", "carol"}, usernames(got))

		got, err = s.ListFriends(ctx, alice.ID, numeneon.Page{Limit: 2})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 2 || got[0].ID >= got[1].ID {
			t.Fatalf("ListFriends(limit 2) = %v, want 2 friends ascending by id", usernames(got))
		}
		got, err = s.ListFriends(ctx, alice.ID, numeneon.Page{Before: us[4].ID})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "friends of alice before erin", []string{"bob", "dave"}, usernames(got))
		got, err = s.ListFriends(ctx, alice.ID, numeneon.Page{Before: 1 << 40})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "friends of alice before 2^40", []string{"bob", "dave", "erin"}, usernames(got))

		ids, err := s.FriendIDs(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := map[int64]bool{us[1].ID: true, us[3].ID: true, us[4].ID: true}
		gotSet := make(map[int64]bool)
		for _, id := range ids {
			gotSet[id] = true
		}
		if len(ids) != 3 {
			t.Fatalf("FriendIDs = %v, want 3 ids", ids)
		}
		diff(t, "FriendIDs", want, gotSet)

		if ids, err := s.FriendIDs(ctx, us[2].ID+1000); err != nil || len(ids) != 0 {
			t.Fatalf("FriendIDs(unknown) = %v, %v; want none", ids, err)
		}
	})

	t.Run("Delete", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob", "carol")
		alice, bob, carol := us[0], us[1], us[2]
		befriend(t, s, alice, bob)
		befriend(t, s, alice, carol)

		// Either side may end it, whichever way it was created.
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeleteFriendship(ctx, bob.ID, alice.ID) })
		for _, pair := range [][2]*numeneon.User{{alice, bob}, {bob, alice}} {
			if ok, err := s.AreFriends(ctx, pair[0].ID, pair[1].ID); err != nil || ok {
				t.Fatalf("AreFriends(%s, %s) after delete = %v, %v; want false", pair[0].Username, pair[1].Username, ok, err)
			}
		}
		if ok, err := s.AreFriends(ctx, alice.ID, carol.ID); err != nil || !ok {
			t.Fatalf("AreFriends(alice, carol) = %v, %v; deleting bob must not touch carol", ok, err)
		}
		friends, err := s.ListFriends(ctx, bob.ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(friends) != 0 {
			t.Fatalf("bob still lists friends %v", usernames(friends))
		}

		for _, pair := range [][2]*numeneon.User{{alice, bob}, {bob, alice}, {bob, carol}} {
			err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
				return tx.DeleteFriendship(ctx, pair[0].ID, pair[1].ID)
			})
			wantCode(t, err, numeneon.ENOTFOUND, name("DeleteFriendship(%s, %s) without friendship", pair[0].Username, pair[1].Username))
		}
		// And they may become friends again.
		befriend(t, s, bob, alice)
	})
}
