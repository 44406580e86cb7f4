package app_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
)

func TestFriendRequestLifecycle(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")

	res, err := e.svc.SendFriendRequest(as(alice), bob.ID)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if res.Accepted || res.Request == nil {
		t.Fatalf("result = %+v, want a pending request", res)
	}
	_, err = e.svc.SendFriendRequest(as(alice), bob.ID)
	wantCode(t, err, numeneon.ECONFLICT)

	// Only the addressee may accept or decline.
	_, err = e.svc.AcceptFriendRequest(as(alice), res.Request.ID)
	wantCode(t, err, numeneon.EFORBIDDEN)
	err = e.svc.DeclineFriendRequest(as(alice), res.Request.ID)
	wantCode(t, err, numeneon.EFORBIDDEN)

	friend, err := e.svc.AcceptFriendRequest(as(bob), res.Request.ID)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	if friend.ID != alice.ID {
		t.Errorf("accept returned friend %d, want %d", friend.ID, alice.ID)
	}
	if ok, _ := e.store.AreFriends(ctx, alice.ID, bob.ID); !ok {
		t.Fatal("not friends after accept")
	}
	_, err = e.svc.AcceptFriendRequest(as(bob), res.Request.ID)
	wantCode(t, err, numeneon.ENOTFOUND)
	_, err = e.svc.SendFriendRequest(as(bob), alice.ID)
	wantCode(t, err, numeneon.ECONFLICT)

	if err := e.svc.RemoveFriend(as(bob), alice.ID); err != nil {
		t.Fatalf("remove: %v", err)
	}
	if ok, _ := e.store.AreFriends(ctx, alice.ID, bob.ID); ok {
		t.Error("still friends after remove")
	}

	// Removing someone who is no longer a friend tells nobody.
	if err := e.svc.RemoveFriend(as(bob), alice.ID); err != nil {
		t.Fatalf("remove again: %v", err)
	}

	// Events: bob got the request, alice the acceptance and the removal,
	// each after commit.
	want := []struct {
		to   int64
		typ  string
		id   int64
		data any
	}{
		{bob.ID, numeneon.EventFriendRequest, 1, map[string]any{"request_id": float64(res.Request.ID), "from_user": shortMap(alice)}},
		{alice.ID, numeneon.EventFriendAccepted, 1, map[string]any{"friend": shortMap(bob)}},
		{alice.ID, numeneon.EventFriendRemoved, 2, map[string]any{"user": tinyMap(bob)}},
	}
	got := e.got.Deliveries()
	if len(got) != len(want) {
		t.Fatalf("got %d deliveries, want %d: %+v", len(got), len(want), got)
	}
	for i, w := range want {
		f := decodeFrame(t, got[i].Env.Frame)
		var data any
		json.Unmarshal(f.Data, &data)
		if got[i].Env.UserID != w.to || f.Type != w.typ || f.ID != w.id || !got[i].Committed {
			t.Errorf("delivery %d = user %d %s id %d committed %v; want user %d %s id %d committed", i, got[i].Env.UserID, f.Type, f.ID, got[i].Committed, w.to, w.typ, w.id)
		}
		if diff := cmp.Diff(w.data, data); diff != "" {
			t.Errorf("delivery %d data (-want +got):\n%s", i, diff)
		}
	}
}

func shortMap(u *numeneon.User) map[string]any {
	return map[string]any{"id": float64(u.ID), "username": u.Username, "first_name": u.FirstName, "last_name": u.LastName}
}

func tinyMap(u *numeneon.User) map[string]any {
	return map[string]any{"id": float64(u.ID), "username": u.Username}
}

// TestCrossedFriendRequestsAccept checks that asking someone who already
// asked you makes you friends instead of failing.
func TestCrossedFriendRequestsAccept(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")
	if _, err := e.svc.SendFriendRequest(as(alice), bob.ID); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.SendFriendRequest(as(bob), alice.ID)
	if err != nil {
		t.Fatalf("crossed request: %v", err)
	}
	if !res.Accepted || res.Friend == nil || res.Friend.ID != alice.ID {
		t.Fatalf("result = %+v, want accepted with friend alice", res)
	}
	if ok, _ := e.store.AreFriends(ctx, alice.ID, bob.ID); !ok {
		t.Error("not friends")
	}
	reqs, err := e.svc.ListFriendRequests(as(bob), numeneon.Page{})
	if err != nil || len(reqs) != 0 {
		t.Errorf("bob's pending requests = %v, %v; want none", reqs, err)
	}
	notes, _ := e.store.ListNotifications(ctx, alice.ID, 0, 10)
	if len(notes) != 1 || notes[0].Type != numeneon.EventFriendAccepted {
		t.Errorf("alice's notifications = %+v, want one friend_accepted", notes)
	}
}

func TestFriendRequestRules(t *testing.T) {
	e := mustOpenEnv(t)
	alice := e.createUser(t, "alice")
	bob := e.createUser(t, "bob")
	tests := []struct {
		name string
		call func() error
		want string
	}{
		{"request to self", func() error { _, err := e.svc.SendFriendRequest(as(alice), alice.ID); return err }, numeneon.EINVALID},
		{"request to unknown", func() error { _, err := e.svc.SendFriendRequest(as(alice), 424242); return err }, numeneon.ENOTFOUND},
		{"accept unknown", func() error { _, err := e.svc.AcceptFriendRequest(as(alice), 424242); return err }, numeneon.ENOTFOUND},
		{"cancel without request", func() error { return e.svc.CancelFriendRequest(as(alice), bob.ID) }, numeneon.ENOTFOUND},
		{"remove unknown user", func() error { return e.svc.RemoveFriend(as(alice), 424242) }, numeneon.ENOTFOUND},
		{"anonymous", func() error { _, err := e.svc.SendFriendRequest(context.Background(), bob.ID); return err }, numeneon.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) { wantCode(t, tt.call(), tt.want) })
	}
	if got := e.got.Deliveries(); len(got) != 0 {
		t.Errorf("failed calls published %d events", len(got))
	}
	if _, err := e.svc.SendFriendRequest(as(alice), bob.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CancelFriendRequest(as(alice), bob.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	if reqs, _ := e.svc.ListFriendRequests(as(bob), numeneon.Page{}); len(reqs) != 0 {
		t.Errorf("request still pending after cancel: %+v", reqs)
	}
}
