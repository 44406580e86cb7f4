package realtime_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/internal/teststore"
	"github.com/numeneon/numeneon/realtime"
)

// TestHungDatabaseBoundsSockets: with PostgreSQL behind a proxy that stops
// forwarding, a socket opening meanwhile is refused with 503 (or closed
// with 1011/1013) within StoreTimeout instead of waiting for the database, an open socket
// goes on delivering what the layer carries (or closes with 1011), and once
// the database answers again sockets open and resume as before.
func TestHungDatabaseBoundsSockets(t *testing.T) {
	pg, proxy := teststore.PostgresBehindProxy(t)
	alice := &numeneon.User{Username: "alice", Email: "alice@example.com", PasswordHash: "!", IsActive: true}
	first := &numeneon.Notification{UserID: 0, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{"content":"before"}`)}
	err := pg.Update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		if err := tx.CreateUser(ctx, alice); err != nil {
			return err
		}
		first.UserID = alice.ID
		return tx.CreateNotification(ctx, first)
	})
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *realtime.Config) {
		c.Store = pg
		c.StoreTimeout = 300 * time.Millisecond
		// The token check reads the user from the database, as the
		// server's does.
		c.Authenticate = func(ctx context.Context, token string) (numeneon.AccessGrant, error) {
			if token != "tok-alice" {
				return numeneon.AccessGrant{}, numeneon.Errorf(numeneon.EUNAUTHORIZED, "Token is invalid or expired")
			}
			u, err := pg.FindUserByID(ctx, alice.ID)
			if err != nil {
				return numeneon.AccessGrant{}, err
			}
			return numeneon.AccessGrant{User: u}, nil
		}
	})
	open := e.dial(t, alice, "since=0")
	if got := open.readIDs(first.ID); len(got) != 1 {
		t.Fatalf("replay before the hang: %v", got)
	}

	proxy.Stall()

	// A socket opening while the database hangs.
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, resp, err := websocket.Dial(ctx, e.url("token=tok-alice&since=0"), nil)
	if err == nil {
		_, _, err = c.Read(ctx)
		c.CloseNow()
		t.Logf("socket opened during the hang: %v", err)
		if code := websocket.CloseStatus(err); code != websocket.StatusInternalError && code != websocket.StatusTryAgainLater {
			t.Errorf("socket opened during the hang ended with %v, want close 1011 or 1013", err)
		}
	} else if resp == nil || resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("handshake during the hang: %v, want 503", err)
	}

	// The open socket is not stuck behind the database: an event the layer
	// carries arrives, or the socket closes with 1011.
	live := &numeneon.Notification{ID: first.ID + 1, UserID: alice.ID, Type: numeneon.EventNewMessage, Data: json.RawMessage(`{"content":"during"}`)}
	e.publish(t, live)
	f, err := open.tryRead(30 * time.Second)
	switch {
	case err == nil:
		if f.ID != live.ID {
			t.Errorf("open socket during the hang got %s, want event %d", f.raw, live.ID)
		}
	case websocket.CloseStatus(err) == websocket.StatusInternalError:
		t.Logf("open socket during the hang closed: %v", err)
	default:
		t.Errorf("open socket during the hang: %v, want the event or close 1011", err)
	}

	proxy.Resume()
	again := e.dial(t, alice, "since=0")
	if got := again.readIDs(first.ID); len(got) != 1 {
		t.Errorf("replay after the database recovered: ids %v, want [%d]", got, first.ID)
	}
}
