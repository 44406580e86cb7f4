package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

// testClock is a clock a test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.now = c.now.Add(d)
	c.mu.Unlock()
}

// useTestClock gives e's service a clock starting now.
func (e *env) useTestClock() *testClock {
	c := &testClock{now: time.Now()}
	e.svc.UseClock(c.Now)
	return c
}

// befriend makes a and b friends through the service.
func (e *env) befriend(t *testing.T, a, b *numeneon.User) {
	t.Helper()
	res, err := e.svc.SendFriendRequest(as(a), b.ID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AcceptFriendRequest(as(b), res.Request.ID); err != nil {
		t.Fatal(err)
	}
}

func (e *env) postStory(t *testing.T, u *numeneon.User, caption string) *numeneon.Story {
	t.Helper()
	st, err := e.svc.CreateStory(as(u), app.NewStory{MediaType: "image", MediaURL: "https://cdn.example.com/" + caption + ".jpg", Caption: caption})
	if err != nil {
		t.Fatalf("post story %q: %v", caption, err)
	}
	return st
}

func storyCaptions(sts []*numeneon.Story) []string {
	out := []string{}
	for _, st := range sts {
		out = append(out, st.Caption)
	}
	return out
}

func TestStoriesAreSeenByFriendsUntilTheyExpire(t *testing.T) {
	e := mustOpenEnv(t)
	clock := e.useTestClock()
	alice, bob, carol := e.createUser(t, "alice"), e.createUser(t, "bob"), e.createUser(t, "carol")
	e.befriend(t, alice, bob)

	st := e.postStory(t, alice, "beach")
	if len(st.ID) != 36 || st.ID != strings.ToLower(st.ID) {
		t.Errorf("story id %q, want a canonical UUID", st.ID)
	}
	if got := st.ExpiresAt.Sub(st.CreatedAt); got != 24*time.Hour {
		t.Errorf("story lives %v, want 24h", got)
	}
	clock.Advance(time.Hour)
	e.postStory(t, bob, "hike")

	feeds := map[*numeneon.User][]string{alice: {"hike", "beach"}, bob: {"hike", "beach"}, carol: {}}
	for u, want := range feeds {
		got, err := e.svc.FeedStories(as(u), numeneon.StoryPage{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, storyCaptions(got)); diff != "" {
			t.Errorf("%s's feed (-want +got):\n%s", u.Username, diff)
		}
	}
	if got, err := e.svc.UserStories(as(carol), alice.ID, numeneon.StoryPage{}); err != nil || len(got) != 0 {
		t.Errorf("carol lists alice's stories: %v, %v; want none", storyCaptions(got), err)
	}
	if got, err := e.svc.UserStories(as(bob), alice.ID, numeneon.StoryPage{}); err != nil || len(got) != 1 {
		t.Errorf("bob lists alice's stories: %v, %v; want one", storyCaptions(got), err)
	}
	_, err := e.svc.UserStories(as(bob), 987654, numeneon.StoryPage{})
	wantCode(t, err, numeneon.ENOTFOUND)
	_, err = e.svc.ViewStory(as(carol), st.ID)
	wantCode(t, err, numeneon.ENOTFOUND)

	// Alice's story expires 24 h after it was posted; bob's an hour later.
	clock.Advance(23 * time.Hour)
	got, err := e.svc.FeedStories(as(bob), numeneon.StoryPage{})
	if err != nil || len(got) != 1 || got[0].Caption != "hike" {
		t.Errorf("bob's feed after 24 h = %v, %v; want only his own newer story", storyCaptions(got), err)
	}
	_, err = e.svc.ViewStory(as(bob), st.ID)
	wantCode(t, err, numeneon.ENOTFOUND)
	_, err = e.svc.ReactToStory(as(bob), st.ID, "heart")
	wantCode(t, err, numeneon.ENOTFOUND)
	// Its owner may still delete it.
	if err := e.svc.DeleteStory(as(alice), st.ID); err != nil {
		t.Errorf("alice deletes her expired story: %v", err)
	}
}

func TestStoryViewsAndReactions(t *testing.T) {
	e := mustOpenEnv(t)
	alice, bob, carol := e.createUser(t, "alice"), e.createUser(t, "bob"), e.createUser(t, "carol")
	e.befriend(t, alice, bob)
	e.befriend(t, alice, carol)
	before := len(e.got.Deliveries())
	st := e.postStory(t, alice, "beach")

	views := []struct {
		who  *numeneon.User
		want app.StoryViewResult
	}{
		{alice, app.StoryViewResult{ViewCount: 0, Message: "Your own views are not counted."}},
		{bob, app.StoryViewResult{ViewCount: 1}},
		{bob, app.StoryViewResult{ViewCount: 1, Message: "Story already viewed."}},
		{carol, app.StoryViewResult{ViewCount: 2}},
	}
	for i, v := range views {
		got, err := e.svc.ViewStory(as(v.who), st.ID)
		if err != nil {
			t.Fatalf("view #%d by %s: %v", i, v.who.Username, err)
		}
		if *got != v.want {
			t.Errorf("view #%d by %s = %+v, want %+v", i, v.who.Username, *got, v.want)
		}
	}
	// The id is accepted in upper case and without dashes too.
	if _, err := e.svc.ViewStory(as(bob), strings.ToUpper(strings.ReplaceAll(st.ID, "-", ""))); err != nil {
		t.Errorf("view by an id without dashes: %v", err)
	}

	type counts struct {
		Mine           string
		Heart, Thunder int
	}
	reactions := []struct {
		who  *numeneon.User
		typ  string
		want counts
	}{
		{bob, "heart", counts{"heart", 1, 0}},
		{bob, "heart", counts{"heart", 1, 0}}, // no change, no event
		{carol, "thunder", counts{"thunder", 1, 1}},
		{alice, "heart", counts{"heart", 2, 1}}, // her own: no event
		{bob, "thunder", counts{"thunder", 1, 2}},
	}
	for i, r := range reactions {
		got, err := e.svc.ReactToStory(as(r.who), st.ID, r.typ)
		if err != nil {
			t.Fatalf("reaction #%d: %v", i, err)
		}
		if c := (counts{got.MyReaction, got.HeartCount, got.ThunderCount}); c != r.want {
			t.Errorf("reaction #%d by %s = %+v, want %+v", i, r.who.Username, c, r.want)
		}
	}
	_, err := e.svc.ReactToStory(as(bob), st.ID, "like")
	wantCode(t, err, numeneon.EINVALID)

	// Alice got one event per changed reaction of someone else, in order.
	var events []map[string]any
	for _, d := range e.got.Deliveries()[before:] {
		if d.Env.UserID != alice.ID {
			t.Errorf("event for user %d, want only alice's", d.Env.UserID)
			continue
		}
		f := decodeFrame(t, d.Env.Frame)
		if f.Type != numeneon.EventStoryReaction || !d.Committed {
			t.Errorf("event %s committed=%v, want a committed story_reaction", f.Type, d.Committed)
		}
		var data map[string]any
		json.Unmarshal(f.Data, &data)
		events = append(events, data)
	}
	user := func(u *numeneon.User) map[string]any {
		return map[string]any{"id": float64(u.ID), "username": u.Username, "first_name": u.FirstName, "last_name": u.LastName}
	}
	want := []map[string]any{
		{"story_id": st.ID, "reaction_type": "heart", "user": user(bob)},
		{"story_id": st.ID, "reaction_type": "thunder", "user": user(carol)},
		{"story_id": st.ID, "reaction_type": "thunder", "user": user(bob)},
	}
	if diff := cmp.Diff(want, events); diff != "" {
		t.Errorf("story_reaction events (-want +got):\n%s", diff)
	}

	if err := e.svc.UnreactToStory(as(bob), st.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.UnreactToStory(as(bob), st.ID), numeneon.ENOTFOUND)
	got, err := e.svc.FeedStories(as(carol), numeneon.StoryPage{})
	if err != nil || len(got) != 1 {
		t.Fatalf("carol's feed = %v, %v", storyCaptions(got), err)
	}
	if c := (counts{got[0].MyReaction, got[0].HeartCount, got[0].ThunderCount}); c != (counts{"thunder", 1, 1}) || !got[0].IsViewed || got[0].ViewCount != 2 {
		t.Errorf("carol sees %+v viewed=%v views=%d, want thunder 1 1, viewed, 2 views", c, got[0].IsViewed, got[0].ViewCount)
	}
}

func TestOnlyTheOwnerDeletesAStory(t *testing.T) {
	e := mustOpenEnv(t)
	alice, bob, carol := e.createUser(t, "alice"), e.createUser(t, "bob"), e.createUser(t, "carol")
	e.befriend(t, alice, bob)
	st := e.postStory(t, alice, "beach")

	wantCode(t, e.svc.DeleteStory(as(bob), st.ID), numeneon.EFORBIDDEN)  // a friend sees it
	wantCode(t, e.svc.DeleteStory(as(carol), st.ID), numeneon.ENOTFOUND) // a stranger does not
	wantCode(t, e.svc.DeleteStory(as(bob), "not-a-uuid"), numeneon.ENOTFOUND)
	if got, _ := e.svc.FeedStories(as(bob), numeneon.StoryPage{}); len(got) != 1 {
		t.Fatalf("bob's feed after the refused deletes = %v, want alice's story", storyCaptions(got))
	}
	if err := e.svc.DeleteStory(as(alice), st.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, e.svc.DeleteStory(as(alice), st.ID), numeneon.ENOTFOUND)
	if got, _ := e.svc.FeedStories(as(bob), numeneon.StoryPage{}); len(got) != 0 {
		t.Errorf("bob's feed after the delete = %v, want none", storyCaptions(got))
	}
}

func TestCreateStoryValidation(t *testing.T) {
	e := mustOpenEnv(t)
	alice := e.createUser(t, "alice")
	url := "https://cdn.example.com/a.jpg"
	tests := []struct {
		name  string
		in    app.NewStory
		field string
	}{
		{"no media type", app.NewStory{MediaURL: url}, "media_type"},
		{"bad media type", app.NewStory{MediaType: "gif", MediaURL: url}, "media_type"},
		{"no url", app.NewStory{MediaType: "image"}, "media_url"},
		{"javascript url", app.NewStory{MediaType: "image", MediaURL: "javascript:alert(1)"}, "media_url"},
		{"url with NUL", app.NewStory{MediaType: "image", MediaURL: "https://cdn.example.com/\x00.jpg"}, "media_url"},
		{"long url", app.NewStory{MediaType: "image", MediaURL: url + "?" + strings.Repeat("q", 2048)}, "media_url"},
		{"long caption", app.NewStory{MediaType: "image", MediaURL: url, Caption: strings.Repeat("é", 501)}, "caption"},
		{"caption with NUL", app.NewStory{MediaType: "image", MediaURL: url, Caption: "a\x00b"}, "caption"},
		{"caption not UTF-8", app.NewStory{MediaType: "image", MediaURL: url, Caption: "a\xffb"}, "caption"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.CreateStory(as(alice), tt.in)
			wantCode(t, err, numeneon.EINVALID)
			var derr *numeneon.Error
			if !errors.As(err, &derr) || len(derr.Fields[tt.field]) == 0 {
				t.Errorf("error %v does not name field %s", err, tt.field)
			}
		})
	}
	if got, _ := e.svc.FeedStories(as(alice), numeneon.StoryPage{}); len(got) != 0 {
		t.Errorf("invalid stories were stored: %v", storyCaptions(got))
	}
}

func TestStoryReplies(t *testing.T) {
	e := mustOpenEnv(t)
	clock := e.useTestClock()
	alice, bob, carol := e.createUser(t, "alice"), e.createUser(t, "bob"), e.createUser(t, "carol")
	e.befriend(t, alice, bob)
	e.befriend(t, bob, carol)
	st := e.postStory(t, alice, "beach")
	id := strings.ToUpper(st.ID) // any accepted form; stored canonical

	m, err := e.svc.SendMessage(as(bob), alice.ID, "nice!", &id)
	if err != nil {
		t.Fatal(err)
	}
	want := &numeneon.MessageStory{ID: st.ID, MediaURL: st.MediaURL, MediaType: "image", ExpiresAt: st.ExpiresAt}
	if diff := cmp.Diff(want, m.Story); diff != "" {
		t.Errorf("sent reply's story (-want +got):\n%s", diff)
	}
	_, err = e.svc.SendMessage(as(carol), alice.ID, "who are you", &id) // not alice's friend
	wantCode(t, err, numeneon.ENOTFOUND)
	_, err = e.svc.SendMessage(as(bob), carol.ID, "look at this", &id) // not the story's author
	wantCode(t, err, numeneon.EINVALID)
	unknown := "0b6f1c7e-2f43-4a52-9a55-4e1f8b1d2c3a"
	_, err = e.svc.SendMessage(as(bob), alice.ID, "hm", &unknown)
	wantCode(t, err, numeneon.ENOTFOUND)

	listed := func() *numeneon.MessageStory {
		t.Helper()
		msgs, err := e.svc.ListMessages(as(alice), numeneon.Page{})
		if err != nil || len(msgs) != 1 {
			t.Fatalf("alice's messages = %v, %v; want the one reply", msgs, err)
		}
		convs, err := e.svc.ListConversations(as(alice))
		if err != nil || len(convs) != 1 {
			t.Fatalf("alice's conversations = %v, %v", convs, err)
		}
		if diff := cmp.Diff(msgs[0].Story, convs[0].LastMessage.Story); diff != "" {
			t.Errorf("the inbox and the list disagree on the story (-list +inbox):\n%s", diff)
		}
		return msgs[0].Story
	}
	if diff := cmp.Diff(want, listed()); diff != "" {
		t.Errorf("listed reply's story (-want +got):\n%s", diff)
	}

	clock.Advance(24 * time.Hour)
	want.Expired = true
	if diff := cmp.Diff(want, listed()); diff != "" {
		t.Errorf("listed reply's story after expiry (-want +got):\n%s", diff)
	}
	_, err = e.svc.SendMessage(as(bob), alice.ID, "late", &id)
	wantCode(t, err, numeneon.ENOTFOUND)

	// The cleanup keeps a story a message replies to.
	if n, err := e.svc.PurgeExpiredStories(context.Background()); err != nil || n != 1 {
		t.Fatalf("purge = %d, %v; want 1 story cleaned", n, err)
	}
	if diff := cmp.Diff(want, listed()); diff != "" {
		t.Errorf("listed reply's story after the cleanup (-want +got):\n%s", diff)
	}
}

func TestStoryCleanupJob(t *testing.T) {
	e := mustOpenEnv(t)
	clock := e.useTestClock()
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")
	e.befriend(t, alice, bob)
	old := e.postStory(t, alice, "old")
	if _, err := e.svc.ViewStory(as(bob), old.ID); err != nil {
		t.Fatal(err)
	}
	clock.Advance(23 * time.Hour)
	fresh := e.postStory(t, alice, "fresh")

	job := e.svc.StartStoryCleanup(5 * time.Millisecond)
	t.Cleanup(job.Close)
	clock.Advance(time.Hour) // old expires now; fresh has 23 h to go

	deadline := time.Now().Add(10 * time.Second)
	for {
		_, err := e.store.FindStory(context.Background(), old.ID, alice.ID)
		if numeneon.ErrorCode(err) == numeneon.ENOTFOUND {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("expired story still stored (%v): the cleanup job did not remove it", err)
		}
		time.Sleep(5 * time.Millisecond)
	}
	// The pass that removed the expired story left the live one.
	if _, err := e.store.FindStory(context.Background(), fresh.ID, alice.ID); err != nil {
		t.Errorf("the live story after a cleanup pass: %v", err)
	}
	job.Close()
	job.Close() // a second Close is harmless
}
