package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
)

// storySeq numbers the story ids of the suite; ids only need to be unique.
var storySeq atomic.Int64

// nextStoryID returns a fresh UUID in canonical form.
func nextStoryID() string {
	return fmt.Sprintf("00000000-0000-4000-8000-%012x", storySeq.Add(1))
}

// storyClock is the suite's "now": stories are dated relative to it, and
// the store is always told it explicitly, as the app does.
func storyClock() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

// postStory stores a story of owner posted at createdAt.
func postStory(t *testing.T, s numeneon.Store, owner *numeneon.User, createdAt time.Time, caption string) *numeneon.Story {
	t.Helper()
	st := &numeneon.Story{
		ID: nextStoryID(), UserID: owner.ID, MediaType: numeneon.StoryImage,
		MediaURL: "https://cdn.example.com/" + caption + ".jpg", Caption: caption,
		CreatedAt: createdAt, ExpiresAt: createdAt.Add(numeneon.StoryLifetime),
	}
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateStory(ctx, st) })
	return st
}

func captions(sts []*numeneon.Story) []string {
	out := make([]string, 0, len(sts))
	for _, st := range sts {
		out = append(out, st.Caption)
	}
	return out
}

// viewerState is what one viewer sees of a story's counts and own marks.
type viewerState struct {
	IsViewed                         bool
	MyReaction                       string
	ViewCount, HeartCount, ThunderCt int
}

func stateOf(st *numeneon.Story) viewerState {
	return viewerState{st.IsViewed, st.MyReaction, st.ViewCount, st.HeartCount, st.ThunderCount}
}

// findStory returns story id as viewer sees it.
func findStory(t *testing.T, s numeneon.Store, id string, viewer *numeneon.User) *numeneon.Story {
	t.Helper()
	st, err := s.FindStory(context.Background(), id, viewer.ID)
	if err != nil {
		t.Fatalf("FindStory(%s) as %s: %v", id, viewer.Username, err)
	}
	return st
}

