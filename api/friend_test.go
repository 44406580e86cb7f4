package api_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/inmem"
)

func TestFriendRoutes(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	alice, bob, carol := ts.signup("alice"), ts.signup("bob"), ts.signup("carol")

	var sent object
	ts.mustDo("POST", "/api/friends/request/"+id(bob.ID)+"/", alice.Access, nil, http.StatusCreated, &sent)
	if diff := cmp.Diff(object{"message": "Friend request sent"}, sent); diff != "" {
		t.Errorf("request (-want +got):\n%s", diff)
	}
	status, body := ts.do("POST", "/api/friends/request/"+id(bob.ID)+"/", alice.Access, nil)
	if status != http.StatusBadRequest {
		t.Errorf("duplicate request = %d %s, want 400", status, body)
	}

	var reqs []object
	ts.mustDo("GET", "/api/friends/requests/", bob.Access, nil, http.StatusOK, &reqs)
	if len(reqs) != 1 {
		t.Fatalf("bob's requests = %v, want 1", reqs)
	}
	wantKeys(t, "request", reqs[0], "id", "from_user", "created_at")
	wantTimestamp(t, "request.created_at", reqs[0]["created_at"])
	if diff := cmp.Diff(object{"id": float64(alice.ID), "username": "alice", "first_name": "Firstalice", "last_name": "Lastalice"}, reqs[0]["from_user"]); diff != "" {
		t.Errorf("from_user (-want +got):\n%s", diff)
	}
	reqID := id(num(t, reqs[0]["id"]))

	// Suggestions exclude self and pending either way.
	var sugg []object
	ts.mustDo("GET", "/api/friends/suggestions/", alice.Access, nil, http.StatusOK, &sugg)
	if len(sugg) != 1 || num(t, sugg[0]["id"]) != carol.ID {
		t.Errorf("alice's suggestions = %v, want only carol", sugg)
	} else {
		wantKeys(t, "suggestion", sugg[0], "id", "username", "first_name", "last_name", "profile_picture")
	}

	// Only the addressee may accept or decline.
	status, body = ts.do("POST", "/api/friends/accept/"+reqID+"/", carol.Access, nil)
	if status != http.StatusForbidden {
		t.Errorf("accept by a stranger = %d %s, want 403", status, body)
	}
	status, body = ts.do("POST", "/api/friends/decline/"+reqID+"/", carol.Access, nil)
	if status != http.StatusForbidden || string(body) != `{"message":"Not authorized"}`+"\n" {
		t.Errorf("decline by a stranger = %d %s, want 403 {message: Not authorized}", status, body)
	}

	var accepted object
	ts.mustDo("POST", "/api/friends/accept/"+reqID+"/", bob.Access, nil, http.StatusCreated, &accepted)
	wantKeys(t, "accept", accepted, "message", "friend")
	if diff := cmp.Diff(object{"id": float64(alice.ID), "username": "alice", "first_name": "Firstalice", "last_name": "Lastalice"}, accepted["friend"]); diff != "" {
		t.Errorf("accepted friend (-want +got):\n%s", diff)
	}

	var friends []object
	ts.mustDo("GET", "/api/friends/", alice.Access, nil, http.StatusOK, &friends)
	if len(friends) != 1 || num(t, friends[0]["id"]) != bob.ID {
		t.Fatalf("alice's friends = %v, want bob", friends)
	}
	wantKeys(t, "friend", friends[0], "id", "username", "first_name", "last_name", "profile_picture", "is_online")

	status, _ = ts.do("POST", "/api/friends/request/"+id(alice.ID)+"/", bob.Access, nil)
	if status != http.StatusBadRequest {
		t.Errorf("request to a friend = %d, want 400", status)
	}

	var removed object
	ts.mustDo("DELETE", "/api/friends/remove/"+id(alice.ID)+"/", bob.Access, nil, http.StatusOK, &removed)
	if diff := cmp.Diff(object{"message": "Friend removed"}, removed); diff != "" {
		t.Errorf("remove (-want +got):\n%s", diff)
	}
	ts.mustDo("GET", "/api/friends/", alice.Access, nil, http.StatusOK, &friends)
	if len(friends) != 0 {
		t.Errorf("friends after remove = %v", friends)
	}

	// Decline and cancel.
	ts.mustDo("POST", "/api/friends/request/"+id(carol.ID)+"/", alice.Access, nil, http.StatusCreated, nil)
	ts.mustDo("DELETE", "/api/friends/cancel/"+id(carol.ID)+"/", alice.Access, nil, http.StatusOK, nil)
	ts.mustDo("GET", "/api/friends/requests/", carol.Access, nil, http.StatusOK, &reqs)
	if len(reqs) != 0 {
		t.Errorf("carol's requests after cancel = %v", reqs)
	}
	ts.mustDo("POST", "/api/friends/request/"+id(carol.ID)+"/", alice.Access, nil, http.StatusCreated, nil)
	ts.mustDo("GET", "/api/friends/requests/", carol.Access, nil, http.StatusOK, &reqs)
	ts.mustDo("POST", "/api/friends/decline/"+id(num(t, reqs[0]["id"]))+"/", carol.Access, nil, http.StatusOK, nil)
	ts.mustDo("GET", "/api/friends/requests/", carol.Access, nil, http.StatusOK, &reqs)
	if len(reqs) != 0 {
		t.Errorf("carol's requests after decline = %v", reqs)
	}
}

