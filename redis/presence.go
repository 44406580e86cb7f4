package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/numeneon/numeneon"
)

var _ numeneon.Presence = (*Presence)(nil)

// restoreBatch bounds the users one restore script call registers.
const restoreBatch = 1000

// Presence tracks which users have a socket on any process. Each process is
// a node with a random id and a heartbeat key refreshed once per
// HeartbeatInterval with one plain SET. Every scanEvery beats a node also
// looks for a node whose heartbeat expired (a process that died without
// Close), removes its entries and reports the users left with no socket
// anywhere to the Listen callback.
//
// The idle cost of a node, counted as Redis counts (commands run by scripts
// included), is one command per interval plus at most three per scan: 1.6
// commands per interval with scanEvery 5.
//
// A dead node's heartbeat expires 3 intervals after its last beat and the
// next scan of any survivor claims it, so its users are reported offline at
// most 3+scanEvery = 8 intervals after it died (8 minutes at the default
// interval), plus one interval for each other node that died at the same
// time (one is claimed per beat).
//
// Connect and Disconnect are idempotent per user and process: the hub calls
// Connect when the first local socket of a user opens and Disconnect when
// the last one closes.
type Presence struct {
	opts   Options
	log    *slog.Logger
	client *goredis.Client
	node   string
	ttl    time.Duration

	mu      sync.Mutex
	closed  bool
	offline func(userIDs []int64)
	local   map[int64]struct{} // users this node holds, to register again after a claim

	quit      chan struct{}
	done      chan struct{}
	closeOnce sync.Once
	closeErr  error
}

