package pglayer

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/numeneon/numeneon"
)

var _ numeneon.Presence = (*Presence)(nil)

// DefaultHeartbeat is PresenceConfig.Heartbeat left at zero.
const DefaultHeartbeat = 40 * time.Second

// PresenceConfig holds what a Presence needs. Zero values of the optional
// fields are the documented defaults.
type PresenceConfig struct {
	// URL is the database's connection string, the store's.
	URL string
	// Heartbeat is how often a process records that it is alive
	// (DefaultHeartbeat). The others check every SuspectAfter/6.
	Heartbeat time.Duration
	// SuspectAfter (1.5 heartbeats): a process not heard for this long is
	// dead if its liveness connection is gone.
	SuspectAfter time.Duration
	// StaleAfter (8 heartbeats): a process not heard for this long is dead
	// even if PostgreSQL still holds its connection (half-open: its machine
	// vanished without closing it).
	StaleAfter time.Duration
	// Logger receives warnings (slog.Default when nil).
	Logger *slog.Logger
}

func (c PresenceConfig) withDefaults() PresenceConfig {
	if c.Heartbeat <= 0 {
		c.Heartbeat = DefaultHeartbeat
	}
	if c.SuspectAfter <= 0 {
		c.SuspectAfter = c.Heartbeat * 3 / 2
	}
	if c.StaleAfter <= 0 {
		c.StaleAfter = 8 * c.Heartbeat
	}
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	return c
}

// Presence tracks which users have a socket on any process, in two unlogged
// tables of the database: the processes, each with its last heartbeat, and
// per user the array of processes holding a socket of it. Adding to or
// removing from a user's array is one statement that locks the user's row,
// so two processes connecting or disconnecting a user at once see each
// other: exactly one reports the change.
//
// The tables belong to the layer, not to the store's migrations: they hold
// only the state of the processes running now, like the Redis layer's keys.
// They are created at start if missing, and unlogged: no WAL, and emptied
// by a database crash, after which every process finds its row gone at its
// next heartbeat and registers itself and its users again.
//
// A process proves it is alive in two ways: a heartbeat written every
// Heartbeat, and a connection of its own holding a session advisory lock on
// a random key. When the process dies, its kernel closes that connection and
// PostgreSQL releases the lock at once. Every SuspectAfter/6 each process
// looks for others whose heartbeat is older than SuspectAfter and whose lock
// it can take (their connection is gone), or older than StaleAfter whatever
// the lock says; it claims them (FOR UPDATE SKIP LOCKED: never two
// survivors for one), removes them from every user's array and hands the
// users left with no process to the Listen callback. Heartbeat ages are
// compared with the database's clock only, so clock skew between machines
// plays no part, and a process that is merely slow keeps its lock and its
// users. At the defaults a killed process's users are reported offline
// within about 70 s of its last heartbeat.
type Presence struct {
	cfg     PresenceConfig
	log     *slog.Logger
	pool    *pgxpool.Pool
	process string
	lockKey int64

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu      sync.Mutex
	closed  bool
	offline func(userIDs []int64)
	local   map[int64]struct{} // users this process holds, to register again

	alive *pgx.Conn // owned by the heartbeat goroutine; nil while down
	once  sync.Once
	err   error
}

// presenceLockClass is the advisory lock that serialises creating the
// tables.
const presenceLockClass = 0x6e756d65 // "nume"

const presenceTables = `
CREATE UNLOGGED TABLE IF NOT EXISTS numeneon_presence_processes (
	process  text        PRIMARY KEY,
	lock_key bigint      NOT NULL,
	beat     timestamptz NOT NULL DEFAULT now()
);
CREATE UNLOGGED TABLE IF NOT EXISTS numeneon_presence_users (
	user_id   bigint PRIMARY KEY,
	processes text[] NOT NULL
)`

// NewPresence creates the tables if needed, registers this process and
// starts its heartbeat. It returns an error if the database cannot be
// reached before ctx ends.
func NewPresence(ctx context.Context, cfg PresenceConfig) (*Presence, error) {
	cfg = cfg.withDefaults()
	poolCfg, err := pgxpool.ParseConfig(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("parse the database URL: %w", err)
	}
	poolCfg.MaxConns = 4
	poolCfg.ConnConfig.RuntimeParams["application_name"] = "numeneon presence"
	var id [8]byte
	_, _ = rand.Read(id[:])
	p := &Presence{
		cfg:     cfg,
		process: hex.EncodeToString(id[:]),
		lockKey: int64(binary.BigEndian.Uint64(id[:])),
		local:   make(map[int64]struct{}),
	}
	p.log = cfg.Logger.With("component", "postgres-presence", "process", p.process)
	p.ctx, p.cancel = context.WithCancel(context.Background())
	if p.pool, err = pgxpool.NewWithConfig(ctx, poolCfg); err != nil {
		p.cancel()
		return nil, unavailable("open the presence pool", err)
	}
	if err := p.createTables(ctx); err != nil {
		p.pool.Close()
		p.cancel()
		return nil, unavailable("create the presence tables", err)
	}
	if err := p.register(ctx); err != nil {
		p.pool.Close()
		p.cancel()
		return nil, unavailable("register the process", err)
	}
	p.wg.Add(1)
	go p.run()
	return p, nil
}

