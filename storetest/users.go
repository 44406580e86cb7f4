package storetest

import (
	"context"
	"strings"
	"testing"

	"github.com/numeneon/numeneon"
)

func testUsers(t *testing.T, open Opener) {
	t.Run("CreateAndFind", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		bio := "plays the theremin"
		u := newUser("alice")
		u.Email = "Alice.Smith@Example.com"
		u.Profile.Bio = bio
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, u) })
		if u.ID <= 0 || u.Profile.ID <= 0 {
			t.Fatalf("CreateUser set ID=%d Profile.ID=%d, want both > 0", u.ID, u.Profile.ID)
		}
		checkTimestamp(t, "DateJoined", u.DateJoined)
		checkTimestamp(t, "Profile.CreatedAt", u.Profile.CreatedAt)
		checkTimestamp(t, "Profile.UpdatedAt", u.Profile.UpdatedAt)

		inactive := newUser("bob")
		inactive.IsActive = false
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, inactive) })
		if inactive.ID == u.ID {
			t.Fatalf("two users got the same id %d", u.ID)
		}

		for _, tc := range []struct {
			name string
			find func() (*numeneon.User, error)
			want *numeneon.User
		}{
			{"ByID", func() (*numeneon.User, error) { return s.FindUserByID(ctx, u.ID) }, u},
			{"ByUsername", func() (*numeneon.User, error) { return s.FindUserByUsername(ctx, "alice") }, u},
			{"ByEmailSameCase", func() (*numeneon.User, error) { return s.FindUserByEmail(ctx, "Alice.Smith@Example.com") }, u},
			{"ByEmailOtherCase", func() (*numeneon.User, error) { return s.FindUserByEmail(ctx, "alice.smith@EXAMPLE.COM") }, u},
			{"InactiveByID", func() (*numeneon.User, error) { return s.FindUserByID(ctx, inactive.ID) }, inactive},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := tc.find()
				if err != nil {
					t.Fatalf("find: %v", err)
				}
				diff(t, "user", tc.want, got)
			})
		}
	})

	t.Run("NotFound", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		u := createUser(t, s, "alice")
		_, err := s.FindUserByID(ctx, u.ID+1000)
		wantCode(t, err, numeneon.ENOTFOUND, "FindUserByID(unknown)")
		_, err = s.FindUserByUsername(ctx, "nobody")
		wantCode(t, err, numeneon.ENOTFOUND, "FindUserByUsername(unknown)")
		_, err = s.FindUserByEmail(ctx, "nobody@example.com")
		wantCode(t, err, numeneon.ENOTFOUND, "FindUserByEmail(unknown)")
		// A LIKE-style pattern must not match anything.
		_, err = s.FindUserByEmail(ctx, "%@example.com")
		wantCode(t, err, numeneon.ENOTFOUND, "FindUserByEmail(pattern)")
	})

	t.Run("Conflicts", func(t *testing.T) {
		for _, tc := range []struct {
			name      string
			username  string
			email     string
			wantField string
		}{
			{"SameUsername", "alice", "other@example.com", "username"},
			{"SameEmail", "other", "alice@example.com", "email"},
			{"SameEmailOtherCase", "other", "ALICE@Example.COM", "email"},
		} {
			t.Run(tc.name, func(t *testing.T) {
				s := open(t)
				createUser(t, s, "alice")
				dup := newUser(tc.username)
				dup.Email = tc.email
				err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
					return tx.CreateUser(ctx, dup)
				})
				wantCode(t, err, numeneon.ECONFLICT, "CreateUser(duplicate)")
				if msg := numeneon.ErrorMessage(err); !strings.Contains(msg, tc.wantField) {
					t.Fatalf("conflict message %q does not name the field %q", msg, tc.wantField)
				}
				if _, err := s.FindUserByUsername(context.Background(), "other"); tc.username == "other" {
					wantCode(t, err, numeneon.ENOTFOUND, "find the rejected user")
				}
			})
		}
	})

	t.Run("SetPasswordHash", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.SetPasswordHash(ctx, u.ID, "argon2id$new")
		})
		got, err := s.FindUserByID(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.PasswordHash != "argon2id$new" {
			t.Fatalf("PasswordHash = %q, want the new hash", got.PasswordHash)
		}
		err = s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
			return tx.SetPasswordHash(ctx, u.ID+1000, "x")
		})
		wantCode(t, err, numeneon.ENOTFOUND, "SetPasswordHash(unknown user)")
	})

	t.Run("Search", func(t *testing.T) { testSearchUsers(t, open) })
}

func testSearchUsers(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	// Created in this order, so "newest first" is the reverse of it; not in
	// username order, so that ordering by id cannot pass for it.
	users := createUsers(t, s, "alicia", "dan'o", "alice", "carol%x", "bobXsmith", "bob_smith", "caroline", "erin")
	byName := make(map[string]*numeneon.User)
	for _, u := range users {
		byName[u.Username] = u
	}
	// A name match, not a username match.
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
		first, last := "Zebedee", "Quux"
		return tx.UpdateProfile(ctx, byName["erin"].ID, numeneon.ProfileUpdate{FirstName: &first, LastName: &last})
	})
	caller := byName["caroline"].ID

	for _, tc := range []struct {
		name      string
		q         string
		excludeID int64
		limit     int
		want      []string
	}{
		{"Prefix", "ali", 0, 20, []string{"alice", "alicia"}},
		{"CaseInsensitive", "ALI", 0, 20, []string{"alice", "alicia"}},
		{"Middle", "lici", 0, 20, []string{"alicia"}},
		{"PercentIsLiteral", "%", 0, 20, []string{"carol%x"}},
		{"UnderscoreIsLiteral", "b_s", 0, 20, []string{"bob_smith"}},
		{"QuoteIsLiteral", "n'o", 0, 20, []string{"dan'o"}},
		{"BackslashMatchesNothing", `\`, 0, 20, nil},
		{"FirstName", "zebed", 0, 20, []string{"erin"}},
		{"LastName", "quu", 0, 20, []string{"erin"}},
		{"ExcludesCaller", "carol", caller, 20, []string{"carol%x"}},
		{"Limit", "a", 0, 2, []string{"alice", "alicia"}},
		{"NoMatch", "zzz", 0, 20, nil},
		{"EmptyNewestFirst", "", 0, 3, []string{"erin", "caroline", "bob_smith"}},
		{"EmptyExcludesCaller", "", byName["erin"].ID, 2, []string{"caroline", "bob_smith"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.SearchUsers(ctx, tc.q, tc.excludeID, tc.limit)
			if err != nil {
				t.Fatalf("SearchUsers(%q): %v", tc.q, err)
			}
			diff(t, name("SearchUsers(%q)", tc.q), tc.want, nilIfEmpty(usernames(got)))
		})
	}

	t.Run("FullUsers", func(t *testing.T) {
		got, err := s.SearchUsers(ctx, "alice", 0, 20)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 {
			t.Fatalf("got %d users, want 1", len(got))
		}
		if got[0].ID != byName["alice"].ID || got[0].FirstName != "First alice" || got[0].LastName != "Last alice" {
			t.Fatalf("search result = %+v, want alice with id and names", got[0])
		}
	})
}

func nilIfEmpty(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return s
}
