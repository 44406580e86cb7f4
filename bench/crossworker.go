package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/numeneon/numeneon/client"
)

// runCrossworker: pairs of users whose sockets sit on different targets;
// each sends a friend request, the other accepts, then messages flow both
// ways, every action sent through the target that does not hold the
// receiver's socket. Every stored event must reach its socket exactly once.
func runCrossworker(ctx context.Context, o *Options) (*Result, error) {
	hc := newHTTPClient()
	pairs := o.Users
	as, err := createUsers(ctx, o, hc, "xa", pairs)
	if err != nil {
		return nil, err
	}
	bs, err := createUsers(ctx, o, hc, "xb", pairs)
	if err != nil {
		return nil, err
	}
	// A_i's socket on target i, B_i's on the next target.
	for i := range bs {
		bs[i] = bs[i].WithBase(o.other(i))
	}
	var tr tracker
	sa, err := followAll(ctx, as, o.target, tr.onEvent)
	if err != nil {
		return nil, err
	}
	sb, err := followAll(ctx, bs, o.other, tr.onEvent)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range append(sa, sb...) {
			s.Close()
		}
	}()

	start := time.Now()
	var sent, errs atomic.Int64
	var httpLat Recorder
	var wg sync.WaitGroup
	progress := newProgress(o.Progress, "crossworker", &sent, &tr.delivered)
	defer progress.stop()
	for i := range pairs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// A talks through target i, B through the next one: each action
			// goes through the target that does not hold its receiver's socket.
			a, b := as[i].WithBase(o.target(i)), bs[i].WithBase(o.other(i))
			if err := client.Befriend(ctx, a, b); err != nil {
				errs.Add(1)
				return
			}
			sent.Add(2)
			for m := range o.Messages {
				for _, dir := range []struct {
					from *client.Client
					to   int64
				}{{a, b.UserID}, {b, a.UserID}} {
					content := fmt.Sprintf("x%d-%d-%d", i, m, dir.to)
					t0 := time.Now()
					tr.started(content, t0)
					if _, err := dir.from.SendMessage(ctx, dir.to, content); err != nil {
						errs.Add(1)
						continue
					}
					httpLat.Add(time.Since(t0))
					sent.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)

	users := append(append([]*client.Client{}, as...), bs...)
	streams := append(append([]*client.Stream{}, sa...), sb...)
	stored, lost, dups, err := reconcile(ctx, users, streams, 10*time.Second)
	if err != nil {
		return nil, err
	}
	return &Result{
		Sent: sent.Load(), Delivered: stored - lost, Lost: lost, Duplicated: dups, Errors: errs.Load(),
		Seconds: elapsed.Seconds(),
		Figures: map[string]float64{"pairs": float64(pairs), "stored events": float64(stored)},
		Latency: map[string]Summary{"http": httpLat.Summary(), "delivery": tr.delivery.Summary()},
	}, nil
}
