package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/api"
)

// TestEventsStoredAndPublishedAfterCommit raises each event through the API
// and checks the target's stored notifications (GET /api/notifications/)
// and what the layer delivered: right type, data shape and ids 1, 2, 3...,
// each envelope published only once its notification was committed.
func TestEventsStoredAndPublishedAfterCommit(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	alice, bob := ts.signup("alice"), ts.signup("bob")
	aliceShort := object{"id": float64(alice.ID), "username": "alice", "first_name": "Firstalice", "last_name": "Lastalice"}
	bobShort := object{"id": float64(bob.ID), "username": "bob", "first_name": "Firstbob", "last_name": "Lastbob"}

	ts.mustDo("POST", "/api/friends/request/"+id(bob.ID)+"/", alice.Access, nil, http.StatusCreated, nil)
	var reqs []object
	ts.mustDo("GET", "/api/friends/requests/", bob.Access, nil, http.StatusOK, &reqs)
	reqID := reqs[0]["id"]
	ts.mustDo("POST", "/api/friends/accept/"+id(num(t, reqID))+"/", bob.Access, nil, http.StatusCreated, nil)
	var m1, m2 object
	ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "first"}, http.StatusCreated, &m1)
	ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "second"}, http.StatusCreated, &m2)

	var bobs []object
	ts.mustDo("GET", "/api/notifications/", bob.Access, nil, http.StatusOK, &bobs)
	wantBob := []object{
		{"id": float64(1), "type": "friend_request", "read": false, "data": object{"request_id": reqID, "from_user": aliceShort}},
		{"id": float64(2), "type": "new_message", "read": false, "data": object{
			"id": m1["id"], "sender": object{"id": float64(alice.ID), "username": "alice"}, "content": "first", "created_at": m1["created_at"]}},
		{"id": float64(3), "type": "new_message", "read": false, "data": object{
			"id": m2["id"], "sender": object{"id": float64(alice.ID), "username": "alice"}, "content": "second", "created_at": m2["created_at"]}},
	}
	if diff := cmp.Diff(wantBob, withoutCreatedAt(t, bobs)); diff != "" {
		t.Errorf("bob's notifications (-want +got):\n%s", diff)
	}
	var alices []object
	ts.mustDo("GET", "/api/notifications/", alice.Access, nil, http.StatusOK, &alices)
	wantAlice := []object{{"id": float64(1), "type": "friend_accepted", "read": false, "data": object{"friend": bobShort}}}
	if diff := cmp.Diff(wantAlice, withoutCreatedAt(t, alices)); diff != "" {
		t.Errorf("alice's notifications (-want +got):\n%s", diff)
	}

	// ?since= resumes after a known id; ?limit= bounds the answer.
	ts.mustDo("GET", "/api/notifications/?since=1&limit=1", bob.Access, nil, http.StatusOK, &bobs)
	if len(bobs) != 1 || bobs[0]["id"] != float64(2) {
		t.Errorf("since=1&limit=1 = %v, want only id 2", bobs)
	}

	// The layer got the same events, in commit order, each after its commit.
	type sent struct {
		User      int64
		ID        int64
		Type      string
		Committed bool
	}
	var got []sent
	for _, d := range ts.got.Deliveries() {
		var f struct {
			Type string
			ID   int64
		}
		if err := json.Unmarshal(d.Env.Frame, &f); err != nil {
			t.Fatal(err)
		}
		if f.ID != d.Env.ID {
			t.Errorf("frame id %d != envelope id %d", f.ID, d.Env.ID)
		}
		got = append(got, sent{d.Env.UserID, d.Env.ID, f.Type, d.Committed})
	}
	want := []sent{
		{bob.ID, 1, numeneon.EventFriendRequest, true},
		{alice.ID, 1, numeneon.EventFriendAccepted, true},
		{bob.ID, 2, numeneon.EventNewMessage, true},
		{bob.ID, 3, numeneon.EventNewMessage, true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("published envelopes (-want +got):\n%s", diff)
	}

	var marked object
	ts.mustDo("POST", "/api/notifications/read/", bob.Access, object{"up_to": 2}, http.StatusOK, &marked)
	if diff := cmp.Diff(object{"marked_read": float64(2)}, marked); diff != "" {
		t.Errorf("mark read (-want +got):\n%s", diff)
	}
	ts.mustDo("GET", "/api/notifications/", bob.Access, nil, http.StatusOK, &bobs)
	if bobs[0]["read"] != true || bobs[1]["read"] != true || bobs[2]["read"] != false {
		t.Errorf("read flags = %v %v %v, want true true false", bobs[0]["read"], bobs[1]["read"], bobs[2]["read"])
	}
}

// TestFailedRequestsPublishNothing checks that a refused change raises no
// event, stored or published.
func TestFailedRequestsPublishNothing(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	alice, bob := ts.signup("alice"), ts.signup("bob")
	ts.mustDo("POST", "/api/friends/request/"+id(bob.ID)+"/", alice.Access, nil, http.StatusCreated, nil)
	before := len(ts.got.Deliveries())

	ts.mustDo("POST", "/api/friends/request/"+id(bob.ID)+"/", alice.Access, nil, http.StatusBadRequest, nil) // duplicate
	ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": 999999, "content": "hi"}, http.StatusNotFound, nil)
	ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "   "}, http.StatusBadRequest, nil)
	ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": alice.ID, "content": "me"}, http.StatusBadRequest, nil)

	if got := ts.got.Deliveries(); len(got) != before {
		t.Errorf("failed requests published %d envelopes", len(got)-before)
	}
	var notes []object
	ts.mustDo("GET", "/api/notifications/", bob.Access, nil, http.StatusOK, &notes)
	if len(notes) != 1 {
		t.Errorf("bob has %d notifications, want only the first request's", len(notes))
	}
}

// withoutCreatedAt checks and drops each notification's created_at.
func withoutCreatedAt(t *testing.T, notes []object) []object {
	t.Helper()
	out := make([]object, len(notes))
	for i, n := range notes {
		wantKeys(t, "notification", n, "id", "type", "data", "created_at", "read")
		wantTimestamp(t, "notification.created_at", n["created_at"])
		c := object{}
		for k, v := range n {
			if k != "created_at" {
				c[k] = v
			}
		}
		out[i] = c
	}
	return out
}
