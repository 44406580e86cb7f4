package realtime_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/realtime"
)

func TestClientMessagesGetAnswersAndSocketStaysUp(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	e.createUser(t, "bob")
	c := e.dial(t, alice, "")

	tests := []struct {
		name   string
		binary bool
		msg    string
		want   string // exact frame, or an error type when wantError
		isErr  bool
	}{
		{name: "ping", msg: `{"type":"ping"}`, want: `{"type":"pong"}`},
		{name: "invalid JSON", msg: `{"type":"ping"`, want: `{"type":"error","message":"Invalid JSON"}`},
		{name: "garbage", msg: "\x00\x01not json at all \u2603", want: `{"type":"error","message":"Invalid JSON"}`},
		{name: "array", msg: `[1,2,3]`, isErr: true},
		{name: "type not a string", msg: `{"type":5}`, isErr: true},
		{name: "missing type", msg: `{}`, isErr: true},
		{name: "unknown type", msg: `{"type":"launch_missiles"}`, isErr: true},
		{name: "typing to a string", msg: `{"type":"typing","to":"2"}`, isErr: true},
		{name: "typing to a fraction", msg: `{"type":"typing","to":2.5}`, isErr: true},
		{name: "typing without to", msg: `{"type":"typing"}`, isErr: true},
		{name: "resume with a string", msg: `{"type":"resume","since":"1"}`, isErr: true},
		{name: "resume negative", msg: `{"type":"resume","since":-1}`, isErr: true},
		{name: "SQL in type", msg: `{"type":"'; DROP TABLE users; --"}`, isErr: true},
		{name: "binary frame", binary: true, msg: "\x01\x02", isErr: true},
		{name: "auth with a bad token", msg: `{"type":"auth","token":"nope"}`, isErr: true},
		{name: "auth with another user's token", msg: `{"type":"auth","token":"tok-bob"}`, isErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			typ := websocket.MessageText
			if tt.binary {
				typ = websocket.MessageBinary
			}
			if err := c.conn.Write(ctx, typ, []byte(tt.msg)); err != nil {
				t.Fatalf("send: %v", err)
			}
			got := c.read()
			if tt.isErr {
				if got.Type != "error" || got.Message == "" {
					t.Errorf("got %s, want {\"type\":\"error\",\"message\":...}", got.raw)
				}
			} else if string(got.raw) != tt.want {
				t.Errorf("got %s, want %s", got.raw, tt.want)
			}
			// The socket still answers.
			c.send(`{"type":"ping"}`)
			if got := c.read(); string(got.raw) != `{"type":"pong"}` {
				t.Errorf("after %s: got %s, want a pong", tt.name, got.raw)
			}
		})
	}
}

func TestTextThatIsNotUTF8ClosesWith1007(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	c := e.dial(t, alice, "")

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := c.conn.Write(ctx, websocket.MessageText, []byte("{\"type\":\"\xff\"}")); err != nil {
		t.Fatalf("send: %v", err)
	}
	c.expectClose(websocket.StatusInvalidFramePayloadData)
	waitFor(t, "the closed socket to be released", func() bool { return e.hub.Sockets() == 0 })
}

func TestOversizedFrameClosesWith1009(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	c := e.dial(t, alice, "")

	big := `{"type":"ping","pad":"` + strings.Repeat("a", 70<<10) + `"}`
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.conn.Write(ctx, websocket.MessageText, []byte(big)) // the server may close mid-frame
	c.expectClose(websocket.StatusMessageTooBig)

	// The server is fine and the user can reconnect.
	waitFor(t, "the closed socket to be released", func() bool { return e.hub.Sockets() == 0 })
	c2 := e.dial(t, alice, "")
	c2.send(`{"type":"ping"}`)
	if got := c2.read(); string(got.raw) != `{"type":"pong"}` {
		t.Errorf("got %s, want a pong", got.raw)
	}
}

func TestTypingReachesFriendsOnly(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	bob := e.createUser(t, "bob")
	carol := e.createUser(t, "carol")
	e.befriend(t, alice, bob)
	a := e.dial(t, alice, "")
	b := e.dial(t, bob, "")
	cc := e.dial(t, carol, "")

	a.send(fmt.Sprintf(`{"type":"typing","to":%d}`, bob.ID))
	want := fmt.Sprintf(`{"type":"typing","data":{"user":{"id":%d,"username":"alice"}}}`, alice.ID)
	// Friends hear of alice's socket after her handshake, so bob, who
	// connected just after it, may hear that she is online first.
	if got := b.readSkipping("presence"); string(got.raw) != want {
		t.Errorf("bob got %s, want %s", got.raw, want)
	}

	a.send(fmt.Sprintf(`{"type":"typing","to":%d}`, carol.ID))
	if got := a.readSkipping("presence"); got.Type != "error" {
		t.Errorf("alice got %s, want an error for a non-friend", got.raw)
	}
	a.send(fmt.Sprintf(`{"type":"typing","to":%d}`, alice.ID))
	if got := a.read(); got.Type != "error" {
		t.Errorf("alice got %s, want an error for herself", got.raw)
	}
	// Carol's next frame is her own event: no typing event reached her.
	n := e.notify(t, carol, `{}`)
	if got := cc.read(); string(got.raw) != string(n.Envelope().Frame) {
		t.Errorf("carol got %s, want her own event %s", got.raw, n.Envelope().Frame)
	}
}

