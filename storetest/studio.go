package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
)

func testStudio(t *testing.T, open Opener) {
	ptr := func(s string) *string { return &s }
	ctx := context.Background()
	at := time.Date(2026, 3, 1, 12, 0, 0, 123456000, time.UTC)

	t.Run("EmptyUntilEdited", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		got, err := s.FindStudio(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "studio of a new user", &numeneon.Studio{UserID: u.ID}, got)
		_, err = s.FindStudio(ctx, u.ID+100)
		wantCode(t, err, numeneon.ENOTFOUND, "FindStudio of an unknown user")
	})

	t.Run("EveryFieldPersists", func(t *testing.T) {
		s := open(t)
		u := createUser(t, s, "alice")
		yes := true
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdateStudio(ctx, u.ID, numeneon.StudioUpdate{
				Avatar: ptr("neon-cat"), SongTitle: ptr("Song"), SongArtist: ptr("Artist"),
				SongExternalID: ptr("3135556"), SongPreviewURL: ptr("https://cdn.example/p.mp3"),
				SongAlbumArt: ptr("https://cdn.example/a.jpg"), AutoPlay: &yes, Mood: ptr("dreamy"),
				CustomBio: ptr("bio ✨"), Theme: ptr("synthwave"), Wallpaper: ptr("grid"), SliderStyle: ptr("neon"),
			}, at)
		})
		want := &numeneon.Studio{UserID: u.ID, Avatar: "neon-cat", SongTitle: "Song", SongArtist: "Artist",
			SongExternalID: "3135556", SongPreviewURL: "https://cdn.example/p.mp3", SongAlbumArt: "https://cdn.example/a.jpg",
			AutoPlay: true, Mood: "dreamy", CustomBio: "bio ✨", Theme: "synthwave", Wallpaper: "grid", SliderStyle: "neon",
			UpdatedAt: at}
		got, err := s.FindStudio(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "studio after update", want, got)

		// Nil fields stay; "" and false are values.
		no := false
		later := at.Add(time.Minute)
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdateStudio(ctx, u.ID, numeneon.StudioUpdate{Mood: ptr(""), AutoPlay: &no}, later)
		})
		want.Mood, want.AutoPlay, want.UpdatedAt = "", false, later
		got, err = s.FindStudio(ctx, u.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "studio after a partial update", want, got)

		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdateStudio(ctx, u.ID+100, numeneon.StudioUpdate{Mood: ptr("x")}, at)
		})
		wantCode(t, err, numeneon.ENOTFOUND, "UpdateStudio of an unknown user")
	})

	t.Run("Playlist", func(t *testing.T) {
		s := open(t)
		users := createUsers(t, s, "alice", "bob")
		alice, bob := users[0], users[1]
		add := func(user *numeneon.User, ext string) *numeneon.Song {
			t.Helper()
			song := &numeneon.Song{UserID: user.ID, Title: "T" + ext, Artist: "A" + ext, DurationMS: 30000,
				ExternalID: ext, PreviewURL: "https://cdn.example/" + ext + ".mp3", CreatedAt: at}
			update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
				if err := tx.LockStudio(ctx, user.ID); err != nil {
					return err
				}
				return tx.AddSong(ctx, song)
			})
			return song
		}
		order := func(user *numeneon.User) []string {
			t.Helper()
			st, err := s.FindStudio(ctx, user.ID)
			if err != nil {
				t.Fatal(err)
			}
			var out []string
			for i, song := range st.Playlist {
				if song.Position != i {
					t.Fatalf("song %s at index %d has position %d", song.ExternalID, i, song.Position)
				}
				out = append(out, song.ExternalID)
			}
			return out
		}
		a := add(alice, "a")
		b := add(alice, "b")
		c := add(alice, "c")
		add(bob, "a") // the same track in another playlist
		if a.ID == 0 || a.Position != 0 || c.Position != 2 {
			t.Fatalf("added songs: ids/positions %d/%d, %d/%d", a.ID, a.Position, c.ID, c.Position)
		}
		diff(t, "alice's playlist", []string{"a", "b", "c"}, order(alice))
		st, err := s.FindStudio(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "first song", a, st.Playlist[0])

		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			dup := &numeneon.Song{UserID: alice.ID, Title: "again", Artist: "x", ExternalID: "b", CreatedAt: at}
			err := tx.AddSong(ctx, dup)
			wantCode(t, err, numeneon.ECONFLICT, "AddSong of a track already in the playlist")
			// The transaction stays usable after the conflict.
			return tx.AddSong(ctx, &numeneon.Song{UserID: alice.ID, Title: "d", Artist: "x", ExternalID: "d", CreatedAt: at})
		})
		if err != nil {
			t.Fatalf("Update after a conflict: %v", err)
		}
		diff(t, "playlist after a duplicate", []string{"a", "b", "c", "d"}, order(alice))

		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.AddSong(ctx, &numeneon.Song{UserID: alice.ID + 100, Title: "t", Artist: "a", ExternalID: "z", CreatedAt: at})
		})
		wantCode(t, err, numeneon.ENOTFOUND, "AddSong for an unknown user")

		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeleteSong(ctx, alice.ID, b.ID) })
		diff(t, "playlist after deleting b", []string{"a", "c", "d"}, order(alice))
		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeleteSong(ctx, bob.ID, a.ID) })
		wantCode(t, err, numeneon.ENOTFOUND, "DeleteSong of another user's song")
		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeleteSong(ctx, alice.ID, b.ID) })
		wantCode(t, err, numeneon.ENOTFOUND, "DeleteSong twice")

		st, err = s.FindStudio(ctx, alice.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids := []int64{st.Playlist[2].ID, st.Playlist[0].ID, st.Playlist[1].ID}
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.SetSongPositions(ctx, alice.ID, ids) })
		diff(t, "playlist after reorder", []string{"d", "a", "c"}, order(alice))
		// A song added after a reorder goes last.
		add(alice, "e")
		diff(t, "playlist after reorder and add", []string{"d", "a", "c", "e"}, order(alice))

		bobs, err := s.FindStudio(ctx, bob.ID)
		if err != nil {
			t.Fatal(err)
		}
		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.SetSongPositions(ctx, alice.ID, []int64{bobs.Playlist[0].ID})
		})
		wantCode(t, err, numeneon.ENOTFOUND, "SetSongPositions with another user's song")
		diff(t, "bob's playlist untouched", []string{"a"}, order(bob))
	})
}

