package postgres

import (
	"context"
	"sync/atomic"

	"github.com/jackc/pgx/v5"
)

// queryCounter is a pgx.QueryTracer that counts the statements sent.
type queryCounter struct{ n *atomic.Int64 }

func (c queryCounter) TraceQueryStart(ctx context.Context, _ *pgx.Conn, _ pgx.TraceQueryStartData) context.Context {
	c.n.Add(1)
	return ctx
}

func (queryCounter) TraceQueryEnd(context.Context, *pgx.Conn, pgx.TraceQueryEndData) {}

// OpenCountingQueries is Open with a counter of every statement the
// store's connections run.
func OpenCountingQueries(ctx context.Context, databaseURL string) (*Store, *atomic.Int64, error) {
	n := new(atomic.Int64)
	s, err := open(ctx, databaseURL, queryCounter{n})
	return s, n, err
}
