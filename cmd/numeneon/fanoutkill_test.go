package main_test

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/numeneon/numeneon/client"
)

// TestFanoutSurvivesKilledProcess kills the process an author posts
// through (SIGKILL) while posts to every friend are in flight. A post the
// dead process committed but had not published yet reaches each friend at
// the latest at the friend's next gap fill (the next event) or resume,
// which is the bound the README states: once the author posts again
// through the surviving process, every friend has received every stored
// event exactly once, in order.
func TestFanoutSurvivesKilledProcess(t *testing.T) {
	eachSharedLayer(t, ownRedis, testFanoutSurvivesKilledProcess)
}

func testFanoutSurvivesKilledProcess(t *testing.T, env []string) {
	victim := startProc(t, env)
	survivor := startProc(t, env)
	author := newUser(t, survivor.URL, "author")
	friends := make([]*client.Client, 12)
	streams := make([]*client.Stream, len(friends))
	for i := range friends {
		friends[i] = newUser(t, survivor.URL, "friend")
		// Every friend listens on the survivor: what the victim did not
		// publish can only come from the store.
		s, err := friends[i].Stream(t.Context(), []string{survivor.URL}, 0, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer s.Close()
		streams[i] = s
		if err := client.Befriend(t.Context(), author, friends[i]); err != nil {
			t.Fatal(err)
		}
	}

	// Four posters keep posts in flight on the victim; it is killed after
	// the 30th answer.
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	var (
		answered, failed atomic.Int64
		kill             sync.Once
		wg               sync.WaitGroup
	)
	onVictim := author.WithBase(victim.URL)
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for k := 0; ctx.Err() == nil; k++ {
				_, err := onVictim.CreatePost(ctx, fmt.Sprintf("post %d.%d", w, k))
				if err != nil {
					failed.Add(1)
					return // the victim is gone
				}
				if answered.Add(1) == 30 {
					kill.Do(func() {
						if err := victim.cmd.Process.Kill(); err != nil {
							t.Errorf("kill: %v", err)
						}
					})
				}
			}
		}()
	}
	wg.Wait()
	<-victim.done
	if failed.Load() == 0 {
		t.Fatalf("no POST was in flight when the process died: the kill proved nothing")
	}
	// The posts the victim committed, answered or not.
	posts, err := author.WithBase(survivor.URL).Feed(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d posts answered before the kill, %d in flight failed, %d stored", answered.Load(), failed.Load(), len(posts))

	// One more post through the survivor: every friend's socket sees its id
	// skip over anything the victim did not publish, and fills the gap.
	if _, err := author.WithBase(survivor.URL).CreatePost(t.Context(), "after the kill"); err != nil {
		t.Fatal(err)
	}
	for i, f := range friends {
		checkExactlyOnce(t, fmt.Sprintf("friend %d", i), f, streams[i])
	}
}
