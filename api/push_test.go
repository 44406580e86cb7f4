package api_test

import (
	"context"
	"crypto/ecdh"
	"crypto/rand"
	"encoding/base64"
	"net/http"
	"strings"
	"testing"

	"github.com/numeneon/numeneon/api"
	"github.com/numeneon/numeneon/app"
	"github.com/numeneon/numeneon/inmem"
	"github.com/numeneon/numeneon/internal/testpush"
	"github.com/numeneon/numeneon/webpush"
)

// usePush turns Web Push on for ts, towards a local push service.
func (ts *testServer) usePush() (*testpush.Service, string) {
	ts.t.Helper()
	keys, err := webpush.GenerateKeys()
	if err != nil {
		ts.t.Fatal(err)
	}
	svc := testpush.Start(ts.t, keys.Public)
	pusher, err := webpush.New(webpush.Config{Keys: keys, Subject: "mailto:ops@numeneon.example", HTTPClient: svc.Client()})
	if err != nil {
		ts.t.Fatal(err)
	}
	sender, err := ts.app.StartPush(pusher, app.PushOptions{PublicKey: keys.Public, Presence: inmem.NewPresence()})
	if err != nil {
		ts.t.Fatal(err)
	}
	ts.t.Cleanup(sender.Close)
	return svc, keys.Public
}

func TestPushRoutes(t *testing.T) {
	onBothDatabases(t, api.Config{}, func(t *testing.T, ts *testServer) {
		ts.mustDo("GET", "/api/notifications/vapid-public-key/", "", nil, http.StatusServiceUnavailable, nil)
		alice := ts.signup("alice")
		// Bad input is 400 either way; a good subscription is 503 while
		// push is off, with a message saying so.
		ts.mustDo("POST", "/api/notifications/subscribe/", alice.Access, object{}, http.StatusBadRequest, nil)
		devKey, _ := ecdh.P256().GenerateKey(rand.Reader)
		valid := object{"endpoint": "https://push.example/device", "keys": object{
			"p256dh": base64.RawURLEncoding.EncodeToString(devKey.PublicKey().Bytes()),
			"auth":   base64.RawURLEncoding.EncodeToString(make([]byte, 16))}}
		var off map[string]string
		ts.mustDo("POST", "/api/notifications/subscribe/", alice.Access, valid, http.StatusServiceUnavailable, &off)
		if !strings.Contains(off["error"], "not configured") {
			t.Fatalf("subscribe while push is off answered %v", off)
		}

		svc, public := ts.usePush()
		var key map[string]string
		ts.mustDo("GET", "/api/notifications/vapid-public-key/", "", nil, http.StatusOK, &key)
		if key["publicKey"] != public || key["vapid_public_key"] != public {
			t.Fatalf("key answer = %v, want both names = %s", key, public)
		}

		dev := svc.Subscribe(t)
		body := object{"endpoint": dev.Endpoint, "expirationTime": nil, "keys": object{"p256dh": dev.P256dh, "auth": dev.Auth}}
		ts.mustDo("POST", "/api/notifications/subscribe/", "", body, http.StatusUnauthorized, nil)
		ts.mustDo("POST", "/api/notifications/subscribe/", alice.Access, body, http.StatusCreated, nil)
		// The same browser again: still one subscription.
		ts.mustDo("POST", "/api/notifications/subscribe/", alice.Access, body, http.StatusCreated, nil)
		other := svc.Subscribe(t)
		ts.mustDo("POST", "/api/notifications/subscribe/", alice.Access,
			object{"endpoint": other.Endpoint, "keys": object{"p256dh": other.P256dh, "auth": other.Auth}}, http.StatusCreated, nil)
		subs, err := ts.store.ListPushSubscriptions(context.Background(), alice.ID)
		if err != nil || len(subs) != 2 {
			t.Fatalf("alice's subscriptions = %d, %v; want 2 devices", len(subs), err)
		}

		var fields map[string][]string
		ts.mustDo("POST", "/api/notifications/subscribe/", alice.Access,
			object{"endpoint": "http://push.example/x", "keys": object{"p256dh": "x", "auth": "y"}}, http.StatusBadRequest, &fields)
		if fields["endpoint"] == nil || fields["keys.p256dh"] == nil || fields["keys.auth"] == nil {
			t.Fatalf("bad subscription answered %v", fields)
		}

		ts.mustDo("POST", "/api/notifications/unsubscribe/", alice.Access, object{"endpoint": dev.Endpoint}, http.StatusOK, nil)
		ts.mustDo("POST", "/api/notifications/unsubscribe/", alice.Access, object{"endpoint": dev.Endpoint}, http.StatusNotFound, nil)
		bob := ts.signup("bob")
		ts.mustDo("POST", "/api/notifications/unsubscribe/", bob.Access, object{"endpoint": other.Endpoint}, http.StatusNotFound, nil)
		ts.mustDo("POST", "/api/notifications/unsubscribe/", alice.Access, object{}, http.StatusBadRequest, nil)
	})
}
