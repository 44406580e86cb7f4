package redis

import (
	"context"
	"slices"

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
	for {
		select {
		case req := <-l.pubQueue:
			batch = l.collect(append(batch[:0], req))
			l.flush(batch)
		case <-l.quit:
			// Close set pubClosed before closing quit: nothing enters the
			// queue any more, so this drains it for good.
			for len(l.pubQueue) > 0 {
				batch = l.collect(append(batch[:0], <-l.pubQueue))
				l.flush(batch)
			}
			return
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

// flush sends batch and tells each request the outcome.
func (l *Layer) flush(batch []*publishRequest) {
	err := l.publishBatch(batch)
	for i, r := range batch {
		r.done <- err
		batch[i] = nil
	}
}

// userMessage is one PUBLISH: envelopes of one user, in order.
type userMessage struct {
	channel string
	payload []byte
}

// publishBatch sends the envelopes of batch as one pipeline with one PUBLISH
// per user (or more for a user whose envelopes exceed maxMessageBytes).
func (l *Layer) publishBatch(batch []*publishRequest) error {
	var msgs []userMessage
	last := make(map[int64]int) // user → index of its latest message
	for _, r := range batch {
		for _, env := range r.envs {
			i, ok := last[env.UserID]
			if !ok || len(msgs[i].payload)+len(env.Frame) > maxMessageBytes {
				i = len(msgs)
				last[env.UserID] = i
				msgs = append(msgs, userMessage{channel: l.channel(env.UserID)})
			}
			msgs[i].payload = appendEnvelope(msgs[i].payload, env)
		}
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
