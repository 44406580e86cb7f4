package storetest

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
)

// newPost returns an unsaved top-level post of author.
func newPost(author *numeneon.User, content string) *numeneon.Post {
	return &numeneon.Post{AuthorID: author.ID, Type: numeneon.PostThoughts, Content: content}
}

// createPost stores p and returns it with its id set.
func createPost(t *testing.T, s numeneon.Store, p *numeneon.Post) *numeneon.Post {
	t.Helper()
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreatePost(ctx, p) })
	return p
}

// comment stores a comment of author on parent.
func comment(t *testing.T, s numeneon.Store, author *numeneon.User, parent *numeneon.Post, content string) *numeneon.Post {
	t.Helper()
	p := newPost(author, content)
	p.ParentID = &parent.ID
	return createPost(t, s, p)
}

func findPost(t *testing.T, s numeneon.Store, id int64, viewer *numeneon.User) *numeneon.Post {
	t.Helper()
	p, err := s.FindPost(context.Background(), id, viewer.ID)
	if err != nil {
		t.Fatalf("FindPost(%d) as %s: %v", id, viewer.Username, err)
	}
	return p
}

func postContents(ps []*numeneon.Post) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.Content)
	}
	return out
}

// counts is what a viewer sees of a post's counters.
type counts struct {
	Replies, Likes, Comments, Shares int
	IsLiked                          bool
}

func countsOf(p *numeneon.Post) counts {
	return counts{p.ReplyCount, p.LikesCount, p.CommentCount, p.SharesCount, p.IsLiked}
}

func ptr[T any](v T) *T { return &v }

