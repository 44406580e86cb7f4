package realtime

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/ws"
)

var _ numeneon.LayerHandler = (*Hub)(nil)

// Close codes of our own, in the private range 4000-4999 (see the package
// documentation). They are untyped so that clients' WebSocket libraries can
// compare them with their own status types.
const (
	CloseUnauthorized = 4001
	CloseForbidden    = 4003
	CloseSlowConsumer = 4008
)

// TokenExpiry is a policy for sockets whose access token expires while they
// are open.
type TokenExpiry string

const (
	// TokenExpirySignedIn (the default, as the original backend did): a
	// socket outlives its access token for as long as its user stays
	// signed in. It closes with 4001 when the sign-in ends (the refresh
	// lifetime after the token was issued: AccessGrant.SignedInUntil), on
	// sign-out everywhere or a password change (4001) and on deactivation
	// (4003), the last two told by a session-end envelope.
	TokenExpirySignedIn TokenExpiry = "signed-in"
	// TokenExpiryEnforce: a socket closes with 4001, after
	// {"type":"token_expired"}, the instant the REST API stops accepting its
	// token (AccessGrant.ExpiresAt), unless the client sent a fresh
	// {"type":"auth","token":...} of the same user on the socket first.
	TokenExpiryEnforce TokenExpiry = "enforce"
)

// deadline is when a socket authenticated by g must end under the policy;
// zero: never.
func (e TokenExpiry) deadline(g numeneon.AccessGrant) time.Time {
	if e == TokenExpiryEnforce {
		return g.ExpiresAt
	}
	return g.SignedInUntil
}

// Defaults of the Config fields left at their zero value.
const (
	DefaultQueueBytes   = 1 << 20
	DefaultPingInterval = 25 * time.Second
	DefaultAuthTimeout  = 5 * time.Second
	DefaultWriteTimeout = 10 * time.Second
	DefaultReadLimit    = 64 << 10
	// DefaultSocketsPerUser leaves room for a user's tabs and devices.
	DefaultSocketsPerUser = 20
)

// detachTimeout bounds the layer and presence calls made when a user's last
// socket closes. They run on a fresh context because they must also happen
// while the hub shuts down.
const detachTimeout = 5 * time.Second

// Config holds the dependencies and tunables of a Hub. Zero values of the
// tunables are the documented defaults.
type Config struct {
	// Store serves ListNotifications (resume and gap fill) and
	// LastNotificationID (where a socket without since starts).
	Store numeneon.Store
	// Rules (required) say who may send typing events to whom and who
	// hears of a user's presence.
	Rules    Rules
	Layer    numeneon.Layer
	Presence numeneon.Presence
	// Authenticate (required) turns an access token into the user and how
	// long the token and its sign-in last; it must accept exactly the tokens
	// the REST API accepts. Its errors are *numeneon.Error: EUNAUTHORIZED
	// answers 401, EFORBIDDEN 403, anything else 500. It is called
	// concurrently.
	Authenticate func(ctx context.Context, token string) (numeneon.AccessGrant, error)
	// SocketTokenExpiry says when an open socket's authentication runs out
	// (the zero value is TokenExpirySignedIn).
	SocketTokenExpiry TokenExpiry
	// CheckOrigin reports whether the handshake's Origin is allowed; nil
	// allows every origin. A refused origin gets 403 before the upgrade.
	CheckOrigin func(r *http.Request) bool
	// AllowHandshake rate-limits handshakes; nil is unlimited. A refusal gets
	// 429 with Retry-After.
	AllowHandshake func(r *http.Request) (ok bool, retryAfter time.Duration)
	Logger         *slog.Logger          // nil: slog.Default()
	Registerer     prometheus.Registerer // nil: no metrics

	QueueBytes   int           // per-socket queue bound in bytes (DefaultQueueBytes)
	PingInterval time.Duration // WebSocket ping period (DefaultPingInterval)
	AuthTimeout  time.Duration // wait for the first {"type":"auth"} message (DefaultAuthTimeout)
	WriteTimeout time.Duration // bound of every write, and of the wait for a pong (DefaultWriteTimeout)
	ReadLimit    int64         // largest client frame; larger closes with 1009 (DefaultReadLimit)
	// SocketsPerUser is how many sockets one user may hold on this process
	// (DefaultSocketsPerUser); the handshake of one more is refused with 429
	// and Retry-After (1013 after a first-message authentication).
	SocketsPerUser int
	// StoreTimeout bounds every store, layer and presence call a socket
	// waits for (token check, subscribe, where to start, replay), so a hung
	// store stalls no socket for longer: a replay that fails closes the
	// socket with 1011, a failed setup with 1013 (WriteTimeout).
	StoreTimeout time.Duration
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.QueueBytes <= 0 {
		c.QueueBytes = DefaultQueueBytes
	}
	if c.PingInterval <= 0 {
		c.PingInterval = DefaultPingInterval
	}
	if c.AuthTimeout <= 0 {
		c.AuthTimeout = DefaultAuthTimeout
	}
	if c.WriteTimeout <= 0 {
		c.WriteTimeout = DefaultWriteTimeout
	}
	if c.ReadLimit <= 0 {
		c.ReadLimit = DefaultReadLimit
	}
	if c.SocketsPerUser <= 0 {
		c.SocketsPerUser = DefaultSocketsPerUser
	}
	if c.StoreTimeout <= 0 {
		c.StoreTimeout = c.WriteTimeout
	}
}

