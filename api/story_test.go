package api_test

import (
	"context"
	"encoding/json"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/api"
)

// testClock is a clock a test moves by hand, given to the service so a
// story expires without waiting a day.
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

func (ts *testServer) useTestClock() *testClock {
	c := &testClock{now: time.Now()}
	ts.app.UseClock(c.Now)
	return c
}

// befriend makes a and b friends through the API.
func (ts *testServer) befriend(a, b *user) {
	ts.t.Helper()
	ts.mustDo("POST", "/api/friends/request/"+id(b.ID)+"/", a.Access, nil, http.StatusCreated, nil)
	var reqs []object
	ts.mustDo("GET", "/api/friends/requests/", b.Access, nil, http.StatusOK, &reqs)
	for _, r := range reqs {
		if from := r["from_user"].(object); num(ts.t, from["id"]) == a.ID {
			ts.mustDo("POST", "/api/friends/accept/"+id(num(ts.t, r["id"]))+"/", b.Access, nil, http.StatusCreated, nil)
			return
		}
	}
	ts.t.Fatalf("no request from %s to %s", a.Username, b.Username)
}

// postStory posts a story as u and returns the answer.
func (ts *testServer) postStory(u *user, caption string) object {
	ts.t.Helper()
	var st object
	ts.mustDo("POST", "/api/stories/", u.Access, object{
		"media_type": "image", "media_url": "https://cdn.example.com/" + caption + ".jpg", "caption": caption,
	}, http.StatusCreated, &st)
	return st
}

// stories lists path as u and returns the stories.
func (ts *testServer) stories(u *user, path string) []object {
	ts.t.Helper()
	var body map[string][]object
	ts.mustDo("GET", path, u.Access, nil, http.StatusOK, &body)
	wantKeys(ts.t, "story list", anyMap(body), "stories")
	if body["stories"] == nil {
		ts.t.Fatalf("GET %s: stories is null, want a list", path)
	}
	return body["stories"]
}

func anyMap(m map[string][]object) object {
	out := object{}
	for k, v := range m {
		out[k] = v
	}
	return out
}

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestStoryRoutes(t *testing.T) {
	onBothDatabases(t, api.Config{}, testStoryRoutes)
}

