package realtime_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/realtime"
)

// waitUntil waits for the wall clock to pass t: the socket under test runs
// on real time, so its token must really have expired.
func waitUntil(tb testing.TB, t time.Time) {
	tb.Helper()
	waitFor(tb, "the clock to pass "+t.Format(time.StampMilli), func() bool { return time.Now().After(t) })
}

// expectPong checks that the socket still answers.
func (c *client) expectPong() {
	c.tb.Helper()
	c.send(`{"type":"ping"}`)
	if got := c.read(); string(got.raw) != `{"type":"pong"}` {
		c.tb.Fatalf("got %s, want a pong", got.raw)
	}
}

// By default a socket outlives its access tokens while its user stays
// signed in: here across two of them, the second sent on the socket.
func TestSocketOutlivesTokenExpiriesWhileSignedIn(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	signedIn := time.Now().Add(time.Hour)
	first := time.Now().Add(time.Second) // outlives the handshake on a loaded machine too
	e.grantSession("first", alice, first, signedIn)
	c := e.dialRaw(t, "token=first", nil)
	c.expectEstablished(alice)

	waitUntil(t, first)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if conn, resp, err := websocket.Dial(ctx, e.url("token=first"), nil); err == nil {
		conn.CloseNow()
		t.Fatal("a handshake with the expired token was accepted")
	} else if resp == nil || resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("handshake with the expired token: %v, want 401", err)
	}
	n1 := e.notify(t, alice, `{"content":"after the first token"}`)
	if got := c.read(); got.ID != n1.ID {
		t.Fatalf("after the first token expired: got %s, want event %d", got.raw, n1.ID)
	}

	second := time.Now().Add(time.Second)
	e.grantSession("second", alice, second, signedIn)
	c.send(`{"type":"auth","token":"second"}`)
	c.expectPong() // the auth message was handled: it got no error
	waitUntil(t, second)
	n2 := e.notify(t, alice, `{"content":"after the second token"}`)
	if got := c.read(); got.ID != n2.ID {
		t.Fatalf("after the second token expired: got %s, want event %d", got.raw, n2.ID)
	}
	c.expectPong()
}

// By default a socket still closes when its sign-in ends: no refresh token
// of it could get a fresh access token any more.
func TestSocketClosesWhenSignInEnds(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	now := time.Now()
	e.grantSession("token", alice, now.Add(50*time.Millisecond), now.Add(time.Second))
	c := e.dialRaw(t, "token=token", nil)
	c.expectEstablished(alice)
	if got := c.read(); string(got.raw) != `{"type":"token_expired"}` {
		t.Fatalf("got %s, want token_expired", got.raw)
	}
	c.expectClose(realtime.CloseUnauthorized)
}

// In enforce mode, with the server's real tokens: handshakes are made
// around the instant a token expires. Every socket upgraded stays open while
// the token is still accepted by a later handshake (so none was upgraded
// only to be closed at once), and every one is closed with 4001 once
// handshakes are refused.
func TestEnforcedExpiryMatchesHandshakes(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) {
		c.SocketTokenExpiry = realtime.TokenExpiryEnforce
		c.SocketsPerUser = 100000
	})
	alice := e.createUser(t, "alice")
	// A token whose exp is past already, still accepted thanks to the
	// leeway for about two more seconds.
	leeway := 30 * time.Second
	e.tokens.Now = func() time.Time { return time.Now().Add(-e.tokens.AccessTTL - leeway + 2*time.Second) }
	token, err := e.tokens.IssueAccess(alice.ID)
	e.tokens.Now = nil
	if err != nil {
		t.Fatal(err)
	}

	var open []*client
	expiredSeen := make(map[*client]bool) // token_expired read by a check
	accepted, refused := 0, 0
	for refused == 0 {
		// Check the sockets, then dial: if the dial is accepted, the
		// token was accepted when the sockets were checked too.
		var closedEarly error
		for i, c := range open {
			c.send(`{"type":"ping"}`)
			if got := c.read(); string(got.raw) != `{"type":"pong"}` {
				closedEarly = fmt.Errorf("socket %d got %s instead of a pong", i, got.raw)
				expiredSeen[c] = string(got.raw) == `{"type":"token_expired"}`
				break
			}
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		conn, resp, err := websocket.Dial(ctx, e.url("token="+token), nil)
		cancel()
		switch {
		case err == nil:
			accepted++
			c := &client{tb: t, conn: conn}
			t.Cleanup(func() { conn.CloseNow() })
			c.expectEstablished(alice)
			open = append(open, c)
			if closedEarly != nil {
				t.Fatalf("a handshake was accepted after a socket with the same token was closed: %v", closedEarly)
			}
		case resp != nil && resp.StatusCode == http.StatusUnauthorized:
			refused++
		default:
			t.Fatalf("handshake: %v", err)
		}
		if accepted > 1000 {
			t.Fatal("the token never expired")
		}
	}
	t.Logf("%d handshakes accepted, then one refused", accepted)
	if accepted < 2 {
		t.Fatalf("%d handshakes accepted before the expiry, want several", accepted)
	}
	for i, c := range open {
		if !expiredSeen[c] {
			if got := c.readSkipping("pong"); string(got.raw) != `{"type":"token_expired"}` {
				t.Fatalf("socket %d: got %s, want token_expired", i, got.raw)
			}
		}
		c.expectClose(realtime.CloseUnauthorized)
	}
}