func (p *Presence) createTables(ctx context.Context) error {
	return pgx.BeginFunc(ctx, p.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1, 0)`, presenceLockClass); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, presenceTables)
		return err
	})
}

// register opens the liveness connection, takes its lock, and records this
// process and the users it holds. It is called at start and whenever the
// process finds itself unregistered or its liveness connection broken.
func (p *Presence) register(ctx context.Context) error {
	if p.alive != nil {
		_ = p.alive.Close(context.Background())
		p.alive = nil
	}
	cfg := p.pool.Config().ConnConfig.Copy()
	cfg.DialFunc = keepAliveDialer.DialContext
	cfg.RuntimeParams["application_name"] = "numeneon liveness"
	dctx, cancel := context.WithTimeout(ctx, dialTimeout)
	conn, err := pgx.ConnectConfig(dctx, cfg)
	cancel()
	if err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, p.lockKey); err != nil {
		_ = conn.Close(context.Background())
		return err
	}
	p.alive = conn
	p.mu.Lock()
	users := slices.Collect(maps.Keys(p.local))
	p.mu.Unlock()
	_, err = conn.Exec(ctx, `INSERT INTO numeneon_presence_processes (process, lock_key) VALUES ($1, $2)
		ON CONFLICT (process) DO UPDATE SET beat = now()`, p.process, p.lockKey)
	if err == nil && len(users) > 0 {
		_, err = conn.Exec(ctx, `INSERT INTO numeneon_presence_users AS p (user_id, processes)
			SELECT u, ARRAY[$2::text] FROM unnest($1::bigint[]) AS u
			ON CONFLICT (user_id) DO UPDATE SET processes = array_append(array_remove(p.processes, $2), $2)`,
			users, p.process)
	}
	return err
}

// Listen implements numeneon.Presence.
func (p *Presence) Listen(fn func(userIDs []int64)) {
	p.mu.Lock()
	p.offline = fn
	p.mu.Unlock()
}

// Connect implements numeneon.Presence: one statement, which adds this
// process to the user's array and reports whether it is alone there.
func (p *Presence) Connect(ctx context.Context, userID int64) (bool, error) {
	if p.isClosed() {
		return false, errClosed
	}
	var alone bool
	err := p.pool.QueryRow(ctx, `INSERT INTO numeneon_presence_users AS p (user_id, processes)
		VALUES ($1, ARRAY[$2::text])
		ON CONFLICT (user_id) DO UPDATE SET processes = array_append(array_remove(p.processes, $2), $2)
		RETURNING cardinality(p.processes) = 1`, userID, p.process).Scan(&alone)
	if err != nil {
		return false, unavailable(fmt.Sprintf("record user %d online", userID), err)
	}
	p.mu.Lock()
	p.local[userID] = struct{}{}
	p.mu.Unlock()
	return alone, nil
}

// Online implements numeneon.Presence: one indexed read of the user's row.
func (p *Presence) Online(ctx context.Context, userID int64) (bool, error) {
	if p.isClosed() {
		return false, errClosed
	}
	var online bool
	err := p.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM numeneon_presence_users
		WHERE user_id = $1 AND cardinality(processes) > 0)`, userID).Scan(&online)
	if err != nil {
		return false, unavailable(fmt.Sprintf("read presence of user %d", userID), err)
	}
	return online, nil
}

// OnlineAmong implements numeneon.Presence: one indexed read of the
// users' rows.
func (p *Presence) OnlineAmong(ctx context.Context, userIDs []int64) (map[int64]bool, error) {
	if p.isClosed() {
		return nil, errClosed
	}
	online := make(map[int64]bool)
	if len(userIDs) == 0 {
		return online, nil
	}
	rows, err := p.pool.Query(ctx, `SELECT user_id FROM numeneon_presence_users
		WHERE user_id = ANY($1) AND cardinality(processes) > 0`, userIDs)
	if err != nil {
		return nil, unavailable(fmt.Sprintf("read presence of %d users", len(userIDs)), err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, unavailable(fmt.Sprintf("read presence of %d users", len(userIDs)), err)
	}
	for _, id := range ids {
		online[id] = true
	}
	return online, nil
}

// Disconnect implements numeneon.Presence: it removes this process from the
// user's array and reports whether the array is now empty; an empty row is
// then deleted unless another process was added meanwhile.
func (p *Presence) Disconnect(ctx context.Context, userID int64) (bool, error) {
	if p.isClosed() {
		return false, errClosed
	}
	p.mu.Lock()
	delete(p.local, userID)
	p.mu.Unlock()
	var empty bool
	err := p.pool.QueryRow(ctx, `UPDATE numeneon_presence_users SET processes = array_remove(processes, $2)
		WHERE user_id = $1 AND $2 = ANY(processes)
		RETURNING cardinality(processes) = 0`, userID, p.process).Scan(&empty)
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, unavailable(fmt.Sprintf("record user %d offline", userID), err)
	}
	if empty {
		if _, err := p.pool.Exec(ctx, `DELETE FROM numeneon_presence_users
			WHERE user_id = $1 AND cardinality(processes) = 0`, userID); err != nil {
			p.log.Warn("delete an empty presence row", "user_id", userID, "err", err)
		}
	}
	return empty, nil
}

