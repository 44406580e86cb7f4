package api_test

import (
	"net/http"
	"testing"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/internal/teststore"
)

// A block is honoured on every route where one user reaches another, in
// both directions, on both databases; it ends the friendship and the
// pending requests, and hides each from the other's search and suggestions.
func TestBlockIsHonouredEverywhere(t *testing.T) {
	teststore.Each(t, func(t *testing.T, open teststore.Opener) {
		ts := newTestServerWith(t, api.Config{}, serverOptions{store: open(t)})
		alice, bob, carol := ts.signup("alice"), ts.signup("bob"), ts.signup("carol")
		ts.befriend(alice, bob)
		story := ts.postStory(alice, "sunset")
		post := ts.createPost(alice, object{"content": "hello"})
		pid := id(num(t, post["id"]))
		ts.mustDo("POST", "/api/messages/", bob.Access, object{"receiver_id": alice.ID, "content": "before"}, http.StatusCreated, nil)
		ts.mustDo("POST", "/api/friends/request/"+id(alice.ID)+"/", carol.Access, nil, http.StatusCreated, nil)

		ts.mustDo("POST", "/api/users/"+id(bob.ID)+"/block/", alice.Access, nil, http.StatusOK, nil)
		ts.mustDo("POST", "/api/users/"+id(bob.ID)+"/block/", alice.Access, nil, http.StatusOK, nil) // again: no change
		if typ, _ := ts.lastEvent(bob); typ != "friend_removed" {
			t.Errorf("bob's last event after the block = %q, want friend_removed", typ)
		}
		var friends []object
		ts.mustDo("GET", "/api/friends/", bob.Access, nil, http.StatusOK, &friends)
		if len(friends) != 0 {
			t.Errorf("bob's friends after alice blocked him = %v, want none", friends)
		}

		refused := []struct {
			what         string
			by           *user
			method, path string
			body         any
		}{
			{"message to the blocker", bob, "POST", "/api/messages/", object{"receiver_id": alice.ID, "content": "hi"}},
			{"message to the blocked", alice, "POST", "/api/messages/", object{"receiver_id": bob.ID, "content": "hi"}},
			{"friend request", bob, "POST", "/api/friends/request/" + id(alice.ID) + "/", nil},
			{"wall post", bob, "POST", "/api/posts/", object{"content": "on your wall", "target_profile_id": alice.ID}},
			{"comment", bob, "POST", "/api/posts/", object{"content": "a comment", "parent_id": num(t, post["id"])}},
			{"mention", bob, "POST", "/api/posts/", object{"content": "hey", "mentioned_user_id": alice.ID}},
			{"like", bob, "POST", "/api/posts/" + pid + "/like/", nil},
			{"share", bob, "POST", "/api/posts/" + pid + "/share/", nil},
			{"story reaction", bob, "POST", "/api/stories/" + story["id"].(string) + "/react/", object{"reaction_type": "heart"}},
		}
		for _, tc := range refused {
			status, body := ts.do(tc.method, tc.path, tc.by.Access, tc.body)
			if status != http.StatusForbidden && status != http.StatusNotFound {
				t.Errorf("%s across a block = %d %s, want 403 (or 404 where the content is hidden)", tc.what, status, body)
			}
		}
		// Someone else still may.
		ts.mustDo("POST", "/api/posts/", carol.Access, object{"content": "nice", "parent_id": num(t, post["id"])}, http.StatusCreated, nil)

		var found []object
		ts.mustDo("GET", "/api/auth/search/?q=alice", bob.Access, nil, http.StatusOK, &found)
		if len(found) != 0 {
			t.Errorf("bob's search for alice = %v, want nothing", found)
		}
		var sugg []object
		ts.mustDo("GET", "/api/friends/suggestions/", bob.Access, nil, http.StatusOK, &sugg)
		for _, u := range sugg {
			if num(t, u["id"]) == alice.ID {
				t.Errorf("bob's suggestions include alice, who blocked him: %v", sugg)
			}
		}
		var blocked []object
		ts.mustDo("GET", "/api/users/blocked/", alice.Access, nil, http.StatusOK, &blocked)
		if len(blocked) != 1 || num(t, blocked[0]["id"]) != bob.ID {
			t.Errorf("alice's blocked list = %v, want bob", blocked)
		}

		// A pending request ends with the block, and its sender is told.
		ts.mustDo("POST", "/api/users/"+id(carol.ID)+"/block/", alice.Access, nil, http.StatusOK, nil)
		var reqs []object
		ts.mustDo("GET", "/api/friends/requests/", alice.Access, nil, http.StatusOK, &reqs)
		if len(reqs) != 0 {
			t.Errorf("alice's incoming requests after blocking carol = %v, want none", reqs)
		}
		if typ, _ := ts.lastEvent(carol); typ != "friend_request_declined" {
			t.Errorf("carol's last event after the block = %q, want friend_request_declined", typ)
		}

		// Unblocking lets them talk again; the friendship stays ended.
		ts.mustDo("DELETE", "/api/users/"+id(bob.ID)+"/block/", alice.Access, nil, http.StatusOK, nil)
		ts.mustDo("DELETE", "/api/users/"+id(bob.ID)+"/block/", alice.Access, nil, http.StatusOK, nil)
		ts.mustDo("POST", "/api/messages/", bob.Access, object{"receiver_id": alice.ID, "content": "sorry"}, http.StatusCreated, nil)
		ts.mustDo("GET", "/api/users/blocked/", alice.Access, nil, http.StatusOK, &blocked)
		if len(blocked) != 1 || num(t, blocked[0]["id"]) != carol.ID {
			t.Errorf("alice's blocked list after unblocking bob = %v, want carol", blocked)
		}

		for _, tc := range []struct {
			what   string
			path   string
			status int
		}{
			{"oneself", "/api/users/" + id(alice.ID) + "/block/", http.StatusBadRequest},
			{"an unknown user", "/api/users/" + id(carol.ID+100) + "/block/", http.StatusNotFound},
			{"a malformed id", "/api/users/x/block/", http.StatusNotFound},
		} {
			if status, body := ts.do("POST", tc.path, alice.Access, nil); status != tc.status {
				t.Errorf("blocking %s = %d %s, want %d", tc.what, status, body, tc.status)
			}
		}
		if status, _ := ts.do("POST", "/api/users/"+id(bob.ID)+"/block/", "", nil); status != http.StatusUnauthorized {
			t.Errorf("blocking without a token = %d, want 401", status)
		}
	})
}