// A fresh token sent on the socket keeps it open past its first token in
// enforce mode; another user's token does not.
func TestEnforcedExpiryExtendedByFreshToken(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) { c.SocketTokenExpiry = realtime.TokenExpiryEnforce })
	alice := e.createUser(t, "alice")
	e.createUser(t, "bob")
	// The first token must outlive the handshake, on a loaded machine too.
	first := time.Now().Add(time.Second)
	e.grant("first", alice, first)
	e.grant("fresh", alice, time.Now().Add(time.Hour))
	c := e.dialRaw(t, "token=first", nil)
	c.expectEstablished(alice)

	c.send(`{"type":"auth","token":"tok-bob"}`)
	if got := c.read(); got.Type != "error" {
		t.Fatalf("another user's token: got %s, want an error", got.raw)
	}
	c.send(`{"type":"auth","token":"fresh"}`)
	c.expectPong()
	waitUntil(t, first)
	n := e.notify(t, alice, `{}`)
	if got := c.read(); got.ID != n.ID {
		t.Fatalf("after the first token expired: got %s, want event %d", got.raw, n.ID)
	}
}

// A session-end envelope closes every socket of its user on this process
// with its code, is never sent to a client, and leaves other users alone.
func TestSessionEndClosesTheUsersSockets(t *testing.T) {
	e := newEnv(t, nil)
	alice, bob, carol := e.createUser(t, "alice"), e.createUser(t, "bob"), e.createUser(t, "carol")
	a1, a2 := e.dial(t, alice, ""), e.dial(t, alice, "")
	b := e.dial(t, bob, "")
	c := e.dial(t, carol, "")

	publish := func(env numeneon.Envelope) {
		t.Helper()
		if err := e.layer.Publish(context.Background(), env); err != nil {
			t.Fatal(err)
		}
	}
	publish(numeneon.SessionEndEnvelope(alice.ID, numeneon.CloseSessionEnded))
	publish(numeneon.SessionEndEnvelope(carol.ID, numeneon.CloseAccountInactive))
	for i, s := range []*client{a1, a2} {
		expectClosedAtOnce(t, s, numeneon.CloseSessionEnded, fmt.Sprintf("alice's socket %d", i))
	}
	expectClosedAtOnce(t, c, numeneon.CloseAccountInactive, "carol's socket")

	// Bob heard nothing of it: his next frame is his own event.
	n := e.notify(t, bob, `{"content":"still here"}`)
	if got := b.read(); got.ID != n.ID {
		t.Fatalf("bob got %s, want his event %d", got.raw, n.ID)
	}
	waitFor(t, "alice's and carol's sockets to be released", func() bool { return e.hub.Sockets() == 1 })
}

// expectClosedAtOnce checks that the next thing c reads is the close with
// code: no frame comes before it.
func expectClosedAtOnce(t *testing.T, c *client, code int, what string) {
	t.Helper()
	f, err := c.tryRead(10 * time.Second)
	if err == nil {
		t.Fatalf("%s got %s, want a close with %d", what, f.raw, code)
	}
	if got := websocket.CloseStatus(err); int(got) != code {
		t.Fatalf("%s ended with %v, want close code %d", what, err, code)
	}
}
