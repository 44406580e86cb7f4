package redis

import (
	"context"
	"errors"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Pong payloads that mark points in the subscriber connection's stream.
const (
	pongConnected    = "connected"
	pongResubscribed = "resubscribed"
)

// errSubscriberGone refuses the hidden reconnect go-redis's PubSub attempts
// after a network error: it would resubscribe every channel in one command
// behind our back. The layer replaces the whole connection instead, and
// subscribes in batches.
var errSubscriberGone = errors.New("subscriber connection lost")

// subscriberConn is one generation of the subscriber connection: a client
// that can dial exactly once, and its PubSub.
type subscriberConn struct {
	client    *goredis.Client
	ps        *goredis.PubSub
	closeOnce sync.Once
}

// dialSubscriber opens a new subscriber connection with the client options
// opt. It writes a PING whose answer tells the receive loop the connection
// works. The Layer and the Presence each keep one.
func dialSubscriber(ctx context.Context, opt *goredis.Options) (*subscriberConn, error) {
	opt = cloneOptions(opt)
	dial := opt.Dialer // TCP keepalive: see keepAlive
	var dialed atomic.Bool
	opt.Dialer = func(ctx context.Context, network, addr string) (net.Conn, error) {
		if !dialed.CompareAndSwap(false, true) {
			return nil, errSubscriberGone
		}
		return dial(ctx, network, addr)
	}
	opt.DialerRetries = 1
	opt.MaxRetries = -1
	opt.PoolSize = 1
	client := goredis.NewClient(opt)
	sub := &subscriberConn{client: client, ps: client.Subscribe(ctx)}
	if err := sub.ps.Ping(ctx, pongConnected); err != nil {
		sub.close()
		return nil, err
	}
	return sub, nil
}

// send writes SUBSCRIBE or UNSUBSCRIBE commands of at most batch channels each.
func (s *subscriberConn) send(ctx context.Context, kind string, channels []string, batch int) error {
	for len(channels) > 0 {
		n := min(batch, len(channels))
		var err error
		if kind == "subscribe" {
			err = s.ps.Subscribe(ctx, channels[:n]...)
		} else {
			err = s.ps.Unsubscribe(ctx, channels[:n]...)
		}
		if err != nil {
			return err
		}
		channels = channels[n:]
	}
	return nil
}

func (s *subscriberConn) close() {
	s.closeOnce.Do(func() {
		_ = s.ps.Close()
		_ = s.client.Close()
	})
}

// runSubscriber receives on the subscriber connection until it breaks, then
// replaces it, until Close.
func (l *Layer) runSubscriber(sub *subscriberConn) {
	defer l.wg.Done()
	var resubscribed chan struct{} // closed when the resubscriber is done
	for {
		err := l.receive(sub, resubscribed != nil)
		l.dropSubscriber(sub)
		if resubscribed != nil {
			<-resubscribed
		}
		if l.isClosed() {
			return
		}
		l.log.Warn("redis subscriber connection lost, reconnecting", "err", err)
		sub = l.reconnect()
		if sub == nil {
			return
		}
		resubscribed = make(chan struct{})
		go l.resubscribe(sub, resubscribed)
	}
}

// receive hands what arrives on sub to the handler until sub breaks or the
// layer closes. After a reconnect it tells the handler once every channel
// wanted at that time is subscribed again.
//
// It reads without a timeout and sends no health check: an idle connection
// costs no command. TCP keepalive (see keepAlive) breaks the read when the
// peer is gone.
func (l *Layer) receive(sub *subscriberConn, reconnecting bool) error {
	for {
		msg, err := sub.ps.Receive(l.ctx)
		if err != nil {
			return err
		}
		switch m := msg.(type) {
		case *goredis.Message:
			l.deliver(m)
		case *goredis.Subscription:
			if m.Kind == "subscribe" {
				l.confirm(m.Channel)
			}
		case *goredis.Pong:
			if m.Payload == pongResubscribed && reconnecting {
				reconnecting = false
				l.reconnected()
			}
		}
	}
}

// deliver decodes a message of a wanted channel and hands its envelopes to
// the handler. Messages of channels no longer wanted are dropped: Unsubscribe
// returns before Redis has processed it.
func (l *Layer) deliver(m *goredis.Message) {
	l.mu.Lock()
	st := l.channels[m.Channel]
	h := l.handler
	l.mu.Unlock()
	if st == nil || h == nil {
		return
	}
	if err := decodeEnvelopes(st.userID, []byte(m.Payload), h.DeliverEnvelope); err != nil {
		l.log.Warn("dropped a malformed layer message", "channel", m.Channel, "bytes", len(m.Payload), "err", err)
	}
}

// confirm records Redis's acknowledgment of a SUBSCRIBE.
func (l *Layer) confirm(channel string) {
	l.mu.Lock()
	if n := l.acksDue[channel]; n > 1 {
		l.acksDue[channel] = n - 1
	} else {
		delete(l.acksDue, channel)
	}
	if st := l.channels[channel]; st != nil && !st.confirmed {
		st.acksToGo--
		if st.acksToGo <= 0 {
			st.confirm()
		}
	}
	l.mu.Unlock()
}

// reconnected tells the handler that envelopes may have been lost.
func (l *Layer) reconnected() {
	l.mu.Lock()
	h, n := l.handler, len(l.channels)
	l.mu.Unlock()
	l.log.Info("redis subscriber connection restored", "channels", n)
	if h != nil {
		h.LayerReconnected()
	}
}

// dropSubscriber forgets a broken connection: every channel must be
// acknowledged again on the next one.
func (l *Layer) dropSubscriber(sub *subscriberConn) {
	l.mu.Lock()
	if l.sub == sub {
		l.sub = nil
	}
	for _, st := range l.channels {
		st.confirmed = false
		st.acksToGo = 0
	}
	clear(l.acksDue)
	l.mu.Unlock()
	sub.close()
}

// reconnect dials until it succeeds, with backoff, and installs the new
// connection. It returns nil when the layer closes first.
func (l *Layer) reconnect() *subscriberConn {
	b := newBackoff(l.opts.MaxReconnectDelay)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		delay := b.next()
		timer.Reset(delay)
		select {
		case <-l.quit:
			return nil
		case <-timer.C:
		}
		sub, err := dialSubscriber(l.ctx, l.clientOpt)
		if err == nil {
			l.sendMu.Lock()
			l.mu.Lock()
			closed := l.closed
			if !closed {
				l.sub = sub
			}
			l.mu.Unlock()
			l.sendMu.Unlock()
			if closed {
				sub.close()
				return nil
			}
			return sub
		}
		l.log.Debug("redis subscriber reconnect failed", "err", err, "retried_after", delay)
	}
}