func TestServerPingsAndDropsSilentPeers(t *testing.T) {
	e := newEnv(t, func(c *realtime.Config) {
		c.PingInterval = 30 * time.Millisecond
		c.WriteTimeout = 300 * time.Millisecond
	})
	alice := e.createUser(t, "alice")

	// A reading client answers pings and stays connected across several.
	var pings atomic.Int32
	enough := make(chan struct{})
	c := e.dialRaw(t, "token=tok-alice", &websocket.DialOptions{
		OnPingReceived: func(ctx context.Context, payload []byte) bool {
			if pings.Add(1) == 3 {
				close(enough)
			}
			return true
		},
	})
	c.expectEstablished(alice)
	readErr := make(chan error, 1)
	go func() {
		_, err := c.tryRead(30 * time.Second) // keeps reading so pongs go out
		readErr <- err
	}()
	select {
	case <-enough:
	case err := <-readErr:
		t.Fatalf("reading client dropped: %v", err)
	case <-time.After(10 * time.Second):
		t.Fatal("no server pings")
	}
	if n := e.hub.Sockets(); n != 1 {
		t.Fatalf("Sockets() = %d with a responsive client, want 1", n)
	}

	// A client that never reads never answers a ping and is dropped.
	silent := e.dialRaw(t, "token=tok-alice", nil)
	silent.expectEstablished(alice) // counted from now on; it reads nothing more
	waitFor(t, "the silent peer to be dropped", func() bool { return e.hub.Sockets() == 1 })
	silent.conn.CloseNow()
	c.conn.CloseNow()
	<-readErr
}

func TestPresenceEventsOnFirstOpenAndLastClose(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	bob := e.createUser(t, "bob")
	stranger := e.createUser(t, "stranger")
	e.befriend(t, alice, bob)
	b := e.dial(t, bob, "")
	s := e.dial(t, stranger, "")

	presence := func(online bool) string {
		return fmt.Sprintf(`{"type":"presence","data":{"user_id":%d,"online":%t}}`, alice.ID, online)
	}
	a1 := e.dial(t, alice, "")
	if got := b.read(); string(got.raw) != presence(true) {
		t.Fatalf("bob got %s, want %s", got.raw, presence(true))
	}
	// A second socket and closing one of two change nothing for bob.
	a2 := e.dial(t, alice, "")
	a1.conn.Close(websocket.StatusNormalClosure, "")
	waitFor(t, "alice's first socket to close", func() bool { return e.hub.Sockets() == 3 })
	a2.conn.Close(websocket.StatusNormalClosure, "")
	if got := b.read(); string(got.raw) != presence(false) {
		t.Fatalf("bob got %s, want %s (and nothing in between)", got.raw, presence(false))
	}
	// The stranger heard nothing of alice.
	n := e.notify(t, stranger, `{}`)
	if got := s.read(); string(got.raw) != string(n.Envelope().Frame) {
		t.Errorf("stranger got %s, want their own event", got.raw)
	}
}

func TestPresenceLostOnOtherProcessTellsFriends(t *testing.T) {
	p := &listeningPresence{}
	e := newEnv(t, func(c *realtime.Config) {
		p.Presence = c.Presence
		c.Presence = p
	})
	alice := e.createUser(t, "alice")
	bob := e.createUser(t, "bob")
	e.befriend(t, alice, bob)
	b := e.dial(t, bob, "")

	p.lost([]int64{alice.ID})
	want := fmt.Sprintf(`{"type":"presence","data":{"user_id":%d,"online":false}}`, alice.ID)
	if got := b.read(); string(got.raw) != want {
		t.Errorf("bob got %s, want %s", got.raw, want)
	}
}

func TestMetricsCount(t *testing.T) {
	reg := newRegistry()
	e := newEnv(t, func(c *realtime.Config) { c.Registerer = reg })
	alice := e.createUser(t, "alice")
	c := e.dial(t, alice, "")
	n := e.notify(t, alice, `{}`)
	e.publish(t, n)
	e.notify(t, alice, `{}`)
	if diff := cmp.Diff(seq(1, 2), c.readIDs(2)); diff != "" {
		t.Fatalf("ids (-want +got):\n%s", diff)
	}
	// Events reach the socket live or, when they are stored before the
	// socket's first flush, by the replay from the socket's starting point.
	// Each is written once, and each of the 3 published frames (1, 1 again,
	// 2) is either written live or dropped as a duplicate. The counters move just after the frame is written, so the
	// client can read it first: poll until they agree or time runs out.
	check := func(got map[string]float64) bool {
		live := got["numeneon_ws_events_delivered_total"]
		return got["numeneon_ws_sockets_open"] == 1 &&
			live+got["numeneon_ws_events_replayed_total"] == 2 &&
			live+got["numeneon_ws_events_duplicate_dropped_total"] == 3
	}
	var got map[string]float64
	deadline := time.Now().Add(5 * time.Second)
	for got = gather(t, reg); !check(got) && time.Now().Before(deadline); got = gather(t, reg) {
		time.Sleep(5 * time.Millisecond)
	}
	if !check(got) {
		t.Errorf("metrics %v: want 1 socket open, delivered+replayed = 2, delivered+duplicates = 3", got)
	}
	raw, _ := json.Marshal(got)
	t.Logf("metrics: %s", raw)
}

