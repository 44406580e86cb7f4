package webpush_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testpush"
	"github.com/numeneon/numeneon/webpush"
)

func newPusher(t *testing.T) (*webpush.Pusher, *testpush.Service) {
	t.Helper()
	keys, err := webpush.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	svc := testpush.Start(t, keys.Public)
	p, err := webpush.New(webpush.Config{Keys: keys, Subject: "mailto:ops@numeneon.example", HTTPClient: svc.Client()})
	if err != nil {
		t.Fatal(err)
	}
	return p, svc
}

func domainSub(s testpush.Subscription) *numeneon.PushSubscription {
	return &numeneon.PushSubscription{Endpoint: s.Endpoint, P256dh: s.P256dh, Auth: s.Auth}
}

// A message arrives signed (the service checks the VAPID JWT against the
// public key) and decrypts with the subscription's private key.
func TestPushDelivers(t *testing.T) {
	p, svc := newPusher(t)
	sub := svc.Subscribe(t)
	payload := []byte(`{"title":"New message from ada","body":"hi ✨","url":"/messages/1"}`)
	if err := p.Push(context.Background(), domainSub(sub), payload); err != nil {
		t.Fatalf("Push: %v", err)
	}
	got := svc.Received(sub)
	if len(got) != 1 || string(got[0].Payload) != string(payload) {
		t.Fatalf("received %q, want exactly %q", got, payload)
	}
	if got[0].TTL != "86400" {
		t.Fatalf("TTL = %q, want 86400", got[0].TTL)
	}
}

func TestPushErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		set   func(*testpush.Service, testpush.Subscription)
		want  string
		bound time.Duration
	}{
		{"gone", func(s *testpush.Service, sub testpush.Subscription) { s.Gone(sub) }, numeneon.ENOTFOUND, 0},
		{"not found", func(s *testpush.Service, sub testpush.Subscription) { s.Fail(sub, http.StatusNotFound) }, numeneon.ENOTFOUND, 0},
		{"too many requests", func(s *testpush.Service, sub testpush.Subscription) { s.Fail(sub, http.StatusTooManyRequests) }, numeneon.EUNAVAILABLE, 0},
		{"server error", func(s *testpush.Service, sub testpush.Subscription) { s.Fail(sub, http.StatusBadGateway) }, numeneon.EUNAVAILABLE, 0},
		{"refused", func(s *testpush.Service, sub testpush.Subscription) { s.Fail(sub, http.StatusRequestEntityTooLarge) }, numeneon.EINVALID, 0},
		{"hang", func(s *testpush.Service, sub testpush.Subscription) { s.Hang(sub) }, numeneon.EUNAVAILABLE, 100 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p, svc := newPusher(t)
			sub := svc.Subscribe(t)
			tc.set(svc, sub)
			ctx := context.Background()
			if tc.bound > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.bound)
				defer cancel()
			}
			err := p.Push(ctx, domainSub(sub), []byte(`{}`))
			if code := numeneon.ErrorCode(err); code != tc.want {
				t.Fatalf("Push = %v (code %q), want %q", err, code, tc.want)
			}
			// The local service sends Retry-After with its 429s only.
			var ra numeneon.PushRetryAfter
			if hasRA := errors.As(err, &ra); hasRA != (tc.name == "too many requests") {
				t.Fatalf("Push error carries Retry-After: %v, want it for a 429 only", hasRA)
			}
		})
	}
	t.Run("bad subscription keys", func(t *testing.T) {
		p, svc := newPusher(t)
		sub := domainSub(svc.Subscribe(t))
		sub.P256dh = "not-a-key"
		if code := numeneon.ErrorCode(p.Push(context.Background(), sub, []byte(`{}`))); code != numeneon.EINVALID {
			t.Fatalf("Push with a bad key: code %q, want EINVALID", code)
		}
	})
}

func TestNewChecksConfiguration(t *testing.T) {
	a, _ := webpush.GenerateKeys()
	b, _ := webpush.GenerateKeys()
	for _, tc := range []struct {
		name string
		cfg  webpush.Config
	}{
		{"mismatched keys", webpush.Config{Keys: webpush.Keys{Public: a.Public, Private: b.Private}, Subject: "mailto:a@b.example"}},
		{"short public key", webpush.Config{Keys: webpush.Keys{Public: "abc", Private: a.Private}, Subject: "mailto:a@b.example"}},
		{"no subject", webpush.Config{Keys: a}},
		{"http subject", webpush.Config{Keys: a, Subject: "http://numeneon.example"}},
	} {
		if _, err := webpush.New(tc.cfg); err == nil {
			t.Errorf("%s: New accepted it", tc.name)
		}
	}
	if _, err := webpush.New(webpush.Config{Keys: a, Subject: "https://numeneon.example"}); err != nil {
		t.Errorf("an https subject: %v", err)
	}
}
