package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/numeneon/numeneon"
)

// PushOptions configures Web Push. Zero values of the optional fields are
// the documented defaults.
type PushOptions struct {
	// PublicKey is the VAPID public key browsers subscribe with
	// (VAPID_PUBLIC_KEY); required.
	PublicKey string
	// Presence tells whether a user has a socket open on any process;
	// required. A user who has one gets the event there, not a push.
	Presence numeneon.Presence
	// Queue bounds the events waiting to be pushed (1024). An event that
	// finds it full is not pushed, and counted as dropped.
	Queue int
	// Workers is how many pushes are sent at once (4).
	Workers int
	// Timeout bounds one request to a push service (10 s).
	Timeout time.Duration
	// Attempts bounds the tries of one message when the push service
	// answers 429 or 5xx or does not answer (3); Backoff is the pause
	// before the second, doubled before each next one (1 s), or the
	// service's Retry-After when longer (up to a minute; a longer one
	// gives the message up).
	Attempts int
	Backoff  time.Duration
	// Registerer receives the push counters (none when nil).
	Registerer prometheus.Registerer
}

func (o PushOptions) withDefaults() PushOptions {
	if o.Queue <= 0 {
		o.Queue = 1024
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.Attempts <= 0 {
		o.Attempts = 3
	}
	if o.Backoff <= 0 {
		o.Backoff = time.Second
	}
	return o
}

// maxRetryAfter is the longest Retry-After a push is held for.
const maxRetryAfter = time.Minute

// PushStats counts what became of the pushable events since the start.
type PushStats struct {
	Sent        int64 // messages a push service accepted (one per device)
	Online      int64 // events not pushed: the user had a socket open
	Dropped     int64 // events not pushed: the queue was full
	Failed      int64 // messages given up: refused, or still failing after every attempt
	Gone        int64 // subscriptions deleted: the push service said 404 or 410
	NoDevice    int64 // events of offline users without a subscription
	Unreachable int64 // presence could not be read: pushed anyway
}

// PushSender sends a Web Push message for each pushable event of a user
// with no socket open anywhere, off the request path: publish only queues
// the event (never blocking), and a pool of workers checks presence, reads
// the user's subscriptions and sends. A restart loses the queue; the
// events themselves are stored, and the client reads them when it opens.
type PushSender struct {
	svc    *Service
	pusher numeneon.Pusher
	opts   PushOptions
	queue  chan *numeneon.Notification

	ctx    context.Context // canceled by Close: ends sends and pauses
	cancel context.CancelFunc
	wg     sync.WaitGroup
	once   sync.Once

	sent, online, dropped, failed, gone, noDevice, unreachable atomic.Int64
}

// StartPush turns Web Push on: events raised from now on are pushed through
// p to users without a socket. Call it before serving; Close stops it.
func (s *Service) StartPush(p numeneon.Pusher, opts PushOptions) (*PushSender, error) {
	if opts.PublicKey == "" || opts.Presence == nil {
		return nil, fmt.Errorf("start push: a VAPID public key and a presence are required")
	}
	opts = opts.withDefaults()
	ctx, cancel := context.WithCancel(context.Background())
	ps := &PushSender{svc: s, pusher: p, opts: opts, queue: make(chan *numeneon.Notification, opts.Queue),
		ctx: ctx, cancel: cancel}
	if err := ps.register(opts.Registerer); err != nil {
		cancel()
		return nil, err
	}
	for range opts.Workers {
		ps.wg.Add(1)
		go ps.work()
	}
	s.push = ps
	return ps, nil
}

// register exposes the counters as numeneon_push_total{outcome}.
func (ps *PushSender) register(reg prometheus.Registerer) error {
	if reg == nil {
		return nil
	}
	for outcome, c := range map[string]*atomic.Int64{
		"sent": &ps.sent, "online": &ps.online, "dropped": &ps.dropped, "failed": &ps.failed,
		"gone": &ps.gone, "no_device": &ps.noDevice, "presence_unreachable": &ps.unreachable,
	} {
		err := reg.Register(prometheus.NewCounterFunc(prometheus.CounterOpts{
			Name:        "numeneon_push_total",
			Help:        "Pushable events and push messages by outcome: sent, online (not pushed), dropped (queue full), failed, gone (subscription deleted), no_device, presence_unreachable.",
			ConstLabels: prometheus.Labels{"outcome": outcome},
		}, func() float64 { return float64(c.Load()) }))
		if err != nil {
			return fmt.Errorf("register push metrics: %w", err)
		}
	}
	return nil
}

// Stats returns the counters.
func (ps *PushSender) Stats() PushStats {
	return PushStats{Sent: ps.sent.Load(), Online: ps.online.Load(), Dropped: ps.dropped.Load(),
		Failed: ps.failed.Load(), Gone: ps.gone.Load(), NoDevice: ps.noDevice.Load(), Unreachable: ps.unreachable.Load()}
}

// Close stops the workers, abandoning the queued events and the sends in
// flight, and waits for them.
func (ps *PushSender) Close() {
	ps.once.Do(ps.cancel)
	ps.wg.Wait()
}

// enqueue queues the pushable events of notes without ever blocking: a
// full queue drops the event (counted). Called after the commit.
func (ps *PushSender) enqueue(notes []*numeneon.Notification) {
	for _, n := range notes {
		if !pushedEvents[n.Type] {
			continue
		}
		if ps.ctx.Err() != nil {
			ps.dropped.Add(1)
			continue
		}
		select {
		case ps.queue <- n:
		default:
			ps.dropped.Add(1)
		}
	}
}

func (ps *PushSender) work() {
	defer ps.wg.Done()
	for {
		select {
		case <-ps.ctx.Done():
			return
		case n := <-ps.queue:
			ps.pushEvent(n)
		}
	}
}

// pushEvent sends n to every device of its user, unless the user has a
// socket open somewhere.
func (ps *PushSender) pushEvent(n *numeneon.Notification) {
	log := ps.svc.logger
	ctx, cancel := context.WithTimeout(ps.ctx, ps.opts.Timeout)
	online, err := ps.opts.Presence.Online(ctx, n.UserID)
	cancel()
	if err != nil {
		// A duplicate on a device beats a lost notification.
		ps.unreachable.Add(1)
		log.Warn("read presence before a push; pushing anyway", "user_id", n.UserID, "err", err)
	} else if online {
		ps.online.Add(1)
		return
	}
	ctx, cancel = context.WithTimeout(ps.ctx, ps.opts.Timeout)
	subs, err := ps.svc.store.ListPushSubscriptions(ctx, n.UserID)
	cancel()
	if err != nil {
		ps.failed.Add(1)
		log.Warn("read push subscriptions", "user_id", n.UserID, "err", err)
		return
	}
	if len(subs) == 0 {
		ps.noDevice.Add(1)
		return
	}
	msg, _ := pushMessage(n)
	payload, err := json.Marshal(msg)
	if err != nil {
		ps.failed.Add(1)
		log.Error("encode push message", "type", n.Type, "err", err)
		return
	}
	for _, sub := range subs {
		ps.send(sub, payload)
	}
}

// send pushes payload to one device, retrying what may succeed later with
// a doubling pause, and deleting a subscription its service says is gone.
func (ps *PushSender) send(sub *numeneon.PushSubscription, payload []byte) {
	log := ps.svc.logger
	pause := ps.opts.Backoff
	for attempt := 1; ; attempt++ {
		ctx, cancel := context.WithTimeout(ps.ctx, ps.opts.Timeout)
		err := ps.pusher.Push(ctx, sub, payload)
		cancel()
		switch code := numeneon.ErrorCode(err); {
		case err == nil:
			ps.sent.Add(1)
			return
		case code == numeneon.ENOTFOUND:
			ps.gone.Add(1)
			ps.deleteGone(sub)
			return
		case code == numeneon.EUNAVAILABLE && attempt < ps.opts.Attempts && ps.ctx.Err() == nil:
			wait := pause
			var ra numeneon.PushRetryAfter
			if errors.As(err, &ra) {
				// The service said when; past maxRetryAfter the message
				// is stale, so it is given up instead.
				if ra.RetryAfter() > maxRetryAfter {
					ps.failed.Add(1)
					log.Warn("push service asks to wait too long; giving up", "user_id", sub.UserID, "retry_after", ra.RetryAfter())
					return
				}
				wait = max(wait, ra.RetryAfter())
			}
			timer := time.NewTimer(wait)
			select {
			case <-ps.ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
			}
			pause *= 2
		default:
			ps.failed.Add(1)
			log.Warn("push failed", "user_id", sub.UserID, "subscription", sub.ID, "attempts", attempt, "err", err)
			return
		}
	}
}

func (ps *PushSender) deleteGone(sub *numeneon.PushSubscription) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ps.ctx), ps.opts.Timeout)
	defer cancel()
	err := ps.svc.store.Update(ctx, func(ctx context.Context, tx numeneon.Tx) error {
		return tx.DeletePushSubscription(ctx, sub.UserID, sub.Endpoint)
	})
	if err != nil && numeneon.ErrorCode(err) != numeneon.ENOTFOUND {
		ps.svc.logger.Warn("delete a gone push subscription", "user_id", sub.UserID, "subscription", sub.ID, "err", err)
	}
}
