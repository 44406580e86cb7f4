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
// a node with a random id. A node proves it is alive in two ways that cost
// no command while idle but one PUBLISH per HeartbeatInterval:
//
//   - it keeps a subscriber connection on its own liveness channel. When its
//     process dies, its kernel closes the connection and Redis stops counting
//     the subscriber at once;
//   - it publishes a beat on a channel every node subscribes to, so every
//     node knows, without asking Redis, when it last heard every other.
//
// A node that has not been heard for SuspectAfter is checked with one script
// run: if Redis counts no subscriber on its liveness channel it is dead, and
// the script claims it, removing its entries and returning the users left
// with no socket anywhere, which go to the Listen callback. A node that is
// silent while Redis still counts its subscriber is left alone (its beats may
// merely be late; no user online is reported offline for that) until
// StaleAfter, when it is claimed anyway: its connection must be half-open,
// its machine gone without closing it. A node judges the others only while
// it hears its own beats come back, so a stall of its own process, or a
// connection it does not yet know is broken, never makes the others look
// dead to it.
//
// So the users of a killed process are reported offline at most
// SuspectAfter plus one check period (SuspectAfter/6) after its last beat:
// 70 s at the defaults. Claiming inside one script means two survivors never
// both report the same users, and a user with a socket on a live process is
// never reported: the script removes only the dead node from the user's set.
//
// A node that was claimed while alive (cut off from Redis longer than
// SuspectAfter, or silent past StaleAfter) hears of it on the beats channel
// or notices its subscriber connection broke; either way it registers itself
// and its users again. Their friends may have seen them go offline, and are
// not told they came back.
//
// Connect and Disconnect are idempotent per user and process: the hub calls
// Connect when the first local socket of a user opens and Disconnect when
// the last one closes.
type Presence struct {
	opts      Options
	log       *slog.Logger
	client    *goredis.Client
	clientOpt *goredis.Options
	node      string

	ctx    context.Context // canceled by Close: aborts dials and receives
	cancel context.CancelFunc
	quit   chan struct{} // closed by Close
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	offline func(userIDs []int64)
	local   map[int64]struct{} // users this node holds, to register again after a claim
	sub     *subscriberConn    // the subscriber connection, nil while down
	// watch holds the other nodes and when each was last heard. It is nil
	// while this node cannot hear beats (its subscriber connection is down):
	// silence then says nothing about the others.
	watch map[string]*watchedNode
	// heardSelf is when this node last heard its own beat come back: until
	// it does again, its own hearing is in doubt (a stall of this process,
	// a connection not yet known to be broken) and it judges no other node.
	heardSelf time.Time
	beatsOff  bool // set by tests: the node stops beating but stays connected
	closeOnce sync.Once
	closeErr  error
}

// watchedNode is what a node knows of another one.
type watchedNode struct {
	heard     time.Time // its last beat, or when this node started listening
	nextCheck time.Time // after a check found it alive, no new check before
}

// NewPresence connects to Redis, subscribes to this node's channels,
// registers the node and starts beating. It returns an error if Redis cannot
// be reached before ctx ends.
func NewPresence(ctx context.Context, opts Options) (*Presence, error) {
	opts = opts.withDefaults()
	clientOpt, err := opts.clientOptions()
	if err != nil {
		return nil, err
	}
	var id [8]byte
	_, _ = rand.Read(id[:])
	p := &Presence{
		opts:      opts,
		client:    goredis.NewClient(cloneOptions(clientOpt)),
		clientOpt: clientOpt,
		node:      hex.EncodeToString(id[:]),
		local:     make(map[int64]struct{}),
		quit:      make(chan struct{}),
	}
	p.log = opts.Logger.With("component", "redis-presence", "node", p.node)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	sub, err := p.listen(ctx)
	if err != nil {
		p.cancel()
		_ = p.client.Close()
		return nil, unavailable(fmt.Sprintf("register presence node at %s", redact(opts.URL)), err)
	}
	p.wg.Add(2)
	go p.receive(sub)
	go p.run()
	return p, nil
}

