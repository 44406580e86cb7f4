package api_test

import (
	"net/http"
	"testing"

	"github.com/numeneon/numeneon/api"
)

// TestNobodyReadsOrMarksOthersMessages: a third user can neither read nor
// mark read the messages and notifications between two others, whatever ids
// they send.
func TestNobodyReadsOrMarksOthersMessages(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	alice, bob, mallory := ts.signup("alice"), ts.signup("bob"), ts.signup("mallory")
	var m object
	ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "secret"}, http.StatusCreated, &m)

	var list []object
	ts.mustDo("GET", "/api/messages/", mallory.Access, nil, http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("mallory's messages = %v, want none", list)
	}
	for _, other := range []*user{alice, bob} {
		ts.mustDo("GET", "/api/messages/conversation/"+id(other.ID)+"/", mallory.Access, nil, http.StatusOK, &list)
		if len(list) != 0 {
			t.Errorf("mallory reads the conversation with %s: %v", other.Username, list)
		}
	}
	ts.mustDo("GET", "/api/messages/conversations/", mallory.Access, nil, http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("mallory's inbox = %v", list)
	}
	ts.mustDo("GET", "/api/notifications/", mallory.Access, nil, http.StatusOK, &list)
	if len(list) != 0 {
		t.Errorf("mallory's notifications = %v", list)
	}

	var marked object
	for _, path := range []string{
		"/api/messages/conversation/" + id(alice.ID) + "/read/",
		"/api/messages/conversation/" + id(bob.ID) + "/read/",
		"/api/messages/read_all/?user_id=" + id(alice.ID),
	} {
		ts.mustDo("POST", path, mallory.Access, nil, http.StatusOK, &marked)
		if marked["marked_read"] != float64(0) {
			t.Errorf("mallory POST %s marked %v", path, marked["marked_read"])
		}
	}
	ts.mustDo("POST", "/api/notifications/read/", mallory.Access, object{"up_to": 1000}, http.StatusOK, &marked)
	if marked["marked_read"] != float64(0) {
		t.Errorf("mallory marked %v notifications", marked["marked_read"])
	}
	// The sender cannot mark her own message read on bob's behalf either.
	ts.mustDo("POST", "/api/messages/conversation/"+id(bob.ID)+"/read/", alice.Access, nil, http.StatusOK, &marked)
	if marked["marked_read"] != float64(0) {
		t.Errorf("alice marked %v of her sent messages", marked["marked_read"])
	}

	// Bob's message and notification are untouched.
	ts.mustDo("GET", "/api/messages/conversation/"+id(alice.ID)+"/", bob.Access, nil, http.StatusOK, &list)
	if len(list) != 1 || list[0]["is_read"] != false {
		t.Errorf("bob's thread = %v, want the message unread", list)
	}
	ts.mustDo("GET", "/api/notifications/", bob.Access, nil, http.StatusOK, &list)
	if len(list) != 1 || list[0]["read"] != false {
		t.Errorf("bob's notifications = %v, want one unread", list)
	}
	// Public profiles never show an email to others.
	var public object
	ts.mustDo("GET", "/api/auth/users/bob/", alice.Access, nil, http.StatusOK, &public)
	if _, ok := public["email"]; ok {
		t.Errorf("public profile leaks the email: %v", public)
	}
}
