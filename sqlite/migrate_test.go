package sqlite_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"

	"github.com/numeneon/numeneon/sqlite"
)

// A database that already has a higher migration (00007) still gets a lower
// one that landed later (00006): numbers are handed out before features
// land, so deployments see them out of order.
func TestMigrateAppliesALowerNumberLate(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "db.sqlite")
	s, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	s.Close()

	// Undo 00006 alone, as if the database had been migrated before it
	// existed.
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`DROP TABLE user_changes`, `DROP TABLE reports`, `DROP TABLE blocks`,
		`DELETE FROM goose_db_version WHERE version_id = 6`} {
		if _, err := db.Exec(q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	db.Close()

	s = mustOpenMigratedAt(t, path)
	if _, err := s.Blocked(ctx, 1, 2); err != nil {
		t.Fatalf("blocks after migrating again: %v", err)
	}
}