// NewPresence connects to Redis, registers this process as a new node with
// its first heartbeat, and starts beating. It returns an error if Redis
// cannot be reached before ctx ends.
func NewPresence(ctx context.Context, opts Options) (*Presence, error) {
	opts = opts.withDefaults()
	clientOpt, err := opts.clientOptions()
	if err != nil {
		return nil, err
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	p := &Presence{
		opts:   opts,
		client: goredis.NewClient(cloneOptions(clientOpt)),
		node:   hex.EncodeToString(id[:]),
		ttl:    3 * opts.HeartbeatInterval,
		local:  make(map[int64]struct{}),
		quit:   make(chan struct{}),
		done:   make(chan struct{}),
	}
	p.log = opts.Logger.With("component", "redis-presence", "node", p.node)
	// The first beat only registers: users of dead nodes found now would
	// have no listener yet. The scans that follow claim them.
	if _, _, err := p.beat(ctx, false); err != nil {
		_ = p.client.Close()
		return nil, unavailable(fmt.Sprintf("register presence node at %s", redact(opts.URL)), err)
	}
	go p.run()
	return p, nil
}

// Listen implements numeneon.Presence. fn is called from the heartbeat
// goroutine and should not block for long: the next heartbeat waits for it.
func (p *Presence) Listen(fn func(userIDs []int64)) {
	p.mu.Lock()
	p.offline = fn
	p.mu.Unlock()
}

func (p *Presence) userKey(userID int64) string {
	return p.opts.Prefix + "presence:" + strconv.FormatInt(userID, 10)
}

func (p *Presence) nodeUsersKey() string { return p.opts.Prefix + "nodeusers:" + p.node }

// Connect implements numeneon.Presence with one script call.
func (p *Presence) Connect(ctx context.Context, userID int64) (bool, error) {
	if p.isClosed() {
		return false, errClosed("presence")
	}
	came, err := connectScript.Run(ctx, p.client,
		[]string{p.userKey(userID), p.nodeUsersKey()}, p.node, userID).Int()
	if err != nil {
		return false, unavailable(fmt.Sprintf("connect user %d", userID), err)
	}
	p.mu.Lock()
	p.local[userID] = struct{}{}
	p.mu.Unlock()
	return came == 1, nil
}

// Disconnect implements numeneon.Presence with one script call.
func (p *Presence) Disconnect(ctx context.Context, userID int64) (bool, error) {
	if p.isClosed() {
		return false, errClosed("presence")
	}
	went, err := disconnectScript.Run(ctx, p.client,
		[]string{p.userKey(userID), p.nodeUsersKey()}, p.node, userID).Int()
	if err != nil {
		return false, unavailable(fmt.Sprintf("disconnect user %d", userID), err)
	}
	p.mu.Lock()
	delete(p.local, userID)
	p.mu.Unlock()
	return went == 1, nil
}

// scanEvery is how many heartbeats pass between two scans for dead nodes:
// scanning is what costs, beating alone is one command.
const scanEvery = 5

// run beats once per interval until Close, and scans for dead nodes every
// scanEvery beats, or on the next beat after a scan claimed one (others may
// have died at the same time) or failed.
func (p *Presence) run() {
	defer close(p.done)
	ticker := time.NewTicker(p.opts.HeartbeatInterval)
	defer ticker.Stop()
	var pending []int64 // offline users found before Listen
	beats, scanNext := 0, false
	for {
		select {
		case <-p.quit:
			return
		case <-ticker.C:
		}
		beats++
		scan := scanNext || beats%scanEvery == 0
		ctx, cancel := context.WithTimeout(context.Background(), p.opts.HeartbeatInterval)
		offline, claimed, err := p.beat(ctx, scan)
		cancel()
		if err != nil {
			// Missing beats is survivable up to the TTL; say so loudly, as
			// other nodes will declare this one dead after that.
			p.log.Warn("presence heartbeat failed", "err", err, "ttl", p.ttl)
			scanNext = scan
			continue
		}
		scanNext = claimed
		p.mu.Lock()
		fn := p.offline
		p.mu.Unlock()
		pending = append(pending, offline...)
		if len(pending) > 0 && fn != nil {
			fn(pending)
			pending = nil
		}
	}
}

// beat refreshes this node's heartbeat and, if scan, claims a dead node and
// returns its users left with no socket anywhere, and whether it claimed one.
// If the heartbeat key was gone (at start, after a Redis restart, or after a
// stall long enough for another node to claim this one), it registers the
// node and its users again; their friends may have seen them go offline, and
// are not told they came back.
func (p *Presence) beat(ctx context.Context, scan bool) ([]int64, bool, error) {
	alive, err := p.client.SetXX(ctx, p.opts.Prefix+"node:"+p.node, "1", p.ttl).Result()
	if err != nil {
		return nil, false, fmt.Errorf("refresh heartbeat: %w", err)
	}
	if !alive {
		if err := registerScript.Run(ctx, p.client, nil, p.opts.Prefix, p.node, p.ttl.Milliseconds()).Err(); err != nil {
			return nil, false, fmt.Errorf("register node: %w", err)
		}
		if err := p.restore(ctx); err != nil {
			return nil, false, err
		}
	}
	if !scan {
		return nil, false, nil
	}
	res, err := scanScript.Run(ctx, p.client, nil, p.opts.Prefix, p.node).Slice()
	if err != nil {
		return nil, false, fmt.Errorf("scan for dead nodes: %w", err)
	}
	if len(res) != 2 {
		return nil, false, fmt.Errorf("scan for dead nodes: unexpected reply %v", res)
	}
	claimed, _ := res[0].(int64)
	raw, _ := res[1].([]any)
	offline := make([]int64, 0, len(raw))
	for _, v := range raw {
		s, _ := v.(string)
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			p.log.Warn("ignored a malformed user id in presence", "value", v)
			continue
		}
		offline = append(offline, id)
	}
	return offline, claimed == 1, nil
}

// restore registers every user this node holds again.
func (p *Presence) restore(ctx context.Context) error {
	p.mu.Lock()
	users := make([]any, 0, len(p.local))
	for u := range p.local {
		users = append(users, u)
	}
	p.mu.Unlock()
	if len(users) > 0 {
		p.log.Warn("presence heartbeat had expired; registering local users again", "users", len(users))
	}
	for len(users) > 0 {
		n := min(restoreBatch, len(users))
		args := append([]any{p.opts.Prefix, p.node}, users[:n]...)
		if err := restoreScript.Run(ctx, p.client, nil, args...).Err(); err != nil {
			return fmt.Errorf("register local users again: %w", err)
		}
		users = users[n:]
	}
	return nil
}

// Close implements numeneon.Presence. It stops the heartbeat and removes this
// node and its entries. It does not report the users that thereby went
// offline: on a clean shutdown the hub knows its users and says so itself.
func (p *Presence) Close() error {
	p.closeOnce.Do(func() {
		p.stop()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := leaveScript.Run(ctx, p.client, nil, p.opts.Prefix, p.node).Err(); err != nil {
			p.closeErr = unavailable("remove presence node", err)
		}
		if err := p.client.Close(); err != nil && p.closeErr == nil {
			p.closeErr = fmt.Errorf("close presence client: %w", err)
		}
	})
	return p.closeErr
}

// stop ends the heartbeat goroutine.
func (p *Presence) stop() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	close(p.quit)
	<-p.done
}

func (p *Presence) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}
