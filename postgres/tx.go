package postgres

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/numeneon/numeneon"
)

// maxAttempts bounds how often Update runs fn when transactions keep losing
// races; past it the caller gets the last (internal) error.
const maxAttempts = 5

// Tx is a numeneon.Tx over one pgx transaction. Its methods avoid statements
// that fail on expected outcomes (a taken value, an unknown id): a failed
// statement aborts a PostgreSQL transaction, and fn must be free to go on
// after an ECONFLICT or ENOTFOUND it handles, as it can on SQLite.
type Tx struct {
	tx pgx.Tx
}

var _ numeneon.Tx = (*Tx)(nil)

// Update runs fn in one read-committed transaction and commits it. A
// serialization failure or a deadlock, in fn or at commit, rolls back and
// runs fn again, up to maxAttempts times, after a short randomized pause so
// that the contenders do not collide again. fn's own error is returned as is.
//
// fn must read through tx, not through s: a Store call from fn needs a second
// connection, and once every connection is held by such a fn the pool waits
// on itself until ctx ends.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx numeneon.Tx) error) error {
	for attempt := 1; ; attempt++ {
		err := s.runTx(ctx, fn)
		if err == nil || !isRetryable(err) || attempt == maxAttempts {
			return err
		}
		pause := time.Duration(attempt) * time.Duration(1+rand.IntN(5)) * time.Millisecond
		timer := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			timer.Stop()
			return fmt.Errorf("retry transaction: %w", ctx.Err())
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
	tx, err := conn.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", err)
	}
	defer func() {
		if err != nil {
			// Rollback must run even if ctx is done, or the pool has to
			// destroy the connection, still inside the transaction, and
			// open a new one.
			_ = tx.Rollback(context.WithoutCancel(ctx))
		}
	}()
	if err := fn(ctx, &Tx{tx: tx}); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		if errors.Is(err, pgx.ErrTxCommitRollback) {
			return fmt.Errorf("commit transaction: a statement failed earlier in it: %w", err)
		}
		return fmt.Errorf("commit transaction: %w", err)
	}
	return nil
}