func testStoryRoutes(t *testing.T, ts *testServer) {
	alice, bob, carol := ts.signup("alice"), ts.signup("bob"), ts.signup("carol")
	ts.befriend(bob, alice)
	before := len(ts.got.Deliveries())

	st := ts.postStory(alice, "beach")
	wantKeys(t, "story", st, "id", "user", "media_url", "media_type", "caption", "created_at", "expires_at",
		"is_viewed", "my_reaction", "view_count", "heart_count", "thunder_count")
	sid, _ := st["id"].(string)
	if !uuidRe.MatchString(sid) {
		t.Errorf("story id %q, want a version 4 UUID", sid)
	}
	want := object{
		"user":      object{"id": float64(alice.ID), "username": "alice", "first_name": "Firstalice", "last_name": "Lastalice", "profile_picture": nil},
		"media_url": "https://cdn.example.com/beach.jpg", "media_type": "image", "caption": "beach",
		"is_viewed": false, "my_reaction": nil, "view_count": float64(0), "heart_count": float64(0), "thunder_count": float64(0),
	}
	got := object{}
	for k := range want {
		got[k] = st[k]
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created story (-want +got):\n%s", diff)
	}
	wantTimestamp(t, "created_at", st["created_at"])
	wantTimestamp(t, "expires_at", st["expires_at"])
	created, _ := time.Parse(time.RFC3339, st["created_at"].(string))
	expires, _ := time.Parse(time.RFC3339, st["expires_at"].(string))
	if expires.Sub(created) != 24*time.Hour {
		t.Errorf("story lives %v, want 24h", expires.Sub(created))
	}
	var video object
	ts.mustDo("POST", "/api/stories/", bob.Access, object{"media_type": "video", "media_url": "https://cdn.example.com/v.mp4"},
		http.StatusCreated, &video)
	if video["caption"] != "" || video["media_type"] != "video" {
		t.Errorf("story without a caption = %v, want caption \"\"", video)
	}

	feedIDs := func(u *user, path string) []string {
		t.Helper()
		var ids []string
		for _, s := range ts.stories(u, path) {
			ids = append(ids, s["id"].(string))
		}
		return ids
	}
	vid := video["id"].(string)
	for _, c := range []struct {
		who  *user
		path string
		want []string
	}{
		{alice, "/api/stories/", []string{vid, sid}},
		{bob, "/api/stories/", []string{vid, sid}},
		{carol, "/api/stories/", nil},
		{alice, "/api/stories/me/", []string{sid}},
		{alice, "/api/stories/user/" + id(bob.ID) + "/", []string{vid}},
		{carol, "/api/stories/user/" + id(alice.ID) + "/", nil}, // not a friend: nothing
		{alice, "/api/stories/?limit=1", []string{vid}},
		{alice, "/api/stories/?limit=1&before=" + vid, []string{sid}},
		{alice, "/api/stories/?before=" + sid, nil},
	} {
		if diff := cmp.Diff(c.want, feedIDs(c.who, c.path)); diff != "" {
			t.Errorf("%s GET %s (-want +got):\n%s", c.who.Username, c.path, diff)
		}
	}

	views := []struct {
		who  *user
		want object
	}{
		{bob, object{"success": true, "view_count": float64(1)}},
		{bob, object{"success": true, "view_count": float64(1), "message": "Story already viewed."}},
		{alice, object{"success": true, "view_count": float64(1), "message": "Your own views are not counted."}},
	}
	for i, v := range views {
		var res object
		ts.mustDo("POST", "/api/stories/"+sid+"/view/", v.who.Access, nil, http.StatusOK, &res)
		if diff := cmp.Diff(v.want, res); diff != "" {
			t.Errorf("view #%d by %s (-want +got):\n%s", i, v.who.Username, diff)
		}
	}

	var res object
	ts.mustDo("POST", "/api/stories/"+sid+"/react/", bob.Access, object{"reaction_type": "heart"}, http.StatusOK, &res)
	if diff := cmp.Diff(object{"success": true, "reaction_type": "heart", "heart_count": float64(1), "thunder_count": float64(0)}, res); diff != "" {
		t.Errorf("react (-want +got):\n%s", diff)
	}
	ts.mustDo("POST", "/api/stories/"+sid+"/react/", bob.Access, object{"reaction_type": "thunder"}, http.StatusOK, &res)
	if diff := cmp.Diff(object{"success": true, "reaction_type": "thunder", "heart_count": float64(0), "thunder_count": float64(1)}, res); diff != "" {
		t.Errorf("second react (-want +got):\n%s", diff)
	}
	seen := ts.stories(bob, "/api/stories/user/"+id(alice.ID)+"/")[0]
	if seen["is_viewed"] != true || seen["my_reaction"] != "thunder" || seen["view_count"] != float64(1) || seen["thunder_count"] != float64(1) {
		t.Errorf("bob sees %v, want viewed, his thunder, 1 view, 1 thunder", seen)
	}
	seen = ts.stories(alice, "/api/stories/me/")[0]
	if seen["is_viewed"] != false || seen["my_reaction"] != nil || seen["view_count"] != float64(1) {
		t.Errorf("alice sees %v, want her own story unviewed by her, no reaction of hers, 1 view", seen)
	}

	// Alice was told of each reaction, once each, with bob's short user.
	var events []object
	for _, d := range ts.got.Deliveries()[before:] {
		var f struct {
			Type string
			Data object
		}
		if err := json.Unmarshal(d.Env.Frame, &f); err != nil {
			t.Fatal(err)
		}
		if f.Type == numeneon.EventStoryReaction {
			if d.Env.UserID != alice.ID || !d.Committed {
				t.Errorf("story_reaction to user %d committed=%v, want alice's, committed", d.Env.UserID, d.Committed)
			}
			events = append(events, f.Data)
		}
	}
	bobShort := object{"id": float64(bob.ID), "username": "bob", "first_name": "Firstbob", "last_name": "Lastbob"}
	wantEvents := []object{
		{"story_id": sid, "reaction_type": "heart", "user": bobShort},
		{"story_id": sid, "reaction_type": "thunder", "user": bobShort},
	}
	if diff := cmp.Diff(wantEvents, events); diff != "" {
		t.Errorf("story_reaction events (-want +got):\n%s", diff)
	}

	status, body := ts.do("DELETE", "/api/stories/"+sid+"/react/", bob.Access, nil)
	if status != http.StatusNoContent || len(body) != 0 {
		t.Errorf("unreact = %d %q, want 204 and no body", status, body)
	}
	ts.mustDo("DELETE", "/api/stories/"+sid+"/react/", bob.Access, nil, http.StatusNotFound, nil)

	ts.mustDo("DELETE", "/api/stories/"+sid+"/", bob.Access, nil, http.StatusForbidden, nil)
	ts.mustDo("DELETE", "/api/stories/"+sid+"/", carol.Access, nil, http.StatusNotFound, nil)
	status, body = ts.do("DELETE", "/api/stories/"+sid+"/", alice.Access, nil)
	if status != http.StatusNoContent || len(body) != 0 {
		t.Errorf("delete = %d %q, want 204 and no body", status, body)
	}
	if diff := cmp.Diff([]string{vid}, feedIDs(bob, "/api/stories/")); diff != "" {
		t.Errorf("bob's feed after the delete (-want +got):\n%s", diff)
	}
	ts.mustDo("POST", "/api/stories/"+sid+"/view/", bob.Access, nil, http.StatusNotFound, nil)
}

