package redis

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/numeneon/numeneon"
)

// maxMessageBytes bounds one PUBLISH payload when several envelopes of one
// user travel together, so one busy user cannot build a huge message.
const maxMessageBytes = 1 << 20

// publishRequest is one Publish call waiting for its pipeline.
type publishRequest struct {
	envs []numeneon.Envelope
	done chan error // buffered: the publisher never waits for the caller
}

// Publish implements numeneon.Layer. Envelopes from concurrent calls are sent
// together in one pipeline by the layer's publisher goroutine, several
// envelopes of one user in one PUBLISH; the call returns when Redis has
// answered that pipeline. Envelopes of one user from one caller keep their
// order. If ctx ends first, Publish returns its error and the envelopes may
// still be sent.
func (l *Layer) Publish(ctx context.Context, envs ...numeneon.Envelope) error {
	l.pubMu.RLock()
	if l.pubClosed {
		l.pubMu.RUnlock()
		return errClosed("layer")
	}
	if len(envs) == 0 {
		l.pubMu.RUnlock()
		return nil
	}
	// The caller may reuse its slice once we return, even on ctx expiry,
	// while the request is still queued: copy it (frames are immutable).
	req := &publishRequest{envs: slices.Clone(envs), done: make(chan error, 1)}
	select {
	case l.pubQueue <- req:
	case <-ctx.Done():
		l.pubMu.RUnlock()
		return unavailable("publish", ctx.Err())
	}
	l.pubMu.RUnlock()
	select {
	case err := <-req.done:
		return err
	case <-ctx.Done():
		return unavailable("publish", ctx.Err())
	}
}

// runPublisher sends queued requests, as many as are waiting (up to
// MaxPublishBatch envelopes) per pipeline, one pipeline at a time: one
// connection in order is what keeps each user's envelopes in order. On Close
// it sends what is still queued, then returns.
func (l *Layer) runPublisher() {
	defer l.wg.Done()
	var batch []*publishRequest
	probe := time.NewTimer(probeInterval)
	probe.Stop()
	for {
		select {
		case req := <-l.pubQueue:
			batch = l.collect(append(batch[:0], req))
			l.flush(batch)
		case <-probe.C:
			// Envelopes are kept from an outage and nothing new came to
			// carry them: try Redis on their own.
			l.flush(nil)
		case <-l.quit:
			// Close set pubClosed before closing quit: nothing enters the
			// queue any more, so this drains it for good.
			for len(l.pubQueue) > 0 {
				batch = l.collect(append(batch[:0], <-l.pubQueue))
				l.flush(batch)
			}
			return
		}
		if l.pubDown && len(l.retry) > 0 {
			probe.Reset(time.Until(l.nextProbe))
		} else {
			probe.Stop()
		}
	}
}

// collect adds the requests already waiting in the queue to batch, up to
// MaxPublishBatch envelopes, without waiting for more.
func (l *Layer) collect(batch []*publishRequest) []*publishRequest {
	n := 0
	for _, r := range batch {
		n += len(r.envs)
	}
	for n < l.opts.MaxPublishBatch {
		select {
		case r := <-l.pubQueue:
			batch = append(batch, r)
			n += len(r.envs)
		default:
			return batch
		}
	}
	return batch
}

// Fail-fast while Redis is away: a publisher that waited for a dial on every
// batch would add that wait to every request that publishes.
const (
	probeInterval = 250 * time.Millisecond // how often a down publisher tries Redis again
	retryLimit    = 100_000                // envelopes kept to resend after an outage
)

// flush sends batch and tells each request the outcome. While Redis is down
// it answers at once, except for one probe every probeInterval; envelopes
// that could not be sent are kept (bounded) and sent before newer ones when
// Redis answers again. A resent envelope that did arrive the first time is
// dropped by the hubs as a duplicate (same id): resending is safe, and it
// covers the case no reconnect would, an event lost while the subscribers
// stayed connected.
func (l *Layer) flush(batch []*publishRequest) {
	var fresh []numeneon.Envelope
	for _, r := range batch {
		fresh = append(fresh, r.envs...)
	}
	var err error
	if l.pubDown && time.Now().Before(l.nextProbe) {
		err = unavailable("publish", errPublisherDown)
		l.keepForRetry(append(l.retry, fresh...))
	} else {
		hadKept := len(l.retry)
		// The kept envelopes go first, in pipelines of MaxPublishBatch like
		// any others: one huge pipeline could outlast PublishTimeout every
		// time and keep the publisher down after Redis came back.
		if err = l.sendKept(); err == nil && len(fresh) > 0 {
			err = l.publishEnvelopes(fresh)
		}
		if err == nil {
			if l.pubDown {
				l.log.Info("redis answers again; sent the envelopes kept during the outage", "resent", hadKept)
			}
			l.pubDown = false
		} else {
			if !l.pubDown {
				l.log.Warn("redis publish failed; failing fast and keeping envelopes until it answers", "error", err)
			}
			l.pubDown = true
			l.nextProbe = time.Now().Add(probeInterval)
			l.keepForRetry(append(l.retry, fresh...))
		}
	}
	for i, r := range batch {
		r.done <- err
		batch[i] = nil
	}
}

// errInjected is the failure FailNextPublishes (tests) makes.
var errInjected = errors.New("injected publish failure")

var errPublisherDown = errors.New("redis did not answer the last publish; retrying shortly")

// sendKept sends the kept envelopes in order, MaxPublishBatch at a time. On
// failure the unsent ones stay kept.
func (l *Layer) sendKept() error {
	for len(l.retry) > 0 {
		n := min(len(l.retry), l.opts.MaxPublishBatch)
		if err := l.publishEnvelopes(l.retry[:n]); err != nil {
			return err
		}
		l.retry = l.retry[n:]
	}
	l.retry = nil
	return nil
}

// keepForRetry keeps the newest retryLimit envelopes of envs: older events
// still reach clients through the hubs' catch-up after a reconnect.
func (l *Layer) keepForRetry(envs []numeneon.Envelope) {
	if len(envs) > retryLimit {
		envs = slices.Clone(envs[len(envs)-retryLimit:])
	}
	l.retry = envs
}

// userMessage is one PUBLISH: envelopes of one user, in order.
type userMessage struct {
	channel string
	payload []byte
}

// publishEnvelopes sends envs as one pipeline with one PUBLISH per user (or
// more for a user whose envelopes exceed maxMessageBytes).
func (l *Layer) publishEnvelopes(envs []numeneon.Envelope) error {
	if l.failPublishes.Load() > 0 && l.failPublishes.Add(-1) >= 0 {
		return unavailable("publish", errInjected)
	}
	var msgs []userMessage
	last := make(map[int64]int) // user → index of its latest message
	for _, env := range envs {
		i, ok := last[env.UserID]
		if !ok || len(msgs[i].payload)+len(env.Frame) > maxMessageBytes {
			i = len(msgs)
			last[env.UserID] = i
			msgs = append(msgs, userMessage{channel: l.channel(env.UserID)})
		}
		msgs[i].payload = appendEnvelope(msgs[i].payload, env)
	}
	ctx, cancel := context.WithTimeout(context.Background(), l.opts.PublishTimeout)
	defer cancel()
	pipe := l.pub.Pipeline()
	for _, m := range msgs {
		pipe.Publish(ctx, m.channel, m.payload)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return unavailable("publish", err)
	}
	return nil
}
