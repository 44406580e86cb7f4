package bench

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// runConversations: one user has exchanged messages with Users peers; the
// tool reads that user's conversation list (the inbox, one query whatever
// its size) in a closed loop with Concurrency readers for Duration.
func runConversations(ctx context.Context, o *Options) (*Result, error) {
	hc := newHTTPClient()
	owner, err := createUsers(ctx, o, hc, "co", 1)
	if err != nil {
		return nil, err
	}
	peers, err := createUsers(ctx, o, hc, "cp", o.Users)
	if err != nil {
		return nil, err
	}
	me := owner[0].WithBase(o.target(0))
	var wg sync.WaitGroup
	errs := make(chan error, len(peers))
	for i, p := range peers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := p.SendMessage(ctx, me.UserID, fmt.Sprintf("hello %d", i)); err != nil {
				errs <- err
				return
			}
			if i%2 == 0 {
				if _, err := me.SendMessage(ctx, p.UserID, fmt.Sprintf("reply %d", i)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	if err := <-errs; err != nil {
		return nil, fmt.Errorf("seed conversations: %w", err)
	}
	var convs []struct{}
	if err := me.Do(ctx, "GET", "/api/messages/conversations/", nil, &convs, http.StatusOK); err != nil {
		return nil, err
	}
	if len(convs) != o.Users {
		return nil, fmt.Errorf("the inbox lists %d conversations, want %d", len(convs), o.Users)
	}

	var done, failed atomic.Int64
	var lat Recorder
	zero := atomic.Int64{}
	progress := newProgress(o.Progress, "conversations", &done, &zero)
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	for range o.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for runCtx.Err() == nil {
				t0 := time.Now()
				if err := me.Do(runCtx, "GET", "/api/messages/conversations/", nil, nil, http.StatusOK); err != nil {
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
		Figures: map[string]float64{"conversations in the inbox": float64(o.Users), "requests/s": float64(done.Load()) / elapsed.Seconds()},
		Latency: map[string]Summary{"GET conversations": lat.Summary()},
	}, nil
}