// Hub is the local socket hub of one process: it knows which users have
// sockets here, subscribes this process to their channels while they do,
// and hands every envelope from the layer to those sockets' queues.
type Hub struct {
	cfg     Config
	log     *slog.Logger
	metrics *metrics
	probeID int64 // a negative user id no real user has, unique to this hub
	// poller watches the hub's idle sockets (nil where there is none:
	// a goroutine per socket reads then). The hub closes it last.
	poller *ws.Poller

	// ctx ends when Close starts; every socket's context derives from it.
	ctx    context.Context
	cancel context.CancelFunc

	mu      sync.RWMutex
	closed  bool
	users   map[int64]*userSockets
	sockets map[*socket]struct{} // every attached socket, for LayerReconnected
	wg      sync.WaitGroup       // handlers and background work; Close waits for it
	open    atomic.Int64

	probeMu      sync.Mutex
	probeWaiters map[string]chan struct{}

	presenceMu      sync.Mutex
	presenceQueue   []presenceChange
	presenceRunning bool
}

// userSockets is the hub's entry for one user with sockets on this process.
type userSockets struct {
	// lifecycle serialises going online (Subscribe, Presence.Connect) and
	// going offline (Unsubscribe, Presence.Disconnect) for this user, so a
	// last socket closing and a new one opening cannot interleave and leave
	// the user unsubscribed with a socket open.
	lifecycle sync.Mutex
	online    bool // guarded by lifecycle

	refs    int                  // sockets attaching or attached; guarded by Hub.mu
	sockets map[*socket]struct{} // receive live envelopes; guarded by Hub.mu
}

// NewHub returns a hub and registers it with the layer and the presence.
func NewHub(cfg Config) *Hub {
	cfg.setDefaults()
	h := &Hub{
		cfg:          cfg,
		log:          cfg.Logger.With("component", "realtime"),
		probeID:      -1 - rand.Int64N(1<<62),
		users:        make(map[int64]*userSockets),
		sockets:      make(map[*socket]struct{}),
		probeWaiters: make(map[string]chan struct{}),
	}
	h.metrics = newMetrics(cfg.Registerer, h.log)
	var err error
	if h.poller, err = ws.NewPoller(h.log); err != nil {
		h.log.Warn("no epoll: every socket holds a reading goroutine", "error", err)
	}
	h.ctx, h.cancel = context.WithCancel(context.Background())
	cfg.Layer.Listen(h)
	cfg.Presence.Listen(h.presenceLost)
	return h
}

// Sockets returns the number of open sockets on this process.
func (h *Hub) Sockets() int { return int(h.open.Load()) }

// Close closes every socket with 1012 (service restart), takes their users
// offline (unsubscribe, presence, presence events to friends) and waits for
// every goroutine of the hub, its poller's last. New handshakes are refused
// with 503.
func (h *Hub) Close() {
	h.mu.Lock()
	h.closed = true
	sockets := make([]*socket, 0, len(h.sockets))
	for s := range h.sockets {
		sockets = append(sockets, s)
	}
	h.mu.Unlock()
	h.cancel()
	for _, s := range sockets {
		s.requestEnd(endShutdown)
	}
	h.wg.Wait()
	if h.poller != nil {
		if err := h.poller.Close(); err != nil {
			h.log.Warn("close the socket poller", "error", err)
		}
	}
}

// enter registers one more goroutine Close must wait for, unless the hub is
// closing.
func (h *Hub) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.wg.Add(1)
	return true
}

// DeliverEnvelope implements numeneon.LayerHandler. It only enqueues, so it
// never blocks the layer's goroutine; a socket whose queue is full is closed
// with CloseSlowConsumer instead.
func (h *Hub) DeliverEnvelope(env numeneon.Envelope) {
	if env.UserID == h.probeID {
		h.probeArrived(env.Frame)
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	us := h.users[env.UserID]
	if us == nil {
		return
	}
	// A session-end envelope is for the hub, never for the client: the
	// user's sockets close with its code.
	if code, ok := numeneon.SessionEndCode(env); ok {
		for s := range us.sockets {
			s.requestSessionEnd(ws.StatusCode(code))
		}
		return
	}
	for s := range us.sockets {
		s.enqueue(outFrame{id: env.ID, frame: env.Frame, event: true})
	}
}

// LayerReconnected implements numeneon.LayerHandler: envelopes may have been
// lost while the broker was away, so every socket with a known position
// catches up from the store, on its own writer goroutine.
func (h *Hub) LayerReconnected() {
	h.mu.RLock()
	defer h.mu.RUnlock()
	for s := range h.sockets {
		s.requestCatchUp()
	}
}

// reserve counts one more socket of userID on this process, before its
// handshake completes, unless the user holds SocketsPerUser here already.
// Every reservation ends with unreserve, directly or through detach.
func (h *Hub) reserve(userID int64) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	us := h.users[userID]
	if us == nil {
		us = &userSockets{sockets: make(map[*socket]struct{})}
		h.users[userID] = us
	}
	if us.refs >= h.cfg.SocketsPerUser {
		return false // refs > 0: the entry is in use
	}
	us.refs++
	return true
}