func testPushSubscriptions(t *testing.T, open Opener) {
	ctx := context.Background()
	s := open(t)
	users := createUsers(t, s, "alice", "bob")
	alice, bob := users[0], users[1]
	save := func(user *numeneon.User, endpoint, key string) *numeneon.PushSubscription {
		t.Helper()
		sub := &numeneon.PushSubscription{UserID: user.ID, Endpoint: endpoint, P256dh: key, Auth: "auth-" + key}
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.SavePushSubscription(ctx, sub) })
		return sub
	}
	endpoints := func(user *numeneon.User) []string {
		t.Helper()
		subs, err := s.ListPushSubscriptions(ctx, user.ID)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, sub := range subs {
			out = append(out, sub.Endpoint+"="+sub.P256dh)
		}
		return out
	}
	first := save(alice, "https://push.example/1", "k1")
	checkTimestamp(t, "subscription CreatedAt", first.CreatedAt)
	save(alice, "https://push.example/2", "k2")
	again := save(alice, "https://push.example/1", "k1b") // the same device, new keys
	if again.ID != first.ID || !again.CreatedAt.Equal(first.CreatedAt) {
		t.Fatalf("saving an endpoint again: id %d created %v, want %d %v", again.ID, again.CreatedAt, first.ID, first.CreatedAt)
	}
	diff(t, "alice's devices", []string{"https://push.example/1=k1b", "https://push.example/2=k2"}, endpoints(alice))

	subs, err := s.ListPushSubscriptions(ctx, alice.ID)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "listed subscription", again, subs[0])

	// The device signs in as bob: the endpoint moves.
	save(bob, "https://push.example/2", "k2")
	diff(t, "alice's devices after bob took one", []string{"https://push.example/1=k1b"}, endpoints(alice))
	diff(t, "bob's devices", []string{"https://push.example/2=k2"}, endpoints(bob))

	err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		return tx.DeletePushSubscription(ctx, alice.ID, "https://push.example/2")
	})
	wantCode(t, err, numeneon.ENOTFOUND, "DeletePushSubscription of another user's endpoint")
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
		return tx.DeletePushSubscription(ctx, bob.ID, "https://push.example/2")
	})
	if got := endpoints(bob); len(got) != 0 {
		t.Fatalf("bob's devices after delete = %v, want none", got)
	}

	err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		return tx.SavePushSubscription(ctx, &numeneon.PushSubscription{UserID: bob.ID + 100, Endpoint: "https://push.example/x", P256dh: "k", Auth: "a"})
	})
	wantCode(t, err, numeneon.ENOTFOUND, "SavePushSubscription for an unknown user")

	for i := 3; i <= 6; i++ {
		save(alice, name("https://push.example/%d", i), name("k%d", i))
	}
	var trimmed int
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
		var err error
		trimmed, err = tx.TrimPushSubscriptions(ctx, alice.ID, 3)
		return err
	})
	if trimmed != 2 {
		t.Fatalf("TrimPushSubscriptions deleted %d, want 2", trimmed)
	}
	diff(t, "alice's devices after trim", []string{"https://push.example/4=k4", "https://push.example/5=k5", "https://push.example/6=k6"}, endpoints(alice))
}
