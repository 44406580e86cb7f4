package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/numeneon/numeneon"
)

// storyPurgeBatch is how many expired stories one cleanup transaction
// handles. Each batch is its own short transaction, so a request waits at
// most one batch for SQLite's single writer (or for PostgreSQL's row locks).
const storyPurgeBatch = 200

// DefaultStoryCleanupInterval is how often the cleanup job runs when it is
// given no interval. Expired stories are hidden at once whatever it is; the
// interval only bounds how long their views and reactions take space.
const DefaultStoryCleanupInterval = 10 * time.Minute

// PurgeExpiredStories cleans every story expired by the service's clock, in
// batches of its own transactions: it deletes their views and reactions, and
// the stories no message replies to. It returns how many stories it
// cleaned. Expired stories already vanish from every list; this only frees
// their space. It stops early, with ctx's error, when ctx ends.
func (s *Service) PurgeExpiredStories(ctx context.Context) (int, error) {
	now := s.clock()
	total := 0
	for {
		var n int
		err := s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			var err error
			n, err = tx.PurgeExpiredStories(ctx, now, storyPurgeBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("purge expired stories: %w", err)
		}
		total += n
		if n < storyPurgeBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("purge expired stories: %w", err)
		}
	}
}

// StoryCleanup runs PurgeExpiredStories in the background: once at start,
// then every interval. It owns its goroutine; Close stops it.
type StoryCleanup struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// StartStoryCleanup starts the cleanup job of s, which runs every interval
// (DefaultStoryCleanupInterval when <= 0). A failed pass is logged and
// retried at the next tick: nothing is lost by waiting, expired stories are
// already hidden.
func (s *Service) StartStoryCleanup(interval time.Duration) *StoryCleanup {
	if interval <= 0 {
		interval = DefaultStoryCleanupInterval
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &StoryCleanup{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(c.done)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			if n, err := s.PurgeExpiredStories(ctx); err != nil && ctx.Err() == nil {
				s.logger.Warn("story cleanup failed; retrying at the next interval", "cleaned", n, "err", err)
			} else if n > 0 {
				s.logger.Info("cleaned expired stories", "stories", n)
			}
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
	return c
}

// Close stops the job, interrupting a running pass between or inside its
// transactions, and waits for its goroutine to end. It may be called twice.
func (c *StoryCleanup) Close() {
	c.once.Do(c.cancel)
	<-c.done
}
