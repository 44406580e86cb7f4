package postgres

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/lock"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrationLockID is the key of the advisory lock held while migrating. It is
// our own rather than goose's default so another goose-managed schema in the
// same database never waits on ours.
const migrationLockID = 0x6e756d656e656f6e // "numeneon"

// Migrate applies the pending embedded migrations. Several processes may call
// it at once against the same database: a session-level advisory lock lets one
// migrate while the others wait, then find nothing left to do.
func (s *Store) Migrate(ctx context.Context) error {
	fsys, err := fs.Sub(migrationFiles, "migrations")
	if err != nil {
		return fmt.Errorf("open embedded migrations: %w", err)
	}
	// Waiting processes poll the lock every second for up to ten minutes:
	// goose's five-second default would slow every concurrent start.
	locker, err := lock.NewPostgresSessionLocker(
		lock.WithLockID(migrationLockID),
		lock.WithLockTimeout(1, 600),
	)
	if err != nil {
		return fmt.Errorf("create migration lock: %w", err)
	}
	// Migrations get a pool of their own, closed on return, rather than
	// the store's: a connection whose unlock failed must not go back to
	// the store's pool still holding the advisory lock, and a process
	// waiting for the lock must not take one of the store's connections.
	cfg := s.cfg.Copy()
	cfg.MaxConns = 2
	cfg.MinConns, cfg.MinIdleConns = 0, 0
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return fmt.Errorf("create migration pool: %w", err)
	}
	defer pool.Close()
	db := stdlib.OpenDBFromPool(pool)
	defer db.Close()
	provider, err := goose.NewProvider(goose.DialectPostgres, db, fsys,
		goose.WithSessionLocker(locker),
		goose.WithDisableGlobalRegistry(true),
		// Migration numbers are handed out to features before they land, so
		// a lower number (00006) can arrive after a higher one was applied.
		goose.WithAllowOutofOrder(true),
	)
	if err != nil {
		return fmt.Errorf("create migration provider: %w", err)
	}
	if _, err := provider.Up(ctx); err != nil {
		return fmt.Errorf("apply migrations: %w", err)
	}
	return nil
}
