// Package postgres implements numeneon.Store on PostgreSQL with pgx.
//
// It owns the PostgreSQL schema (embedded goose migrations, see Migrate), the
// SQL of every store method and the mapping of driver errors to domain codes
// (errors.go). Rules live in the app package; this package only stores.
package postgres

import (
	"context"
	"fmt"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/numeneon/numeneon"
)

// defaultListLimit applies to list methods called with a limit <= 0, as the
// Store contract documents.
const defaultListLimit = 100

// Store is a numeneon.Store backed by a pool of PostgreSQL connections.
type Store struct {
	pool *pgxpool.Pool
	// cfg is the pool's configuration, kept for Migrate's own connections.
	cfg *pgxpool.Config
	// messageIDs are message ids reserved for CreateMessage.
	messageIDs idBlock
}

var _ numeneon.Store = (*Store)(nil)

// Open connects to the PostgreSQL database at databaseURL (postgres:// or
// postgresql://) and checks that it answers. The pool holds at most
// 4 connections per CPU (at least 4) unless the URL sets pool_max_conns; the
// other pool_* parameters of pgxpool.ParseConfig apply too.
// Open does not change the schema; call Migrate for that.
func Open(ctx context.Context, databaseURL string) (*Store, error) {
	return open(ctx, databaseURL, nil)
}

// open is Open with a query tracer on every connection (tests count
// queries with one); nil for none.
func open(ctx context.Context, databaseURL string, tracer pgx.QueryTracer) (*Store, error) {
	u, err := url.Parse(databaseURL)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return nil, numeneon.Errorf(numeneon.EINVALID, "database URL must start with postgres:// or postgresql://")
	}
	q := u.Query()
	if q.Has("pool_max_conns") {
		// Checked here for a message naming the parameter; pgxpool's
		// quotes the whole URL.
		if n, err := strconv.Atoi(q.Get("pool_max_conns")); err != nil || n < 1 {
			return nil, numeneon.Errorf(numeneon.EINVALID, "pool_max_conns must be a positive integer, not %q", q.Get("pool_max_conns"))
		}
	}
	cfg, err := pgxpool.ParseConfig(databaseURL)
	if err != nil {
		// The parse error may quote the URL, password included.
		return nil, numeneon.Errorf(numeneon.EINVALID, "database URL %s cannot be parsed", u.Redacted())
	}
	if !q.Has("pool_max_conns") {
		// Commits wait on the WAL flush, not on the CPU: a few more
		// connections than cores let PostgreSQL flush several commits at
		// once, while staying far below max_connections when several
		// workers share one server. pgxpool's default is one per core.
		cfg.MaxConns = int32(max(4, 4*runtime.NumCPU()))
	}
	// pgxpool consumes the pool_* parameters it knows; PostgreSQL would
	// reject any other as an unknown setting, so they are ignored here.
	for name := range cfg.ConnConfig.RuntimeParams {
		if strings.HasPrefix(name, "pool_") {
			delete(cfg.ConnConfig.RuntimeParams, name)
		}
	}
	// Every query here reads a handful of rows through an index. When the
	// planner misjudges a skewed table (a user with thousands of messages
	// next to one with a hundred) it may start parallel workers, which costs
	// milliseconds per query for nothing: measured on the conversation list,
	// 5 ms with two workers against under 1 ms without. A URL parameter of
	// the same name still wins.
	if _, set := cfg.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"]; !set {
		cfg.ConnConfig.RuntimeParams["max_parallel_workers_per_gather"] = "0"
	}
	cfg.AfterConnect = prepareConn
	// A Store method called inside an Update's fn would take a second
	// connection: refused, the same rule as on SQLite (numeneon.Store).
	cfg.PrepareConn = func(ctx context.Context, _ *pgx.Conn) (bool, error) {
		if numeneon.InUpdate(ctx) {
			return true, numeneon.ErrCallInsideUpdate
		}
		return true, nil
	}
	cfg.ConnConfig.Tracer = tracer
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("create postgres pool for %s: %w", u.Redacted(), err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("connect to postgres at %s: %w", u.Redacted(), err)
	}
	return &Store{pool: pool, cfg: cfg}, nil
}

// Ping checks that the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("ping postgres: %w", err)
	}
	return nil
}

// Close releases the connections once the running calls have returned them.
// Closing twice is harmless.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// prepareConn readies a new connection for this package's queries.
func prepareConn(_ context.Context, conn *pgx.Conn) error {
	// Return every timestamp in UTC whatever the server's or the process's
	// time zone, so both stores agree and tests compare instants plainly.
	conn.TypeMap().RegisterType(&pgtype.Type{
		Name:  "timestamptz",
		OID:   pgtype.TimestamptzOID,
		Codec: &pgtype.TimestamptzCodec{ScanLocation: time.UTC},
	})
	return nil
}

// listLimit returns the limit to apply for a requested one.
func listLimit(limit int) int {
	if limit <= 0 {
		return defaultListLimit
	}
	return limit
}

// escapeLike makes s match literally inside a LIKE/ILIKE pattern whose escape
// character is the default backslash.
func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
