package backend

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"
)

// EnsureDatabase creates database name on the server reached by
// adminConnString (a maintenance database such as "postgres") unless it
// exists. The embedded cluster uses it on start.
func EnsureDatabase(ctx context.Context, adminConnString, name string) error {
	conn, err := pgx.Connect(ctx, adminConnString)
	if err != nil {
		return fmt.Errorf("backend: connect to create database %q: %w", name, err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	var exists bool
	if err := conn.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)`, name).Scan(&exists); err != nil {
		return fmt.Errorf("backend: look up database %q: %w", name, err)
	}
	if exists {
		return nil
	}
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil && !isDuplicateDatabase(err) {
		return fmt.Errorf("backend: create database %q: %w", name, err)
	}
	return nil
}

// isDuplicateDatabase: another process created it between our check and
// our CREATE.
func isDuplicateDatabase(err error) bool { return hasSQLState(err, "42P04") }
