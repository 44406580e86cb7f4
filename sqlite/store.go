// Package sqlite implements numeneon.Store on a SQLite file, with the pure-Go
// modernc.org/sqlite driver (no cgo), so a laptop runs NUMENEON with zero
// setup.
//
// SQLite has a single writer. The store therefore keeps one dedicated write
// connection, on which every Update runs as BEGIN IMMEDIATE, and a separate
// pool of read-only connections for the Store's read methods: writers queue
// in Go instead of spinning on SQLITE_BUSY, and readers never wait for them
// (WAL mode). Each pool keeps its statements prepared (stmtcache.go), so a
// call does not parse its SQL again. Friendships are stored in both
// directions.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/numeneon/numeneon"
	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

var _ numeneon.Store = (*Store)(nil)

// readConns is the size of the read pool. Reads in WAL mode run in parallel
// with each other and with the writer; a few connections cover a 2-4 core
// machine without holding many page caches.
const readConns = 4

// defaultLimit applies to list methods called with a limit <= 0.
const defaultLimit = 100

// Store is a numeneon.Store backed by one SQLite file.
type Store struct {
	path   string
	write  *sql.DB // exactly one connection: SQLite's single writer
	read   *sql.DB // query_only connections
	wstmts *stmtCache
	rstmts *stmtCache
	rq     poolQueryer // the read methods' queries, on read through rstmts

	checkpoint *checkpointer // copies the WAL back in the background
}

// Open opens (creating if missing, with its parent directory) the SQLite
// database at path. Call Migrate before using the store. The path is a file
// path, not a URI, and must not contain '?'.
//
// Commits use synchronous=NORMAL in WAL mode: a committed transaction survives
// a crash of the process; a power loss may lose the last commits, never
// corrupt the file.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" || path == ":memory:" || strings.HasPrefix(path, "file:") || strings.ContainsRune(path, '?') {
		return nil, numeneon.Errorf(numeneon.EINVALID, "sqlite: %q is not a plain database file path", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return nil, fmt.Errorf("create directory of %s: %w", path, err)
	}

	pragmas := url.Values{}
	pragmas.Add("_pragma", "busy_timeout(10000)")
	pragmas.Add("_pragma", "foreign_keys(1)")
	writeDSN := path + "?" + pragmas.Encode() +
		"&_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate" +
		fmt.Sprintf("&_pragma=wal_autocheckpoint(%d)", writerCheckpointPages)
	readDSN := path + "?" + pragmas.Encode() + "&_pragma=query_only(1)"
	checkpointDSN := path + "?" + pragmas.Encode()

	write, err := sql.Open("sqlite", writeDSN)
	if err != nil {
		return nil, fmt.Errorf("open %s for writing: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxLifetime(0)
	write.SetConnMaxIdleTime(0)
	// The first connection switches the file to WAL before any reader opens.
	if err := write.PingContext(ctx); err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open %s: %w", path, dbError(err))
	}

	read, err := sql.Open("sqlite", readDSN)
	if err != nil {
		_ = write.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, err)
	}
	read.SetMaxOpenConns(readConns)
	read.SetMaxIdleConns(readConns)
	if err := read.PingContext(ctx); err != nil {
		_ = write.Close()
		_ = read.Close()
		return nil, fmt.Errorf("open %s for reading: %w", path, dbError(err))
	}
	ckpt, err := sql.Open("sqlite", checkpointDSN)
	if err != nil {
		_ = write.Close()
		_ = read.Close()
		return nil, fmt.Errorf("open %s for checkpoints: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	rstmts := newStmtCache(read)
	return &Store{
		path: path, write: write, read: read,
		wstmts: newStmtCache(write), rstmts: rstmts,
		rq:         poolQueryer{db: read, stmts: rstmts},
		checkpoint: newCheckpointer(ckpt),
	}, nil
}

// Close implements numeneon.Store. It waits for running queries. The
// prepared statements are closed first, so that no connection closes with
// a statement still open on it.
func (s *Store) Close() error {
	if err := errors.Join(s.checkpoint.Close(), s.rstmts.Close(), s.wstmts.Close(), s.read.Close(), s.write.Close()); err != nil {
		return fmt.Errorf("close %s: %w", s.path, err)
	}
	return nil
}

// Ping implements numeneon.Store. It checks both pools, since a write path
// that is stuck is as bad as an unreadable file.
func (s *Store) Ping(ctx context.Context) error {
	if numeneon.InUpdate(ctx) {
		return numeneon.ErrCallInsideUpdate
	}
	if err := s.read.PingContext(ctx); err != nil {
		return fmt.Errorf("ping %s: %w", s.path, dbError(err))
	}
	var one int
	if err := s.rq.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping %s: %w", s.path, dbError(err))
	}
	// The single write connection: busy past ctx's deadline (a stuck
	// transaction) means no write would get through either.
	if err := s.write.QueryRowContext(ctx, `SELECT 1`).Scan(&one); err != nil {
		return fmt.Errorf("ping %s (writer): %w", s.path, dbError(err))
	}
	return nil
}

// queryer is what both the read pool and a write transaction offer, so
// lookups are written once and used from Store and Tx.
type queryer interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// timeLayout is how timestamps are stored: fixed width, so string order is
// time order, with the microseconds both databases keep.
const timeLayout = "2006-01-02T15:04:05.000000Z"

// now returns the current time as the store keeps it.
func now() time.Time { return time.Now().UTC().Truncate(time.Microsecond) }

func formatTime(t time.Time) string { return t.UTC().Format(timeLayout) }

// timeColumn scans a stored timestamp into *t.
type timeColumn struct{ t *time.Time }

// Scan implements sql.Scanner.
func (c timeColumn) Scan(src any) error {
	var s string
	switch v := src.(type) {
	case string:
		s = v
	case []byte:
		s = string(v)
	case time.Time:
		*c.t = v.UTC()
		return nil
	default:
		return fmt.Errorf("scan timestamp: unexpected %T", src)
	}
	t, err := time.Parse(timeLayout, s)
	if err != nil {
		return fmt.Errorf("scan timestamp: %w", err)
	}
	*c.t = t
	return nil
}

// limitOr returns limit, or the store default for limit <= 0.
func limitOr(limit int) int {
	if limit <= 0 {
		return defaultLimit
	}
	return limit
}