// A report of a message or a user is stored for the operator; only the
// message's receiver may report it, and the reason is required.
func TestReports(t *testing.T) {
	teststore.Each(t, func(t *testing.T, open teststore.Opener) {
		ts := newTestServerWith(t, api.Config{}, serverOptions{store: open(t)})
		alice, bob, carol := ts.signup("alice"), ts.signup("bob"), ts.signup("carol")
		var msg object
		ts.mustDo("POST", "/api/messages/", bob.Access, object{"receiver_id": alice.ID, "content": "rude"}, http.StatusCreated, &msg)
		mid := num(t, msg["id"])

		var rep object
		ts.mustDo("POST", "/api/reports/", alice.Access, object{"message_id": mid, "reason": "insults"}, http.StatusCreated, &rep)
		wantKeys(t, "report", rep, "id", "user_id", "message_id", "reason", "created_at")
		if num(t, rep["user_id"]) != bob.ID || num(t, rep["message_id"]) != mid {
			t.Errorf("report of bob's message = %v, want user_id bob and the message", rep)
		}
		ts.mustDo("POST", "/api/reports/", alice.Access, object{"user_id": carol.ID, "reason": "spam"}, http.StatusCreated, &rep)
		if rep["message_id"] != nil {
			t.Errorf("report of a user has message_id %v, want null", rep["message_id"])
		}

		reports, err := ts.store.ListReports(t.Context(), numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(reports) != 2 || reports[0].Username != "carol" || reports[1].Username != "bob" || reports[1].MessageContent == nil || *reports[1].MessageContent != "rude" {
			t.Errorf("stored reports = %+v, want carol's then bob's with the message", reports)
		}

		for _, tc := range []struct {
			what   string
			by     *user
			body   any
			status int
		}{
			{"a message one did not receive", carol, object{"message_id": mid, "reason": "x"}, http.StatusNotFound},
			{"one's own message", bob, object{"message_id": mid, "reason": "x"}, http.StatusBadRequest},
			{"oneself", alice, object{"user_id": alice.ID, "reason": "x"}, http.StatusBadRequest},
			{"an unknown user", alice, object{"user_id": carol.ID + 100, "reason": "x"}, http.StatusNotFound},
			{"nobody", alice, object{"reason": "x"}, http.StatusBadRequest},
			{"without a reason", alice, object{"user_id": carol.ID}, http.StatusBadRequest},
			{"with a blank reason", alice, object{"user_id": carol.ID, "reason": "  "}, http.StatusBadRequest},
			{"with a NUL in the reason", alice, object{"user_id": carol.ID, "reason": "a\u0000b"}, http.StatusBadRequest},
			{"naming another sender", alice, object{"message_id": mid, "user_id": carol.ID, "reason": "x"}, http.StatusBadRequest},
		} {
			if status, body := ts.do("POST", "/api/reports/", tc.by.Access, tc.body); status != tc.status {
				t.Errorf("reporting %s = %d %s, want %d", tc.what, status, body, tc.status)
			}
		}
		reports, err = ts.store.ListReports(t.Context(), numeneon.Page{})
		if err != nil {
			t.Fatal(err)
		}
		if len(reports) != 2 {
			t.Errorf("refused reports were stored: %d reports, want 2", len(reports))
		}
	})
}
