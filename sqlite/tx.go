package sqlite

import (
	"context"
	"fmt"

	"github.com/numeneon/numeneon"
)

var _ numeneon.Tx = (*Tx)(nil)

// Tx is a write transaction on the store's single write connection.
type Tx struct {
	q txQueryer
}

// Update implements numeneon.Store. The transaction starts with BEGIN
// IMMEDIATE, so it holds SQLite's write lock from the start and cannot fail
// halfway with SQLITE_BUSY when another process writes; inside this process
// transactions queue for the one write connection. fn is never re-run: with
// the write lock held from BEGIN there is no serialization failure to retry.
// fn may call the Store's read methods (they use the read pool) but must not
// call Update: the nested call would wait forever for the one write connection.
func (s *Store) Update(ctx context.Context, fn func(ctx context.Context, tx numeneon.Tx) error) error {
	if numeneon.InUpdate(ctx) {
		return numeneon.ErrCallInsideUpdate // would wait for the writer fn holds
	}
	// Statements first run by earlier transactions are prepared now, while
	// this goroutine holds no connection: inside the transaction, preparing
	// would wait for the connection the transaction holds.
	s.wstmts.preparePending(ctx)
	sqlTx, err := s.write.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin transaction: %w", dbError(err))
	}
	// Rolls back on an error or a panic in fn; a no-op after Commit.
	defer func() { _ = sqlTx.Rollback() }()

	if err := fn(numeneon.WithinUpdate(ctx), &Tx{q: txQueryer{tx: sqlTx, stmts: s.wstmts}}); err != nil {
		return err
	}
	if err := sqlTx.Commit(); err != nil {
		return fmt.Errorf("commit transaction: %w", dbError(err))
	}
	s.checkpoint.wrote()
	return nil
}
