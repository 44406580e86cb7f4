package storetest

import (
	"context"
	"testing"

	"github.com/numeneon/numeneon"
)

// block records that blocker blocked blocked.
func block(t *testing.T, s numeneon.Store, blocker, blocked *numeneon.User) {
	t.Helper()
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateBlock(ctx, blocker.ID, blocked.ID) })
}

func testBlocks(t *testing.T, open Opener) {
	ctx := context.Background()

	t.Run("BlockedEitherWay", func(t *testing.T) {
		s := open(t)
		u := createUsers(t, s, "alice", "bob", "carol")
		alice, bob, carol := u[0], u[1], u[2]
		block(t, s, alice, bob)
		for _, tc := range []struct {
			a, b *numeneon.User
			want bool
		}{{alice, bob, true}, {bob, alice, true}, {alice, carol, false}, {carol, bob, false}} {
			got, err := s.Blocked(ctx, tc.a.ID, tc.b.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Blocked(%s, %s) = %t, want %t", tc.a.Username, tc.b.Username, got, tc.want)
			}
		}
		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateBlock(ctx, alice.ID, bob.ID) })
		wantCode(t, err, numeneon.ECONFLICT, "blocking twice")
		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateBlock(ctx, alice.ID, carol.ID+100) })
		wantCode(t, err, numeneon.ENOTFOUND, "blocking an unknown user")
	})

	t.Run("ListAndUnblock", func(t *testing.T) {
		s := open(t)
		u := createUsers(t, s, "alice", "bob", "carol", "dave")
		alice, bob, carol, dave := u[0], u[1], u[2], u[3]
		block(t, s, alice, carol)
		block(t, s, alice, bob)
		block(t, s, dave, alice) // not alice's list
		got, err := s.ListBlocked(ctx, alice.ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "alice's blocked users", []string{"bob", "carol"}, usernames(got))
		got, err = s.ListBlocked(ctx, alice.ID, numeneon.Page{Limit: 1, Before: carol.ID})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "alice's blocked users before carol", []string{"bob"}, usernames(got))

		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeleteBlock(ctx, alice.ID, bob.ID) })
		if blocked, err := s.Blocked(ctx, alice.ID, bob.ID); err != nil || blocked {
			t.Fatalf("Blocked after unblocking = %t, %v; want false", blocked, err)
		}
		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeleteBlock(ctx, alice.ID, bob.ID) })
		wantCode(t, err, numeneon.ENOTFOUND, "unblocking someone not blocked")
		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeleteBlock(ctx, alice.ID, dave.ID) })
		wantCode(t, err, numeneon.ENOTFOUND, "undoing someone else's block")
	})

	t.Run("HiddenFromSearchAndSuggestions", func(t *testing.T) {
		s := open(t)
		u := createUsers(t, s, "alice", "bob", "carol", "dave")
		alice, bob, carol := u[0], u[1], u[2]
		block(t, s, bob, alice)   // bob blocked alice: alice must not find bob
		block(t, s, alice, carol) // alice blocked carol: nor carol
		for _, q := range []string{"", "a"} {
			got, err := s.SearchUsers(ctx, q, alice.ID, 10)
			if err != nil {
				t.Fatal(err)
			}
			want := []string{"dave"}
			diff(t, "alice's search for "+q, want, usernames(got))
		}
		got, err := s.SearchUsers(ctx, "alice", bob.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "bob's search for alice", []string{}, usernames(got))
		got, err = s.FriendSuggestions(ctx, alice.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "alice's suggestions", []string{"dave"}, usernames(got))
		got, err = s.FriendSuggestions(ctx, bob.ID, 10)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "bob's suggestions", []string{"dave", "carol"}, usernames(got))
	})
}