func (p *Presence) isClosed() bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.closed
}

// run beats every Heartbeat and looks for dead processes every
// SuspectAfter/6, until Close.
func (p *Presence) run() {
	defer p.wg.Done()
	check := time.NewTicker(p.cfg.SuspectAfter / 6)
	defer check.Stop()
	nextBeat := time.Now().Add(p.cfg.Heartbeat)
	for {
		select {
		case <-p.ctx.Done():
			return
		case now := <-check.C:
			if !now.Before(nextBeat) {
				nextBeat = now.Add(p.cfg.Heartbeat)
				if err := p.beat(); err != nil {
					if p.ctx.Err() != nil {
						return
					}
					p.log.Warn("presence heartbeat failed", "err", err)
					continue
				}
			}
			if err := p.claimDead(); err != nil && p.ctx.Err() == nil {
				p.log.Warn("presence check of other processes failed", "err", err)
			}
		}
	}
}

// beat records that this process is alive, on its liveness connection. A
// broken connection, or a row that is gone (another process declared this
// one dead, or the database lost its unlogged tables), registers the process
// and its users again.
func (p *Presence) beat() error {
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.Heartbeat)
	defer cancel()
	if p.alive != nil {
		tag, err := p.alive.Exec(ctx, `UPDATE numeneon_presence_processes SET beat = now() WHERE process = $1`, p.process)
		if err == nil && tag.RowsAffected() == 1 {
			return nil
		}
		if err == nil {
			p.log.Warn("this process was declared dead while alive; registering it and its users again")
		}
	}
	return p.register(ctx)
}

// claimDead removes the dead processes from the tables and reports the
// users they left with no socket anywhere.
func (p *Presence) claimDead() error {
	if p.alive == nil {
		// Not registered: this process cannot tell whether its own
		// connection or the others' is at fault.
		return nil
	}
	ctx, cancel := context.WithTimeout(p.ctx, p.cfg.Heartbeat)
	defer cancel()
	rows, err := p.alive.Query(ctx, `WITH dead AS (
			SELECT process FROM numeneon_presence_processes
			WHERE process <> $1 AND CASE
				WHEN beat < now() - $3::interval THEN true
				WHEN beat < now() - $2::interval THEN pg_try_advisory_xact_lock(lock_key)
				ELSE false END
			FOR UPDATE SKIP LOCKED
		), gone AS (
			DELETE FROM numeneon_presence_processes pr USING dead
			WHERE pr.process = dead.process RETURNING pr.process
		), left_users AS (
			UPDATE numeneon_presence_users u
			SET processes = ARRAY(SELECT x FROM unnest(u.processes) AS x
				WHERE x <> ALL (ARRAY(SELECT process FROM gone)))
			WHERE u.processes && ARRAY(SELECT process FROM gone)
			RETURNING u.user_id, u.processes
		)
		SELECT user_id FROM left_users WHERE cardinality(processes) = 0`,
		p.process, p.cfg.SuspectAfter, p.cfg.StaleAfter)
	if err != nil {
		return err
	}
	users, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return err
	}
	if len(users) == 0 {
		return nil
	}
	if _, err := p.alive.Exec(ctx, `DELETE FROM numeneon_presence_users
		WHERE user_id = ANY($1) AND cardinality(processes) = 0`, users); err != nil {
		p.log.Warn("delete empty presence rows", "err", err)
	}
	p.log.Info("processes stopped without saying so; their users are offline", "users", len(users))
	p.mu.Lock()
	fn := p.offline
	p.mu.Unlock()
	if fn != nil {
		fn(users)
	}
	return nil
}

// Close implements numeneon.Presence: it stops the heartbeat and removes
// this process and its entries.
func (p *Presence) Close() error {
	p.once.Do(func() {
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.cancel()
		p.wg.Wait()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		rows, err := p.pool.Query(ctx, `WITH gone AS (
				DELETE FROM numeneon_presence_processes WHERE process = $1
			)
			UPDATE numeneon_presence_users SET processes = array_remove(processes, $1)
			WHERE $1 = ANY(processes) AND cardinality(processes) > 0
			RETURNING user_id`, p.process)
		var users []int64
		if err == nil {
			users, err = pgx.CollectRows(rows, pgx.RowTo[int64])
		}
		if err == nil && len(users) > 0 {
			_, err = p.pool.Exec(ctx, `DELETE FROM numeneon_presence_users
				WHERE user_id = ANY($1) AND cardinality(processes) = 0`, users)
		}
		if err != nil {
			p.err = unavailable("remove this process's presence", err)
		}
		if p.alive != nil {
			_ = p.alive.Close(ctx)
		}
		p.pool.Close()
	})
	return p.err
}