// unreserve gives back a reservation of userID. With the user's last one
// here it unsubscribes and records the presence; when the user went
// offline, friends get a presence event.
func (h *Hub) unreserve(userID int64) {
	h.mu.Lock()
	us := h.users[userID]
	h.mu.Unlock()

	us.lifecycle.Lock()
	defer us.lifecycle.Unlock()
	h.mu.Lock()
	last := us.refs == 1
	h.mu.Unlock()
	if last && us.online {
		h.goOffline(userID)
		us.online = false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	us.refs--
	if us.refs == 0 {
		delete(h.users, userID)
	}
}

// attach makes s, whose user holds a reservation, receive its user's
// envelopes. On the user's first socket here it subscribes this process to
// the user's channel and records the presence; when the user came online,
// friends get a presence event. On failure the reservation is still held.
func (h *Hub) attach(s *socket) error {
	ctx, cancel := context.WithTimeout(s.ctx, h.cfg.StoreTimeout)
	defer cancel()
	uid := s.userID
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return numeneon.Errorf(numeneon.EUNAVAILABLE, "Server is shutting down.")
	}
	us := h.users[uid]
	// The socket receives envelopes from now on, before the subscription is
	// in place, so none published after Subscribe returns can miss it.
	us.sockets[s] = struct{}{}
	h.sockets[s] = struct{}{}
	h.mu.Unlock()

	us.lifecycle.Lock()
	defer us.lifecycle.Unlock()
	if us.online {
		return nil
	}
	if err := h.goOnline(ctx, uid); err != nil {
		h.forget(s)
		return err
	}
	us.online = true
	return nil
}

// forget stops delivering envelopes to s.
func (h *Hub) forget(s *socket) {
	h.mu.Lock()
	defer h.mu.Unlock()
	delete(h.users[s.userID].sockets, s)
	delete(h.sockets, s)
}

// detach undoes attach and the reservation.
func (h *Hub) detach(s *socket) {
	h.forget(s)
	h.unreserve(s.userID)
}

func (h *Hub) goOnline(ctx context.Context, userID int64) error {
	if err := h.cfg.Layer.Subscribe(ctx, userID); err != nil {
		return fmt.Errorf("subscribe to user %d: %w", userID, err)
	}
	cameOnline, err := h.cfg.Presence.Connect(ctx, userID)
	if err != nil {
		if err2 := h.cfg.Layer.Unsubscribe(context.WithoutCancel(ctx), userID); err2 != nil {
			h.log.Warn("unsubscribe after failed presence connect", "user_id", userID, "error", err2)
		}
		return fmt.Errorf("record presence of user %d: %w", userID, err)
	}
	if cameOnline {
		h.announcePresence(presenceChange{userID, true})
	}
	return nil
}

// lastNotificationID returns the user's newest stored event id, within
// StoreTimeout.
func (h *Hub) lastNotificationID(ctx context.Context, userID int64) (int64, error) {
	ctx, cancel := context.WithTimeout(ctx, h.cfg.StoreTimeout)
	defer cancel()
	id, err := h.cfg.Store.LastNotificationID(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("read the last notification id of user %d: %w", userID, err)
	}
	return id, nil
}

func (h *Hub) goOffline(userID int64) {
	ctx, cancel := context.WithTimeout(context.Background(), detachTimeout)
	defer cancel()
	if err := h.cfg.Layer.Unsubscribe(ctx, userID); err != nil {
		h.log.Warn("unsubscribe user", "user_id", userID, "error", err)
	}
	wentOffline, err := h.cfg.Presence.Disconnect(ctx, userID)
	if err != nil {
		h.log.Warn("record presence offline", "user_id", userID, "error", err)
		return
	}
	if wentOffline {
		h.announcePresence(presenceChange{userID, false})
	}
}

// presenceLost is the Presence.Listen callback: users whose sockets were on
// a process that died are offline now, and their friends should hear it.
// The presence goroutine of the hub tells them, not the presence's.
func (h *Hub) presenceLost(userIDs []int64) {
	if len(userIDs) == 0 || !h.enter() {
		return
	}
	defer h.wg.Done()
	changes := make([]presenceChange, len(userIDs))
	for i, id := range userIDs {
		changes[i] = presenceChange{id, false}
	}
	h.announcePresence(changes...)
}
