package pglayer

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/numeneon/numeneon"
)

var _ numeneon.Layer = (*Layer)(nil)

// DefaultChannel is the NOTIFY channel of Config.Channel left empty.
const DefaultChannel = "numeneon"

// Events reads stored events back from the store. postgres.Store
// implements it.
type Events interface {
	// StoredEnvelopes returns the envelopes of the stored events named by
	// refs (UserID and ID; Frame is ignored), built as
	// Notification.Envelope builds them, in no particular order. An event
	// not found is missing from the result. It returns an error if the
	// store cannot be read; safe for concurrent use.
	StoredEnvelopes(ctx context.Context, refs []numeneon.Envelope) ([]numeneon.Envelope, error)
}

// Config holds what a Layer needs. Zero values of the optional fields are
// the documented defaults.
type Config struct {
	// URL is the database's connection string (postgres://…): the one the
	// store uses, since the layer is only shared with the processes
	// sharing that database.
	URL string
	// Channel is the NOTIFY channel (DefaultChannel when empty). Processes
	// deliver to each other only on the same channel and database.
	Channel string
	// Events (required) reads the stored events whose frames were too long
	// to travel in a notification.
	Events Events
	// Logger receives the layer's warnings (slog.Default when nil).
	Logger *slog.Logger
	// MaxPublishBatch bounds the envelopes sent in one statement (1024).
	MaxPublishBatch int
}

func (c Config) withDefaults() Config {
	if c.Channel == "" {
		c.Channel = DefaultChannel
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.MaxPublishBatch <= 0 {
		c.MaxPublishBatch = 1024
	}
	return c
}

// Layer is the channel layer over PostgreSQL LISTEN/NOTIFY: one listening
// connection per process, receiving the one channel every process notifies
// on, and one publishing connection that sends what concurrent Publish calls
// queued, together, in order.
//
// Delivery is at most once, as with Redis: a notification sent while the
// listening connection is down is not received, and the handler's
// LayerReconnected tells the hub to catch up from the store once the
// connection listens again.
type Layer struct {
	cfg     Config
	log     *slog.Logger
	connCfg *pgx.ConnConfig

	// pubMu makes Close and Publish exclusive, so that no request enters the
	// queue after the publisher has drained it for the last time.
	pubMu     sync.RWMutex
	pubClosed bool
	pubQueue  chan *publishRequest
	pubConn   *pgx.Conn // owned by the publisher goroutine; nil after a failure
	pubSeq    uint64    // owned by the publisher goroutine

	ctx    context.Context // cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	handler numeneon.LayerHandler
	subs    map[int64]struct{}
	// up is closed while the listening connection listens; a fresh one
	// replaces it when the connection breaks, and is closed on reconnect.
	up     chan struct{}
	isUp   bool
	closeE error
	once   sync.Once
}

// New connects the publishing and the listening connections and starts
// listening. It returns an error if the database cannot be reached before
// ctx ends.
func New(ctx context.Context, cfg Config) (*Layer, error) {
	cfg = cfg.withDefaults()
	if cfg.Events == nil {
		return nil, errors.New("pglayer: Config.Events is required")
	}
	connCfg, err := pgx.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse the database URL: %w", err)
	}
	l := &Layer{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "postgres-layer"),
		connCfg:  connCfg,
		pubQueue: make(chan *publishRequest, 4*cfg.MaxPublishBatch),
		subs:     make(map[int64]struct{}),
		up:       make(chan struct{}),
	}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	pub, err := l.dialPublisher(ctx)
	if err != nil {
		l.cancel()
		return nil, unavailable("open the publishing connection", err)
	}
	l.pubConn = pub
	lis, err := l.dialListener(ctx)
	if err != nil {
		l.cancel()
		_ = pub.Close(context.Background())
		return nil, unavailable("open the listening connection", err)
	}
	l.wg.Add(2)
	go l.runPublisher()
	go l.runListener(lis)
	return l, nil
}

// Listen implements numeneon.Layer.
func (l *Layer) Listen(h numeneon.LayerHandler) {
	l.mu.Lock()
	l.handler = h
	l.mu.Unlock()
}

