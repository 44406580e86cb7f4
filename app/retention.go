package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/numeneon/numeneon"
)

// DefaultNotificationRetention is how long stored events are kept when no
// retention is given (NOTIFICATION_RETENTION). A post fans out a row per
// friend, so the table grows with posts times friends; a client away longer
// than this gets {"type":"resync"} and reloads its lists.
const DefaultNotificationRetention = 30 * 24 * time.Hour

// notificationPruneBatch is how many notifications one prune transaction
// deletes: short transactions, so requests never wait long behind one.
const notificationPruneBatch = 1000

// ParseRetention reads a NOTIFICATION_RETENTION value: a Go duration
// ("720h") or a number of days ("30d"). It must be positive.
func ParseRetention(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	var d time.Duration
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil {
			return 0, fmt.Errorf("retention %q: want a number of days such as 30d, or a duration such as 720h", s)
		}
		d = time.Duration(n) * 24 * time.Hour
	} else {
		var err error
		if d, err = time.ParseDuration(s); err != nil {
			return 0, fmt.Errorf("retention %q: want a number of days such as 30d, or a duration such as 720h", s)
		}
	}
	if d <= 0 {
		return 0, fmt.Errorf("retention %q: want a positive duration", s)
	}
	return d, nil
}

// PruneNotifications deletes the stored events older than retention (by
// the service's clock), in batches of their own transactions, and returns
// how many it deleted. Each user's id counter is kept, so ids are never
// reused and a resume from a pruned id is told to resync. It stops early,
// with ctx's error, when ctx ends.
func (s *Service) PruneNotifications(ctx context.Context, retention time.Duration) (int, error) {
	before := s.clock().Add(-retention)
	total := 0
	for {
		var n int
		err := s.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
			var err error
			n, err = tx.PruneNotifications(ctx, before, notificationPruneBatch)
			return err
		})
		if err != nil {
			return total, fmt.Errorf("prune notifications before %v: %w", before, err)
		}
		total += n
		if n < notificationPruneBatch {
			return total, nil
		}
		if err := ctx.Err(); err != nil {
			return total, fmt.Errorf("prune notifications: %w", err)
		}
	}
}

// NotificationPruner runs PruneNotifications in the background. It owns
// its goroutine; Close stops it.
type NotificationPruner struct {
	cancel context.CancelFunc
	done   chan struct{}
	once   sync.Once
}

// StartNotificationPruner prunes the events older than retention
// (DefaultNotificationRetention when <= 0) once at start and then every
// hour, or every retention/2 when that is shorter. A failed pass is logged
// and retried at the next tick: nothing is lost by waiting.
func (s *Service) StartNotificationPruner(retention time.Duration) *NotificationPruner {
	if retention <= 0 {
		retention = DefaultNotificationRetention
	}
	interval := min(time.Hour, retention/2)
	ctx, cancel := context.WithCancel(context.Background())
	p := &NotificationPruner{cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(p.done)
		ticker := time.NewTicker(interval)
		defer ticker.Stop()
		for {
			if n, err := s.PruneNotifications(ctx, retention); err != nil && ctx.Err() == nil {
				s.logger.Warn("notification retention failed; retrying at the next interval", "pruned", n, "err", err)
			} else if n > 0 {
				s.logger.Info("pruned old notifications", "notifications", n, "retention", retention)
			}
			select {
			case <-ctx.Done():
				return
			case <-ticker.C:
			}
		}
	}()
	return p
}

// Close stops the job, interrupting a running pass, and waits for its
// goroutine to end. It may be called twice.
func (p *NotificationPruner) Close() {
	p.once.Do(p.cancel)
	<-p.done
}
