package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/numeneon/numeneon"
	"github.com/numeneon/numeneon/postgres"
	"github.com/numeneon/numeneon/sqlite"
)

// migratingStore is a Store that owns its schema.
type migratingStore interface {
	numeneon.Store
	Migrate(ctx context.Context) error
}

// openStore opens the configured database and, when migrate is set, brings
// its schema up to date.
func openStore(ctx context.Context, cfg *Config, migrate bool) (numeneon.Store, error) {
	kind, err := cfg.databaseKind()
	if err != nil {
		return nil, err
	}
	var s migratingStore
	switch kind {
	case "postgres":
		if s, err = postgres.Open(ctx, withStatementTimeout(cfg.DatabaseURL, cfg.DatabaseTimeout)); err != nil {
			return nil, fmt.Errorf("open PostgreSQL: %w", err)
		}
	default:
		path := cfg.sqlitePath()
		if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
			return nil, fmt.Errorf("create the folder of %s: %w", path, err)
		}
		if s, err = sqlite.Open(ctx, path); err != nil {
			return nil, fmt.Errorf("open SQLite %s: %w", path, err)
		}
	}
	if migrate {
		if err := s.Migrate(ctx); err != nil {
			s.Close()
			return nil, fmt.Errorf("migrate %s database: %w", kind, err)
		}
	}
	return s, nil
}

// withStatementTimeout sets PostgreSQL's statement_timeout on every session
// of the pool to d (DATABASE_TIMEOUT), unless the URL sets it itself.
func withStatementTimeout(databaseURL string, d time.Duration) string {
	u, err := url.Parse(databaseURL)
	if err != nil || d <= 0 {
		return databaseURL // postgres.Open reports a bad URL
	}
	q := u.Query()
	if q.Has("statement_timeout") {
		return databaseURL
	}
	q.Set("statement_timeout", strconv.FormatInt(d.Milliseconds(), 10))
	u.RawQuery = q.Encode()
	return u.String()
}
