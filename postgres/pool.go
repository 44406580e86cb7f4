package postgres

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// connPool is a bounded pool of pgx connections. It stands in for pgxpool,
// whose dependency (jackc/puddle) is not among the project's modules; its
// Query and QueryRow have pgxpool's shape, so swapping it for pgxpool later
// touches only this file and Open.
type connPool struct {
	cfg *pgx.ConnConfig
	// slots holds one token per connection in use or being opened, which
	// bounds the pool at its capacity.
	slots chan struct{}

	mu     sync.Mutex
	idle   []idleConn
	closed bool
	inUse  sync.WaitGroup // connections handed out, for Close to wait on
}

type idleConn struct {
	conn  *pgx.Conn
	since time.Time
}

// idleCheckAfter is how long a connection may sit idle before it is pinged
// on its way out (as pgxpool does): a server restart or a proxy timeout may
// have closed it, and a query cannot be retried safely once sent.
const idleCheckAfter = time.Second

var errPoolClosed = errors.New("connection pool closed")

func newConnPool(cfg *pgx.ConnConfig, maxConns int) *connPool {
	return &connPool{cfg: cfg, slots: make(chan struct{}, maxConns)}
}

// acquire returns a connection for the caller's exclusive use until release.
// It blocks while every connection is in use, until ctx ends.
func (p *connPool) acquire(ctx context.Context) (*pgx.Conn, error) {
	// Checked first because select picks at random when a slot is free too.
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	select {
	case p.slots <- struct{}{}:
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		<-p.slots
		return nil, errPoolClosed
	}
	p.inUse.Add(1)
	// Newest first: the connection most likely to still be alive. Copied
	// out under the lock, as release reuses the slot.
	var reuse idleConn
	if n := len(p.idle); n > 0 {
		reuse = p.idle[n-1]
		p.idle[n-1] = idleConn{}
		p.idle = p.idle[:n-1]
	}
	p.mu.Unlock()

	if reuse.conn != nil {
		if time.Since(reuse.since) < idleCheckAfter || reuse.conn.Ping(ctx) == nil {
			return reuse.conn, nil
		}
		closeConn(reuse.conn)
	}
	conn, err := pgx.ConnectConfig(ctx, p.cfg)
	if err != nil {
		p.inUse.Done()
		<-p.slots
		return nil, err
	}
	prepareConn(conn)
	return conn, nil
}

// release gives conn back. A connection that broke, or that is still inside
// a transaction (a caller gave up mid-way), is closed rather than reused.
func (p *connPool) release(conn *pgx.Conn) {
	defer func() {
		p.inUse.Done()
		<-p.slots
	}()
	reusable := !conn.IsClosed() && conn.PgConn().TxStatus() == 'I'
	p.mu.Lock()
	if reusable && !p.closed {
		p.idle = append(p.idle, idleConn{conn: conn, since: time.Now()})
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	closeConn(conn)
}

// close refuses new acquisitions, waits for the connections in use to come
// back and closes them all. Closing twice is harmless.
func (p *connPool) close() {
	p.mu.Lock()
	p.closed = true
	p.mu.Unlock()
	p.inUse.Wait()
	p.mu.Lock()
	idle := p.idle
	p.idle = nil
	p.mu.Unlock()
	for _, c := range idle {
		closeConn(c.conn)
	}
}

func closeConn(conn *pgx.Conn) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = conn.Close(ctx)
}

// Query runs sql on a pooled connection; the connection goes back to the
// pool when the rows are closed.
func (p *connPool) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	conn, err := p.acquire(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		p.release(conn)
		return nil, err
	}
	return &pooledRows{Rows: rows, release: func() { p.release(conn) }}, nil
}

// QueryRow runs sql on a pooled connection; the connection goes back to the
// pool once the row is scanned.
func (p *connPool) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	rows, err := p.Query(ctx, sql, args...)
	if err != nil {
		return errRow{err: err}
	}
	return pooledRow{rows: rows}
}

// ping checks that a connection can be had and answers.
func (p *connPool) ping(ctx context.Context) error {
	conn, err := p.acquire(ctx)
	if err != nil {
		return err
	}
	defer p.release(conn)
	return conn.Ping(ctx)
}

type pooledRows struct {
	pgx.Rows
	once    sync.Once
	release func()
}

func (r *pooledRows) Close() {
	r.Rows.Close()
	r.once.Do(r.release)
}

// pooledRow is pgx's QueryRow semantics over pooled rows: Scan reads the
// first row, closes the rows (releasing the connection) and reports
// pgx.ErrNoRows when there was none.
type pooledRow struct {
	rows pgx.Rows
}

func (r pooledRow) Scan(dest ...any) error {
	defer r.rows.Close()
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return pgx.ErrNoRows
	}
	if err := r.rows.Scan(dest...); err != nil {
		return err
	}
	r.rows.Close()
	return r.rows.Err()
}

type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
