package pglayer_test

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/teststore"
	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/layertest"
	"github.com/numeneon/numeneon/pglayer"
)

// TestLongEventsAreReadFromTheStore: a message too long for one
// notification reaches the other process whole, read from the real store,
// in order with the short events around it.
func TestLongEventsAreReadFromTheStore(t *testing.T) {
	url := testsvc.PostgresURL(t)
	ctx := context.Background()
	store := teststore.PostgresAt(t, url)
	u := &numeneon.User{Username: "ada", Email: "ada@example.com"}
	if err := store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateUser(ctx, u) }); err != nil {
		t.Fatalf("create user: %v", err)
	}

	cfg := testConfig(t, url, store)
	pub, sub := mustNew(t, cfg), mustNew(t, cfg)
	rec := layertest.NewRecorder()
	sub.Listen(rec)
	pub.Listen(layertest.NewRecorder())
	if err := sub.Subscribe(ctx, u.ID); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	long, _ := json.Marshal(map[string]string{"content": strings.Repeat("\u2028é", 3000)})
	var want []numeneon.Envelope
	for _, data := range []json.RawMessage{json.RawMessage(`{"n": 1}`), long, json.RawMessage(`{"n": 3}`)} {
		n := &numeneon.Notification{UserID: u.ID, Type: numeneon.EventNewMessage, Data: data}
		if err := store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error { return tx.CreateNotification(ctx, n) }); err != nil {
			t.Fatalf("store notification: %v", err)
		}
		want = append(want, n.Envelope())
	}
	if len(want[1].Frame) < 8000 {
		t.Fatalf("the long frame has %d bytes: it would fit in a notification and prove nothing", len(want[1].Frame))
	}
	if err := pub.Publish(ctx, want...); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	rec.WaitForCount(t, u.ID, 3)
	if diff := cmp.Diff(want, rec.Envelopes(u.ID)); diff != "" {
		t.Errorf("envelopes received (-want +got):\n%s", diff)
	}
}

// TestReconnect: the listening connection is killed by the server; the
// layer listens again on a new one, tells the handler to catch up, and
// delivers what is published afterwards.
func TestReconnect(t *testing.T) {
	url := testsvc.PostgresURL(t)
	cfg := testConfig(t, url, tableEvents{})
	pub, sub := mustNew(t, cfg), mustNew(t, cfg)
	rec := layertest.NewRecorder()
	sub.Listen(rec)
	pub.Listen(layertest.NewRecorder())
	const user = 7
	if err := sub.Subscribe(t.Context(), user); err != nil {
		t.Fatalf("Subscribe: %v", err)
	}

	admin := mustPool(t, url)
	var killed int
	err := admin.QueryRow(t.Context(), `SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
		WHERE application_name = 'numeneon listener' AND datname = current_database()`).Scan(&killed)
	if err != nil || killed != 2 {
		t.Fatalf("terminate the listening connections: %d terminated, %v; want 2", killed, err)
	}
	rec.WaitFor(t, "the layer to report its reconnect", func(r *layertest.Recorder) bool { return r.Reconnects() == 1 })

	// Subscribe returns once the new connection listens.
	if err := sub.Subscribe(t.Context(), user); err != nil {
		t.Fatalf("Subscribe after the reconnect: %v", err)
	}
	env := numeneon.Envelope{UserID: user, Frame: []byte(`{"type":"typing"}`)}
	if err := pub.Publish(t.Context(), env); err != nil {
		t.Fatalf("Publish: %v", err)
	}
	rec.WaitForCount(t, user, 1)
}

// mustNew opens a layer and closes it at the end of the test.
func mustNew(t testing.TB, cfg pglayer.Config) *pglayer.Layer {
	t.Helper()
	l, err := pglayer.New(t.Context(), cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l
}
