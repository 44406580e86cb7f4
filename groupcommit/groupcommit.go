// Package groupcommit commits concurrent writes together: writes that
// arrive while a transaction is running wait, and the next transaction runs
// all of them and commits once. Each caller still returns only after the
// commit that holds its write (durability is unchanged); what changes is
// that N concurrent writes cost one commit instead of N, which is what lets
// a database that commits ~2,000 transactions a second take far more
// messages a second.
//
// Writes carry a key (the user whose per-user counter they take). Writes are
// spread over lanes by key, so two lanes never take the same counter and
// their transactions cannot deadlock or wait on each other's row locks.
package groupcommit

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/numeneon/numeneon"
)

// Options tune a Committer. Zero values are the documented defaults.
type Options struct {
	// Lanes is the number of transactions that may run at once (default 1,
	// right for SQLite, which has a single writer; PostgreSQL gains from a
	// few).
	Lanes int
	// MaxBatch bounds the writes of one transaction (default 256).
	MaxBatch int
	// QueueLen bounds the writes waiting per lane (default 4096); callers
	// beyond it wait for room, so memory stays bounded under overload.
	QueueLen int
	// BatchTimeout bounds each transaction the committer runs
	// (DATABASE_TIMEOUT); 0 means none. A write whose batch runs out
	// fails with the store's error, so no caller waits forever on a hung
	// database.
	BatchTimeout time.Duration
}

// Committer batches writes into shared transactions of one store.
type Committer struct {
	store numeneon.Store
	opts  Options
	lanes []chan *job
	wg    sync.WaitGroup

	mu     sync.RWMutex
	closed bool
}

type job struct {
	ctx  context.Context
	fn   func(ctx context.Context, tx numeneon.Tx) error
	done chan error
}

// ErrClosed is returned by Update after Close.
var ErrClosed = numeneon.Errorf(numeneon.EUNAVAILABLE, "shutting down")

// New starts a committer over store. Close stops it.
func New(store numeneon.Store, opts Options) *Committer {
	if opts.Lanes <= 0 {
		opts.Lanes = 1
	}
	if opts.MaxBatch <= 0 {
		opts.MaxBatch = 256
	}
	if opts.QueueLen <= 0 {
		opts.QueueLen = 4096
	}
	c := &Committer{store: store, opts: opts}
	for range opts.Lanes {
		q := make(chan *job, opts.QueueLen)
		c.lanes = append(c.lanes, q)
		c.wg.Add(1)
		go c.runLane(q)
	}
	return c
}

// Update runs fn in a transaction shared with other concurrent writes and
// returns once that transaction committed (nil) or fn's write was rolled
// back (fn's error, or the store's). Like Store.Update, fn may run more than
// once and must have no effect outside tx but recording what tx returned.
// key picks the lane: writes that take the same per-user counter must use
// the same key.
func (c *Committer) Update(ctx context.Context, key int64, fn func(ctx context.Context, tx numeneon.Tx) error) error {
	j := &job{ctx: ctx, fn: fn, done: make(chan error, 1)}
	c.mu.RLock()
	if c.closed {
		c.mu.RUnlock()
		return ErrClosed
	}
	lane := c.lanes[uint64(key)%uint64(len(c.lanes))]
	select {
	case lane <- j:
		c.mu.RUnlock()
	case <-ctx.Done():
		c.mu.RUnlock()
		return ctx.Err()
	}
	// Once queued the write will be decided; wait for the decision even if
	// ctx ends, so the caller never reports failure for a committed write.
	return <-j.done
}

// Close finishes the queued writes and stops the lanes.
func (c *Committer) Close() {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return
	}
	c.closed = true
	for _, q := range c.lanes {
		close(q)
	}
	c.mu.Unlock()
	c.wg.Wait()
}

func (c *Committer) runLane(q chan *job) {
	defer c.wg.Done()
	batch := make([]*job, 0, c.opts.MaxBatch)
	for j := range q {
		batch = append(batch[:0], j)
	fill:
		for len(batch) < c.opts.MaxBatch {
			select {
			case j, ok := <-q:
				if !ok {
					break fill
				}
				batch = append(batch, j)
			default:
				break fill
			}
		}
		c.commit(batch)
	}
}

// errAbandon rolls a shared transaction back after one of its writes failed.
var errAbandon = errors.New("a write of the batch failed")

// commit runs a batch in one transaction. If any write fails, the
// transaction is rolled back and every write runs again in a transaction of
// its own, so one bad write costs its neighbours time, never their data.
func (c *Committer) commit(batch []*job) {
	live := batch[:0:0]
	for _, j := range batch {
		if err := j.ctx.Err(); err != nil {
			j.done <- err // not started: safe to give up
			continue
		}
		live = append(live, j)
	}
	if len(live) == 0 {
		return
	}
	if len(live) == 1 {
		j := live[0]
		j.done <- c.update(context.WithoutCancel(j.ctx), j.fn)
		return
	}
	err := c.update(context.Background(), func(ctx context.Context, tx numeneon.Tx) error {
		for _, j := range live {
			if err := j.fn(ctx, tx); err != nil {
				return errAbandon
			}
		}
		return nil
	})
	if err == nil {
		for _, j := range live {
			j.done <- nil
		}
		return
	}
	if !errors.Is(err, errAbandon) && isTimeout(err) {
		// The database, not a write, failed: running each write alone
		// would only wait out the deadline once per write.
		for _, j := range live {
			j.done <- err
		}
		return
	}
	for _, j := range live {
		j.done <- c.update(context.WithoutCancel(j.ctx), j.fn)
	}
}

// isTimeout reports whether err is a transaction that ran out of time.
func isTimeout(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || numeneon.ErrorCode(err) == numeneon.ETIMEOUT
}

// update runs one transaction within Options.BatchTimeout.
func (c *Committer) update(ctx context.Context, fn func(ctx context.Context, tx numeneon.Tx) error) error {
	if c.opts.BatchTimeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.opts.BatchTimeout)
		defer cancel()
	}
	return c.store.Update(ctx, fn)
}
