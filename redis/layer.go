package redis

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/numeneon/numeneon"
)

var _ numeneon.Layer = (*Layer)(nil)

// Layer is the channel layer over Redis pub/sub: one channel per user
// (<prefix>u:<userID>), one subscriber connection per process whose messages
// fan out to the handler, and pipelined publishing.
//
// Delivery is at most once, as with any pub/sub: an envelope published while
// the subscriber connection is down is lost, and the handler's
// LayerReconnected tells the hub to catch up from the store.
type Layer struct {
	opts      Options
	log       *slog.Logger
	clientOpt *goredis.Options
	pub       *goredis.Client // publishing; pooled connections

	// pubMu makes Close and Publish exclusive, so that no request enters the
	// queue after the publisher has drained it for the last time.
	pubMu     sync.RWMutex
	pubClosed bool
	pubQueue  chan *publishRequest
	// Owned by the publisher goroutine: while Redis does not answer, the
	// publisher fails fast and keeps the envelopes it could not send (up to
	// retryLimit) to send first once a probe gets through.
	pubDown   bool
	nextProbe time.Time
	retry     []numeneon.Envelope
	// failPublishes makes that many pipelines fail before reaching Redis
	// (set by tests only).
	failPublishes atomic.Int64

	ctx    context.Context // cancelled by Close: aborts dials and sends
	cancel context.CancelFunc
	quit   chan struct{} // closed by Close
	wg     sync.WaitGroup

	// sendMu orders changes of the subscription set with the SUBSCRIBE and
	// UNSUBSCRIBE commands that carry them, so Redis sees them in the order
	// the map changed.
	sendMu sync.Mutex

	mu       sync.Mutex
	closed   bool
	handler  numeneon.LayerHandler
	channels map[string]*channelState // what this process wants to receive
	sub      *subscriberConn          // the live subscriber connection, nil while down
	// acksDue counts, per channel, the SUBSCRIBE acknowledgments Redis still
	// owes on the current connection. A channel unsubscribed and subscribed
	// again quickly gets the acknowledgment of its first SUBSCRIBE first; the
	// count tells which acknowledgment is the new state's own.
	acksDue map[string]int

	closeOnce sync.Once
	closeErr  error
}

// channelState is one subscribed user channel.
type channelState struct {
	userID    int64
	confirmed bool               // Redis acknowledged it on the current connection
	acksToGo  int                // acknowledgments of this channel until ours
	waiters   []*subscribeWaiter // Subscribe calls waiting for the acknowledgment
}

// subscribeWaiter is a Subscribe call waiting until Redis has acknowledged
// each of its channels: only then can a PUBLISH from another process reach it.
type subscribeWaiter struct {
	pending int
	done    chan struct{}
}

// NewLayer connects to Redis, checks the connection with PING, and opens the
// subscriber connection. It returns an error if Redis cannot be reached before
// ctx ends.
func NewLayer(ctx context.Context, opts Options) (*Layer, error) {
	opts = opts.withDefaults()
	clientOpt, err := opts.clientOptions()
	if err != nil {
		return nil, err
	}
	l := &Layer{
		opts:      opts,
		log:       opts.Logger.With("component", "redis-layer"),
		clientOpt: clientOpt,
		pub:       goredis.NewClient(publisherOptions(clientOpt)),
		pubQueue:  make(chan *publishRequest, 4*opts.MaxPublishBatch),
		quit:      make(chan struct{}),
		channels:  make(map[string]*channelState),
		acksDue:   make(map[string]int),
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	if err := l.pub.Ping(ctx).Err(); err != nil {
		l.cancel()
		_ = l.pub.Close()
		return nil, unavailable(fmt.Sprintf("ping redis at %s", redact(opts.URL)), err)
	}
	sub, err := dialSubscriber(ctx, l.clientOpt)
	if err != nil {
		l.cancel()
		_ = l.pub.Close()
		return nil, unavailable(fmt.Sprintf("open subscriber connection to %s", redact(opts.URL)), err)
	}
	l.sub = sub
	l.wg.Add(2)
	go l.runPublisher()
	go l.runSubscriber(sub)
	return l, nil
}

// Listen implements numeneon.Layer.
func (l *Layer) Listen(h numeneon.LayerHandler) {
	l.mu.Lock()
	l.handler = h
	l.mu.Unlock()
}

// channel returns the pub/sub channel of a user.
func (l *Layer) channel(userID int64) string {
	return l.opts.Prefix + "u:" + strconv.FormatInt(userID, 10)
}

// Subscribe implements numeneon.Layer. It returns once Redis has acknowledged
// every channel, so an envelope published afterwards by any process arrives.
// If the subscriber connection is down, it waits for the reconnect (or ctx);
// the users stay wanted either way, and are subscribed on reconnect.
func (l *Layer) Subscribe(ctx context.Context, userIDs ...int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	w := &subscribeWaiter{done: make(chan struct{})}
	var toSend []string

	l.sendMu.Lock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		l.sendMu.Unlock()
		return errClosed("layer")
	}
	for _, id := range userIDs {
		ch := l.channel(id)
		st, ok := l.channels[ch]
		if !ok {
			st = &channelState{userID: id}
			l.channels[ch] = st
			toSend = append(toSend, ch)
		}
		if !st.confirmed && (len(st.waiters) == 0 || st.waiters[len(st.waiters)-1] != w) {
			st.waiters = append(st.waiters, w)
			w.pending++
		}
	}
	waiting := w.pending > 0
	sub := l.sub
	if sub != nil {
		l.expectAcks(toSend)
	}
	l.mu.Unlock()
	var sendErr error
	if sub != nil && len(toSend) > 0 {
		// A failed write breaks the connection; the receive loop then
		// reconnects and subscribes every wanted channel, ours included.
		// The write uses the layer's context, not the caller's: a caller
		// giving up halfway through must not cost everyone the connection.
		sendErr = sub.send(l.ctx, "subscribe", toSend, l.opts.ResubscribeBatch)
	}
	l.sendMu.Unlock()

	if !waiting {
		return nil
	}
	select {
	case <-w.done:
		return nil
	case <-l.quit:
		return errClosed("layer")
	case <-ctx.Done():
		if sendErr != nil {
			return unavailable("subscribe", sendErr)
		}
		return unavailable("subscribe", ctx.Err())
	}
}

