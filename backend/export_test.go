package backend

import (
	"context"
	"io/fs"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgdav/pgdav/migrations"
)

// Hooks for the external tests (package backend_test), which cannot be
// internal tests because backendtest imports this package.

func (s *Store) MigrateFS(ctx context.Context, fsys fs.FS) ([]string, error) {
	return s.migrate(ctx, fsys)
}

func (s *Store) Pool() *pgxpool.Pool { return s.pool }

func MigrationFiles() int {
	files, _ := readMigrations(migrations.FS)
	return len(files)
}

func CheckMigrationFiles(fsys fs.FS) error {
	_, err := readMigrations(fsys)
	return err
}
