package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/numeneon/numeneon"
)

// DefaultUserWatchInterval is how often a serving process reads the account
// changes other processes and the operator's command made.
const DefaultUserWatchInterval = time.Second

// userWatchBatch is the most changes read per query; a longer backlog is
// read in several queries within one tick.
const userWatchBatch = 500

// UserWatch keeps this process's user cache fresh: it reads the store's log
// of account changes (numeneon.UserChange) every interval and forgets each
// changed user, so a new name, avatar, password or a deactivation made on
// another process or by numeneon user is seen here within an interval
// rather than after the cache's 10 s. The log lives in the database every
// process shares, so it works the same with SQLite (one process and the
// command) and PostgreSQL (many).
type UserWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// StartUserWatch starts watching from the newest change now in the log.
// interval <= 0 is DefaultUserWatchInterval. With closeSockets, a
// deactivation read from the log also closes the user's sockets here with
// numeneon.CloseAccountInactive: set it when the layer is this process's
// own (SQLite), which the command that deactivated the account could not
// reach; on a shared layer the command closes them itself, in order with
// the user's events. It fails when the log cannot be read at start.
func (s *Service) StartUserWatch(ctx context.Context, interval time.Duration, closeSockets bool) (*UserWatch, error) {
	if interval <= 0 {
		interval = DefaultUserWatchInterval
	}
	last, err := s.store.LastUserChange(ctx)
	if err != nil {
		return nil, fmt.Errorf("start user watch: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &UserWatch{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(w.done)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
			last = s.applyUserChanges(ctx, last, closeSockets)
		}
	}()
	return w, nil
}

// applyUserChanges applies the changes after seq and returns the last seq
// applied. A failed read is logged and retried at the next tick.
func (s *Service) applyUserChanges(ctx context.Context, seq int64, closeSockets bool) int64 {
	for {
		changes, err := s.store.UserChangesSince(ctx, seq, userWatchBatch)
		if err != nil {
			if ctx.Err() == nil {
				s.logger.Warn("read account changes; retrying at the next interval", "after", seq, "err", err)
			}
			return seq
		}
		for _, c := range changes {
			s.users.forget(c.UserID)
			if closeSockets && c.Kind == numeneon.ChangeDeactivated {
				s.sessionsEnded(ctx, c.UserID, numeneon.CloseAccountInactive)
			}
			seq = c.Seq
		}
		if len(changes) < userWatchBatch {
			return seq
		}
	}
}

// Close stops the watch and waits for its goroutine. It may be called
// twice.
func (w *UserWatch) Close() {
	w.once.Do(w.cancel)
	<-w.done
}
