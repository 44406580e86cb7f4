package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/numeneon/numeneon/client"
)

// befriendAll makes owner a friend of every one of friends, parallel at a
// time: owner requests, the friend accepts.
func befriendAll(ctx context.Context, owner *client.Client, friends []*client.Client, parallel int) error {
	return forEach(ctx, len(friends), parallel, func(ctx context.Context, i int) error {
		return client.Befriend(ctx, owner, friends[i])
	})
}

// forEach runs fn for 0..n-1, parallel at a time, and returns the first
// error.
func forEach(ctx context.Context, n, parallel int, fn func(ctx context.Context, i int) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg       sync.WaitGroup
		next     atomic.Int64
		once     sync.Once
		firstErr error
	)
	for range min(parallel, n) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				if err := fn(ctx, i); err != nil {
					once.Do(func() { firstErr = err; cancel() })
					return
				}
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// runFeed: one user with Friends friends, who have written Posts posts
// between them, reads the first page of the feed (GET /api/posts/, 100
// posts) in a closed loop with Concurrency readers for Duration.
func runFeed(ctx context.Context, o *Options) (*Result, error) {
	friendsN, postsN := o.Friends, o.Posts
	if friendsN <= 0 {
		friendsN = 500
	}
	if postsN <= 0 {
		postsN = 20000
	}
	hc := newHTTPClient()
	me, err := createUsers(ctx, o, hc, "fv", 1)
	if err != nil {
		return nil, err
	}
	friends, err := createUsers(ctx, o, hc, "ff", friendsN)
	if err != nil {
		return nil, err
	}
	progressf(o, "feed: %d users signed up; befriending", friendsN+1)
	if err := befriendAll(ctx, me[0], friends, 16); err != nil {
		return nil, fmt.Errorf("befriend: %w", err)
	}
	progressf(o, "feed: writing %d posts", postsN)
	var written atomic.Int64
	err = forEach(ctx, postsN, 32, func(ctx context.Context, i int) error {
		f := friends[i%len(friends)].WithBase(o.target(i))
		if _, err := f.CreatePost(ctx, fmt.Sprintf("post %d of a feed benchmark", i)); err != nil {
			return fmt.Errorf("post %d: %w", i, err)
		}
		if n := written.Add(1); n%2000 == 0 {
			progressf(o, "feed: %d posts written", n)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	viewer := me[0].WithBase(o.target(0))
	first, err := viewer.Feed(ctx)
	if err != nil {
		return nil, err
	}
	if len(first) != 100 {
		return nil, fmt.Errorf("the feed's first page has %d posts, want 100", len(first))
	}

	var done, failed atomic.Int64
	var lat Recorder
	zero := atomic.Int64{}
	progress := newProgress(o.Progress, "feed", &done, &zero)
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	var wg sync.WaitGroup
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				t0 := time.Now()
				if err := viewer.Do(runCtx, "GET", "/api/posts/", nil, nil, http.StatusOK); err != nil {
					if runCtx.Err() == nil {
						failed.Add(1)
					}
					continue
				}
				lat.Add(time.Since(t0))
				done.Add(1)
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	progress.stop()
	return &Result{
		Sent: done.Load(), Delivered: done.Load(), Errors: failed.Load(), Seconds: elapsed.Seconds(),
		Figures: map[string]float64{"friends": float64(friendsN), "posts": float64(postsN), "requests/s": float64(done.Load()) / elapsed.Seconds()},
		Latency: map[string]Summary{"GET feed (first page, 100 posts)": lat.Summary()},
	}, nil
}

// progressf writes one progress line when progress is on.
func progressf(o *Options, format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// fanoutReceipts records, per post, when each friend's socket received its
// new_post event.
type fanoutReceipts struct {
	mu    sync.Mutex
	posts map[int64]*postReceipts
	dups  atomic.Int64
}

type postReceipts struct {
	from  map[int]bool // friends who received it
	last  time.Time
	first time.Time
	all   chan struct{} // closed when every friend has received it
}

// expect returns the receipts of post id (some may have come before the
// POST's answer).
func (r *fanoutReceipts) expect(id int64) *postReceipts {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.posts[id]
	if !ok {
		p = &postReceipts{from: map[int]bool{}, all: make(chan struct{})}
		r.posts[id] = p
	}
	return p
}

// received records friend's receipt of post id; n is how many must receive it.
func (r *fanoutReceipts) received(id int64, friend, n int, at time.Time) {
	r.mu.Lock()
	defer r.mu.Unlock()
	p, ok := r.posts[id]
	if !ok {
		// The event overtook the POST's answer.
		p = &postReceipts{from: map[int]bool{}, all: make(chan struct{})}
		r.posts[id] = p
	}
	if p.from[friend] {
		r.dups.Add(1)
		return
	}
	p.from[friend] = true
	if p.first.IsZero() || at.Before(p.first) {
		p.first = at
	}
	if at.After(p.last) {
		p.last = at
	}
	if len(p.from) == n {
		close(p.all)
	}
}

// runFanout: one author with Friends friends, each friend with a socket on
// the targets in turn, posts Posts posts one after another; for each, the
// time from sending the POST to the last friend's receipt of its new_post
// event. With RedisURL, the same sitting also measures a pure pub/sub
// delivery: one PUBLISH to as many Redis subscribers.
func runFanout(ctx context.Context, o *Options) (*Result, error) {
	friendsN, postsN := o.Friends, o.Posts
	if friendsN <= 0 {
		friendsN = 200
	}
	if postsN <= 0 {
		postsN = 20
	}
	hc := newHTTPClient()
	authors, err := createUsers(ctx, o, hc, "na", 1)
	if err != nil {
		return nil, err
	}
	friends, err := createUsers(ctx, o, hc, "nf", friendsN)
	if err != nil {
		return nil, err
	}
	progressf(o, "fanout: %d users signed up; befriending", friendsN+1)
	if err := befriendAll(ctx, authors[0], friends, 16); err != nil {
		return nil, fmt.Errorf("befriend: %w", err)
	}
	author := authors[0].WithBase(o.target(0))

	progressf(o, "fanout: opening %d sockets", friendsN)
	receipts := &fanoutReceipts{posts: map[int64]*postReceipts{}}
	readCtx, stopReading := context.WithCancel(ctx)
	defer stopReading()
	var readers sync.WaitGroup
	defer readers.Wait()
	var sockets []*client.Socket
	var sockMu sync.Mutex
	defer func() {
		for _, s := range sockets {
			s.Conn.CloseNow()
		}
	}()
	err = forEach(ctx, friendsN, 64, func(ctx context.Context, i int) error {
		s, err := friends[i].WithBase(o.target(i)).Dial(ctx, client.DialOptions{})
		if err != nil {
			return fmt.Errorf("friend %d: %w", i, err)
		}
		sockMu.Lock()
		sockets = append(sockets, s)
		sockMu.Unlock()
		readers.Add(1)
		go func() {
			defer readers.Done()
			for {
				ev, err := s.Next(readCtx)
				if err != nil {
					return
				}
				if ev.Type != "new_post" {
					continue
				}
				at := time.Now()
				var p struct {
					ID int64 `json:"id"`
				}
				if json.Unmarshal(ev.Data, &p) == nil {
					receipts.received(p.ID, i, friendsN, at)
				}
			}
		}()
		return nil
	})
	if err != nil {
		return nil, err
	}

	var (
		answered, lastReceipt, firstReceipt Recorder
		delivered, lost                     int64
	)
	progressf(o, "fanout: posting %d posts to %d friends", postsN, friendsN)
	for k := range postsN {
		t0 := time.Now()
		p, err := author.CreatePost(ctx, fmt.Sprintf("fan-out %d", k))
		if err != nil {
			return nil, fmt.Errorf("post %d: %w", k, err)
		}
		answered.Add(time.Since(t0))
		pr := receipts.expect(p.ID)
		select {
		case <-pr.all:
		case <-time.After(30 * time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		receipts.mu.Lock()
		got := len(pr.from)
		last, first := pr.last, pr.first
		receipts.mu.Unlock()
		delivered += int64(got)
		lost += int64(friendsN - got)
		if got == friendsN {
			lastReceipt.Add(last.Sub(t0))
			firstReceipt.Add(first.Sub(t0))
		}
		progressf(o, "fanout: post %d: answered in %v, last friend after %v (%d/%d)", k+1, time.Since(t0).Round(time.Microsecond), last.Sub(t0).Round(time.Microsecond), got, friendsN)
	}
	r := &Result{
		Sent: int64(postsN) * int64(friendsN), Delivered: delivered, Lost: lost, Duplicated: receipts.dups.Load(),
		Figures: map[string]float64{"friends": float64(friendsN), "posts": float64(postsN)},
		Latency: map[string]Summary{
			"POST answered":        answered.Summary(),
			"POST to first friend": firstReceipt.Summary(),
			"POST to last friend":  lastReceipt.Summary(),
		},
	}
	if o.RedisURL != "" {
		progressf(o, "fanout: pure pub/sub baseline, %d Redis subscribers", friendsN)
		s, err := redisFanoutBaseline(ctx, o.RedisURL, friendsN, postsN)
		if err != nil {
			return nil, fmt.Errorf("pub/sub baseline: %w", err)
		}
		r.Latency["Redis PUBLISH to last subscriber"] = s
	}
	return r, nil
}
