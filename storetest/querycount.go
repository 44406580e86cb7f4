package storetest

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/numeneon/numeneon"
)

// CountingOpener returns a fresh, migrated, empty store and a counter of the
// statements its read methods run.
type CountingOpener func(t *testing.T) (numeneon.Store, *atomic.Int64)

// RunQueryCounts checks that the feed and every post list cost the same
// number of statements, one, whether they return one post or a full page
// with authors, walls, mentions, likes, comments and shares: no query per
// post.
func RunQueryCounts(t *testing.T, open CountingOpener) {
	s, queries := open(t)
	ctx := context.Background()
	names := []string{"me", "wall"}
	for i := range 10 {
		names = append(names, fmt.Sprint("friend", i))
	}
	us := createUsers(t, s, names...)
	me, wallOwner, friends := us[0], us[1], us[2:]
	befriend(t, s, me, wallOwner)
	for _, f := range friends {
		befriend(t, s, me, f)
	}

	lists := []struct {
		name string
		list func() ([]*numeneon.Post, error)
	}{
		{"feed", func() ([]*numeneon.Post, error) { return s.ListFeedPosts(ctx, me.ID, numeneon.Page{Limit: 100}) }},
		{"profile", func() ([]*numeneon.Post, error) {
			return s.ListProfilePosts(ctx, wallOwner.ID, me.ID, numeneon.Page{Limit: 100})
		}},
	}
	var parent *numeneon.Post
	count := func(round string) map[string]int64 {
		t.Helper()
		out := map[string]int64{}
		all := append(lists, struct {
			name string
			list func() ([]*numeneon.Post, error)
		}{"replies", func() ([]*numeneon.Post, error) {
			return s.ListPostReplies(ctx, parent.ID, me.ID, numeneon.Page{Limit: 100})
		}})
		for _, l := range all {
			before := queries.Load()
			ps, err := l.list()
			if err != nil {
				t.Fatalf("%s (%s): %v", l.name, round, err)
			}
			if len(ps) == 0 {
				t.Fatalf("%s (%s) is empty", l.name, round)
			}
			out[l.name] = queries.Load() - before
		}
		return out
	}

	onWall := newPost(me, "on the wall")
	onWall.TargetProfileID = &wallOwner.ID
	createPost(t, s, onWall)
	parent = onWall
	comment(t, s, friends[0], parent, "first comment")
	small := count("one post each")

	// Forty more posts by everyone, each with a mention, likes, comments
	// and shares, every user filled.
	for i := range 40 {
		author := friends[i%len(friends)]
		p := newPost(author, fmt.Sprint("post ", i))
		if i%2 == 0 { // half of them on the wall, by me
			author = me
			p = newPost(me, fmt.Sprint("post ", i))
			p.TargetProfileID = &wallOwner.ID
		}
		createPost(t, s, p)
		c := comment(t, s, friends[(i+1)%len(friends)], parent, fmt.Sprint("comment ", i))
		update(t, s, func(ctx context.Context, tx numeneon.Tx) error {
			reply := &numeneon.Post{AuthorID: author.ID, Type: numeneon.PostThoughts, Content: "@", ParentID: &parent.ID,
				ReplyToCommentID: &c.ID, MentionedUserID: &friends[0].ID}
			if err := tx.CreatePost(ctx, reply); err != nil {
				return err
			}
			for _, u := range friends[:3] {
				if _, err := tx.LikePost(ctx, p.ID, u.ID); err != nil {
					return err
				}
			}
			return tx.SharePost(ctx, p.ID, me.ID)
		})
	}
	large := count("forty posts more")
	diff(t, "statements per list, one post against forty-one", small, large)
	for name, n := range large {
		if n != 1 {
			t.Errorf("%s ran %d statements, want 1", name, n)
		}
	}
}