// TestNobodyTouchesStoriesTheyMayNotSee: strangers, friends and a story's
// owner try what they may not; every attempt is refused and changes
// nothing anyone can see.
func TestNobodyTouchesStoriesTheyMayNotSee(t *testing.T) {
	onBothDatabases(t, api.Config{}, testNobodyTouchesStoriesTheyMayNotSee)
}

func testNobodyTouchesStoriesTheyMayNotSee(t *testing.T, ts *testServer) {
	clock := ts.useTestClock()
	alice, bob, mallory := ts.signup("alice"), ts.signup("bob"), ts.signup("mallory")
	ts.befriend(alice, bob)
	old := ts.postStory(alice, "old")["id"].(string)
	ts.mustDo("POST", "/api/stories/"+old+"/view/", bob.Access, nil, http.StatusOK, nil)
	clock.Advance(23 * time.Hour)
	live := ts.postStory(alice, "live")["id"].(string)
	ts.mustDo("POST", "/api/stories/"+live+"/react/", bob.Access, object{"reaction_type": "heart"}, http.StatusOK, nil)
	clock.Advance(time.Hour) // old has expired

	snapshot := func() string {
		t.Helper()
		var notes []object
		ts.mustDo("GET", "/api/notifications/", alice.Access, nil, http.StatusOK, &notes)
		b, _ := json.Marshal([]any{ts.stories(alice, "/api/stories/me/"), ts.stories(bob, "/api/stories/"), notes})
		return string(b)
	}
	before := snapshot()
	for _, c := range []struct {
		who          *user
		method, path string
		body         any
		want         int
	}{
		{mallory, "POST", "/api/stories/" + live + "/view/", nil, 404},
		{mallory, "POST", "/api/stories/" + live + "/react/", object{"reaction_type": "thunder"}, 404},
		{mallory, "DELETE", "/api/stories/" + live + "/react/", nil, 404},
		{mallory, "DELETE", "/api/stories/" + live + "/", nil, 404},
		{bob, "DELETE", "/api/stories/" + live + "/", nil, 403},
		{bob, "POST", "/api/stories/" + old + "/view/", nil, 404},
		{bob, "POST", "/api/stories/" + old + "/react/", object{"reaction_type": "thunder"}, 404},
		{bob, "DELETE", "/api/stories/" + old + "/react/", nil, 404},
		{bob, "DELETE", "/api/stories/" + old + "/", nil, 404},
		{bob, "POST", "/api/stories/" + live + "/react/", object{"reaction_type": "like"}, 400},
		{alice, "DELETE", "/api/stories/" + live + "/react/", nil, 404}, // she has not reacted
		{mallory, "POST", "/api/messages/", object{"receiver_id": alice.ID, "content": "hi", "reply_to_story": live}, 404},
		{bob, "POST", "/api/messages/", object{"receiver_id": alice.ID, "content": "hi", "reply_to_story": old}, 404},
		{bob, "POST", "/api/messages/", object{"receiver_id": mallory.ID, "content": "hi", "reply_to_story": live}, 400},
	} {
		status, body := ts.do(c.method, c.path, c.who.Access, c.body)
		if status != c.want {
			t.Errorf("%s %s %s = %d %s, want %d", c.who.Username, c.method, c.path, status, body, c.want)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("refused requests changed what users see:\nbefore %s\nafter  %s", before, after)
	}
	var msgs []object
	ts.mustDo("GET", "/api/messages/", alice.Access, nil, http.StatusOK, &msgs)
	ts.mustDo("GET", "/api/messages/", mallory.Access, nil, http.StatusOK, &msgs)
	if len(msgs) != 0 {
		t.Errorf("refused replies were stored: %v", msgs)
	}
}

// TestStoryRepliesInMessages: a reply carries its story in every message
// list, marked expired once the story is, and still after the cleanup.
func TestStoryRepliesInMessages(t *testing.T) {
	onBothDatabases(t, api.Config{}, testStoryRepliesInMessages)
}

func testStoryRepliesInMessages(t *testing.T, ts *testServer) {
	clock := ts.useTestClock()
	alice, bob := ts.signup("alice"), ts.signup("bob")
	ts.befriend(alice, bob)
	sid := ts.postStory(alice, "beach")["id"].(string)

	var m object
	ts.mustDo("POST", "/api/messages/", bob.Access, object{"receiver_id": alice.ID, "content": "nice", "reply_to_story": sid}, http.StatusCreated, &m)
	story := object{"id": sid, "media_url": "https://cdn.example.com/beach.jpg", "media_type": "image", "is_expired": false}
	if diff := cmp.Diff(story, m["story"]); diff != "" {
		t.Errorf("POST answer's story (-want +got):\n%s", diff)
	}
	ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "thanks"}, http.StatusCreated, &m)
	if m["story"] != nil {
		t.Errorf("a plain message has story %v, want null", m["story"])
	}

	check := func(when string, want any) {
		t.Helper()
		var list, thread, convs []object
		ts.mustDo("GET", "/api/messages/", alice.Access, nil, http.StatusOK, &list)
		ts.mustDo("GET", "/api/messages/conversation/"+id(bob.ID)+"/", alice.Access, nil, http.StatusOK, &thread)
		ts.mustDo("GET", "/api/messages/conversations/", bob.Access, nil, http.StatusOK, &convs)
		if len(list) != 2 || len(thread) != 2 || len(convs) != 1 {
			t.Fatalf("%s: %d messages, %d in the thread, %d conversations; want 2, 2, 1", when, len(list), len(thread), len(convs))
		}
		for what, got := range map[string]any{"list": list[0]["story"], "thread": thread[0]["story"]} {
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: the reply's story in the %s (-want +got):\n%s", when, what, diff)
			}
		}
		if list[1]["story"] != nil || convs[0]["last_message"].(object)["story"] != nil {
			t.Errorf("%s: the plain message shows a story", when)
		}
	}
	check("while the story lives", story)

	clock.Advance(24 * time.Hour)
	story["is_expired"] = true
	check("once it expired", story)
	if _, err := ts.app.PurgeExpiredStories(context.Background()); err != nil {
		t.Fatal(err)
	}
	check("after the cleanup", story)
	// Its owner deletes it: the reply keeps its text, not the story.
	ts.mustDo("DELETE", "/api/stories/"+sid+"/", alice.Access, nil, http.StatusNoContent, nil)
	check("after its owner deleted it", nil)
}
