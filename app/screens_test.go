package app_test

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
)

// wantEvent is one event a user should receive: its type and data.
type wantEvent struct {
	to   int64
	typ  string
	data map[string]any
}

// checkDeliveries compares what the layer delivered since index from with
// want, in order, and checks each event was committed before it arrived.
func checkDeliveries(t *testing.T, e *env, from int, want []wantEvent) {
	t.Helper()
	got := e.got.Deliveries()[from:]
	if len(got) != len(want) {
		t.Fatalf("got %d deliveries, want %d", len(got), len(want))
	}
	for i, w := range want {
		f := decodeFrame(t, got[i].Env.Frame)
		var data map[string]any
		if err := json.Unmarshal(f.Data, &data); err != nil {
			t.Fatalf("delivery %d data %s: %v", i, f.Data, err)
		}
		if got[i].Env.UserID != w.to || f.Type != w.typ || !got[i].Committed {
			t.Errorf("delivery %d = user %d %s committed %v; want user %d %s committed", i, got[i].Env.UserID, f.Type, got[i].Committed, w.to, w.typ)
		}
		if diff := cmp.Diff(w.data, data); diff != "" {
			t.Errorf("delivery %d (%s) data (-want +got):\n%s", i, w.typ, diff)
		}
	}
}

// A declined request tells its sender, a cancelled one its recipient, so
// neither keeps showing a request that is gone.
func TestFriendRequestEndsAreTold(t *testing.T) {
	e := mustOpenEnv(t)
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")

	declined, err := e.svc.SendFriendRequest(as(alice), bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.DeclineFriendRequest(as(bob), declined.Request.ID); err != nil {
		t.Fatalf("decline: %v", err)
	}
	cancelled, err := e.svc.SendFriendRequest(as(alice), bob.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CancelFriendRequest(as(alice), bob.ID); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	checkDeliveries(t, e, 0, []wantEvent{
		{bob.ID, numeneon.EventFriendRequest, map[string]any{"request_id": float64(declined.Request.ID), "from_user": shortMap(alice)}},
		{alice.ID, numeneon.EventFriendRequestDeclined, map[string]any{"request_id": float64(declined.Request.ID), "by": tinyMap(bob)}},
		{bob.ID, numeneon.EventFriendRequest, map[string]any{"request_id": float64(cancelled.Request.ID), "from_user": shortMap(alice)}},
		{bob.ID, numeneon.EventFriendRequestCancelled, map[string]any{"request_id": float64(cancelled.Request.ID), "from_user": tinyMap(alice)}},
	})
	// Stored too, so a client that was offline finds them on resume.
	notes, err := e.store.ListNotifications(context.Background(), alice.ID, 0, 10)
	if err != nil || len(notes) != 1 || notes[0].Type != numeneon.EventFriendRequestDeclined {
		t.Errorf("alice's stored events = %+v, %v; want the decline", notes, err)
	}

	// A failed decline or cancel tells nobody.
	n := len(e.got.Deliveries())
	wantCode(t, e.svc.CancelFriendRequest(as(alice), bob.ID), numeneon.ENOTFOUND)
	wantCode(t, e.svc.DeclineFriendRequest(as(bob), cancelled.Request.ID), numeneon.ENOTFOUND)
	checkDeliveries(t, e, n, nil)
}

// Reading a conversation tells the reader's own sockets (other devices
// clear the badge) and the sender (who sees "read"), with the newest id
// read; reading again with nothing new tells nobody.
func TestMarkReadTellsReaderAndSender(t *testing.T) {
	e := mustOpenEnv(t)
	alice, bob, carol := e.createUser(t, "alice"), e.createUser(t, "bob"), e.createUser(t, "carol")
	if _, err := e.svc.SendMessage(as(bob), alice.ID, "one", nil); err != nil {
		t.Fatal(err)
	}
	last, err := e.svc.SendMessage(as(bob), alice.ID, "two", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendMessage(as(alice), bob.ID, "mine, not read by me", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendMessage(as(carol), alice.ID, "another conversation", nil); err != nil {
		t.Fatal(err)
	}
	from := len(e.got.Deliveries())

	n, err := e.svc.MarkConversationRead(as(alice), bob.ID)
	if err != nil || n != 2 {
		t.Fatalf("MarkConversationRead = %d, %v; want 2", n, err)
	}
	data := map[string]any{"reader": tinyMap(alice), "other_user_id": float64(bob.ID), "up_to_id": float64(last.ID)}
	checkDeliveries(t, e, from, []wantEvent{
		{alice.ID, numeneon.EventMessagesRead, data},
		{bob.ID, numeneon.EventMessagesRead, data},
	})

	from = len(e.got.Deliveries())
	if n, err := e.svc.MarkConversationRead(as(alice), bob.ID); err != nil || n != 0 {
		t.Fatalf("MarkConversationRead again = %d, %v; want 0", n, err)
	}
	// A later marker proves nothing else was published in between.
	if _, err := e.svc.SendMessage(as(carol), alice.ID, "marker", nil); err != nil {
		t.Fatal(err)
	}
	got := e.got.Deliveries()[from:]
	if len(got) != 1 || decodeFrame(t, got[0].Env.Frame).Type != numeneon.EventNewMessage {
		t.Errorf("deliveries after an empty read = %d, want only the marker message", len(got))
	}
}