func testPosts(t *testing.T, open Opener) {
	t.Run("CreateAndFind", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob", "carol")
		alice, bob, carol := us[0], us[1], us[2]
		avatar := "https://cdn.example.com/bob.png"
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdateProfile(ctx, bob.ID, numeneon.ProfileUpdate{Avatar: &avatar})
		})
		wall := &numeneon.Post{AuthorID: alice.ID, Type: numeneon.PostMedia, Content: `héllo 👋 '; DROP TABLE posts; --`,
			MediaURL: ptr("https://cdn.example.com/a.jpg"), TargetProfileID: &bob.ID}
		createPost(t, s, wall)
		checkTimestamp(t, "Post.CreatedAt", wall.CreatedAt)
		if !wall.UpdatedAt.Equal(wall.CreatedAt) {
			t.Errorf("UpdatedAt = %v, want CreatedAt %v", wall.UpdatedAt, wall.CreatedAt)
		}
		c := comment(t, s, bob, wall, "thanks")
		reply := &numeneon.Post{AuthorID: carol.ID, Type: numeneon.PostThoughts, Content: "@bob hi",
			ParentID: &wall.ID, ReplyToCommentID: &c.ID, MentionedUserID: &bob.ID}
		createPost(t, s, reply)

		got := findPost(t, s, wall.ID, carol)
		if got.Author == nil || got.TargetProfile == nil {
			t.Fatalf("FindPost left Author (%v) or TargetProfile (%v) nil", got.Author, got.TargetProfile)
		}
		full := func(u *numeneon.User) [6]any {
			return [6]any{u.ID, u.Username, u.Email, u.FirstName, u.LastName, deref(u.Profile.Avatar)}
		}
		diff(t, "author", full(alice), full(got.Author))
		diff(t, "wall owner", [6]any{bob.ID, "bob", bob.Email, bob.FirstName, bob.LastName, avatar}, full(got.TargetProfile))
		if !got.Author.DateJoined.Equal(alice.DateJoined) {
			t.Errorf("author DateJoined = %v, want %v", got.Author.DateJoined, alice.DateJoined)
		}
		if got.MentionedUser != nil {
			t.Errorf("MentionedUser = %+v, want nil", got.MentionedUser)
		}
		diff(t, "wall post counts", counts{Comments: 2}, countsOf(got))
		got.Author, got.TargetProfile = nil, nil
		wall.CommentCount = 2
		diff(t, "stored post", wall, got)

		gotReply := findPost(t, s, reply.ID, alice)
		if gotReply.MentionedUser == nil || gotReply.MentionedUser.Username != "bob" {
			t.Fatalf("reply MentionedUser = %+v, want bob", gotReply.MentionedUser)
		}
		diff(t, "reply refs", [3]any{wall.ID, c.ID, bob.ID},
			[3]any{*gotReply.ParentID, *gotReply.ReplyToCommentID, *gotReply.MentionedUserID})
		diff(t, "comment counts", counts{Replies: 1}, countsOf(findPost(t, s, c.ID, alice)))

		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			for _, bad := range []*numeneon.Post{
				{AuthorID: 999999, Type: numeneon.PostThoughts},
				{AuthorID: alice.ID, Type: numeneon.PostThoughts, ParentID: ptr(int64(999999))},
				{AuthorID: alice.ID, Type: numeneon.PostThoughts, TargetProfileID: ptr(int64(999999))},
				{AuthorID: alice.ID, Type: numeneon.PostThoughts, ReplyToCommentID: ptr(int64(999999))},
				{AuthorID: alice.ID, Type: numeneon.PostThoughts, MentionedUserID: ptr(int64(999999))},
			} {
				wantCode(t, tx.CreatePost(ctx, bad), numeneon.ENOTFOUND, fmt.Sprintf("CreatePost(%+v)", bad))
			}
			// The transaction is still usable after them.
			_, err := tx.FindPost(ctx, wall.ID, alice.ID)
			return err
		})
		if err != nil {
			t.Fatalf("Update after expected failures: %v", err)
		}
		_, err = s.FindPost(ctx, 999999, alice.ID)
		wantCode(t, err, numeneon.ENOTFOUND, "FindPost of an unknown id")
	})

	t.Run("UpdateAndDelete", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob")
		alice, bob := us[0], us[1]
		p := createPost(t, s, &numeneon.Post{AuthorID: alice.ID, Type: numeneon.PostMedia, Content: "old",
			MediaURL: ptr("https://cdn.example.com/a.jpg")})
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdatePost(ctx, p.ID, numeneon.PostUpdate{Content: ptr("new")})
		})
		got := findPost(t, s, p.ID, alice)
		diff(t, "after a content edit", [3]any{"new", numeneon.PostMedia, "https://cdn.example.com/a.jpg"},
			[3]any{got.Content, got.Type, deref(got.MediaURL)})
		if got.UpdatedAt.Before(p.UpdatedAt) || !got.CreatedAt.Equal(p.CreatedAt) {
			t.Errorf("times after edit: created %v updated %v; before: %v", got.CreatedAt, got.UpdatedAt, p.CreatedAt)
		}
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			return tx.UpdatePost(ctx, p.ID, numeneon.PostUpdate{Type: ptr(numeneon.PostMilestones), MediaURL: ptr("")})
		})
		got = findPost(t, s, p.ID, alice)
		diff(t, "after a type edit clearing the media", [3]any{"new", numeneon.PostMilestones, (*string)(nil)},
			[3]any{got.Content, got.Type, got.MediaURL})

		c := comment(t, s, bob, p, "c1")
		r := &numeneon.Post{AuthorID: alice.ID, Type: numeneon.PostThoughts, Content: "r", ParentID: &p.ID,
			ReplyToCommentID: &c.ID, MentionedUserID: &bob.ID}
		createPost(t, s, r)
		nested := comment(t, s, alice, c, "on the comment")
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			if _, err := tx.LikePost(ctx, c.ID, alice.ID); err != nil {
				return err
			}
			return tx.SharePost(ctx, c.ID, alice.ID)
		})
		// Deleting the comment takes its own comments, likes and shares;
		// the reply stays, without its comment.
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeletePost(ctx, c.ID) })
		_, err := s.FindPost(ctx, nested.ID, alice.ID)
		wantCode(t, err, numeneon.ENOTFOUND, "FindPost of a comment on a deleted comment")
		gotR := findPost(t, s, r.ID, alice)
		if gotR.ReplyToCommentID != nil {
			t.Errorf("reply's ReplyToCommentID = %d after its comment was deleted, want nil", *gotR.ReplyToCommentID)
		}
		diff(t, "post counts after its comment was deleted", counts{Comments: 1}, countsOf(findPost(t, s, p.ID, alice)))

		update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.DeletePost(ctx, p.ID) })
		_, err = s.FindPost(ctx, r.ID, alice.ID)
		wantCode(t, err, numeneon.ENOTFOUND, "FindPost of a comment of a deleted post")
		err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			wantCode(t, tx.DeletePost(ctx, p.ID), numeneon.ENOTFOUND, "DeletePost twice")
			wantCode(t, tx.UpdatePost(ctx, p.ID, numeneon.PostUpdate{Content: ptr("x")}), numeneon.ENOTFOUND, "UpdatePost of a deleted post")
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("LikesAndShares", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob", "carol")
		alice, bob, carol := us[0], us[1], us[2]
		p := createPost(t, s, newPost(alice, "p"))
		var steps []bool
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			steps = steps[:0]
			for _, step := range []func() (bool, error){
				func() (bool, error) { return tx.LikePost(ctx, p.ID, bob.ID) },
				func() (bool, error) { return tx.LikePost(ctx, p.ID, bob.ID) },
				func() (bool, error) { return tx.LikePost(ctx, p.ID, carol.ID) },
				func() (bool, error) { return tx.UnlikePost(ctx, p.ID, carol.ID) },
				func() (bool, error) { return tx.UnlikePost(ctx, p.ID, carol.ID) },
			} {
				ok, err := step()
				if err != nil {
					return err
				}
				steps = append(steps, ok)
			}
			for range 3 {
				if err := tx.SharePost(ctx, p.ID, carol.ID); err != nil {
					return err
				}
			}
			return nil
		})
		diff(t, "like, like again, like, unlike, unlike again", []bool{true, false, true, true, false}, steps)
		diff(t, "as bob", counts{Likes: 1, Shares: 3, IsLiked: true}, countsOf(findPost(t, s, p.ID, bob)))
		diff(t, "as carol", counts{Likes: 1, Shares: 3}, countsOf(findPost(t, s, p.ID, carol)))
		err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			_, err := tx.LikePost(ctx, 999999, bob.ID)
			wantCode(t, err, numeneon.ENOTFOUND, "LikePost of an unknown post")
			_, err = tx.LikePost(ctx, p.ID, 999999)
			wantCode(t, err, numeneon.ENOTFOUND, "LikePost by an unknown user")
			wantCode(t, tx.SharePost(ctx, 999999, bob.ID), numeneon.ENOTFOUND, "SharePost of an unknown post")
			_, err = tx.FindPost(ctx, p.ID, bob.ID)
			return err
		})
		if err != nil {
			t.Fatalf("Update after expected failures: %v", err)
		}
	})

	t.Run("Lists", func(t *testing.T) {
		s := open(t)
		ctx := context.Background()
		us := createUsers(t, s, "alice", "bob", "carol", "dave")
		alice, bob, carol, dave := us[0], us[1], us[2], us[3]
		befriend(t, s, alice, bob)
		befriend(t, s, alice, carol)
		befriend(t, s, carol, dave)

		createPost(t, s, newPost(alice, "a1"))
		b1 := createPost(t, s, newPost(bob, "b1"))
		createPost(t, s, newPost(dave, "d1")) // not alice's friend
		onAlice := newPost(carol, "c on alice's wall")
		onAlice.TargetProfileID = &alice.ID
		createPost(t, s, onAlice)
		onDave := newPost(carol, "c on dave's wall")
		onDave.TargetProfileID = &dave.ID
		createPost(t, s, onDave)
		comment(t, s, alice, b1, "comment on b1")
		createPost(t, s, newPost(alice, "a2"))

		feed, err := s.ListFeedPosts(ctx, alice.ID, numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "alice's feed", []string{"a2", "c on dave's wall", "c on alice's wall", "b1", "a1"}, postContents(feed))
		if feed[3].CommentCount != 1 {
			t.Errorf("b1 in the feed: CommentCount = %d, want 1", feed[3].CommentCount)
		}

		page, err := s.ListFeedPosts(ctx, alice.ID, numeneon.Page{Limit: 2, Before: feed[1].ID})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "feed page before the second post", []string{"c on alice's wall", "b1"}, postContents(page))

		for _, c := range []struct {
			owner *numeneon.User
			want  []string
		}{
			{alice, []string{"a2", "c on alice's wall", "a1"}},
			{carol, []string{}}, // carol's posts are all on others' walls
			{dave, []string{"c on dave's wall", "d1"}},
		} {
			got, err := s.ListProfilePosts(ctx, c.owner.ID, bob.ID, numeneon.Page{})
			if err != nil {
				t.Fatal(err)
			}
			diff(t, c.owner.Username+"'s profile", c.want, postContents(got))
		}

		for i := range 3 {
			comment(t, s, bob, b1, fmt.Sprint("more ", i))
		}
		replies, err := s.ListPostReplies(ctx, b1.ID, alice.ID, numeneon.Page{Limit: 3})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "newest 3 replies", []string{"more 2", "more 1", "more 0"}, postContents(replies))
		replies, err = s.ListPostReplies(ctx, b1.ID, alice.ID, numeneon.Page{Before: replies[2].ID})
		if err != nil {
			t.Fatal(err)
		}
		diff(t, "older replies", []string{"comment on b1"}, postContents(replies))
	})

	t.Run("ExactCountsUnderConcurrency", func(t *testing.T) { testPostCountsConcurrently(t, open) })
	t.Run("NotificationBatch", func(t *testing.T) { testNotificationBatch(t, open) })
	t.Run("PruneNotifications", func(t *testing.T) { testPruneNotifications(t, open) })
}

