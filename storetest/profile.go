package storetest

import (
	"context"
	"testing"

	"github.com/numeneon/numeneon"
)

func testProfile(t *testing.T, open Opener) {
	ptr := func(s string) *string { return &s }

	t.Run("NilFieldsUntouched", func(t *testing.T) {
		s := open(t)
		u := newUser("alice")
		u.Profile.Bio = "old bio"
		u.Profile.Location = "Lisbon"
		u.Profile.Website = "https://alice.example"
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, u) })

		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdateProfile(ctx, u.ID, numeneon.ProfileUpdate{Bio: ptr("new bio")})
		})
		got, err := s.FindUserByID(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		want := *u
		want.Profile.Bio = "new bio"
		want.Profile.UpdatedAt = got.Profile.UpdatedAt
		diff(t, "user after bio update", &want, got)
		if !got.Profile.UpdatedAt.After(u.Profile.UpdatedAt) {
			t.Fatalf("UpdatedAt = %v, want after the creation's %v", got.Profile.UpdatedAt, u.Profile.UpdatedAt)
		}
	})

	t.Run("AllFields", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdateProfile(ctx, u.ID, numeneon.ProfileUpdate{
				Bio: ptr("b"), Avatar: ptr("https://cdn.example/a.png"), Location: ptr("l"),
				Website: ptr("https://w.example"), FirstName: ptr("Alicia"), LastName: ptr("Keys"),
			})
		})
		got, err := s.FindUserByID(context.Background(), u.ID)
		if err != nil {
			t.Fatal(err)
		}
		type view struct{ First, Last, Bio, Location, Website string }
		diff(t, "profile", view{"Alicia", "Keys", "b", "l", "https://w.example"},
			view{got.FirstName, got.LastName, got.Profile.Bio, got.Profile.Location, got.Profile.Website})
		diff(t, "avatar", ptr("https://cdn.example/a.png"), got.Profile.Avatar)
	})

	t.Run("Avatar", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		u := createUser(t, s, "alice")
		avatar := func() *string {
			t.Helper()
			got, err := s.FindUserByID(ctx, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			return got.Profile.Avatar
		}
		if a := avatar(); a != nil {
			t.Fatalf("new user's avatar = %q, want nil", *a)
		}
		steps := []struct {
			name string
			upd  numeneon.ProfileUpdate
			want *string
		}{
			{"Set", numeneon.ProfileUpdate{Avatar: ptr("https://cdn.example/1.png")}, ptr("https://cdn.example/1.png")},
			{"NilKeeps", numeneon.ProfileUpdate{Bio: ptr("x")}, ptr("https://cdn.example/1.png")},
			{"Replace", numeneon.ProfileUpdate{Avatar: ptr("https://cdn.example/2.png")}, ptr("https://cdn.example/2.png")},
			{"EmptyClears", numeneon.ProfileUpdate{Avatar: ptr("")}, nil},
			{"StaysCleared", numeneon.ProfileUpdate{Location: ptr("y")}, nil},
		}
		for _, st := range steps {
			update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.UpdateProfile(ctx, u.ID, st.upd) })
			diff(t, "avatar after "+st.name, st.want, avatar())
		}
	})

	t.Run("UnknownUser", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		err := s.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdateProfile(ctx, u.ID+1000, numeneon.ProfileUpdate{Bio: ptr("x")})
		})
		wantCode(t, err, numeneon.ENOTFOUND, "UpdateProfile(unknown user)")
	})
}
