package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/numeneon/numeneon/client"
	"github.com/numeneon/numeneon/internal/testsvc"
)

// sharedEnv is the environment of processes that share one PostgreSQL
// database and one Redis (with a prefix of their own, so tests running at
// once do not see each other's events).
func sharedEnv(t *testing.T, redisURL string) []string {
	t.Helper()
	return append(baseEnv(t),
		"DATABASE_URL="+testsvc.PostgresURL(t),
		"REDIS_URL="+redisURL,
	)
}

// postgresEnv is the environment of processes that share one PostgreSQL
// database and nothing else: their layer is PostgreSQL's LISTEN/NOTIFY.
func postgresEnv(t *testing.T) []string {
	t.Helper()
	return append(baseEnv(t), "DATABASE_URL="+testsvc.PostgresURL(t))
}

// eachSharedLayer runs fn on each deployment whose processes share a
// channel layer: PostgreSQL with a Redis from redisURL, and PostgreSQL
// alone.
func eachSharedLayer(t *testing.T, redisURL func(testing.TB) string, fn func(t *testing.T, env []string)) {
	t.Run("redis", func(t *testing.T) { fn(t, sharedEnv(t, redisURL(t))) })
	t.Run("postgres", func(t *testing.T) { fn(t, postgresEnv(t)) })
}

// ownRedis starts a Redis of the test's own, for tests that stop it or
// count its clients.
func ownRedis(tb testing.TB) string { return testsvc.StartRedis(tb).URL }

// expectEvent reads frames until one of type typ arrives, skipping presence
// and typing frames, and fails on anything else.
func expectEvent(t *testing.T, s *client.Socket, typ string) client.Event {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for %s: %v", typ, err)
		}
		switch ev.Type {
		case typ:
			return ev
		case "presence", "typing":
			continue
		}
		t.Fatalf("got %s (%s), want %s", ev.Type, ev.Raw, typ)
	}
}

func TestCrossProcessDelivery(t *testing.T) {
	eachSharedLayer(t, testsvc.RedisURL, testCrossProcessDelivery)
}

func testCrossProcessDelivery(t *testing.T, env []string) {
	p1 := startProc(t, env)
	p2 := startProc(t, env)

	a := newUser(t, p1.URL, "alice")
	b := newUser(t, p2.URL, "bob")
	ctx := t.Context()
	sa, err := a.Dial(ctx, client.DialOptions{}) // A's socket on process 1
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	sb, err := b.Dial(ctx, client.DialOptions{}) // B's socket on process 2
	if err != nil {
		t.Fatal(err)
	}
	defer sb.Close()

	// Each action goes through the process that does NOT hold the target's socket.
	if err := a.WithBase(p1.URL).RequestFriend(ctx, b.UserID); err != nil {
		t.Fatal(err)
	}
	ev := expectEvent(t, sb, "friend_request")
	var fr struct {
		RequestID int64 `json:"request_id"`
		FromUser  struct {
			ID       int64  `json:"id"`
			Username string `json:"username"`
		} `json:"from_user"`
	}
	if err := json.Unmarshal(ev.Data, &fr); err != nil || fr.FromUser.ID != a.UserID || fr.RequestID == 0 || ev.ID == 0 {
		t.Fatalf("friend_request event = %s (err %v)", ev.Raw, err)
	}

	if err := b.WithBase(p2.URL).AcceptFriend(ctx, fr.RequestID); err != nil {
		t.Fatal(err)
	}
	ev = expectEvent(t, sa, "friend_accepted")
	if !json.Valid(ev.Data) || ev.ID == 0 {
		t.Fatalf("friend_accepted event = %s", ev.Raw)
	}

	if _, err := a.WithBase(p2.URL).SendMessage(ctx, b.UserID, "hello from process 2"); err != nil {
		t.Fatal(err)
	}
	ev = expectEvent(t, sb, "new_message")
	var msg struct {
		Content string `json:"content"`
		Sender  struct {
			ID int64 `json:"id"`
		} `json:"sender"`
	}
	if err := json.Unmarshal(ev.Data, &msg); err != nil || msg.Content != "hello from process 2" || msg.Sender.ID != a.UserID {
		t.Fatalf("new_message to B = %s", ev.Raw)
	}
	if _, err := b.WithBase(p1.URL).SendMessage(ctx, a.UserID, "hello from process 1"); err != nil {
		t.Fatal(err)
	}
	ev = expectEvent(t, sa, "new_message")
	if err := json.Unmarshal(ev.Data, &msg); err != nil || msg.Content != "hello from process 1" || msg.Sender.ID != b.UserID {
		t.Fatalf("new_message to A = %s", ev.Raw)
	}

	// Nothing arrives twice: the next frame on each socket, if any, is not
	// one of the events above.
	for _, s := range []*client.Socket{sa, sb} {
		rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		ev, err := s.Next(rctx)
		cancel()
		if err == nil && ev.Type != "presence" && ev.Type != "typing" {
			t.Errorf("unexpected extra frame %s", ev.Raw)
		}
	}
}

// TestCrossProcessManyMessages: 50 users, sockets spread over two
// processes, 1,000 messages each sent through a process chosen at random;
// every receiver gets every message addressed to it exactly once, in id
// order.
func TestCrossProcessManyMessages(t *testing.T) {
	eachSharedLayer(t, testsvc.RedisURL, testCrossProcessManyMessages)
}

func testCrossProcessManyMessages(t *testing.T, env []string) {
	if testing.Short() {
		t.Skip("long")
	}
	procs := []*proc{startProc(t, env), startProc(t, env)}
	ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
	defer cancel()

	const nUsers, nMessages = 50, 1000
	users := make([]*client.Client, nUsers)
	var wg sync.WaitGroup
	for i := range users {
		wg.Add(1)
		go func() {
			defer wg.Done()
			users[i] = newUser(t, procs[i%2].URL, "many")
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	streams := make([]*client.Stream, nUsers)
	for i, u := range users {
		s, err := u.Stream(ctx, []string{procs[i%2].URL}, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		streams[i] = s
	}

	want := make([]int, nUsers) // messages addressed to each user
	type send struct{ from, to int }
	sends := make([]send, nMessages)
	for i := range sends {
		from := rand.IntN(nUsers)
		to := (from + 1 + rand.IntN(nUsers-1)) % nUsers
		sends[i] = send{from, to}
		want[to]++
	}
	work := make(chan int)
	var failed sync.Once
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				s := sends[i]
				via := procs[rand.IntN(2)].URL
				if _, err := users[s.from].WithBase(via).SendMessage(ctx, users[s.to].UserID, fmt.Sprintf("m%d", i)); err != nil {
					failed.Do(func() { t.Errorf("send %d: %v", i, err) })
				}
			}
		}()
	}
	for i := range sends {
		work <- i
	}
	close(work)
	wg.Wait()

	lost := 0
	for i, s := range streams {
		wctx, wcancel := context.WithTimeout(ctx, 20*time.Second)
		err := s.WaitCount(wctx, want[i])
		wcancel()
		r := s.Report()
		if err != nil {
			lost += want[i] - len(r.Events)
		}
		if r.Duplicates != 0 || r.Disordered != 0 {
			t.Errorf("user %d: %d duplicates, %d out of order", i, r.Duplicates, r.Disordered)
		}
		if len(r.Events) > want[i] {
			t.Errorf("user %d: %d events, want %d", i, len(r.Events), want[i])
		}
	}
	if lost != 0 {
		t.Fatalf("%d of %d messages never reached their receiver's socket", lost, nMessages)
	}
}
