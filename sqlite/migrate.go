package sqlite

import (
	"context"
	"embed"
	"fmt"
	"io/fs"

	"github.com/pressly/goose/v3"
)

//go:embed migrations/*.sql
var migrations embed.FS

// Migrate applies the embedded migrations that the database lacks. It is
// safe to call on every start and from several processes at once: the
// processes take turns on a lock file beside the database (path +
// ".migrate-lock"), so two workers starting together cannot both try to
// create the same tables.
func (s *Store) Migrate(ctx context.Context) error {
	unlock, err := lockFile(ctx, s.path+".migrate-lock")
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.path, err)
	}
	defer unlock()

	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		return fmt.Errorf("migrate %s: read embedded migrations: %w", s.path, err)
	}
	// The global registry is off so that Go migrations registered by other
	// packages (the postgres store) never run against this database.
	p, err := goose.NewProvider(goose.DialectSQLite3, s.write, sub, goose.WithDisableGlobalRegistry(true),
		// Migration numbers are handed out to features before they land, so
		// a lower number (00006) can arrive after a higher one was applied.
		goose.WithAllowOutofOrder(true))
	if err != nil {
		return fmt.Errorf("migrate %s: %w", s.path, err)
	}
	if _, err := p.Up(ctx); err != nil {
		return fmt.Errorf("migrate %s: %w", s.path, err)
	}
	return nil
}
