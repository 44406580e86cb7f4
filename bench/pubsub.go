package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// redisFanoutBaseline measures a pure pub/sub engine with no database on the
// same machine: n subscribers, each on its own Redis connection (as n
// clients would be), one channel; rounds PUBLISHes of a post-sized payload,
// each timed from the PUBLISH to the last subscriber's receipt.
func redisFanoutBaseline(ctx context.Context, redisURL string, n, rounds int) (Summary, error) {
	opt, err := goredis.ParseURL(redisURL)
	if err != nil {
		return Summary{}, err
	}
	opt.PoolSize = 4
	rdb := goredis.NewClient(opt)
	defer rdb.Close()
	channel := "numeneon-bench-fanout-" + runID()
	var (
		subs     []*goredis.PubSub
		wg       sync.WaitGroup
		mu       sync.Mutex
		got      int
		last     time.Time
		roundEnd = make(chan struct{}, 1)
	)
	defer func() {
		for _, s := range subs {
			s.Close()
		}
		wg.Wait()
	}()
	for range n {
		// A client of its own per subscriber, so each has its own
		// connection, as separate subscribers would.
		c := goredis.NewClient(opt)
		s := c.Subscribe(ctx, channel)
		if _, err := s.Receive(ctx); err != nil {
			c.Close()
			return Summary{}, fmt.Errorf("subscribe: %w", err)
		}
		subs = append(subs, s)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer c.Close()
			for range s.Channel() {
				at := time.Now()
				mu.Lock()
				got++
				if at.After(last) {
					last = at
				}
				if got == n {
					roundEnd <- struct{}{}
				}
				mu.Unlock()
			}
		}()
	}
	payload := make([]byte, 700) // about a new_post frame
	for i := range payload {
		payload[i] = 'x'
	}
	var rec Recorder
	var lost atomic.Int64
	for range rounds {
		mu.Lock()
		got, last = 0, time.Time{}
		mu.Unlock()
		t0 := time.Now()
		if err := rdb.Publish(ctx, channel, payload).Err(); err != nil {
			return Summary{}, err
		}
		select {
		case <-roundEnd:
			mu.Lock()
			rec.Add(last.Sub(t0))
			mu.Unlock()
		case <-time.After(10 * time.Second):
			lost.Add(1)
		}
	}
	if lost.Load() > 0 {
		return Summary{}, fmt.Errorf("%d of %d publishes did not reach every subscriber within 10 s", lost.Load(), rounds)
	}
	return rec.Summary(), nil
}