// testPostCountsConcurrently has 50 clients like, unlike, comment on,
// delete their comments on and share one post at once; the post's counts
// must then be exactly what was done.
func testPostCountsConcurrently(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	const clients = 50
	names := make([]string, clients+1)
	for i := range names {
		names[i] = fmt.Sprint("user", i)
	}
	us := createUsers(t, s, names...)
	owner, clientUsers := us[0], us[1:]
	p := createPost(t, s, newPost(owner, "hot"))
	target := createPost(t, s, newPost(owner, "the comment everyone replies to"))

	type outcome struct {
		liked             bool
		comments, replies int
		shares            int
	}
	results := make([]outcome, clients)
	var wg sync.WaitGroup
	errs := make(chan error, clients)
	for i, u := range clientUsers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(i), 1))
			var mine []int64
			var out outcome
			for range 8 {
				err := s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
					switch rng.IntN(5) {
					case 0:
						_, err := tx.LikePost(ctx, p.ID, u.ID)
						if err == nil {
							out.liked = true
						}
						return err
					case 1:
						_, err := tx.UnlikePost(ctx, p.ID, u.ID)
						if err == nil {
							out.liked = false
						}
						return err
					case 2:
						c := &numeneon.Post{AuthorID: u.ID, Type: numeneon.PostThoughts, Content: "c", ParentID: &p.ID}
						if rng.IntN(2) == 0 {
							c.ReplyToCommentID, c.MentionedUserID = &target.ID, &owner.ID
						}
						if err := tx.CreatePost(ctx, c); err != nil {
							return err
						}
						mine = append(mine, c.ID)
						out.comments++
						if c.ReplyToCommentID != nil {
							out.replies++
						}
						return nil
					case 3:
						if len(mine) == 0 {
							return nil
						}
						id := mine[len(mine)-1]
						c, err := tx.FindPost(ctx, id, u.ID)
						if err != nil {
							return err
						}
						if err := tx.DeletePost(ctx, id); err != nil {
							return err
						}
						mine = mine[:len(mine)-1]
						out.comments--
						if c.ReplyToCommentID != nil {
							out.replies--
						}
						return nil
					default:
						if err := tx.SharePost(ctx, p.ID, u.ID); err != nil {
							return err
						}
						out.shares++
						return nil
					}
				})
				if err != nil {
					errs <- fmt.Errorf("client %d: %w", i, err)
					return
				}
			}
			results[i] = out
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var want counts
	var wantReplies int
	for _, r := range results {
		if r.liked {
			want.Likes++
		}
		want.Comments += r.comments
		want.Shares += r.shares
		wantReplies += r.replies
	}
	diff(t, "counts of the hot post", want, countsOf(findPost(t, s, p.ID, owner)))
	diff(t, "reply count of the replied comment", wantReplies, findPost(t, s, target.ID, owner).ReplyCount)
	replies, err := s.ListPostReplies(ctx, p.ID, owner.ID, numeneon.Page{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	if len(replies) != want.Comments {
		t.Errorf("ListPostReplies returned %d comments, the count says %d", len(replies), want.Comments)
	}
}

// testNotificationBatch stores a fan-out batch: ids continue each user's
// sequence, in the batch's order, and an unknown user fails the batch.
func testNotificationBatch(t *testing.T, s0 Opener) {
	s := s0(t)
	ctx := context.Background()
	us := createUsers(t, s, "alice", "bob", "carol")
	alice, bob, carol := us[0], us[1], us[2]
	notify(t, s, bob.ID, numeneon.EventNewMessage, `{"n": 0}`)
	var batch []*numeneon.Notification
	for i, u := range []*numeneon.User{alice, bob, carol, bob} {
		batch = append(batch, &numeneon.Notification{UserID: u.ID, Type: numeneon.EventNewPost,
			Data: json.RawMessage(fmt.Sprintf(`{"n": %d, "s": "é\"'"}`, i+1))})
	}
	update(t, s, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateNotifications(ctx, batch) })
	diff(t, "ids of the batch", []int64{1, 2, 1, 3}, ids(batch))
	for _, n := range batch {
		checkTimestamp(t, "batch CreatedAt", n.CreatedAt)
	}
	got, err := s.ListNotifications(ctx, bob.ID, 0, 10)
	if err != nil {
		t.Fatal(err)
	}
	diff(t, "bob's ids", []int64{1, 2, 3}, ids(got))
	jsonEqual(t, "bob's second notification", json.RawMessage(`{"n": 2, "s": "é\"'"}`), got[1].Data)
	if got[2].Type != numeneon.EventNewPost {
		t.Errorf("type = %q, want %q", got[2].Type, numeneon.EventNewPost)
	}
	if last, err := s.LastNotificationID(ctx, bob.ID); err != nil || last != 3 {
		t.Errorf("LastNotificationID(bob) = %d, %v; want 3", last, err)
	}

	bad := []*numeneon.Notification{
		{UserID: alice.ID, Type: numeneon.EventNewPost, Data: json.RawMessage(`{}`)},
		{UserID: 999999, Type: numeneon.EventNewPost, Data: json.RawMessage(`{}`)},
	}
	err = s.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateNotifications(ctx, bad) })
	wantCode(t, err, numeneon.ENOTFOUND, "a batch naming an unknown user")
	if last, err := s.LastNotificationID(ctx, alice.ID); err != nil || last != 1 {
		t.Errorf("LastNotificationID(alice) after the failed batch = %d, %v; want 1", last, err)
	}
}

