package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon/api"
)

var postKeys = []string{"id", "author", "content", "type", "media_url", "created_at", "updated_at", "parent",
	"target_profile", "reply_to_comment", "mentioned_user", "reply_count", "likes_count", "comment_count",
	"shares_count", "is_liked"}

// createPost posts body as u and returns the answer.
func (ts *testServer) createPost(u *user, body object) object {
	ts.t.Helper()
	var p object
	ts.mustDo("POST", "/api/posts/", u.Access, body, http.StatusCreated, &p)
	return p
}

func (ts *testServer) posts(u *user, path string) []object {
	ts.t.Helper()
	var ps []object
	ts.mustDo("GET", path, u.Access, nil, http.StatusOK, &ps)
	if ps == nil {
		ts.t.Fatalf("GET %s: null, want a list", path)
	}
	return ps
}

// notes returns u's stored events of type typ, oldest first.
func (ts *testServer) notes(u *user, typ string) []object {
	ts.t.Helper()
	var all, out []object
	ts.mustDo("GET", "/api/notifications/?limit=500", u.Access, nil, http.StatusOK, &all)
	for _, n := range all {
		if n["type"] == typ {
			out = append(out, n)
		}
	}
	return out
}

func postContents(ps []object) []string {
	out := []string{}
	for _, p := range ps {
		out = append(out, p["content"].(string))
	}
	return out
}

// counters is what a viewer sees of a post's counts.
func counters(t *testing.T, p object) [5]any {
	t.Helper()
	return [5]any{num(t, p["reply_count"]), num(t, p["likes_count"]), num(t, p["comment_count"]), num(t, p["shares_count"]), p["is_liked"]}
}

// TestPosts drives the posts routes as the client does: the feed, profile
// walls, comments, @replies, likes and shares, with the shapes of API.md
// and the events each raises.
func TestPosts(t *testing.T) {
	onBothDatabases(t, api.Config{}, testPosts)
}