// Unsubscribe implements numeneon.Layer. Envelopes of these users stop
// reaching the handler when it returns, even before Redis has processed the
// UNSUBSCRIBE: the receive loop drops messages of channels no longer wanted.
func (l *Layer) Unsubscribe(ctx context.Context, userIDs ...int64) error {
	if len(userIDs) == 0 {
		return nil
	}
	var toSend []string
	l.sendMu.Lock()
	defer l.sendMu.Unlock()
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errClosed("layer")
	}
	for _, id := range userIDs {
		ch := l.channel(id)
		st, ok := l.channels[ch]
		if !ok {
			continue
		}
		delete(l.channels, ch)
		st.release()
		toSend = append(toSend, ch)
	}
	sub := l.sub
	l.mu.Unlock()
	if sub == nil || len(toSend) == 0 {
		return nil
	}
	if err := sub.send(l.ctx, "unsubscribe", toSend, l.opts.ResubscribeBatch); err != nil {
		// Not an error for the caller: the channels are no longer wanted, so
		// their messages are dropped here, and the reconnect that follows a
		// broken connection does not subscribe them again.
		l.log.Debug("unsubscribe not sent; the connection will be replaced", "err", err)
	}
	return nil
}

// expectAcks records that a SUBSCRIBE of channels is about to be sent on the
// current connection. Called with sendMu and mu held.
func (l *Layer) expectAcks(channels []string) {
	for _, ch := range channels {
		l.acksDue[ch]++
		if st := l.channels[ch]; st != nil {
			st.acksToGo = l.acksDue[ch]
		}
	}
}

// confirm marks a channel acknowledged by Redis and releases the Subscribe
// calls waiting for it. Called by the receive loop, with l.mu held.
func (st *channelState) confirm() {
	st.confirmed = true
	st.release()
}

// release lets every waiter stop waiting for this channel.
func (st *channelState) release() {
	for _, w := range st.waiters {
		w.pending--
		if w.pending == 0 {
			close(w.done)
		}
	}
	st.waiters = nil
}

// Close implements numeneon.Layer. It sends what was already queued for
// publishing, stops the subscriber connection, and waits for the layer's
// goroutines. Calls after the first return the first result.
func (l *Layer) Close() error {
	l.closeOnce.Do(func() {
		l.pubMu.Lock()
		l.pubClosed = true
		l.pubMu.Unlock()
		l.mu.Lock()
		l.closed = true
		sub := l.sub
		l.mu.Unlock()
		close(l.quit)
		l.cancel()
		if sub != nil {
			// Unblocks the receive loop; the loop closes it too, once.
			sub.close()
		}
		l.wg.Wait()
		if err := l.pub.Close(); err != nil {
			l.closeErr = fmt.Errorf("close redis layer: %w", err)
		}
	})
	return l.closeErr
}