// testPruneNotifications deletes old notifications in batches and keeps
// every user's counter, so ids are not reused.
func testPruneNotifications(t *testing.T, open Opener) {
	s := open(t)
	ctx := context.Background()
	us := createUsers(t, s, "alice", "bob")
	alice, bob := us[0], us[1]
	for range 3 {
		notify(t, s, alice.ID, numeneon.EventNewPost, `{}`)
		notify(t, s, bob.ID, numeneon.EventNewPost, `{}`)
	}
	// Nothing is older than an hour ago.
	var n int
	update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
		n, err = tx.PruneNotifications(ctx, time.Now().Add(-time.Hour), 10)
		return err
	})
	if n != 0 {
		t.Fatalf("pruned %d notifications older than an hour, want 0", n)
	}
	cutoff := time.Now().Add(time.Hour)
	var batches []int
	for {
		update(t, s, func(ctx context.Context, tx numeneon.Tx) (err error) {
			n, err = tx.PruneNotifications(ctx, cutoff, 4)
			return err
		})
		batches = append(batches, n)
		if n < 4 {
			break
		}
	}
	diff(t, "batches", []int{4, 2}, batches)
	got, err := s.ListNotifications(ctx, alice.ID, 0, 10)
	if err != nil || len(got) != 0 {
		t.Fatalf("alice's notifications after the prune: %d, %v; want none", len(got), err)
	}
	if n := notify(t, s, alice.ID, numeneon.EventNewPost, `{}`); n.ID != 4 {
		t.Errorf("the next notification after a prune got id %d, want 4", n.ID)
	}
}
