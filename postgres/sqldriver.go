package postgres

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
)

// This file gives goose, which speaks database/sql, connections of the
// store's configuration. pgx's own database/sql adapter (pgx/v5/stdlib)
// imports pgxpool and so needs a module the project does not have; the few
// calls goose makes (statements, simple queries, transactions) are served
// here directly by pgx. Nothing but Migrate uses it.

// openMigrationDB returns a database/sql handle that opens its connections
// with cfg.
func openMigrationDB(cfg *pgx.ConnConfig) *sql.DB {
	db := sql.OpenDB(&sqlConnector{cfg: cfg})
	db.SetMaxOpenConns(2)
	return db
}

type sqlConnector struct{ cfg *pgx.ConnConfig }

func (c *sqlConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := pgx.ConnectConfig(ctx, c.cfg)
	if err != nil {
		return nil, err
	}
	return &sqlConn{conn: conn}, nil
}

func (c *sqlConnector) Driver() driver.Driver { return sqlDriver{} }

type sqlDriver struct{}

func (sqlDriver) Open(string) (driver.Conn, error) {
	return nil, errors.New("open by name is not supported; use the connector")
}

type sqlConn struct {
	conn *pgx.Conn
}

var (
	_ driver.ExecerContext     = (*sqlConn)(nil)
	_ driver.QueryerContext    = (*sqlConn)(nil)
	_ driver.ConnBeginTx       = (*sqlConn)(nil)
	_ driver.Pinger            = (*sqlConn)(nil)
	_ driver.Validator         = (*sqlConn)(nil)
	_ driver.NamedValueChecker = (*sqlConn)(nil)
)

func (c *sqlConn) Prepare(string) (driver.Stmt, error) {
	return nil, errors.New("prepared statements are not supported")
}

func (c *sqlConn) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return c.conn.Close(ctx)
}

func (c *sqlConn) Begin() (driver.Tx, error) {
	return c.BeginTx(context.Background(), driver.TxOptions{})
}

func (c *sqlConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	if opts.Isolation != driver.IsolationLevel(sql.LevelDefault) || opts.ReadOnly {
		return nil, errors.New("only default read-write transactions are supported")
	}
	tx, err := c.conn.Begin(ctx)
	if err != nil {
		return nil, err
	}
	return sqlTx{tx: tx}, nil
}

func (c *sqlConn) Ping(ctx context.Context) error { return c.conn.Ping(ctx) }

func (c *sqlConn) IsValid() bool { return !c.conn.IsClosed() }

// CheckNamedValue passes every argument to pgx, which encodes Go values itself.
func (c *sqlConn) CheckNamedValue(*driver.NamedValue) error { return nil }

func (c *sqlConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	tag, err := c.conn.Exec(ctx, query, namedArgs(args)...)
	if err != nil {
		return nil, err
	}
	return driver.RowsAffected(tag.RowsAffected()), nil
}

func (c *sqlConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	rows, err := c.conn.Query(ctx, query, namedArgs(args)...)
	if err != nil {
		return nil, err
	}
	return &sqlRows{rows: rows}, nil
}

func namedArgs(args []driver.NamedValue) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}

type sqlTx struct{ tx pgx.Tx }

func (t sqlTx) Commit() error   { return t.tx.Commit(context.Background()) }
func (t sqlTx) Rollback() error { return t.tx.Rollback(context.Background()) }

type sqlRows struct {
	rows pgx.Rows
}

func (r *sqlRows) Columns() []string {
	fields := r.rows.FieldDescriptions()
	names := make([]string, len(fields))
	for i, f := range fields {
		names[i] = f.Name
	}
	return names
}

func (r *sqlRows) Close() error {
	r.rows.Close()
	return r.rows.Err()
}

// Next converts pgx's decoded values to the types database/sql accepts.
func (r *sqlRows) Next(dest []driver.Value) error {
	if !r.rows.Next() {
		if err := r.rows.Err(); err != nil {
			return err
		}
		return io.EOF
	}
	vals, err := r.rows.Values()
	if err != nil {
		return err
	}
	for i, v := range vals {
		switch v := v.(type) {
		case nil, int64, float64, bool, []byte, string, time.Time:
			dest[i] = v
		case int32:
			dest[i] = int64(v)
		case int16:
			dest[i] = int64(v)
		case int8:
			dest[i] = int64(v)
		case float32:
			dest[i] = float64(v)
		default:
			dest[i] = fmt.Sprint(v)
		}
	}
	return nil
}
