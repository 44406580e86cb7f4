package postgres

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/numeneon/numeneon"
)

// maxAttempts bounds how often Update runs fn when transactions keep losing
// races; past it the caller gets the last (internal) error.
const maxAttempts = 5

// Tx is a numeneon.Tx over one connection. Its methods avoid statements
// that fail on expected outcomes (a taken value, an unknown id): a failed
// statement aborts a PostgreSQL transaction, and fn must be free to go on
// after an ECONFLICT or ENOTFOUND it handles, as it can on SQLite.
//
// CreateMessage and CreateNotification only queue their rows (deferred.go).
// BEGIN waits for the first statement; the queued rows are written, in one
// round trip with BEGIN if it is still due, before any other statement and
// at the end, in one round trip with the COMMIT.
type Tx struct {
	store *Store
	conn  *pgx.Conn
	// tx runs the statements of the other methods, after BEGIN and the
	// queued writes.
	tx    txConn
	begun bool
	msgs  []numeneon.Message
	notes []queuedNotification
	// err is the failure of a flush: the transaction is aborted.
	err error
}

var _ numeneon.Tx = (*Tx)(nil)

// Update runs fn in one read-committed transaction and commits it. A
// serialization failure or a deadlock, in fn or at commit, rolls back and
// runs fn again, up to maxAttempts times, after a short randomized pause so
// that the contenders do not collide again. fn's own error is returned as is.
// A message or notification for an unknown user is written after fn
// returns; Update then rolls back and returns ENOTFOUND.
//
// fn must read through tx, not through s: a Store call from fn needs a second
// connection, and once every connection is held by such a fn the pool waits
// on itself until ctx ends.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx numeneon.Tx) error) error {
	if numeneon.InUpdate(ctx) {
		return numeneon.ErrCallInsideUpdate
	}
	for attempt := 1; ; attempt++ {
		err := s.runTx(ctx, fn)
		if err == nil || !isRetryable(err) || attempt == maxAttempts {
			return asTimeout(err)
		}
		pause := time.Duration(attempt) * time.Duration(1+rand.IntN(5)) * time.Millisecond
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return asTimeout(fmt.Errorf("retry transaction: %w", ctx.Err()))
		case <-timer.C:
		}
	}
}

// runTx runs fn once in a transaction, committing when it returns nil.
func (s *Store) runTx(ctx context.Context, fn func(ctx context.Context, tx numeneon.Tx) error) (err error) {
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("acquire connection: %w", err)
	}
	// Deferred before the rollback below, so it runs after it: pgxpool
	// destroys a connection released inside a transaction.
	defer conn.Release()
	t := &Tx{store: s, conn: conn.Conn()}
	t.tx = txConn{t}
	defer func() {
		if err != nil && t.conn.PgConn().TxStatus() != 'I' {
			// Rollback must run even if ctx is done, or the pool has to
			// destroy the connection, still inside the transaction, and
			// open a new one.
			_, _ = t.conn.Exec(context.WithoutCancel(ctx), "ROLLBACK")
		}
	}()
	if err := fn(numeneon.WithinUpdate(ctx), t); err != nil {
		return err
	}
	if t.err != nil {
		// fn went on after a failed flush; the transaction is aborted.
		return t.err
	}
	if !t.begun && !t.pending() {
		return nil // fn neither read nor wrote through tx
	}
	return t.flush(ctx, true)
}

// txConn runs a statement of its Tx once the transaction has begun and the
// queued writes are in, so that the statement sees them.
type txConn struct{ t *Tx }

func (c txConn) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	conn, err := c.t.ready(ctx)
	if err != nil {
		return errRow{err}
	}
	return conn.QueryRow(ctx, sql, args...)
}

func (c txConn) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	conn, err := c.t.ready(ctx)
	if err != nil {
		return nil, err
	}
	return conn.Query(ctx, sql, args...)
}

func (c txConn) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	conn, err := c.t.ready(ctx)
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	return conn.Exec(ctx, sql, args...)
}

// errRow is a pgx.Row whose Scan reports the failure that kept its
// statement from running.
type errRow struct{ err error }

func (r errRow) Scan(...any) error { return r.err }