// TestTypingFloodIsLimited: a client that sends typing events as fast as it
// can gets errors past a small burst, and its friend receives no more than
// the burst, so one socket cannot load the database and Redis or fill the
// friend's queue.
func TestTypingFloodIsLimited(t *testing.T) {
	e := newEnv(t, nil)
	alice := e.createUser(t, "alice")
	bob := e.createUser(t, "bob")
	e.befriend(t, alice, bob)
	a := e.dial(t, alice, "")
	b := e.dial(t, bob, "")

	const sent = 200
	for range sent {
		a.send(fmt.Sprintf(`{"type":"typing","to":%d}`, bob.ID))
	}
	a.send(`{"type":"ping"}`) // answered after every typing message above
	refused := 0
	for {
		f := a.readSkipping("presence")
		if f.Type == "pong" {
			break
		}
		if f.Type == "error" && strings.Contains(f.Message, "slow down") {
			refused++
		}
	}
	if refused < sent/2 {
		t.Errorf("%d of %d typing messages refused, want most of them", refused, sent)
	}
	// Bob gets the typing events that were let through, then his own event.
	n := e.notify(t, bob, `{}`)
	typing := 0
	for {
		f := b.readSkipping("presence")
		if f.ID == n.ID {
			break
		}
		if f.Type == "typing" {
			typing++
		}
	}
	if typing != sent-refused || typing > sent/2 {
		t.Errorf("bob got %d typing events, want %d (those not refused)", typing, sent-refused)
	}
}

// slowFriends makes AreFriends, which a typing message calls, slow.
type slowFriends struct {
	numeneon.Store
	delay time.Duration
}

func (s slowFriends) AreFriends(ctx context.Context, a, b int64) (bool, error) {
	time.Sleep(s.delay)
	return s.Store.AreFriends(ctx, a, b)
}

// A live client whose message takes the server longer than WriteTimeout
// to handle is not taken for dead: its pong waits behind that message.
func TestSlowMessageDoesNotLookDead(t *testing.T) {
	e := newEnv(t, func(cfg *realtime.Config) {
		cfg.Store = slowFriends{cfg.Store, 800 * time.Millisecond}
		cfg.PingInterval = 100 * time.Millisecond
		cfg.WriteTimeout = 200 * time.Millisecond
	})
	a, b := e.createUser(t, "alice"), e.createUser(t, "bob")
	e.befriend(t, a, b)
	c := e.dial(t, a, "")
	// The client keeps reading, so it answers the server's pings.
	errs := make(chan error, 1)
	pong := make(chan struct{})
	go func() {
		for {
			f, err := c.tryRead(5 * time.Second)
			if err != nil {
				errs <- err
				return
			}
			if f.Type == "pong" {
				close(pong) // one ping is sent, so one pong comes
			}
		}
	}()
	c.send(fmt.Sprintf(`{"type":"typing","to":%d}`, b.ID))
	// Messages are handled in order: the pong comes after the slow typing
	// message, four times WriteTimeout later, on a socket still open.
	c.send(`{"type":"ping"}`)
	select {
	case err := <-errs:
		t.Errorf("the live client's socket ended while its typing message was handled: %v", err)
	case <-pong:
	}
}

// stuckFriends makes AreFriends wait until its context ends, as a store
// that hangs would.
type stuckFriends struct{ numeneon.Store }

func (s stuckFriends) AreFriends(ctx context.Context, a, b int64) (bool, error) {
	<-ctx.Done()
	return false, ctx.Err()
}

// A typing message whose friendship check hangs gets an error after
// WriteTimeout, and the socket reads the client's next messages again.
func TestTypingCheckIsBounded(t *testing.T) {
	e := newEnv(t, func(cfg *realtime.Config) {
		cfg.Store = stuckFriends{cfg.Store}
		cfg.WriteTimeout = 300 * time.Millisecond
	})
	a, b := e.createUser(t, "alice"), e.createUser(t, "bob")
	c := e.dial(t, a, "")
	c.send(fmt.Sprintf(`{"type":"typing","to":%d}`, b.ID))
	if got := c.read(); got.Type != "error" {
		t.Fatalf("got %s, want an error for the typing message", got.raw)
	}
	c.send(`{"type":"ping"}`)
	if got := c.read(); string(got.raw) != `{"type":"pong"}` {
		t.Errorf("after the stuck check: got %s, want a pong", got.raw)
	}
}