func testStories(t *testing.T, open Opener) {
	t.Run("CreateAndFind", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]
		avatar := "https://cdn.example.com/alice.png"
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdateProfile(ctx, alice.ID, numeneon.ProfileUpdate{Avatar: &avatar})
		})
		created := storyClock().Add(-time.Hour)
		st := &numeneon.Story{
			ID: nextStoryID(), UserID: alice.ID, MediaType: numeneon.StoryVideo,
			MediaURL: "https://cdn.example.com/a.mp4", Caption: `héllo 👋 '; DROP TABLE stories; --`,
			CreatedAt: created, ExpiresAt: created.Add(numeneon.StoryLifetime),
		}
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateStory(ctx, st) })

		got := findStory(t, s, st.ID, bob)
		if got.User == nil {
			t.Fatal("FindStory left User nil")
		}
		diff(t, "story owner", [5]any{alice.ID, "alice", alice.FirstName, alice.LastName, avatar},
			[5]any{got.User.ID, got.User.Username, got.User.FirstName, got.User.LastName, deref(got.User.Profile.Avatar)})
		got.User = nil
		diff(t, "stored story", st, got)

		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			dup := *st
			dup.User = nil
			wantCode(t, tx.CreateStory(ctx, &dup), numeneon.ECONFLICT, "CreateStory with a taken id")
			orphan := *st
			orphan.ID, orphan.UserID = nextStoryID(), alice.ID+1000
			wantCode(t, tx.CreateStory(ctx, &orphan), numeneon.ENOTFOUND, "CreateStory of an unknown user")
			// The transaction is still usable after both.
			_, err := tx.FindStory(ctx, st.ID, alice.ID)
			return err
		})
		if err != nil {
			t.Fatalf("Update after expected failures: %v", err)
		}
		_, err = s.FindStory(ctx, nextStoryID(), alice.ID)
		wantCode(t, err, numeneon.ENOTFOUND, "FindStory of an unknown id")
	})

	t.Run("ViewsAndReactions", func(t *testing.T) {
		s := open(t)
		us := createUsers(t, s, "alice", "bob", "carol")
		alice, bob, carol := us[0], us[1], us[2]
		st := postStory(t, s, alice, storyClock(), "beach")
		at := storyClock()

		var added [3]bool
		update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
			if added[0], err = tx.AddStoryView(ctx, st.ID, bob.ID, at); err != nil {
				return err
			}
			if added[1], err = tx.AddStoryView(ctx, st.ID, bob.ID, at); err != nil {
				return err
			}
			added[2], err = tx.AddStoryView(ctx, st.ID, carol.ID, at)
			return err
		})
		diff(t, "views added", [3]bool{true, false, true}, added)

		var changed [4]bool
		update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
			steps := []struct {
				who *numeneon.User
				typ string
			}{{bob, numeneon.ReactionHeart}, {bob, numeneon.ReactionHeart}, {bob, numeneon.ReactionThunder}, {carol, numeneon.ReactionThunder}}
			for i, step := range steps {
				if changed[i], err = tx.SetStoryReaction(ctx, st.ID, step.who.ID, step.typ, at); err != nil {
					return err
				}
			}
			// Inside the transaction the counts already show the changes.
			inTx, err := tx.FindStory(ctx, st.ID, bob.ID)
			if err != nil {
				return err
			}
			diff(t, "bob's view inside the transaction", viewerState{true, "thunder", 2, 0, 2}, stateOf(inTx))
			return nil
		})
		diff(t, "reactions changed", [4]bool{true, false, true, true}, changed)

		diff(t, "bob's view", viewerState{true, "thunder", 2, 0, 2}, stateOf(findStory(t, s, st.ID, bob)))
		diff(t, "alice's view", viewerState{false, "", 2, 0, 2}, stateOf(findStory(t, s, st.ID, alice)))

		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			if _, err := tx.SetStoryReaction(ctx, st.ID, carol.ID, numeneon.ReactionHeart, at); err != nil {
				return err
			}
			if err := tx.DeleteStoryReaction(ctx, st.ID, bob.ID); err != nil {
				return err
			}
			wantCode(t, tx.DeleteStoryReaction(ctx, st.ID, bob.ID), numeneon.ENOTFOUND, "second DeleteStoryReaction")
			wantCode(t, tx.DeleteStoryReaction(ctx, nextStoryID(), bob.ID), numeneon.ENOTFOUND, "DeleteStoryReaction of an unknown story")
			_, err := tx.AddStoryView(ctx, nextStoryID(), bob.ID, at)
			wantCode(t, err, numeneon.ENOTFOUND, "AddStoryView of an unknown story")
			_, err = tx.AddStoryView(ctx, st.ID, carol.ID+1000, at)
			wantCode(t, err, numeneon.ENOTFOUND, "AddStoryView by an unknown user")
			_, err = tx.SetStoryReaction(ctx, nextStoryID(), bob.ID, numeneon.ReactionHeart, at)
			wantCode(t, err, numeneon.ENOTFOUND, "SetStoryReaction on an unknown story")
			// The transaction is still usable: its earlier changes commit.
			_, err = tx.FindStory(ctx, st.ID, bob.ID)
			return err
		})
		diff(t, "carol's view after the changes", viewerState{true, "heart", 2, 1, 0}, stateOf(findStory(t, s, st.ID, carol)))
		diff(t, "bob's view after removing his reaction", viewerState{true, "", 2, 1, 0}, stateOf(findStory(t, s, st.ID, bob)))
	})

	t.Run("Lists", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob", "carol", "dave")
		alice, bob, carol, dave := us[0], us[1], us[2], us[3]
		befriend(t, s, alice, bob)
		befriend(t, s, alice, carol)
		befriend(t, s, bob, dave) // not alice's friend
		now := storyClock()
		postStory(t, s, alice, now.Add(-25*time.Hour), "alice-expired")
		postStory(t, s, bob, now.Add(-24*time.Hour), "bob-just-expired")
		postStory(t, s, bob, now.Add(-5*time.Hour), "bob-1")
		postStory(t, s, alice, now.Add(-4*time.Hour), "alice-1")
		c1 := postStory(t, s, carol, now.Add(-3*time.Hour), "carol-1")
		postStory(t, s, dave, now.Add(-2*time.Hour), "dave-1")
		postStory(t, s, bob, now.Add(-time.Hour), "bob-2")
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			_, err := tx.AddStoryView(ctx, c1.ID, alice.ID, now)
			return err
		})

		feed, err := s.ListFeedStories(ctx, alice.ID, now, numeneon.StoryPage{})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "alice's feed", []string{"bob-2", "carol-1", "alice-1", "bob-1"}, captions(feed))
		if !feed[1].IsViewed || feed[0].IsViewed || feed[1].ViewCount != 1 {
			t.Fatalf("feed view marks: carol-1 viewed=%v count=%d, bob-2 viewed=%v; want true 1 false",
				feed[1].IsViewed, feed[1].ViewCount, feed[0].IsViewed)
		}
		if feed[0].User == nil || feed[0].User.Username != "bob" {
			t.Fatalf("feed story owner = %+v, want bob", feed[0].User)
		}

		for _, tc := range []struct {
			name string
			list func() ([]*numeneon.Story, error)
			want []string
		}{
			{"FeedFirstPage", func() ([]*numeneon.Story, error) {
				return s.ListFeedStories(ctx, alice.ID, now, numeneon.StoryPage{Limit: 2})
			}, []string{"bob-2", "carol-1"}},
			{"FeedNextPage", func() ([]*numeneon.Story, error) {
				return s.ListFeedStories(ctx, alice.ID, now, numeneon.StoryPage{Limit: 2, Before: c1.ID})
			}, []string{"alice-1", "bob-1"}},
			{"FeedUnknownCursor", func() ([]*numeneon.Story, error) {
				return s.ListFeedStories(ctx, alice.ID, now, numeneon.StoryPage{Before: nextStoryID()})
			}, []string{}},
			{"FeedLater", func() ([]*numeneon.Story, error) {
				// Twenty hours on, bob-1 has expired and alice-1 expires
				// this very instant.
				return s.ListFeedStories(ctx, alice.ID, now.Add(20*time.Hour), numeneon.StoryPage{})
			}, []string{"bob-2", "carol-1"}},
			{"DavesFeed", func() ([]*numeneon.Story, error) {
				return s.ListFeedStories(ctx, dave.ID, now, numeneon.StoryPage{})
			}, []string{"bob-2", "dave-1", "bob-1"}},
			{"UserStories", func() ([]*numeneon.Story, error) {
				return s.ListUserStories(ctx, bob.ID, alice.ID, now, numeneon.StoryPage{})
			}, []string{"bob-2", "bob-1"}},
			{"UserStoriesPage", func() ([]*numeneon.Story, error) {
				return s.ListUserStories(ctx, bob.ID, alice.ID, now, numeneon.StoryPage{Limit: 1})
			}, []string{"bob-2"}},
			{"NoStories", func() ([]*numeneon.Story, error) {
				return s.ListUserStories(ctx, alice.ID+1000, alice.ID, now, numeneon.StoryPage{})
			}, []string{}},
		} {
			t.Run(tc.name, func(t *testing.T) {
				got, err := tc.list()
				if err != nil {
					t.Fatal(err)
				}
				diff(t, tc.name, tc.want, captions(got))
			})
		}
	})

	t.Run("DeleteAndMessages", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]
		kept := postStory(t, s, alice, storyClock(), "kept")
		gone := postStory(t, s, alice, storyClock(), "gone")
		reply := func(st *numeneon.Story, content string) {
			id := st.ID
			m := &numeneon.Message{SenderID: bob.ID, ReceiverID: alice.ID, Content: content, StoryID: &id}
			update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateMessage(ctx, m) })
		}
		reply(kept, "nice")
		reply(gone, "wow")
		sendMessage(t, s, alice, bob, "plain")
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			if _, err := tx.AddStoryView(ctx, gone.ID, bob.ID, storyClock()); err != nil {
				return err
			}
			if _, err := tx.SetStoryReaction(ctx, gone.ID, bob.ID, numeneon.ReactionHeart, storyClock()); err != nil {
				return err
			}
			if err := tx.DeleteStory(ctx, gone.ID); err != nil {
				return err
			}
			wantCode(t, tx.DeleteStory(ctx, gone.ID), numeneon.ENOTFOUND, "second DeleteStory")
			return nil
		})
		_, err := s.FindStory(ctx, gone.ID, bob.ID)
		wantCode(t, err, numeneon.ENOTFOUND, "FindStory of a deleted story")

		wantStories := []*numeneon.MessageStory{
			{ID: kept.ID, MediaURL: kept.MediaURL, MediaType: kept.MediaType, ExpiresAt: kept.ExpiresAt},
			nil, // the deleted story's reply keeps its text, not the story
			nil,
		}
		check := func(what string, ms []*numeneon.Message) {
			t.Helper()
			diff(t, what+" contents", []string{"nice", "wow", "plain"}, contents(ms))
			got := make([]*numeneon.MessageStory, len(ms))
			for i, m := range ms {
				got[i] = m.Story
			}
			diff(t, what+" stories", wantStories, got)
			if ms[1].StoryID == nil || *ms[1].StoryID != gone.ID {
				t.Fatalf("%s: reply to the deleted story has StoryID %v, want %s", what, ms[1].StoryID, gone.ID)
			}
		}
		ms, err := s.ListMessages(ctx, alice.ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		check("ListMessages", ms)
		ms, err = s.ListConversation(ctx, bob.ID, alice.ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		check("ListConversation", ms)

		reply(kept, "again")
		convs, err := s.ListConversations(ctx, alice.ID, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(convs) != 1 || convs[0].LastMessage.Story == nil || convs[0].LastMessage.Story.ID != kept.ID {
			t.Fatalf("conversations = %+v, want one whose last message shows story %s", convs, kept.ID)
		}
	})

	t.Run("PurgeExpired", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]
		now := storyClock()
		old := postStory(t, s, alice, now.Add(-30*time.Hour), "old")
		replied := postStory(t, s, alice, now.Add(-26*time.Hour), "replied")
		fresh := postStory(t, s, alice, now.Add(-time.Hour), "fresh")
		for _, st := range []*numeneon.Story{old, replied, fresh} {
			update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
				if _, err := tx.AddStoryView(ctx, st.ID, bob.ID, now); err != nil {
					return err
				}
				_, err := tx.SetStoryReaction(ctx, st.ID, bob.ID, numeneon.ReactionThunder, now)
				return err
			})
		}
		rid := replied.ID
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.CreateMessage(ctx, &numeneon.Message{SenderID: bob.ID, ReceiverID: alice.ID, Content: "re", StoryID: &rid})
		})

		purge := func() int {
			t.Helper()
			var n int
			update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
				n, err = tx.PurgeExpiredStories(ctx, now, 1)
				return err
			})
			return n
		}
		// One story per batch: the oldest first, then the replied one, then
		// nothing, though the replied story's row is still there.
		diff(t, "purged per batch", []int{1, 1, 0}, []int{purge(), purge(), purge()})

		_, err := s.FindStory(ctx, old.ID, bob.ID)
		wantCode(t, err, numeneon.ENOTFOUND, "FindStory of a purged story nobody replied to")
		diff(t, "the replied story after the purge", viewerState{}, stateOf(findStory(t, s, replied.ID, bob)))
		diff(t, "the fresh story after the purge", viewerState{true, "thunder", 1, 0, 1}, stateOf(findStory(t, s, fresh.ID, bob)))
		ms, err := s.ListMessages(ctx, bob.ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(ms) != 1 || ms[0].Story == nil || ms[0].Story.ID != replied.ID {
			t.Fatalf("bob's reply after the purge = %+v, want it to show story %s", ms, replied.ID)
		}
	})
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