func testPosts(t *testing.T, ts *testServer) {
	alice, bob, carol, dave := ts.signup("alice"), ts.signup("bob"), ts.signup("carol"), ts.signup("dave")
	ts.befriend(alice, bob)
	ts.befriend(alice, carol)

	p := ts.createPost(alice, object{"content": "hello", "type": "media", "media_url": "https://cdn.example.com/a.jpg"})
	wantKeys(t, "Post", p, postKeys...)
	wantKeys(t, "author (own)", p["author"], "id", "username", "email", "first_name", "last_name", "date_joined", "profile_picture")
	wantTimestamp(t, "created_at", p["created_at"])
	if p["parent"] != nil || p["target_profile"] != nil || p["mentioned_user"] != nil || p["reply_to_comment"] != nil {
		t.Errorf("top-level post has references: %v", p)
	}
	pid := id(num(t, p["id"]))

	// new_post reaches every friend, with the Post and nobody's email.
	for _, f := range []*user{bob, carol} {
		ns := ts.notes(f, "new_post")
		if len(ns) != 1 {
			t.Fatalf("%s got %d new_post events, want 1", f.Username, len(ns))
		}
		data := ns[0]["data"].(object)
		wantKeys(t, "new_post data", data, postKeys...)
		wantKeys(t, "new_post author", data["author"], "id", "username", "first_name", "last_name", "date_joined", "profile_picture")
		if num(t, data["id"]) != num(t, p["id"]) {
			t.Errorf("new_post names post %v, want %v", data["id"], p["id"])
		}
	}
	if ns := ts.notes(dave, "new_post"); len(ns) != 0 {
		t.Errorf("dave, not a friend, got %d new_post events", len(ns))
	}

	// A wall post: on a friend's wall, wall_post to that friend only.
	wall := ts.createPost(bob, object{"content": "on alice's wall", "type": "thoughts", "target_profile_id": alice.ID})
	wantKeys(t, "target_profile", wall["target_profile"], "id", "username", "first_name", "last_name", "date_joined", "profile_picture")
	ws := ts.notes(alice, "wall_post")
	if len(ws) != 1 {
		t.Fatalf("alice got %d wall_post events, want 1", len(ws))
	}
	wd := ws[0]["data"].(object)
	wantKeys(t, "wall_post data", wd, "message", "post", "author")
	if wd["message"] != "bob posted on your wall" || cmp.Diff(object{"id": float64(bob.ID), "username": "bob"}, wd["author"]) != "" {
		t.Errorf("wall_post data = %v", wd)
	}
	if ns := ts.notes(carol, "new_post"); len(ns) != 1 {
		t.Errorf("carol got %d new_post events after bob's wall post, want still 1", len(ns))
	}

	// Comments and an @reply.
	c1 := ts.createPost(bob, object{"content": "nice", "parent_id": pid})
	if num(t, c1["parent"]) != num(t, p["id"]) || c1["type"] != "thoughts" {
		t.Errorf("comment = %v", c1)
	}
	pc := ts.notes(alice, "post_comment")
	if len(pc) != 1 {
		t.Fatalf("alice got %d post_comment events, want 1", len(pc))
	}
	pcd := pc[0]["data"].(object)
	wantKeys(t, "post_comment data", pcd, "message", "commenter", "post", "comment")
	wantKeys(t, "commenter", pcd["commenter"], "id", "username", "first_name", "last_name")
	if num(t, pcd["post"].(object)["comment_count"]) != 1 || num(t, pcd["comment"].(object)["id"]) != num(t, c1["id"]) {
		t.Errorf("post_comment data = %v", pcd)
	}
	reply := ts.createPost(carol, object{"content": "@bob agreed", "type": "thoughts", "parent_id": pid,
		"reply_to_comment_id": c1["id"], "mentioned_user_id": bob.ID, "mentioned_username": "bob"})
	wantKeys(t, "mentioned_user", reply["mentioned_user"], "id", "username", "first_name", "last_name", "date_joined", "profile_picture")
	cr := ts.notes(bob, "comment_reply")
	if len(cr) != 1 {
		t.Fatalf("bob got %d comment_reply events, want 1", len(cr))
	}
	want := object{"message": "carol replied to your comment",
		"replier": object{"id": float64(carol.ID), "username": "carol", "first_name": "Firstcarol", "last_name": "Lastcarol"},
		"reply":   object{"content": "@bob agreed", "id": reply["id"]}, "post": object{"id": p["id"]}, "mentioned_username": "bob"}
	if d := cmp.Diff(want, cr[0]["data"]); d != "" {
		t.Errorf("comment_reply data (-want +got):\n%s", d)
	}
	if pc := ts.notes(alice, "post_comment"); len(pc) != 2 {
		t.Errorf("alice got %d post_comment events after the @reply, want 2 (ours tells the post's author too)", len(pc))
	}
	// A reply by mentioned username alone.
	ts.createPost(alice, object{"content": "@carol yes", "parent_id": pid, "reply_to_comment_id": reply["id"], "mentioned_username": "carol"})
	if cr := ts.notes(carol, "comment_reply"); len(cr) != 1 {
		t.Errorf("carol got %d comment_reply events, want 1", len(cr))
	}

	// Likes and shares, each seen by its viewer.
	var liked object
	ts.mustDo("POST", "/api/posts/"+pid+"/like/", bob.Access, nil, http.StatusOK, &liked)
	ts.mustDo("POST", "/api/posts/"+pid+"/like/", carol.Access, object{"action": "like"}, http.StatusOK, nil)
	ts.mustDo("POST", "/api/posts/"+pid+"/like/", carol.Access, object{"action": "like"}, http.StatusOK, nil)
	ts.mustDo("POST", "/api/posts/"+pid+"/like/", dave.Access, object{"action": "unlike"}, http.StatusOK, nil)
	ts.mustDo("POST", "/api/posts/"+pid+"/share/", dave.Access, nil, http.StatusOK, nil)
	var shared object
	ts.mustDo("POST", "/api/posts/"+pid+"/share/", dave.Access, nil, http.StatusOK, &shared)
	if d := cmp.Diff([5]any{int64(0), int64(1), int64(3), int64(0), true}, counters(t, liked)); d != "" {
		t.Errorf("after bob's like (-want +got):\n%s", d)
	}
	if d := cmp.Diff([5]any{int64(0), int64(2), int64(3), int64(2), false}, counters(t, shared)); d != "" {
		t.Errorf("after dave's shares (-want +got):\n%s", d)
	}
	ts.mustDo("POST", "/api/posts/"+pid+"/like/", bob.Access, object{}, http.StatusOK, &liked) // toggles off
	if liked["is_liked"] != false || num(t, liked["likes_count"]) != 1 {
		t.Errorf("after bob's toggle: %v", liked)
	}

	// The feed, a profile and the replies.
	feed := ts.posts(alice, "/api/posts/")
	if d := cmp.Diff([]string{"on alice's wall", "hello"}, postContents(feed)); d != "" {
		t.Errorf("alice's feed (-want +got):\n%s", d)
	}
	wantKeys(t, "feed author (own)", feed[1]["author"], "id", "username", "email", "first_name", "last_name", "date_joined", "profile_picture")
	wantKeys(t, "feed author (other)", feed[0]["author"], "id", "username", "first_name", "last_name", "date_joined", "profile_picture")
	if got := postContents(ts.posts(dave, "/api/posts/")); len(got) != 0 {
		t.Errorf("dave's feed = %v, want empty", got)
	}
	if d := cmp.Diff([]string{"on alice's wall", "hello"}, postContents(ts.posts(dave, "/api/posts/?username=alice"))); d != "" {
		t.Errorf("alice's profile (-want +got):\n%s", d)
	}
	if got := postContents(ts.posts(dave, "/api/posts/?username=bob")); len(got) != 0 {
		t.Errorf("bob's profile = %v, want empty (his post is on alice's wall)", got)
	}
	if got := postContents(ts.posts(dave, "/api/posts/?username=nobody")); len(got) != 0 {
		t.Errorf("an unknown user's profile = %v, want empty", got)
	}
	if d := cmp.Diff([]string{"@carol yes", "@bob agreed", "nice"}, postContents(ts.posts(dave, "/api/posts/"+pid+"/replies/"))); d != "" {
		t.Errorf("replies (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]string{"@carol yes"}, postContents(ts.posts(dave, "/api/posts/"+pid+"/replies/?limit=1"))); d != "" {
		t.Errorf("replies?limit=1 (-want +got):\n%s", d)
	}
	var got object
	ts.mustDo("GET", "/api/posts/"+id(num(t, c1["id"]))+"/", dave.Access, nil, http.StatusOK, &got)
	if num(t, got["reply_count"]) != 1 {
		t.Errorf("the replied comment's reply_count = %v, want 1", got["reply_count"])
	}

	// Edits and deletes by the author.
	var edited object
	ts.mustDo("PATCH", "/api/posts/"+pid+"/", alice.Access, object{"content": "hello, edited"}, http.StatusOK, &edited)
	if edited["content"] != "hello, edited" || edited["media_url"] != "https://cdn.example.com/a.jpg" {
		t.Errorf("after PATCH: %v", edited)
	}
	ts.mustDo("PUT", "/api/posts/"+pid+"/", alice.Access, object{"type": "milestones", "media_url": nil}, http.StatusOK, &edited)
	if edited["type"] != "milestones" || edited["media_url"] != nil || edited["content"] != "hello, edited" {
		t.Errorf("after PUT: %v", edited)
	}
	ts.mustDo("DELETE", "/api/posts/"+id(num(t, c1["id"]))+"/", bob.Access, nil, http.StatusNoContent, nil)
	ts.mustDo("GET", "/api/posts/"+pid+"/", alice.Access, nil, http.StatusOK, &got)
	if num(t, got["comment_count"]) != 2 {
		t.Errorf("comment_count after a comment was deleted = %v, want 2", got["comment_count"])
	}
	ts.mustDo("DELETE", "/api/posts/"+pid+"/", alice.Access, nil, http.StatusNoContent, nil)
	ts.mustDo("GET", "/api/posts/"+pid+"/", alice.Access, nil, http.StatusNotFound, nil)
	ts.mustDo("GET", "/api/posts/"+id(num(t, reply["id"]))+"/", alice.Access, nil, http.StatusNotFound, nil)
}

// TestNobodyChangesWhatIsNotTheirs has users try every change they may
// not make; each is refused with a 4xx and changes nothing anyone sees.
func TestNobodyChangesWhatIsNotTheirs(t *testing.T) {
	onBothDatabases(t, api.Config{}, testNobodyChangesWhatIsNotTheirs)
}

func testNobodyChangesWhatIsNotTheirs(t *testing.T, ts *testServer) {
	alice, bob, mallory := ts.signup("alice"), ts.signup("bob"), ts.signup("mallory")
	ts.befriend(alice, bob)
	p := ts.createPost(alice, object{"content": "mine"})
	pid := id(num(t, p["id"]))
	c := ts.createPost(bob, object{"content": "a comment", "parent_id": p["id"]})
	other := ts.createPost(bob, object{"content": "another post"})

	snapshot := func() string {
		t.Helper()
		var all []any
		for _, u := range []*user{alice, bob, mallory} {
			var notes []object
			ts.mustDo("GET", "/api/notifications/?limit=500", u.Access, nil, http.StatusOK, &notes)
			all = append(all, ts.posts(u, "/api/posts/"), ts.posts(u, "/api/posts/?username="+u.Username), notes)
		}
		all = append(all, ts.posts(alice, "/api/posts/"+pid+"/replies/"))
		b, _ := json.Marshal(all)
		return string(b)
	}
	before := snapshot()
	huge := strings.Repeat("x", 5001)
	for _, c := range []struct {
		who          *user
		method, path string
		body         any
		want         int
	}{
		{mallory, "PATCH", "/api/posts/" + pid + "/", object{"content": "pwned"}, 403},
		{mallory, "PUT", "/api/posts/" + pid + "/", object{"content": "pwned"}, 403},
		{mallory, "DELETE", "/api/posts/" + pid + "/", nil, 403},
		{bob, "DELETE", "/api/posts/" + pid + "/", nil, 403},                   // a friend neither
		{alice, "DELETE", "/api/posts/" + id(num(t, c["id"])) + "/", nil, 403}, // nor the post's author for a comment
		{mallory, "POST", "/api/posts/", object{"content": "hi", "target_profile_id": alice.ID}, 403},
		{alice, "POST", "/api/posts/", object{"content": "hi", "target_profile_id": mallory.ID}, 403},
		{alice, "POST", "/api/posts/", object{"content": "hi", "target_profile_id": 999999}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "parent_id": 999999}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "parent_id": p["id"], "reply_to_comment_id": other["id"]}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "reply_to_comment_id": c["id"]}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "parent_id": p["id"], "mentioned_username": "nobody"}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "parent_id": p["id"], "mentioned_user_id": bob.ID, "mentioned_username": "mallory"}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "type": "thought"}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "type": nil}, 400},
		{alice, "POST", "/api/posts/", object{"content": "   "}, 400},
		{alice, "POST", "/api/posts/", object{}, 400},
		{alice, "POST", "/api/posts/", object{"content": huge}, 400},
		{alice, "POST", "/api/posts/", object{"content": "a\x00b"}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "media_url": "javascript:alert(1)"}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "parent_id": "abc"}, 400},
		{alice, "POST", "/api/posts/", object{"content": "hi", "parent_id": -1}, 400},
		{alice, "POST", "/api/posts/", object{"content": 5}, 400},
		{alice, "POST", "/api/posts/", `{"content": "hi"`, 400},
		{alice, "PATCH", "/api/posts/" + pid + "/", object{"type": "poem"}, 400},
		{alice, "PATCH", "/api/posts/" + pid + "/", object{"content": ""}, 400},
		{alice, "PATCH", "/api/posts/" + pid + "/", object{"content": huge}, 400},
		{alice, "PATCH", "/api/posts/999999/", object{"content": "x"}, 404},
		{alice, "DELETE", "/api/posts/999999/", nil, 404},
		{alice, "GET", "/api/posts/999999/", nil, 404},
		{alice, "GET", "/api/posts/abc/", nil, 404},
		{alice, "GET", "/api/posts/999999/replies/", nil, 404},
		{alice, "GET", "/api/posts/?limit=0", nil, 400},
		{alice, "GET", "/api/posts/?before=x", nil, 400},
		{alice, "POST", "/api/posts/" + pid + "/like/", object{"action": "love"}, 400},
		{alice, "POST", "/api/posts/999999/like/", nil, 404},
		{alice, "POST", "/api/posts/999999/share/", nil, 404},
	} {
		status, body := ts.do(c.method, c.path, c.who.Access, c.body)
		if status != c.want {
			t.Errorf("%s %s %s %v = %d %s, want %d", c.who.Username, c.method, c.path, truncate(c.body), status, body, c.want)
		}
	}
	if after := snapshot(); after != before {
		t.Errorf("refused requests changed what users see:\nbefore %s\nafter  %s", before, after)
	}
}

func truncate(v any) string {
	s := fmt.Sprint(v)
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
