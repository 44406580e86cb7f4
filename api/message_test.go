package api_test

import (
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon/api"
)

func TestMessageRoutes(t *testing.T) {
	ts := newTestServer(t, api.Config{})
	alice, bob, carol := ts.signup("alice"), ts.signup("bob"), ts.signup("carol")

	var m object
	ts.mustDo("POST", "/api/messages/", alice.Access, object{"receiver_id": bob.ID, "content": "hi bob"}, http.StatusCreated, &m)
	checkMessage(t, m, alice, bob, "hi bob", false)
	// The client may send the id as a string, as DRF accepted.
	ts.mustDo("POST", "/api/messages/", bob.Access, object{"receiver_id": id(alice.ID), "content": "hi alice"}, http.StatusCreated, nil)
	ts.mustDo("POST", "/api/messages/", carol.Access, object{"receiver_id": alice.ID, "content": "hello from carol"}, http.StatusCreated, nil)
	// A reply to a story that does not exist is refused (story replies:
	// story_test.go).
	var reply object
	ts.mustDo("POST", "/api/messages/", carol.Access, object{"receiver_id": bob.ID, "content": "nice story", "reply_to_story": "0b6f1c7e-2f43-4a52-9a55-4e1f8b1d2c3a"}, http.StatusNotFound, &reply)
	if diff := cmp.Diff(object{"error": "Story not found"}, reply); diff != "" {
		t.Errorf("reply to an unknown story (-want +got):\n%s", diff)
	}

	var all []object
	ts.mustDo("GET", "/api/messages/", alice.Access, nil, http.StatusOK, &all)
	if len(all) != 3 || all[0]["content"] != "hi bob" || all[2]["content"] != "hello from carol" {
		t.Fatalf("alice's messages = %v, want 3 ascending", all)
	}
	for _, msg := range all {
		wantKeys(t, "message", msg, "id", "sender", "receiver", "content", "is_read", "created_at", "story")
	}
	ts.mustDo("GET", "/api/messages/?limit=1", alice.Access, nil, http.StatusOK, &all)
	if len(all) != 1 || all[0]["content"] != "hello from carol" {
		t.Errorf("limit=1 = %v, want the newest", all)
	}

	var convs []object
	ts.mustDo("GET", "/api/messages/conversations/", alice.Access, nil, http.StatusOK, &convs)
	if len(convs) != 2 {
		t.Fatalf("conversations = %v, want 2", convs)
	}
	wantKeys(t, "conversation", convs[0], "user", "last_message", "unread_count")
	if diff := cmp.Diff(object{"id": float64(carol.ID), "username": "carol"}, convs[0]["user"]); diff != "" {
		t.Errorf("newest conversation user (-want +got):\n%s", diff)
	}
	if convs[0]["unread_count"] != float64(1) || convs[1]["unread_count"] != float64(1) {
		t.Errorf("unread counts = %v, %v; want 1, 1", convs[0]["unread_count"], convs[1]["unread_count"])
	}
	checkMessage(t, convs[1]["last_message"].(object), bob, alice, "hi alice", false)

	var thread []object
	ts.mustDo("GET", "/api/messages/conversation/"+id(bob.ID)+"/", alice.Access, nil, http.StatusOK, &thread)
	if len(thread) != 2 || thread[0]["content"] != "hi bob" || thread[1]["content"] != "hi alice" {
		t.Errorf("thread = %v", thread)
	}

	var marked object
	ts.mustDo("POST", "/api/messages/conversation/"+id(bob.ID)+"/read/", alice.Access, nil, http.StatusOK, &marked)
	if diff := cmp.Diff(object{"marked_read": float64(1)}, marked); diff != "" {
		t.Errorf("conversation read (-want +got):\n%s", diff)
	}
	ts.mustDo("POST", "/api/messages/read_all/?user_id="+id(carol.ID), alice.Access, nil, http.StatusOK, &marked)
	if marked["marked_read"] != float64(1) {
		t.Errorf("read_all = %v, want 1", marked)
	}
	ts.mustDo("GET", "/api/messages/read_all/?user_id="+id(carol.ID), alice.Access, nil, http.StatusOK, &marked)
	if marked["marked_read"] != float64(0) {
		t.Errorf("second read_all = %v, want 0", marked)
	}
	ts.mustDo("GET", "/api/messages/conversation/"+id(bob.ID)+"/", alice.Access, nil, http.StatusOK, &thread)
	if thread[1]["is_read"] != true || thread[0]["is_read"] != false {
		t.Errorf("is_read after marking = %v, %v; want bob's read, alice's own untouched", thread[1]["is_read"], thread[0]["is_read"])
	}
}

// checkMessage checks a Message object field by field.
func checkMessage(t *testing.T, m object, from, to *user, content string, read bool) {
	t.Helper()
	wantKeys(t, "message", m, "id", "sender", "receiver", "content", "is_read", "created_at", "story")
	want := object{
		"sender":   object{"id": float64(from.ID), "username": from.Username},
		"receiver": object{"id": float64(to.ID), "username": to.Username},
		"content":  content,
		"is_read":  read,
		"story":    nil,
	}
	got := object{"sender": m["sender"], "receiver": m["receiver"], "content": m["content"], "is_read": m["is_read"], "story": m["story"]}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("message (-want +got):\n%s", diff)
	}
	if num(t, m["id"]) <= 0 {
		t.Errorf("message id = %v", m["id"])
	}
	wantTimestamp(t, "message.created_at", m["created_at"])
}
