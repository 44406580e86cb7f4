package redis_test

import (
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/numeneon/numeneon/internal/testsvc"
	"github.com/numeneon/numeneon/redis"
)

// fastPresence shortens the intervals so a dead node is found within a
// fraction of a second. StaleAfter stays long: a node that merely beats late
// on a loaded test machine must not be declared dead by it; the tests of
// StaleAfter shorten it themselves.
func fastPresence(opts redis.Options) redis.Options {
	opts.HeartbeatInterval = 100 * time.Millisecond
	opts.SuspectAfter = 150 * time.Millisecond
	opts.StaleAfter = time.Hour
	return opts
}

// reports collects what the nodes' Listen callbacks report.
func reports(ps ...*redis.Presence) chan []int64 {
	ch := make(chan []int64, 10)
	for _, p := range ps {
		p.Listen(func(userIDs []int64) {
			ids := slices.Clone(userIDs)
			slices.Sort(ids)
			ch <- ids
		})
	}
	return ch
}

// nextReport waits for the next report on ch.
func nextReport(t *testing.T, ch chan []int64, what string) []int64 {
	t.Helper()
	select {
	case got := <-ch:
		return got
	case <-time.After(20 * time.Second):
		t.Fatalf("no report of %s", what)
		return nil
	}
}

func mustConnect(t *testing.T, p *redis.Presence, users ...int64) {
	t.Helper()
	for _, u := range users {
		if _, err := p.Connect(t.Context(), u); err != nil {
			t.Fatalf("Connect(%d): %v", u, err)
		}
	}
}

// TestPresenceReportsUsersOfADeadNode stops one node without cleanup, as a
// killed process would, and checks that a surviving node reports exactly the
// users that had no other socket, once.
func TestPresenceReportsUsersOfADeadNode(t *testing.T) {
	opts := fastPresence(testOptions(t, testsvc.RedisURL(t)))
	dying := mustNewPresence(t, opts)
	survivor := mustNewPresence(t, opts)
	reported := reports(survivor)
	dying.Listen(func([]int64) {})

	const onlyOnDying, onBoth, onlyOnSurvivor, onTheLaterOne = 101, 102, 103, 104
	_ = onlyOnSurvivor
	mustConnect(t, dying, onlyOnDying, onBoth)
	mustConnect(t, survivor, onBoth, onlyOnSurvivor)

	dying.Abandon()
	if diff := cmp.Diff([]int64{onlyOnDying}, nextReport(t, reported, "the dead node's users")); diff != "" {
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

	// A later death is reported on its own: nothing was reported twice.
	later := mustNewPresence(t, opts)
	mustConnect(t, later, onTheLaterOne)
	later.Abandon()
	if diff := cmp.Diff([]int64{onTheLaterOne}, nextReport(t, reported, "the later node's user")); diff != "" {
		t.Errorf("report after the later death (-want +got):\n%s", diff)
	}
}

// TestPresenceKeepsASilentNodeThatIsStillConnected: a node whose beats stop
// while Redis still counts its connection (a stall, late beats) is not
// declared dead, while one that was killed at the same time is.
func TestPresenceKeepsASilentNodeThatIsStillConnected(t *testing.T) {
	opts := fastPresence(testOptions(t, testsvc.RedisURL(t)))
	observer := mustNewPresence(t, opts)
	silent := mustNewPresence(t, opts)
	// Any node may claim another (the silent one still checks the others):
	// every node reports into one channel.
	reported := reports(observer, silent)
	const onSilent, onKilled = 201, 202
	mustConnect(t, silent, onSilent)
	silent.StopBeating()

	// The killed node joins after the silent one stopped beating, so the
	// observer last heard it later: by the time it finds the killed node
	// dead, it has checked the silent one too.
	killed := mustNewPresence(t, opts)
	killed.Listen(func(userIDs []int64) { reported <- slices.Sorted(slices.Values(userIDs)) })
	mustConnect(t, killed, onKilled)
	killed.Abandon()
	if diff := cmp.Diff([]int64{onKilled}, nextReport(t, reported, "the killed node's user")); diff != "" {
		t.Errorf("users reported offline (-want +got):\n%s", diff)
	}
	if came, err := observer.Connect(t.Context(), onSilent); err != nil || came {
		t.Errorf("Connect of the silent node's user elsewhere = %v, %v; want already online", came, err)
	}
}

// TestPresenceRestoresAfterBeingDeclaredDead covers a process silent past
// StaleAfter while Redis still counts its connection (as a vanished machine's
// half-open one would be): it is declared dead, its user reported offline,
// and as it is in fact alive, it hears so and registers its user again.
func TestPresenceRestoresAfterBeingDeclaredDead(t *testing.T) {
	url := testsvc.RedisURL(t)
	opts := fastPresence(testOptions(t, url))
	opts.StaleAfter = 500 * time.Millisecond
	stalled := mustNewPresence(t, opts)
	stalled.Listen(func([]int64) {})
	other := mustNewPresence(t, opts)
	reported := reports(other)
	const user = 7
	mustConnect(t, stalled, user)

	stalled.StopBeating()
	if diff := cmp.Diff([]int64{user}, nextReport(t, reported, "the stalled node's user")); diff != "" {
		t.Errorf("users reported offline (-want +got):\n%s", diff)
	}
	admin := adminClient(t, url)
	poll(t, "the user registered through the stalled node again", func() bool {
		ok, err := admin.SIsMember(t.Context(), opts.Prefix+"presence:7", stalled.Node()).Result()
		return err == nil && ok
	})
	if came, err := other.Connect(t.Context(), user); err != nil || came {
		t.Errorf("Connect on the other node = %v, %v; want already online", came, err)
	}
}

// TestPresenceSurvivesARedisRestart: a restarted Redis without persistence
// has forgotten every node; each node registers itself and its users again
// when its subscriber connection is back, so users stay online and nobody is
// reported offline.
func TestPresenceSurvivesARedisRestart(t *testing.T) {
	srv := testsvc.StartRedis(t)
	opts := fastPresence(testOptions(t, srv.URL))
	a := mustNewPresence(t, opts)
	b := mustNewPresence(t, opts)
	fromA, fromB := reports(a), reports(b)
	const user, marker = 5, 6
	mustConnect(t, a, user)

	srv.Stop(t)
	srv.Start(t)
	admin := adminClient(t, srv.URL)
	poll(t, "both nodes registered again and the user too", func() bool {
		nodes, err := admin.SMembers(t.Context(), opts.Prefix+"presence-nodes").Result()
		member, _ := admin.SIsMember(t.Context(), opts.Prefix+"presence:5", a.Node()).Result()
		return err == nil && slices.Contains(nodes, a.Node()) && slices.Contains(nodes, b.Node()) && member
	})
	if came, err := b.Connect(t.Context(), user); err != nil || came {
		t.Errorf("Connect on the other node = %v, %v; want already online", came, err)
	}

	// A node dying now is the marker: one survivor claims it, and that
	// report must be the first of either survivor; any report about the
	// restart would have come before it.
	c := mustNewPresence(t, opts)
	mustConnect(t, c, marker)
	c.Abandon()
	var got []int64
	select {
	case got = <-fromA:
	case got = <-fromB:
	case <-time.After(20 * time.Second):
		t.Fatal("no report of the marker node's user")
	}
	if diff := cmp.Diff([]int64{marker}, got); diff != "" {
		t.Errorf("first report after the restart (-want +got):\n%s", diff)
	}
	select {
	case ids := <-fromA:
		t.Errorf("a reported %v as well", ids)
	case ids := <-fromB:
		t.Errorf("b reported %v as well", ids)
	default:
	}
}
