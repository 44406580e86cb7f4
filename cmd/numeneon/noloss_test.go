package main_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numeneon/numeneon/client"
	"github.com/numeneon/numeneon/internal/testsvc"
)

// storedIDs returns the ids of every notification stored for c's user.
func storedIDs(t *testing.T, c *client.Client) []int64 {
	t.Helper()
	var ids []int64
	var since int64
	for {
		page, err := c.Notifications(t.Context(), since, 500)
		if err != nil {
			t.Fatalf("list notifications of %d: %v", c.UserID, err)
		}
		for _, n := range page {
			ids = append(ids, n.ID)
			since = n.ID
		}
		if len(page) < 500 {
			return ids
		}
	}
}

// checkExactlyOnce compares what a stream received with what the store
// holds: every stored event once, in id order.
func checkExactlyOnce(t *testing.T, who string, c *client.Client, s *client.Stream) {
	t.Helper()
	want := storedIDs(t, c)
	if len(want) > 0 {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		_ = s.WaitFor(ctx, want[len(want)-1])
		cancel()
	}
	r := s.Report()
	got := make([]int64, len(r.Events))
	for i, ev := range r.Events {
		got[i] = ev.ID
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s received ids %v,\n stored ids %v", who, summarize(got), summarize(want))
	}
	if r.Duplicates != 0 {
		t.Errorf("%s received %d duplicates", who, r.Duplicates)
	}
}

// summarize shortens a long id list for an error message.
func summarize(ids []int64) string {
	if len(ids) <= 12 {
		return fmt.Sprint(ids)
	}
	return fmt.Sprintf("%v … %v (%d ids)", ids[:6], ids[len(ids)-6:], len(ids))
}

// sendLoop sends n messages round-robin from sender to the receivers through
// the servers at vias, calling between(i) before message i. Failed sends are
// retried on the next server: the store, not the sender, says what must
// arrive.
func sendLoop(t *testing.T, sender *client.Client, receivers []*client.Client, vias []string, n int, between func(i int)) (sent int64) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	var ok atomic.Int64
	for i := 0; i < n; i++ {
		if between != nil {
			between(i)
		}
		to := receivers[i%len(receivers)]
		for try := 0; ; try++ {
			_, err := sender.WithBase(vias[(i+try)%len(vias)]).SendMessage(ctx, to.UserID, fmt.Sprintf("m%d", i))
			if err == nil {
				ok.Add(1)
				break
			}
			if ctx.Err() != nil || try > 200 {
				t.Fatalf("send %d: %v", i, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	return ok.Load()
}

func TestNoLossWhenRedisRestarts(t *testing.T) {
	redis := testsvc.StartRedis(t)
	env := sharedEnv(t, redis.URL)
	p1 := startProc(t, env)
	p2 := startProc(t, env)

	sender := newUser(t, p1.URL, "sender")
	receivers := make([]*client.Client, 6)
	streams := make([]*client.Stream, len(receivers))
	for i := range receivers {
		receivers[i] = newUser(t, p2.URL, "recv")
		s, err := receivers[i].Stream(t.Context(), []string{p2.URL}, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		streams[i] = s
	}
	sendLoop(t, sender, receivers, []string{p1.URL}, 300, func(i int) {
		switch i {
		case 100:
			redis.Stop(t)
		case 160:
			redis.Start(t)
		}
	})
	for i, r := range receivers {
		checkExactlyOnce(t, fmt.Sprintf("receiver %d", i), r, streams[i])
	}
}

func TestSocketClosedMidStreamThenResumed(t *testing.T) {
	redis := testsvc.StartRedis(t)
	env := sharedEnv(t, redis.URL)
	p1 := startProc(t, env)
	p2 := startProc(t, env)
	sender := newUser(t, p1.URL, "sender")
	recv := newUser(t, p2.URL, "recv")
	s, err := recv.Stream(t.Context(), []string{p2.URL, p1.URL}, 0, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	// The receiver's socket is cut every 50 messages; the stream reconnects to
	// the other process with since=last. A second socket of the same user,
	// opened and cut abruptly, must not disturb the first.
	sendLoop(t, sender, []*client.Client{recv}, []string{p1.URL, p2.URL}, 300, func(i int) {
		switch i % 50 {
		case 10:
			s.Drop()
		case 30:
			if so, err := recv.Dial(t.Context(), client.DialOptions{}); err == nil {
				so.Conn.CloseNow()
			}
		}
	})
	checkExactlyOnce(t, "receiver", recv, s)
	if r := s.Report(); r.Reconnects < 5 {
		t.Errorf("the stream reconnected %d times, want at least 5 (the socket was cut 6 times)", r.Reconnects)
	}
}
