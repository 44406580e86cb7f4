package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"github.com/numeneon/numeneon"
	"sync"
	"sync/atomic"
)

// maxCachedStmts bounds a cache. The store's SQL texts are a fixed set (the
// dynamic ones, like UpdateProfile's, have a handful of variants), so the
// bound is never reached today; it only keeps a future query built from
// values from growing the cache without end. Texts past it run unprepared.
const maxCachedStmts = 256

// stmtCache holds the prepared statements of one *sql.DB, keyed by SQL text.
// Without it every call parses its SQL again, which under load was a fifth
// of the server's CPU. The modernc.org/sqlite driver has no statement cache
// of its own: it prepares and finalizes a statement for each
// ExecContext/QueryContext on a connection. A *sql.Stmt prepared on the
// DB is prepared once per pool connection by database/sql, on first use.
type stmtCache struct {
	db *sql.DB

	mu     sync.Mutex
	stmts  map[string]*sql.Stmt
	closed bool
	// pending holds texts run inside a transaction before they were
	// prepared, see lookup.
	pending map[string]struct{}
}

func newStmtCache(db *sql.DB) *stmtCache {
	return &stmtCache{db: db, stmts: make(map[string]*sql.Stmt), pending: make(map[string]struct{})}
}

// lookup returns the prepared statement of query, or nil if there is none
// yet; query is then remembered for preparePending. It never prepares: a
// transaction holds the write pool's only connection, and preparing on the
// DB would wait for that connection forever.
func (c *stmtCache) lookup(query string) *sql.Stmt {
	c.mu.Lock()
	defer c.mu.Unlock()
	st := c.stmts[query]
	if st == nil && !c.closed && len(c.stmts)+len(c.pending) < maxCachedStmts {
		c.pending[query] = struct{}{}
	}
	return st
}

// preparePending prepares the texts lookup missed. It is called with no
// connection of the pool held, before a transaction begins. A text that
// fails to prepare (its table may not exist before Migrate) is dropped and
// comes back on its next miss; the transaction running it then reports the
// error, as it did without the cache.
func (c *stmtCache) preparePending(ctx context.Context) {
	c.mu.Lock()
	if len(c.pending) == 0 {
		c.mu.Unlock()
		return
	}
	queries := make([]string, 0, len(c.pending))
	for q := range c.pending {
		queries = append(queries, q)
	}
	clear(c.pending)
	c.mu.Unlock()

	for _, q := range queries {
		if _, err := c.prepare(ctx, q); err != nil && ctx.Err() != nil {
			return
		}
	}
}

// prepared returns the prepared statement of query, preparing it on a
// connection of the pool if needed, or nil when query is not to be cached
// (the cache is full or closed) or fails to prepare: the caller then runs
// the text unprepared, which reports the failure as it did without the
// cache.
func (c *stmtCache) prepared(ctx context.Context, query string) *sql.Stmt {
	c.mu.Lock()
	st := c.stmts[query]
	c.mu.Unlock()
	if st != nil {
		return st
	}
	st, _ = c.prepare(ctx, query)
	return st
}

// prepare prepares query on the pool and caches it, unless another
// goroutine did so first; the lock is not held while preparing, which
// waits for a connection.
func (c *stmtCache) prepare(ctx context.Context, query string) (*sql.Stmt, error) {
	c.mu.Lock()
	full := c.closed || len(c.stmts) >= maxCachedStmts
	c.mu.Unlock()
	if full {
		return nil, nil
	}
	st, err := c.db.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if old := c.stmts[query]; old != nil || c.closed {
		_ = st.Close()
		return old, nil
	}
	c.stmts[query] = st
	return st, nil
}

// Close closes the cached statements; later lookups find none, so calls
// after Close fail on the closed DB as they did without the cache. A
// statement in use is closed by database/sql once its query is done.
func (c *stmtCache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	var errs []error
	for q, st := range c.stmts {
		if err := st.Close(); err != nil {
			errs = append(errs, err)
		}
		delete(c.stmts, q)
	}
	clear(c.pending)
	return errors.Join(errs...)
}

// poolQueryer runs queries on a pool through its statement cache. It is the
// queryer of the Store's read methods.
type poolQueryer struct {
	db    *sql.DB
	stmts *stmtCache
	// queries, when set (tests only), counts the statements run, so a test
	// can prove a list costs a fixed number of them.
	queries *atomic.Int64
}

// count records one statement when counting is on.
func (p poolQueryer) count() {
	if p.queries != nil {
		p.queries.Add(1)
	}
}

var _ queryer = poolQueryer{}

// ExecContext implements queryer.
func (p poolQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if numeneon.InUpdate(ctx) {
		return p.db.ExecContext(refusedContext{ctx}, query, args...)
	}
	p.count()
	st := p.stmts.prepared(ctx, query)
	if st == nil {
		return p.db.ExecContext(ctx, query, args...)
	}
	return st.ExecContext(ctx, args...)
}

// QueryContext implements queryer.
func (p poolQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if numeneon.InUpdate(ctx) {
		return p.db.QueryContext(refusedContext{ctx}, query, args...)
	}
	p.count()
	st := p.stmts.prepared(ctx, query)
	if st == nil {
		return p.db.QueryContext(ctx, query, args...)
	}
	return st.QueryContext(ctx, args...)
}

// QueryRowContext implements queryer.
func (p poolQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if numeneon.InUpdate(ctx) {
		return p.db.QueryRowContext(refusedContext{ctx}, query, args...)
	}
	p.count()
	st := p.stmts.prepared(ctx, query)
	if st == nil {
		return p.db.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// txQueryer runs queries in a write transaction, through the statements
// the write pool has prepared (tx.StmtContext reuses the statement already
// prepared on the transaction's connection).
type txQueryer struct {
	tx    *sql.Tx
	stmts *stmtCache
}

var _ queryer = txQueryer{}

// ExecContext implements queryer.
func (t txQueryer) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmts.lookup(query); st != nil {
		return t.tx.StmtContext(ctx, st).ExecContext(ctx, args...)
	}
	return t.tx.ExecContext(ctx, query, args...)
}

// QueryContext implements queryer.
func (t txQueryer) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmts.lookup(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryContext(ctx, args...)
	}
	return t.tx.QueryContext(ctx, query, args...)
}

// QueryRowContext implements queryer.
func (t txQueryer) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmts.lookup(query); st != nil {
		return t.tx.StmtContext(ctx, st).QueryRowContext(ctx, args...)
	}
	return t.tx.QueryRowContext(ctx, query, args...)
}

// refusedContext replaces the context of an Update's fn when a read method
// of Store is called with it (every one goes through poolQueryer, so this
// is the one place the rule is kept for reads): it is already done, with
// numeneon.ErrCallInsideUpdate as its error, so the query fails with that
// before taking a connection.
type refusedContext struct{ context.Context }

var closedDone = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

func (refusedContext) Done() <-chan struct{} { return closedDone }
func (refusedContext) Err() error            { return numeneon.ErrCallInsideUpdate }
