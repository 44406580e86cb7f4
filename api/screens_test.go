package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/internal/teststore"
)

// eventsOf returns the stored events of u through the API, as a client
// resuming after being offline reads them.
func (ts *testServer) eventsOf(u *user) []object {
	ts.t.Helper()
	var notes []object
	ts.mustDo("GET", "/api/notifications/", u.Access, nil, http.StatusOK, &notes)
	return notes
}

// lastEvent returns the type and data of u's newest stored event, and
// checks the layer delivered it too.
func (ts *testServer) lastEvent(u *user) (string, object) {
	ts.t.Helper()
	notes := ts.eventsOf(u)
	if len(notes) == 0 {
		ts.t.Fatalf("%s has no events", u.Username)
	}
	last := notes[len(notes)-1]
	delivered := false
	for _, d := range ts.got.Deliveries() {
		if d.Env.UserID == u.ID && d.Env.ID == num(ts.t, last["id"]) {
			var f struct{ Type string }
			if err := json.Unmarshal(d.Env.Frame, &f); err == nil && f.Type == last["type"] && d.Committed {
				delivered = true
			}
		}
	}
	if !delivered {
		ts.t.Errorf("%s's event %v was stored but not published after commit", u.Username, last["type"])
	}
	data, _ := last["data"].(object)
	return last["type"].(string), data
}

func tiny(u *user) object { return object{"id": float64(u.ID), "username": u.Username} }

// Removing a friend, cancelling or declining a request and reading
// messages tell the other side, stored and published, on both databases.
func TestScreensStayTrue(t *testing.T) {
	teststore.Each(t, func(t *testing.T, open teststore.Opener) {
		ts := newTestServerWith(t, api.Config{}, serverOptions{store: open(t)})
		alice, bob := ts.signup("alice"), ts.signup("bob")
		check := func(u *user, wantType string, wantData object) {
			t.Helper()
			typ, data := ts.lastEvent(u)
			if typ != wantType {
				t.Fatalf("%s's last event = %s, want %s", u.Username, typ, wantType)
			}
			if diff := cmp.Diff(wantData, data); diff != "" {
				t.Errorf("%s data (-want +got):\n%s", wantType, diff)
			}
		}
		requestID := func() float64 {
			var reqs []object
			ts.mustDo("GET", "/api/friends/requests/", bob.Access, nil, http.StatusOK, &reqs)
			if len(reqs) != 1 {
				t.Fatalf("bob's requests = %v, want one", reqs)
			}
			return reqs[0]["id"].(float64)
		}

		ts.mustDo("POST", "/api/friends/request/"+id(bob.ID)+"/", alice.Access, nil, http.StatusCreated, nil)
		declined := requestID()
		ts.mustDo("POST", "/api/friends/decline/"+id(int64(declined))+"/", bob.Access, nil, http.StatusOK, nil)
		check(alice, "friend_request_declined", object{"request_id": declined, "by": tiny(bob)})

		ts.mustDo("POST", "/api/friends/request/"+id(bob.ID)+"/", alice.Access, nil, http.StatusCreated, nil)
		cancelled := requestID()
		ts.mustDo("DELETE", "/api/friends/cancel/"+id(bob.ID)+"/", alice.Access, nil, http.StatusOK, nil)
		check(bob, "friend_request_cancelled", object{"request_id": cancelled, "from_user": tiny(alice)})

		ts.mustDo("POST", "/api/friends/request/"+id(bob.ID)+"/", alice.Access, nil, http.StatusCreated, nil)
		ts.mustDo("POST", "/api/friends/accept/"+id(int64(requestID()))+"/", bob.Access, nil, http.StatusCreated, nil)
		ts.mustDo("DELETE", "/api/friends/remove/"+id(alice.ID)+"/", bob.Access, nil, http.StatusOK, nil)
		check(alice, "friend_removed", object{"user": tiny(bob)})

		var m object
		ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "one"}, http.StatusCreated, nil)
		ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "two"}, http.StatusCreated, &m)
		var marked object
		ts.mustDo("POST", "/api/messages/conversation/"+id(alice.ID)+"/read/", bob.Access, nil, http.StatusOK, &marked)
		if marked["marked_read"] != float64(2) {
			t.Fatalf("marked_read = %v, want 2", marked["marked_read"])
		}
		read := object{"reader": tiny(bob), "other_user_id": float64(alice.ID), "up_to_id": m["id"]}
		check(bob, "messages_read", read)
		check(alice, "messages_read", read)

		// read_all marks and tells the same way; with nothing new it tells
		// nobody.
		before := len(ts.eventsOf(alice))
		ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "three"}, http.StatusCreated, &m)
		ts.mustDo("POST", "/api/messages/read_all/?user_id="+id(alice.ID), bob.Access, nil, http.StatusOK, nil)
		check(alice, "messages_read", object{"reader": tiny(bob), "other_user_id": float64(alice.ID), "up_to_id": m["id"]})
		ts.mustDo("POST", "/api/messages/read_all/?user_id="+id(alice.ID), bob.Access, nil, http.StatusOK, &marked)
		if got := len(ts.eventsOf(alice)); marked["marked_read"] != float64(0) || got != before+1 {
			t.Errorf("an empty read_all marked %v and left alice %d events, want 0 and %d", marked["marked_read"], got, before+1)
		}
	})
}

// me/ carries date_joined at the top level: the client shows "Joined
// Recently" without it.
func TestMeHasDateJoined(t *testing.T) {
	teststore.Each(t, func(t *testing.T, open teststore.Opener) {
		ts := newTestServerWith(t, api.Config{}, serverOptions{store: open(t)})
		alice := ts.signup("alice")
		var me object
		ts.mustDo("GET", "/api/auth/me/", alice.Access, nil, http.StatusOK, &me)
		wantKeys(t, "me", me, "id", "username", "email", "first_name", "last_name", "date_joined", "profile")
		wantTimestamp(t, "me.date_joined", me["date_joined"])
		nested := me["profile"].(object)["user"].(object)["date_joined"]
		if me["date_joined"] != nested {
			t.Errorf("me.date_joined = %v, profile.user.date_joined = %v; want the same", me["date_joined"], nested)
		}
	})
}