func testReports(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	u := createUsers(t, s, "alice", "bob")
	alice, bob := u[0], u[1]
	m := sendMessage(t, s, bob, alice, "rude words")

	got, err := s.FindMessage(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.SenderID != bob.ID || got.ReceiverID != alice.ID || got.Content != "rude words" {
		t.Fatalf("FindMessage = %+v, want bob's message to alice", got)
	}
	_, err = s.FindMessage(ctx, m.ID+100)
	wantCode(t, err, numeneon.ENOTFOUND, "FindMessage of an unknown id")

	byUser := &numeneon.Report{ReporterID: alice.ID, UserID: bob.ID, Reason: "spam"}
	byMessage := &numeneon.Report{ReporterID: alice.ID, UserID: bob.ID, MessageID: &m.ID, Reason: "insults"}
	for _, r := range []*numeneon.Report{byUser, byMessage} {
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateReport(ctx, r) })
		if r.ID <= 0 {
			t.Fatalf("CreateReport set ID %d, want > 0", r.ID)
		}
		checkTimestamp(t, "report CreatedAt", r.CreatedAt)
	}
	err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		return tx.CreateReport(ctx, &numeneon.Report{ReporterID: alice.ID, UserID: bob.ID + 100, Reason: "x"})
	})
	wantCode(t, err, numeneon.ENOTFOUND, "reporting an unknown user")

	reports, err := s.ListReports(ctx, numeneon.Page{})
	if err != nil {
		t.Fatal(err)
	}
	content := "rude words"
	want := []*numeneon.Report{
		{ID: byMessage.ID, ReporterID: alice.ID, UserID: bob.ID, MessageID: &m.ID, Reason: "insults", CreatedAt: byMessage.CreatedAt,
			ReporterUsername: "alice", Username: "bob", MessageContent: &content},
		{ID: byUser.ID, ReporterID: alice.ID, UserID: bob.ID, Reason: "spam", CreatedAt: byUser.CreatedAt,
			ReporterUsername: "alice", Username: "bob"},
	}
	diff(t, "reports", want, reports)
	reports, err = s.ListReports(ctx, numeneon.Page{Before: byMessage.ID})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "reports before the newest", want[1:], reports)
}

func testAccountAdmin(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	u := createUsers(t, s, "alice", "bob")
	alice, bob := u[0], u[1]

	update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.SetUserActive(ctx, alice.ID, false) })
	got, err := s.FindUserByID(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.IsActive {
		t.Fatal("alice is still active after SetUserActive(false)")
	}
	err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.SetUserActive(ctx, bob.ID+100, false) })
	wantCode(t, err, numeneon.ENOTFOUND, "deactivating an unknown user")

	users, err := s.ListUsers(ctx, numeneon.Page{})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "all users, the inactive included", []string{"bob", "alice"}, usernames(users))
	users, err = s.ListUsers(ctx, numeneon.Page{Before: bob.ID})
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "users before bob", []string{"alice"}, usernames(users))

	last, err := s.LastUserChange(ctx)
	if err != nil || last != 0 {
		t.Fatalf("LastUserChange of a new store = %d, %v; want 0", last, err)
	}
	var seqs []int64
	for _, c := range []struct {
		user int64
		kind string
	}{{alice.ID, numeneon.ChangeDeactivated}, {bob.ID, numeneon.ChangeProfile}} {
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			seq, err := tx.RecordUserChange(ctx, c.user, c.kind)
			seqs = append(seqs, seq)
			return err
		})
	}
	if seqs[0] <= 0 || seqs[1] <= seqs[0] {
		t.Fatalf("RecordUserChange seqs = %v, want positive and increasing", seqs)
	}
	changes, err := s.UserChangesSince(ctx, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "changes since 0", []numeneon.UserChange{
		{Seq: seqs[0], UserID: alice.ID, Kind: numeneon.ChangeDeactivated},
		{Seq: seqs[1], UserID: bob.ID, Kind: numeneon.ChangeProfile},
	}, changes)
	changes, err = s.UserChangesSince(ctx, seqs[0], 0)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "changes since the first", []numeneon.UserChange{{Seq: seqs[1], UserID: bob.ID, Kind: numeneon.ChangeProfile}}, changes)
	if last, err := s.LastUserChange(ctx); err != nil || last != seqs[1] {
		t.Fatalf("LastUserChange = %d, %v; want %d", last, err, seqs[1])
	}
}
