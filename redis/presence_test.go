package redis_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/redis"
)

// TestPresenceReportsUsersOfADeadNode stops one node without cleanup, as a
// killed process would, and checks that a surviving node reports exactly the
// users that had no other socket, once.
func TestPresenceReportsUsersOfADeadNode(t *testing.T) {
	opts := testOptions(t, testsvc.RedisURL(t))
	opts.HeartbeatInterval = 100 * time.Millisecond
	dying := mustNewPresence(t, opts)
	survivor := mustNewPresence(t, opts)
	reported := make(chan []int64, 10)
	survivor.Listen(func(userIDs []int64) { reported <- userIDs })
	dying.Listen(func([]int64) {})

	const onlyOnDying, onBoth, onlyOnSurvivor = 101, 102, 103
	for _, c := range []struct {
		p    *redis.Presence
		user int64
	}{{dying, onlyOnDying}, {dying, onBoth}, {survivor, onBoth}, {survivor, onlyOnSurvivor}} {
		if _, err := c.p.Connect(t.Context(), c.user); err != nil {
			t.Fatalf("Connect(%d): %v", c.user, err)
		}
	}

	dying.Abandon()
	var got []int64
	select {
	case got = <-reported:
	case <-time.After(20 * time.Second):
		t.Fatalf("the surviving node never reported the dead node's users")
	}
	slices.Sort(got)
	if diff := cmp.Diff([]int64{onlyOnDying}, got); diff != "" {
		t.Errorf("users reported offline (-want +got):\n%s", diff)
	}

	// The dead node's entries are gone: the user comes online afresh, and
	// the shared user now depends on the survivor alone.
	if came, err := survivor.Connect(t.Context(), onlyOnDying); err != nil || !came {
		t.Errorf("Connect of a user of the dead node = %v, %v; want came online", came, err)
	}
	if went, err := survivor.Disconnect(t.Context(), onBoth); err != nil || !went {
		t.Errorf("Disconnect of the shared user = %v, %v; want went offline", went, err)
	}
	select {
	case again := <-reported:
		t.Errorf("users reported offline twice: %v", again)
	default:
	}
}

// TestPresenceRestoresAfterBeingDeclaredDead covers a process that stalled
// longer than its heartbeat TTL: another node claimed it, and once it beats
// again its users are registered again.
func TestPresenceRestoresAfterBeingDeclaredDead(t *testing.T) {
	url := testsvc.RedisURL(t)
	opts := testOptions(t, url)
	opts.HeartbeatInterval = 100 * time.Millisecond
	stalled := mustNewPresence(t, opts)
	other := mustNewPresence(t, opts)
	offline := make(chan []int64, 10)
	other.Listen(func(ids []int64) { offline <- ids })
	const user = 7
	if _, err := stalled.Connect(t.Context(), user); err != nil {
		t.Fatalf("Connect: %v", err)
	}

	// Simulate the stall: the heartbeat key vanishes as if it expired.
	admin := adminClient(t, url)
	if err := admin.Del(t.Context(), opts.Prefix+"node:"+stalled.Node()).Err(); err != nil {
		t.Fatalf("DEL heartbeat: %v", err)
	}
	// Either the other node claims it (reporting the user offline) and the
	// stalled node registers the user again, or the stalled node beats
	// first; in both cases the user ends up online through the stalled node.
	poll(t, "the user registered through the stalled node again", func() bool {
		ok, err := admin.SIsMember(t.Context(), opts.Prefix+"presence:7", stalled.Node()).Result()
		return err == nil && ok && admin.Exists(t.Context(), opts.Prefix+"node:"+stalled.Node()).Val() == 1
	})
	if came, err := other.Connect(t.Context(), user); err != nil || came {
		t.Errorf("Connect on the other node = %v, %v; want already online", came, err)
	}
}

// TestPresenceSurvivesARedisRestart: a restarted Redis without persistence
// has forgotten every node; each node's next heartbeat registers its users
// again, so users stay online and nobody is reported offline.
func TestPresenceSurvivesARedisRestart(t *testing.T) {
	srv := testsvc.StartRedis(t)
	opts := testOptions(t, srv.URL)
	opts.HeartbeatInterval = 100 * time.Millisecond
	a := mustNewPresence(t, opts)
	b := mustNewPresence(t, opts)
	offline := make(chan []int64, 10)
	a.Listen(func(ids []int64) { offline <- ids })
	b.Listen(func(ids []int64) { offline <- ids })
	const user = 5
	if _, err := a.Connect(t.Context(), user); err != nil {
		t.Fatalf("Connect: %v", err)
	}

	srv.Stop(t)
	srv.Start(t)
	admin := adminClient(t, srv.URL)
	poll(t, "both nodes beating again and the user registered again", func() bool {
		n, err := admin.Exists(t.Context(), opts.Prefix+"node:"+a.Node(), opts.Prefix+"node:"+b.Node()).Result()
		member, _ := admin.SIsMember(t.Context(), opts.Prefix+"presence:5", a.Node()).Result()
		return err == nil && n == 2 && member
	})
	if came, err := b.Connect(t.Context(), user); err != nil || came {
		t.Errorf("Connect on the other node = %v, %v; want already online", came, err)
	}
	select {
	case ids := <-offline:
		t.Errorf("users reported offline across a Redis restart: %v", ids)
	default:
	}
}