// Subscribe implements numeneon.Layer. The subscription is a set in this
// process (every process receives the whole channel); it returns once the
// listening connection listens, so an envelope published afterwards by any
// process arrives. While the connection is down it waits for the reconnect
// or ctx; the users stay subscribed either way.
func (l *Layer) Subscribe(ctx context.Context, userIDs ...int64) error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return errClosed
	}
	for _, id := range userIDs {
		l.subs[id] = struct{}{}
	}
	up := l.up
	l.mu.Unlock()
	select {
	case <-up:
		return nil
	case <-l.ctx.Done():
		return errClosed
	case <-ctx.Done():
		return unavailable("subscribe while the listening connection is down", ctx.Err())
	}
}

// Unsubscribe implements numeneon.Layer. Envelopes of these users stop
// reaching the handler when it returns.
func (l *Layer) Unsubscribe(ctx context.Context, userIDs ...int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return errClosed
	}
	for _, id := range userIDs {
		delete(l.subs, id)
	}
	return nil
}

// Close implements numeneon.Layer. It sends what was already queued for
// publishing, closes both connections and waits for the layer's goroutines.
// Calls after the first return the first result.
func (l *Layer) Close() error {
	l.once.Do(func() {
		l.pubMu.Lock()
		l.pubClosed = true
		l.pubMu.Unlock()
		l.mu.Lock()
		l.closed = true
		l.mu.Unlock()
		// The publisher drains the queue first; the listener stops at once.
		close(l.pubQueue)
		l.cancel()
		l.wg.Wait()
	})
	return l.closeE
}

// subscribed reports whether this process wants the envelopes of userID,
// and the handler to give them to.
func (l *Layer) subscribed(userID int64) (numeneon.LayerHandler, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	_, ok := l.subs[userID]
	return l.handler, ok && l.handler != nil && !l.closed
}

// currentHandler returns the handler, nil before Listen or after Close.
func (l *Layer) currentHandler() numeneon.LayerHandler {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	return l.handler
}

// setUp records whether the listening connection listens.
func (l *Layer) setUp(up bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if up == l.isUp {
		return
	}
	l.isUp = up
	if up {
		close(l.up)
	} else {
		l.up = make(chan struct{})
	}
}

// dial opens a connection of the layer's own (not from the store's pool:
// a listening connection must stay the same one, and the publishing one
// keeps its own setting), labelled for pg_stat_activity.
func (l *Layer) dial(ctx context.Context, role string, params map[string]string) (*pgx.Conn, error) {
	cfg := l.connCfg.Copy()
	cfg.DialFunc = keepAliveDialer.DialContext
	cfg.RuntimeParams["application_name"] = "numeneon " + role
	for k, v := range params {
		cfg.RuntimeParams[k] = v
	}
	ctx, cancel := context.WithTimeout(ctx, dialTimeout)
	defer cancel()
	return pgx.ConnectConfig(ctx, cfg)
}

// keepAliveDialer dials with a TCP keepalive that notices a server gone
// without closing the connection (a machine lost, a network cut) within
// about a minute: the listening connection sends nothing while idle, so
// without it a half-open connection would wait for notifications forever
// (pgx's default starts probing after 5 minutes). /readyz shows red meanwhile,
// since its probe does not come back.
var keepAliveDialer = &net.Dialer{
	KeepAliveConfig: net.KeepAliveConfig{Enable: true, Idle: 30 * time.Second, Interval: 10 * time.Second, Count: 3},
}

// dialTimeout bounds one connection attempt.
const dialTimeout = 10 * time.Second

var errClosed = numeneon.Errorf(numeneon.EUNAVAILABLE, "The channel layer is closed.")

// unavailable wraps err as an EUNAVAILABLE error of the layer.
func unavailable(what string, err error) error {
	return fmt.Errorf("postgres layer: %s: %w: %w", what,
		numeneon.Errorf(numeneon.EUNAVAILABLE, "The channel layer is unavailable."), err)
}