// TestCrossedFriendRequest: asking someone who already asked you accepts
// their request (the original failed with a 500).
func TestCrossedFriendRequest(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	alice, bob := ts.signup("alice"), ts.signup("bob")
	ts.mustDo("POST", "/api/friends/request/"+id(bob.ID)+"/", alice.Access, nil, http.StatusCreated, nil)
	var res object
	ts.mustDo("POST", "/api/friends/request/"+id(alice.ID)+"/", bob.Access, nil, http.StatusCreated, &res)
	wantKeys(t, "crossed request", res, "message", "friend")
	var friends []object
	ts.mustDo("GET", "/api/friends/", bob.Access, nil, http.StatusOK, &friends)
	if len(friends) != 1 || num(t, friends[0]["id"]) != alice.ID {
		t.Errorf("bob's friends = %v, want alice", friends)
	}
}

// TestFriendListSaysWhoIsOnline: a friend with a socket open is listed
// is_online true, one without false, so a page opened late still shows
// who is online; a stranger's socket never shows.
func TestFriendListSaysWhoIsOnline(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	presence := inmem.NewPresence()
	ts.app.UsePresence(presence)
	alice, bob, carol, dave := ts.signup("alice"), ts.signup("bob"), ts.signup("carol"), ts.signup("dave")
	ts.befriend(alice, bob)
	ts.befriend(alice, carol)
	for _, u := range []*user{bob, dave} { // bob is a friend, dave a stranger
		if _, err := presence.Connect(t.Context(), u.ID); err != nil {
			t.Fatalf("connect %s: %v", u.Username, err)
		}
	}

	var friends []object
	ts.mustDo("GET", "/api/friends/", alice.Access, nil, http.StatusOK, &friends)
	got := map[string]any{}
	for _, f := range friends {
		got[f["username"].(string)] = f["is_online"]
	}
	if diff := cmp.Diff(map[string]any{"bob": true, "carol": false}, got); diff != "" {
		t.Errorf("alice's friends online (-want +got):\n%s", diff)
	}

	if _, err := presence.Disconnect(t.Context(), bob.ID); err != nil {
		t.Fatalf("disconnect bob: %v", err)
	}
	ts.mustDo("GET", "/api/friends/", alice.Access, nil, http.StatusOK, &friends)
	for _, f := range friends {
		if f["is_online"] != false {
			t.Errorf("after bob left, %v is_online = %v, want false", f["username"], f["is_online"])
		}
	}
}