// Listen implements numeneon.Presence. fn is called from the presence's own
// goroutine and should not block for long: the next beat waits for it.
func (p *Presence) Listen(fn func(userIDs []int64)) {
	p.mu.Lock()
	p.offline = fn
	p.mu.Unlock()
}

func (p *Presence) userKey(userID int64) string {
	return p.opts.Prefix + "presence:" + strconv.FormatInt(userID, 10)
}

func (p *Presence) nodeUsersKey() string { return p.opts.Prefix + "nodeusers:" + p.node }
func (p *Presence) nodesKey() string     { return p.opts.Prefix + "presence-nodes" }
func (p *Presence) beatsChannel() string { return p.opts.Prefix + "presence-beats" }
func (p *Presence) aliveChannel() string { return p.opts.Prefix + "presence-node:" + p.node }

// Connect implements numeneon.Presence with one script call.
func (p *Presence) Connect(ctx context.Context, userID int64) (bool, error) {
	if p.isClosed() {
		return false, errClosed("presence")
	}
	came, err := connectScript.Run(ctx, p.client,
		[]string{p.userKey(userID), p.nodeUsersKey(), p.nodesKey()}, p.node, userID).Int()
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

// Online implements numeneon.Presence with one SCARD: the user's set
// holds the nodes with a socket of the user.
func (p *Presence) Online(ctx context.Context, userID int64) (bool, error) {
	if p.isClosed() {
		return false, errClosed("presence")
	}
	n, err := p.client.SCard(ctx, p.userKey(userID)).Result()
	if err != nil {
		return false, unavailable(fmt.Sprintf("read presence of user %d", userID), err)
	}
	return n > 0, nil
}

// OnlineAmong implements numeneon.Presence with one pipeline of SCARDs.
func (p *Presence) OnlineAmong(ctx context.Context, userIDs []int64) (map[int64]bool, error) {
	if p.isClosed() {
		return nil, errClosed("presence")
	}
	online := make(map[int64]bool)
	if len(userIDs) == 0 {
		return online, nil
	}
	pipe := p.client.Pipeline()
	counts := make([]*goredis.IntCmd, len(userIDs))
	for i, id := range userIDs {
		counts[i] = pipe.SCard(ctx, p.userKey(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, unavailable(fmt.Sprintf("read presence of %d users", len(userIDs)), err)
	}
	for i, id := range userIDs {
		if counts[i].Val() > 0 {
			online[id] = true
		}
	}
	return online, nil
}

// listen opens a subscriber connection, subscribes to this node's liveness
// channel and to the beats, then (re)registers the node and its users. The
// beats are subscribed before the node list is read, so every node that
// joins later is heard.
func (p *Presence) listen(ctx context.Context) (*subscriberConn, error) {
	sub, err := dialSubscriber(ctx, p.clientOpt)
	if err != nil {
		return nil, fmt.Errorf("open subscriber connection: %w", err)
	}
	p.mu.Lock()
	closed := p.closed
	if !closed {
		p.sub = sub
	}
	p.mu.Unlock()
	if closed {
		sub.close()
		return nil, errClosed("presence")
	}
	if err = p.subscribe(ctx, sub); err == nil {
		err = p.join(ctx)
	}
	if err != nil {
		p.mu.Lock()
		if p.sub == sub {
			p.sub = nil
		}
		p.mu.Unlock()
		sub.close()
		return nil, err
	}
	return sub, nil
}

// subscribe subscribes sub to the node's channels and waits until Redis has
// acknowledged both.
func (p *Presence) subscribe(ctx context.Context, sub *subscriberConn) error {
	if err := sub.ps.Subscribe(ctx, p.aliveChannel(), p.beatsChannel()); err != nil {
		return fmt.Errorf("subscribe presence channels: %w", err)
	}
	for acks := 0; acks < 2; {
		msg, err := sub.ps.ReceiveTimeout(ctx, p.opts.PublishTimeout)
		if err != nil {
			return fmt.Errorf("subscribe presence channels: %w", err)
		}
		if s, ok := msg.(*goredis.Subscription); ok && s.Kind == "subscribe" {
			acks++
		}
		// Beats before the join are not needed: the join lists every node.
	}
	return nil
}

// join registers the node, announces it, registers its users again (after a
// claim or a Redis restart they may be gone), and watches every other
// registered node from now on.
func (p *Presence) join(ctx context.Context) error {
	members, err := joinScript.Run(ctx, p.client, nil, p.opts.Prefix, p.node).StringSlice()
	if err != nil {
		return fmt.Errorf("register node: %w", err)
	}
	if err := p.restore(ctx); err != nil {
		return err
	}
	now := time.Now()
	p.mu.Lock()
	defer p.mu.Unlock()
	p.heardSelf = now
	if p.watch == nil {
		p.watch = make(map[string]*watchedNode, len(members))
	}
	for _, m := range members {
		if _, ok := p.watch[m]; !ok && m != p.node {
			p.watch[m] = &watchedNode{heard: now}
		}
	}
	return nil
}

// restore registers every user this node holds again. Registering a user
// that is registered already changes nothing.
func (p *Presence) restore(ctx context.Context) error {
	p.mu.Lock()
	users := make([]any, 0, len(p.local))
	for u := range p.local {
		users = append(users, u)
	}
	p.mu.Unlock()
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

// receive reads the beats until Close, replacing the subscriber connection
// when it breaks.
func (p *Presence) receive(sub *subscriberConn) {
	defer p.wg.Done()
	for {
		err := p.receiveOn(sub)
		p.mu.Lock()
		p.watch = nil
		if p.sub == sub {
			p.sub = nil
		}
		closed := p.closed
		p.mu.Unlock()
		sub.close()
		if closed {
			return
		}
		p.log.Warn("presence subscriber connection lost, reconnecting", "err", err)
		if sub = p.relisten(); sub == nil {
			return
		}
		p.log.Info("presence subscriber connection restored")
	}
}

// receiveOn handles what arrives on sub until it breaks.
func (p *Presence) receiveOn(sub *subscriberConn) error {
	for {
		msg, err := sub.ps.Receive(p.ctx)
		if err != nil {
			return err
		}
		m, ok := msg.(*goredis.Message)
		if !ok || m.Channel != p.beatsChannel() || len(m.Payload) < 2 {
			continue
		}
		if p.hear(m.Payload[0], m.Payload[1:]) {
			p.log.Warn("another process reported this one dead; registering it and its users again")
			ctx, cancel := context.WithTimeout(p.ctx, p.opts.HeartbeatInterval)
			err := p.join(ctx)
			cancel()
			if err != nil {
				// Starting over on a new connection joins again.
				return fmt.Errorf("register again after a claim: %w", err)
			}
		}
	}
}

// hear records a message of the beats channel: '+' a node's beat, '-' a
// node gone. It reports whether the node gone is this one.
func (p *Presence) hear(kind byte, node string) (claimed bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if node == p.node {
		if kind == '+' {
			p.heardSelf = time.Now()
		}
		return kind == '-'
	}
	if p.watch == nil {
		return false
	}
	switch kind {
	case '+':
		p.watch[node] = &watchedNode{heard: time.Now()}
	case '-':
		delete(p.watch, node)
	}
	return false
}

// relisten connects again with backoff until it succeeds or Close.
func (p *Presence) relisten() *subscriberConn {
	b := newBackoff(p.opts.MaxReconnectDelay)
	timer := time.NewTimer(0)
	defer timer.Stop()
	<-timer.C
	for {
		delay := b.next()
		timer.Reset(delay)
		select {
		case <-p.quit:
			return nil
		case <-timer.C:
		}
		sub, err := p.listen(p.ctx)
		if err == nil {
			return sub
		}
		if p.isClosed() {
			return nil
		}
		p.log.Debug("presence reconnect failed", "err", err, "retried_after", delay)
	}
}

// run beats once per HeartbeatInterval and checks the silent nodes several
// times per SuspectAfter, until Close.
func (p *Presence) run() {
	defer p.wg.Done()
	beat := time.NewTicker(p.opts.HeartbeatInterval)
	defer beat.Stop()
	check := time.NewTicker(p.opts.SuspectAfter / checksPerSuspect)
	defer check.Stop()
	var pending []int64 // offline users found before Listen
	for {
		select {
		case <-p.quit:
			return
		case <-beat.C:
			p.beat()
			continue
		case <-check.C:
		}
		pending = append(pending, p.claimSilent()...)
		p.mu.Lock()
		fn := p.offline
		p.mu.Unlock()
		if len(pending) > 0 && fn != nil {
			fn(pending)
			pending = nil
		}
	}
}

// checksPerSuspect is how many times per SuspectAfter a node looks for
// silent nodes. Looking is local and costs no command.
const checksPerSuspect = 6

// beat publishes this node's beat: its one command per interval.
func (p *Presence) beat() {
	p.mu.Lock()
	off := p.beatsOff
	p.mu.Unlock()
	if off {
		return
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.opts.HeartbeatInterval)
	defer cancel()
	if err := p.client.Publish(ctx, p.beatsChannel(), "+"+p.node).Err(); err != nil {
		// Survivable while the subscriber connection holds: others find
		// this node alive when they check. Say so loudly anyway.
		p.log.Warn("presence heartbeat failed", "err", err, "suspect_after", p.opts.SuspectAfter)
	}
}

// claimSilent checks every node not heard for SuspectAfter and returns the
// users of those found dead that are left with no socket anywhere.
func (p *Presence) claimSilent() []int64 {
	type suspect struct {
		node  string
		force bool
	}
	now := time.Now()
	var suspects []suspect
	p.mu.Lock()
	if now.Sub(p.heardSelf) >= p.opts.SuspectAfter {
		// This node has not heard its own beat: the others' silence may
		// be its own deafness.
		p.mu.Unlock()
		return nil
	}
	for node, w := range p.watch {
		silent := now.Sub(w.heard)
		if silent >= p.opts.SuspectAfter && !now.Before(w.nextCheck) {
			suspects = append(suspects, suspect{node, silent >= p.opts.StaleAfter})
		}
	}
	p.mu.Unlock()
	var offline []int64
	for _, s := range suspects {
		ctx, cancel := context.WithTimeout(p.ctx, p.opts.HeartbeatInterval)
		status, users, err := p.claim(ctx, s.node, s.force)
		cancel()
		if err != nil {
			p.log.Warn("checking a silent presence node failed", "silent_node", s.node, "err", err)
			continue
		}
		p.mu.Lock()
		if w := p.watch[s.node]; status == claimAlive && w != nil {
			w.nextCheck = now.Add(p.opts.SuspectAfter)
		} else if status != claimAlive {
			delete(p.watch, s.node)
		}
		p.mu.Unlock()
		switch status {
		case claimAlive:
			p.log.Info("a silent presence node still holds its redis connection; waiting", "silent_node", s.node, "claimed_at", p.opts.StaleAfter)
		case claimDone:
			p.log.Info("a presence node died; its users with no other socket are offline", "dead_node", s.node, "forced", s.force, "offline", len(users))
			offline = append(offline, users...)
		}
	}
	return offline
}

// claim runs claimScript for node.
func (p *Presence) claim(ctx context.Context, node string, force bool) (int64, []int64, error) {
	forceArg := "0"
	if force {
		forceArg = "1"
	}
	res, err := claimScript.Run(ctx, p.client, nil, p.opts.Prefix, node, forceArg).Slice()
	if err != nil {
		return 0, nil, err
	}
	if len(res) != 2 {
		return 0, nil, fmt.Errorf("claim: unexpected reply %v", res)
	}
	status, _ := res[0].(int64)
	raw, _ := res[1].([]any)
	users := make([]int64, 0, len(raw))
	for _, v := range raw {
		s, _ := v.(string)
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil {
			p.log.Warn("ignored a malformed user id in presence", "value", v)
			continue
		}
		users = append(users, id)
	}
	return status, users, nil
}

// Close implements numeneon.Presence. It stops the goroutines and removes
// this node and its entries. It does not report the users that thereby went
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

// stop ends the goroutines and closes the subscriber connection.
func (p *Presence) stop() {
	p.mu.Lock()
	p.closed = true
	sub := p.sub
	p.mu.Unlock()
	close(p.quit)
	p.cancel()
	if sub != nil {
		sub.close()
	}
	p.wg.Wait()
}

func (p *Presence) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}