// backoff spaces reconnect attempts: exponential from 50ms up to a cap,
// with jitter, so that many processes do not hammer a restarted Redis in
// step.
type backoff struct {
	delay, max time.Duration
}

func newBackoff(max time.Duration) *backoff {
	return &backoff{delay: 50 * time.Millisecond, max: max}
}

// next returns the wait before the next attempt.
func (b *backoff) next() time.Duration {
	d := b.delay/2 + rand.N(b.delay)
	b.delay = min(2*b.delay, b.max)
	return d
}

// resubscribe subscribes every wanted channel on a new connection, in
// batches, then writes a PING: its answer comes after every acknowledgment,
// which is when the receive loop calls LayerReconnected. Holding sendMu keeps
// concurrent Unsubscribe calls from being overtaken by a stale batch.
func (l *Layer) resubscribe(sub *subscriberConn, done chan struct{}) {
	defer close(done)
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	l.mu.Lock()
	if l.sub != sub {
		// Already broken and dropped: acknowledgments expected now would
		// never come, and would confuse the next connection's accounting.
		l.mu.Unlock()
		return
	}
	channels := make([]string, 0, len(l.channels))
	for ch := range l.channels {
		channels = append(channels, ch)
	}
	l.expectAcks(channels)
	l.mu.Unlock()
	if err := sub.send(l.ctx, "subscribe", channels, l.opts.ResubscribeBatch); err != nil {
		return // the receive loop sees the broken connection and starts over
	}
	_ = sub.ps.Ping(l.ctx, pongResubscribed)
}

func (l *Layer) isClosed() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.closed
}
