package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
	"github.com/numeneon/numeneon/redis"
)

// pubSubPair starts a private Redis with two layers on it, a publisher and a
// subscriber of user, and returns the publisher, what the subscriber
// receives, and a function that publishes envelope id to user.
func pubSubPair(t *testing.T, configure func(*redis.Options), user int64) (*redis.Layer, *layertest.Recorder, func(id int64) error) {
	t.Helper()
	srv := testsvc.StartRedis(t)
	opts := testOptions(t, srv.URL)
	configure(&opts)
	pub := mustNewLayer(t, opts)
	sub := mustNewLayer(t, opts)
	rec := layertest.NewRecorder()
	sub.Listen(rec)
	pub.Listen(layertest.NewRecorder())
	if err := sub.Subscribe(t.Context(), user); err != nil {
		t.Fatal(err)
	}
	publish := func(id int64) error {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		return pub.Publish(ctx, numeneon.Envelope{UserID: user, ID: id, Frame: fmt.Appendf(nil, `{"id":%d}`, id)})
	}
	return pub, rec, publish
}

// TestPublishFailedWhileSubscribersStayedAreResent: a pipeline fails (its
// connection broke) while the subscribers stay connected, so no reconnect and
// no catch-up will follow. The publisher keeps the envelope and sends it
// first once Redis answers, so the subscriber gets every envelope, in order.
func TestPublishFailedWhileSubscribersStayedAreResent(t *testing.T) {
	const user = 7
	pub, rec, publish := pubSubPair(t, func(*redis.Options) {}, user)
	if err := publish(1); err != nil {
		t.Fatal(err)
	}
	rec.WaitForCount(t, user, 1)

	pub.FailNextPublishes(2) // the publish of 2 and the first probe fail
	if err := publish(2); err == nil {
		t.Fatal("publish 2 succeeded through a failing pipeline")
	}
	// Nothing else is published for a while: the publisher probes on its
	// own and delivers 2.
	rec.WaitForCount(t, user, 2)
	if err := publish(3); err != nil {
		t.Fatalf("publish 3 after recovery: %v", err)
	}
	rec.WaitForCount(t, user, 3)
	var ids []int64
	for _, env := range rec.Envelopes(user) {
		ids = append(ids, env.ID)
	}
	if fmt.Sprint(ids) != "[1 2 3]" {
		t.Errorf("subscriber got ids %v, want [1 2 3]", ids)
	}
	if rec.Reconnects() != 0 {
		t.Errorf("the subscriber reconnected %d times; it was meant to stay connected", rec.Reconnects())
	}
}

// TestManyKeptEnvelopesAreResentInOrder: more envelopes pile up during an
// outage than one pipeline carries; they are resent in order, a pipeline at
// a time, before newer ones.
func TestManyKeptEnvelopesAreResentInOrder(t *testing.T) {
	const user = 9
	pub, rec, publish := pubSubPair(t, func(o *redis.Options) { o.MaxPublishBatch = 4 }, user)
	pub.FailNextPublishes(1)
	for id := int64(1); id <= 15; id++ {
		_ = publish(id) // the first fails, the rest fail fast until the probe
	}
	rec.WaitForCount(t, user, 15)
	if err := publish(16); err != nil {
		t.Fatalf("publish after recovery: %v", err)
	}
	rec.WaitForCount(t, user, 16)
	var ids []int64
	for _, env := range rec.Envelopes(user) {
		ids = append(ids, env.ID)
	}
	want := "[1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16]"
	if fmt.Sprint(ids) != want {
		t.Errorf("subscriber got %v, want %s", ids, want)
	}
}

// TestPublishFailsFastWhileRedisIsDown: while Redis is away a publish does
// not wait for dials and timeouts; requests that publish stay fast.
func TestPublishFailsFastWhileRedisIsDown(t *testing.T) {
	srv := testsvc.StartRedis(t)
	l := mustNewLayer(t, testOptions(t, srv.URL))
	l.Listen(layertest.NewRecorder())
	srv.Stop(t)
	failed := 0
	for i := range 50 {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		err := l.Publish(ctx, numeneon.Envelope{UserID: 1, ID: int64(i + 1), Frame: []byte(`{}`)})
		cancel()
		if err != nil {
			failed++
			if numeneon.ErrorCode(err) != numeneon.EUNAVAILABLE {
				t.Fatalf("publish while Redis is down: %v, want EUNAVAILABLE", err)
			}
		}
	}
	if failed != 50 {
		t.Fatalf("%d of 50 publishes failed while Redis was down, want all", failed)
	}
}
