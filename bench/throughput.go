package bench

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// runThroughput: senders post messages through the first target to
// receivers whose sockets sit on another target (the same one when there is
// only one). Closed loop (Concurrency senders in flight) or open loop
// (Rate messages a second). Delivery latency runs from the start of the POST
// to the frame's arrival on the receiver's socket.
func runThroughput(ctx context.Context, o *Options) (*Result, error) {
	hc := newHTTPClient()
	n := o.Users
	senders, err := createUsers(ctx, o, hc, "ts", n)
	if err != nil {
		return nil, err
	}
	receivers, err := createUsers(ctx, o, hc, "tr", n)
	if err != nil {
		return nil, err
	}
	var tr tracker
	streams, err := followAll(ctx, receivers, o.other, tr.onEvent)
	if err != nil {
		return nil, err
	}
	defer func() {
		for _, s := range streams {
			s.Close()
		}
	}()
	for i := range senders {
		senders[i] = senders[i].WithBase(o.target(0))
	}

	var (
		seq, sent, errs atomic.Int64
		httpLat         Recorder
		wg              sync.WaitGroup
	)
	send := func(ctx context.Context) {
		k := seq.Add(1)
		i := int(k) % n
		content := fmt.Sprintf("t%d", k)
		t0 := time.Now()
		tr.started(content, t0)
		if _, err := senders[i].SendMessage(ctx, receivers[i].UserID, content); err != nil {
			if ctx.Err() == nil {
				errs.Add(1)
			}
			tr.sent.Delete(content)
			return
		}
		httpLat.Add(time.Since(t0))
		sent.Add(1)
	}

	cmdsBefore, err := redisCommands(ctx, o.RedisURL)
	if err != nil {
		return nil, err
	}
	progress := newProgress(o.Progress, "throughput", &sent, &tr.delivered)
	runCtx, cancel := context.WithTimeout(ctx, o.Duration)
	defer cancel()
	start := time.Now()
	if o.Rate > 0 {
		// Open loop: a send starts every 1/Rate seconds whatever the server's
		// pace, so queueing shows up as latency instead of a lower rate.
		interval := time.Duration(float64(time.Second) / o.Rate)
		next := time.Now()
	open:
		for {
			next = next.Add(interval)
			if d := time.Until(next); d > 0 {
				select {
				case <-runCtx.Done():
					break open
				case <-time.After(d):
				}
			} else if runCtx.Err() != nil {
				break
			}
			wg.Add(1)
			go func() { defer wg.Done(); send(ctx) }()
		}
	} else {
		for range o.Concurrency {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for runCtx.Err() == nil {
					send(runCtx)
				}
			}()
		}
	}
	wg.Wait()
	elapsed := time.Since(start)
	delivered := tr.delivered.Load()
	cmdsAfter, err := redisCommands(ctx, o.RedisURL)
	if err != nil {
		return nil, err
	}
	// Let the last deliveries land before counting.
	stored, lost, dups, err := reconcile(ctx, receivers, streams, 10*time.Second)
	progress.stop()
	if err != nil {
		return nil, err
	}
	figures := map[string]float64{
		"requests/s":          float64(sent.Load()) / elapsed.Seconds(),
		"delivered/s":         float64(delivered) / elapsed.Seconds(),
		"pairs":               float64(n),
		"target rate (msg/s)": o.Rate,
	}
	if o.RedisURL != "" && delivered > 0 {
		figures["redis commands per delivered event"] = float64(cmdsAfter-cmdsBefore) / float64(delivered)
	}
	return &Result{
		Sent: sent.Load(), Delivered: stored - lost, Lost: lost, Duplicated: dups, Errors: errs.Load(),
		Seconds: elapsed.Seconds(),
		Figures: figures,
		Latency: map[string]Summary{"http": httpLat.Summary(), "delivery": tr.delivery.Summary()},
	}, nil
}
