package main_test

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/numeneon/numeneon/client"
	"github.com/numeneon/numeneon/internal/testsvc"
)

// nextPresence reads frames until a presence event about userID arrives.
func nextPresence(t *testing.T, s *client.Socket, userID int64) bool {
	t.Helper()
	for {
		if id, online := nextPresenceEvent(t, s); id == userID {
			return online
		}
	}
}

// nextPresenceEvent reads frames until a presence event arrives.
func nextPresenceEvent(t *testing.T, s *client.Socket) (userID int64, online bool) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for a presence event: %v", err)
		}
		if ev.Type != "presence" {
			continue
		}
		var p struct {
			UserID int64 `json:"user_id"`
			Online bool  `json:"online"`
		}
		if err := json.Unmarshal(ev.Data, &p); err != nil {
			t.Fatalf("presence data %s: %v", ev.Data, err)
		}
		return p.UserID, p.Online
	}
}

// TestPresenceAfterAKill: a process killed with SIGKILL closes nothing
// itself; the survivors find it dead and a friend elsewhere hears that its
// user went offline, while a user that still has a socket on a live process
// is never reported offline. The heartbeat is short so the test is quick;
// the bound it scales is about 1.75 heartbeats (70 s at the default 40 s).
func TestPresenceAfterAKill(t *testing.T) {
	eachSharedLayer(t, ownRedis, testPresenceAfterAKill)
}

func testPresenceAfterAKill(t *testing.T, env []string) {
	env = append(env, "PRESENCE_HEARTBEAT=1s")
	p1, p2, p3 := startProc(t, env), startProc(t, env), startProc(t, env)
	a := newUser(t, p1.URL, "ka")
	onlyOnKilled, alsoElsewhere := newUser(t, p2.URL, "kb"), newUser(t, p2.URL, "kc")
	for _, friend := range []*client.Client{onlyOnKilled, alsoElsewhere} {
		if err := client.Befriend(t.Context(), a, friend); err != nil {
			t.Fatal(err)
		}
	}
	sa, err := a.Dial(t.Context(), client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()
	dial := func(c *client.Client, base string) *client.Socket {
		t.Helper()
		s, err := c.WithBase(base).Dial(t.Context(), client.DialOptions{})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	dial(onlyOnKilled, p2.URL)
	if !nextPresence(t, sa, onlyOnKilled.UserID) {
		t.Fatal("first presence event of the user on the doomed process says offline")
	}
	dial(alsoElsewhere, p2.URL)
	if !nextPresence(t, sa, alsoElsewhere.UserID) {
		t.Fatal("first presence event of the user on two processes says offline")
	}
	elsewhere := dial(alsoElsewhere, p3.URL)

	if err := p2.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	<-p2.done

	// Until the killed process's user is reported offline, nothing may be
	// said about the other one; after it, closing the other one's last
	// socket and opening a new one are markers: exactly one offline event
	// of it, the one its own close caused, may come before it is back.
	offlineOfOther := 0
	for {
		id, online := nextPresenceEvent(t, sa)
		if id == onlyOnKilled.UserID && !online {
			break
		}
		if id == alsoElsewhere.UserID && !online {
			offlineOfOther++
		}
	}
	elsewhere.Close()
	for {
		id, online := nextPresenceEvent(t, sa)
		if id == alsoElsewhere.UserID && !online {
			offlineOfOther++
			break
		}
	}
	dial(alsoElsewhere, p3.URL)
	for {
		id, online := nextPresenceEvent(t, sa)
		if id != alsoElsewhere.UserID {
			continue
		}
		if !online {
			offlineOfOther++
			continue
		}
		break
	}
	if offlineOfOther != 1 {
		t.Errorf("the user with a socket on a live process was reported offline %d times, want once (when its last socket closed)", offlineOfOther)
	}
}

// TestPresenceAcrossProcesses: a friend on another process learns when a
// user's first socket opens and when the last one closes.
func TestPresenceAcrossProcesses(t *testing.T) {
	eachSharedLayer(t, ownRedis, testPresenceAcrossProcesses)
}

func testPresenceAcrossProcesses(t *testing.T, env []string) {
	p1, p2 := startProc(t, env), startProc(t, env)
	a, b := newUser(t, p1.URL, "pa"), newUser(t, p2.URL, "pb")
	if err := client.Befriend(t.Context(), a, b); err != nil {
		t.Fatal(err)
	}
	sa, err := a.Dial(t.Context(), client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer sa.Close()

	b1, err := b.Dial(t.Context(), client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if !nextPresence(t, sa, b.UserID) {
		t.Fatal("first presence event of b says offline, want online")
	}
	// A second socket of b on the other process changes nothing; closing
	// the first leaves b online; closing the last makes b offline.
	b2, err := b.WithBase(p1.URL).Dial(t.Context(), client.DialOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b1.Close()
	b2.Close()
	if nextPresence(t, sa, b.UserID) {
		t.Fatal("after b's last socket closed, presence says online, want offline")
	}
}

// TestReadinessFollowsTheLayer: /readyz fails while Redis is down, so a
// deployment whose events cannot cross processes shows red, and recovers.
func TestReadinessFollowsTheLayer(t *testing.T) {
	redis := testsvc.StartRedis(t)
	p := startProc(t, sharedEnv(t, redis.URL))
	waitReady := func(want int) {
		t.Helper()
		deadline := time.Now().Add(20 * time.Second)
		var got int
		for time.Now().Before(deadline) {
			resp, err := http.Get(p.URL + "/readyz")
			if err == nil {
				got = resp.StatusCode
				resp.Body.Close()
				if got == want {
					return
				}
			}
			time.Sleep(100 * time.Millisecond)
		}
		t.Fatalf("/readyz answers %d, want %d", got, want)
	}
	waitReady(http.StatusOK)
	redis.Stop(t)
	waitReady(http.StatusServiceUnavailable)
	redis.Start(t)
	waitReady(http.StatusOK)
}
