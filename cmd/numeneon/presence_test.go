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
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	for {
		ev, err := s.Next(ctx)
		if err != nil {
			t.Fatalf("waiting for presence of %d: %v", userID, err)
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
		if p.UserID == userID {
			return p.Online
		}
	}
}

// TestPresenceAcrossProcesses: a friend on another process learns when a
// user's first socket opens and when the last one closes.
func TestPresenceAcrossProcesses(t *testing.T) {
	redis := testsvc.StartRedis(t)
	env := sharedEnv(t, redis.URL)
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
