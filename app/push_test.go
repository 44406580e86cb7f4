package app_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/inmem"
	"github.com/numeneon/numeneon/internal/testpush"
	"github.com/numeneon/numeneon/webpush"
)

// waitFor is a bound on a wait for something that must happen, not a
// measurement.
const waitFor = 10 * time.Second

// pushEnv is a service with Web Push to a local push service, and the
// in-process presence the hub would keep.
type pushEnv struct {
	*env
	push     *testpush.Service
	sender   *app.PushSender
	presence *inmem.Presence
}

func mustOpenPushEnv(t *testing.T) *pushEnv {
	t.Helper()
	e := mustOpenEnv(t)
	keys, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	pe := &pushEnv{env: e, push: testpush.Start(t, keys.Public), presence: inmem.NewPresence()}
	pusher, err := webpush.New(webpush.Config{Keys: keys, Subject: "mailto:ops@numeneon.example", HTTPClient: pe.push.Client()})
	if err != nil {
		t.Fatal(err)
	}
	pe.sender, err = e.svc.StartPush(pusher, app.PushOptions{PublicKey: keys.Public, Presence: pe.presence,
		Backoff: time.Millisecond, Timeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pe.sender.Close)
	return pe
}

// subscribe registers a new device of u with the push service.
func (pe *pushEnv) subscribe(t *testing.T, u *numeneon.User) testpush.Subscription {
	t.Helper()
	sub := pe.push.Subscribe(t)
	_, err := pe.svc.SubscribePush(as(u), numeneon.PushSubscription{Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth})
	if err != nil {
		t.Fatalf("subscribe %s: %v", u.Username, err)
	}
	return sub
}

// waitStats waits until the sender's counters satisfy cond.
func (pe *pushEnv) waitStats(t *testing.T, what string, cond func(app.PushStats) bool) app.PushStats {
	t.Helper()
	deadline := time.Now().Add(waitFor)
	for {
		st := pe.sender.Stats()
		if cond(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("push counters never showed %s: %+v", what, st)
		}
		time.Sleep(time.Millisecond)
	}
}

type payload struct {
	Title, Body, URL, Tag, Type string
	ID                          int64
}

func decodePayload(t *testing.T, m testpush.Message) payload {
	t.Helper()
	var p payload
	if err := json.Unmarshal(m.Payload, &p); err != nil {
		t.Fatalf("push payload %q: %v", m.Payload, err)
	}
	return p
}

func (pe *pushEnv) send(t *testing.T, from, to *numeneon.User, content string) {
	t.Helper()
	if _, err := pe.svc.SendMessage(as(from), to.ID, content, nil); err != nil {
		t.Fatalf("send message: %v", err)
	}
}

// An offline user gets exactly one push per event on each device, which
// the push service verified and decrypted.
func TestPushToOfflineUser(t *testing.T) {
	pe := mustOpenPushEnv(t)
	alice, bob := pe.createUser(t, "alice"), pe.createUser(t, "bob")
	phone, laptop := pe.subscribe(t, bob), pe.subscribe(t, bob)

	for _, text := range []string{"first", "second", "third"} {
		pe.send(t, alice, bob, text)
	}
	pe.waitStats(t, "six messages sent", func(s app.PushStats) bool { return s.Sent == 6 })
	for _, dev := range []testpush.Subscription{phone, laptop} {
		got := pe.push.Received(dev)
		if len(got) != 3 {
			t.Fatalf("device received %d pushes, want 3 (one per message)", len(got))
		}
		var bodies []string
		for _, m := range got {
			p := decodePayload(t, m)
			if p.Title != "New message from alice" || p.URL != "/messages/"+itoa(alice.ID) || p.Type != numeneon.EventNewMessage || p.ID == 0 {
				t.Fatalf("push = %+v", p)
			}
			bodies = append(bodies, p.Body)
		}
		// Sent in order by one worker or several: each exactly once.
		seen := map[string]int{}
		for _, b := range bodies {
			seen[b]++
		}
		if seen["first"] != 1 || seen["second"] != 1 || seen["third"] != 1 {
			t.Fatalf("bodies = %q, want first, second and third once each", bodies)
		}
	}
	// Alice has no device: her events are not pushed anywhere.
	if got := pe.push.Received(testpush.Subscription{}); len(got) != 6 {
		t.Fatalf("push service received %d messages in all, want 6", len(got))
	}
}

// A user with a socket open gets the event there, not a push. Proven by
// order: the event sent while online is not pushed, the next one (sent
// once offline) is, and it is the only one.
func TestNoPushToOnlineUser(t *testing.T) {
	pe := mustOpenPushEnv(t)
	alice, bob := pe.createUser(t, "alice"), pe.createUser(t, "bob")
	dev := pe.subscribe(t, bob)
	if _, err := pe.presence.Connect(context.Background(), bob.ID); err != nil {
		t.Fatal(err)
	}
	pe.send(t, alice, bob, "while online")
	pe.waitStats(t, "the online event skipped", func(s app.PushStats) bool { return s.Online == 1 })
	if _, err := pe.presence.Disconnect(context.Background(), bob.ID); err != nil {
		t.Fatal(err)
	}
	pe.send(t, alice, bob, "while offline")
	m := pe.push.Next(t, waitFor)
	if p := decodePayload(t, m); p.Body != "while offline" {
		t.Fatalf("first push = %+v, want the offline message", p)
	}
	if got := pe.push.Received(dev); len(got) != 1 {
		t.Fatalf("received %d pushes, want 1", len(got))
	}
}

// Every pushed event type has a title, a body and a URL.
func TestPushEventTypes(t *testing.T) {
	pe := mustOpenPushEnv(t)
	alice, bob := pe.createUser(t, "alice"), pe.createUser(t, "bob")
	pe.subscribe(t, alice)
	pe.subscribe(t, bob)
	if _, err := pe.svc.SendFriendRequest(as(alice), bob.ID); err != nil {
		t.Fatal(err)
	}
	p := decodePayload(t, pe.push.Next(t, waitFor))
	if p.Type != numeneon.EventFriendRequest || p.Body != "alice wants to be your friend" || p.URL == "" {
		t.Fatalf("friend request push = %+v", p)
	}
}

// 404 or 410 from the push service deletes the subscription; 429 and 5xx
// are retried.
func TestPushGoneAndRetried(t *testing.T) {
	pe := mustOpenPushEnv(t)
	alice, bob, carol := pe.createUser(t, "alice"), pe.createUser(t, "bob"), pe.createUser(t, "carol")
	gone := pe.subscribe(t, bob)
	pe.push.Gone(gone)
	flaky := pe.subscribe(t, carol)
	pe.push.Fail(flaky, http.StatusTooManyRequests, http.StatusServiceUnavailable)

	pe.send(t, alice, bob, "to a revoked device")
	pe.send(t, alice, carol, "through a flaky service")
	pe.waitStats(t, "one gone, one sent", func(s app.PushStats) bool { return s.Gone == 1 && s.Sent == 1 })
	subs, err := pe.store.ListPushSubscriptions(context.Background(), bob.ID)
	if err != nil || len(subs) != 0 {
		t.Fatalf("bob's subscriptions after 410 = %v, %v; want none", subs, err)
	}
	if got := pe.push.Received(flaky); len(got) != 1 || decodePayload(t, got[0]).Body != "through a flaky service" {
		t.Fatalf("flaky device received %d", len(got))
	}
}

// A push service that hangs delays nothing: the sender's call returns and
// the event reaches the layer (the receiver's socket) while the push
// service still holds the push.
func TestHangingPushServiceDoesNotDelayMessages(t *testing.T) {
	pe := mustOpenPushEnv(t)
	alice, bob, carol := pe.createUser(t, "alice"), pe.createUser(t, "bob"), pe.createUser(t, "carol")
	pe.push.Hang(pe.subscribe(t, bob))
	pe.send(t, alice, bob, "held upstream")
	pe.push.Next(t, waitFor) // the push service has it, and holds it
	// Carol is online: her message is delivered while bob's push hangs.
	pe.send(t, alice, carol, "delivered at once")
	pe.send(t, alice, bob, "and bob's next message is stored and published too")
	// Bob's second push may be held too by now; the first never left.
	if pe.push.Held() < 1 {
		t.Fatalf("push service holds %d requests, want the first still held while the messages go through", pe.push.Held())
	}
	var toCarol, toBob int
	for _, d := range pe.got.Deliveries() {
		switch d.Env.UserID {
		case carol.ID:
			toCarol++
		case bob.ID:
			toBob++
		}
	}
	if toCarol != 1 || toBob != 2 {
		t.Fatalf("deliveries while the push hangs: carol %d, bob %d; want 1 and 2", toCarol, toBob)
	}
}

// A full queue drops pushes (counted) instead of blocking the request.
func TestPushQueueFullDrops(t *testing.T) {
	e := mustOpenEnv(t)
	keys, _ := webpush.GenerateKeys()
	svc := testpush.Start(t, keys.Public)
	pusher, err := webpush.New(webpush.Config{Keys: keys, Subject: "mailto:ops@numeneon.example", HTTPClient: svc.Client()})
	if err != nil {
		t.Fatal(err)
	}
	sender, err := e.svc.StartPush(pusher, app.PushOptions{PublicKey: keys.Public, Presence: inmem.NewPresence(),
		Queue: 1, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer sender.Close()
	alice, bob := e.createUser(t, "alice"), e.createUser(t, "bob")
	sub := svc.Subscribe(t)
	svc.Hang(sub)
	if _, err := e.svc.SubscribePush(as(bob), numeneon.PushSubscription{Endpoint: sub.Endpoint, P256dh: sub.P256dh, Auth: sub.Auth}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SendMessage(as(alice), bob.ID, "one", nil); err != nil {
		t.Fatal(err)
	}
	svc.Next(t, waitFor) // the one worker is held
	for i := range 5 {
		if _, err := e.svc.SendMessage(as(alice), bob.ID, "more "+itoa(int64(i)), nil); err != nil {
			t.Fatal(err)
		}
	}
	// One waits in the queue of one; the other four are dropped.
	if st := sender.Stats(); st.Dropped != 4 {
		t.Fatalf("dropped = %d, want 4 (%+v)", st.Dropped, st)
	}
}

func TestSubscribePushValidates(t *testing.T) {
	pe := mustOpenPushEnv(t)
	bob := pe.createUser(t, "bob")
	good := pe.push.Subscribe(t)
	for _, tc := range []struct {
		name  string
		sub   numeneon.PushSubscription
		field string
	}{
		{"no endpoint", numeneon.PushSubscription{P256dh: good.P256dh, Auth: good.Auth}, "endpoint"},
		{"javascript endpoint", numeneon.PushSubscription{Endpoint: "javascript:alert(1)", P256dh: good.P256dh, Auth: good.Auth}, "endpoint"},
		{"http endpoint", numeneon.PushSubscription{Endpoint: "http://push.example/1", P256dh: good.P256dh, Auth: good.Auth}, "endpoint"},
		{"bad key", numeneon.PushSubscription{Endpoint: good.Endpoint, P256dh: "AAAA", Auth: good.Auth}, "keys.p256dh"},
		{"bad auth", numeneon.PushSubscription{Endpoint: good.Endpoint, P256dh: good.P256dh, Auth: "c2hvcnQ"}, "keys.auth"},
	} {
		_, err := pe.svc.SubscribePush(as(bob), tc.sub)
		var de *numeneon.Error
		if !asError(err, &de) || de.Fields[tc.field] == nil {
			t.Errorf("%s: err = %v, want a %s field error", tc.name, err, tc.field)
		}
	}
	none := mustOpenEnv(t)
	u := none.createUser(t, "u")
	if _, err := none.svc.SubscribePush(as(u), numeneon.PushSubscription{Endpoint: good.Endpoint, P256dh: good.P256dh, Auth: good.Auth}); numeneon.ErrorCode(err) != numeneon.EUNAVAILABLE {
		t.Fatalf("subscribe without push configured = %v, want EUNAVAILABLE", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func asError(err error, target **numeneon.Error) bool { return errors.As(err, target) }
