package app_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
)

func TestSendMessageStoresAndPublishesEvent(t *testing.T) {
	e := mustOpenEnv(t)
	ctx := context.Background()
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")
	content := "  hello, 'bob'; --  "
	m, err := e.svc.SendMessage(as(alice), bob.ID, content, nil)
	if err != nil {
		t.Fatalf("send: %v", err)
	}
	if m.Content != content {
		t.Errorf("content = %q, want it kept as given %q", m.Content, content)
	}
	notes, err := e.store.ListNotifications(ctx, bob.ID, 0, 10)
	if err != nil || len(notes) != 1 {
		t.Fatalf("bob's notifications = %v, %v; want one", notes, err)
	}
	var data any
	json.Unmarshal(notes[0].Data, &data)
	want := map[string]any{
		"id":         float64(m.ID),
		"sender":     map[string]any{"id": float64(alice.ID), "username": "alice"},
		"content":    content,
		"created_at": app.FormatTime(m.CreatedAt),
	}
	if diff := cmp.Diff(want, data); diff != "" {
		t.Errorf("event data (-want +got):\n%s", diff)
	}
	got := e.got.Deliveries()
	if len(got) != 1 || got[0].Env.UserID != bob.ID || got[0].Env.ID != notes[0].ID || !got[0].Committed {
		t.Fatalf("deliveries = %+v, want one committed envelope for bob id %d", got, notes[0].ID)
	}
	if f := decodeFrame(t, got[0].Env.Frame); f.Type != numeneon.EventNewMessage {
		t.Errorf("frame type %q", f.Type)
	}
	if own, _ := e.store.ListNotifications(ctx, alice.ID, 0, 10); len(own) != 0 {
		t.Errorf("the sender got %d notifications", len(own))
	}
}

func TestSendMessageRules(t *testing.T) {
	e := mustOpenEnv(t)
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")
	story := "not-a-uuid"
	tests := []struct {
		name     string
		receiver int64
		content  string
		story    *string
		want     string
	}{
		{"empty", bob.ID, "", nil, numeneon.EINVALID},
		{"white space only", bob.ID, " \n\t ", nil, numeneon.EINVALID},
		{"too long", bob.ID, strings.Repeat("é", 5001), nil, numeneon.EINVALID},
		{"to self", alice.ID, "hi", nil, numeneon.EINVALID},
		{"unknown receiver", 987654, "hi", nil, numeneon.ENOTFOUND},
		{"zero receiver", 0, "hi", nil, numeneon.EINVALID},
		{"bad story id", bob.ID, "hi", &story, numeneon.EINVALID},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.SendMessage(as(alice), tt.receiver, tt.content, tt.story)
			wantCode(t, err, tt.want)
		})
	}
	if _, err := e.svc.SendMessage(as(alice), bob.ID, strings.Repeat("é", 5000), nil); err != nil {
		t.Errorf("5000 characters: %v", err)
	}
	if got := e.got.Deliveries(); len(got) != 1 {
		t.Errorf("got %d deliveries, want only the valid message's", len(got))
	}
}

// TestPublishFailureKeepsTheMessage checks that a broker outage does not
// fail a send: the message and its event are stored for the client to
// resume from.
func TestPublishFailureKeepsTheMessage(t *testing.T) {
	e := mustOpenEnvWithLayer(t, &failingLayer{})
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")
	if _, err := e.svc.SendMessage(as(alice), bob.ID, "still here", nil); err != nil {
		t.Fatalf("send with the broker down: %v", err)
	}
	notes, err := e.store.ListNotifications(context.Background(), bob.ID, 0, 10)
	if err != nil || len(notes) != 1 || notes[0].Type != numeneon.EventNewMessage {
		t.Errorf("stored notifications = %+v, %v; want the new_message", notes, err)
	}
}

func TestMarkReadOnlyTouchesOwnMessages(t *testing.T) {
	e := mustOpenEnv(t)
	alice, bob, carol := e.createUser(t, "alice"), e.createUser(t, "bob"), e.createUser(t, "carol")
	for range 3 {
		if _, err := e.svc.SendMessage(as(alice), bob.ID, "hi bob", nil); err != nil {
			t.Fatal(err)
		}
	}
	// Carol marking "alice's conversation" read changes nothing of bob's.
	if n, err := e.svc.MarkConversationRead(as(carol), alice.ID); err != nil || n != 0 {
		t.Errorf("carol marked %d, %v; want 0", n, err)
	}
	// Alice, the sender, cannot mark her own sent messages read for bob.
	if n, err := e.svc.MarkConversationRead(as(alice), bob.ID); err != nil || n != 0 {
		t.Errorf("alice marked %d, %v; want 0", n, err)
	}
	if n, err := e.svc.MarkConversationRead(as(bob), alice.ID); err != nil || n != 3 {
		t.Errorf("bob marked %d, %v; want 3", n, err)
	}
	if msgs, _ := e.svc.Conversation(as(carol), alice.ID, numeneon.Page{}); len(msgs) != 0 {
		t.Errorf("carol sees %d messages of alice and bob", len(msgs))
	}
	if n, err := e.svc.MarkNotificationsRead(as(carol), 100); err != nil || n != 0 {
		t.Errorf("carol marked %d notifications, %v; want 0", n, err)
	}
	if n, err := e.svc.MarkNotificationsRead(as(bob), 2); err != nil || n != 2 {
		t.Errorf("bob marked %d notifications up to 2, %v; want 2", n, err)
	}
}
