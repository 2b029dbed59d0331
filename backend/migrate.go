package backend

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"regexp"
	"sort"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgdav/pgdav/migrations"
)

// migrationLockKey is the pg_advisory_lock key that serialises migrations
// between pgdav processes sharing one database ("pgdav" in ASCII, plus 1).
const migrationLockKey int64 = 0x7067646176_01

var migrationName = regexp.MustCompile(`^(\d{4})_[a-z0-9_]+\.sql$`)

// Migration is one schema step and whether it has been applied.
type Migration struct {
	Version   int
	Name      string // file name, e.g. 0001_init.sql
	Applied   bool
	AppliedAt time.Time
}

type migrationFile struct {
	version  int
	name     string
	sql      string
	checksum string
}

// Migrate applies every pending migration, each in its own transaction, and
// returns the names of those it applied. It holds a session-level advisory
// lock for the whole run, so pgdav nodes starting together take turns: the
// first applies, the others then find nothing pending. A failing migration
// is rolled back whole and named in the error; the ones before it stay.
func (s *Store) Migrate(ctx context.Context) ([]string, error) {
	return s.migrate(ctx, migrations.FS)
}

// MigrationStatus lists every known migration, applied or pending.
func (s *Store) MigrationStatus(ctx context.Context) ([]Migration, error) {
	files, err := readMigrations(migrations.FS)
	if err != nil {
		return nil, err
	}
	applied, err := appliedMigrations(ctx, s.pool)
	if err != nil {
		return nil, err
	}
	out := make([]Migration, 0, len(files))
	for _, f := range files {
		m := Migration{Version: f.version, Name: f.name}
		if a, ok := applied[f.version]; ok {
			m.Applied, m.AppliedAt = true, a.at
		}
		out = append(out, m)
	}
	return out, nil
}

func (s *Store) migrate(ctx context.Context, fsys fs.FS) (done []string, err error) {
	files, err := readMigrations(fsys)
	if err != nil {
		return nil, err
	}
	conn, err := s.pool.Acquire(ctx)
	if err != nil {
		return nil, fmt.Errorf("backend: migrate: %w", err)
	}
	defer conn.Release()
	// A session-level lock, not pg_advisory_xact_lock: it must outlive the
	// per-migration transactions below.
	if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock($1)", migrationLockKey); err != nil {
		return nil, fmt.Errorf("backend: migrate: take lock: %w", err)
	}
	defer func() {
		_, uerr := conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock($1)", migrationLockKey)
		if uerr != nil {
			// Closing the session releases the lock for certain.
			_ = conn.Conn().Close(context.WithoutCancel(ctx))
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer     PRIMARY KEY,
		name       text        NOT NULL,
		checksum   text        NOT NULL,
		applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return nil, fmt.Errorf("backend: migrate: create schema_migrations: %w", err)
	}
	applied, err := appliedMigrations(ctx, conn)
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		if a, ok := applied[f.version]; ok {
			if a.checksum != f.checksum {
				return done, fmt.Errorf("backend: migration %s was changed after it was applied (checksum %s, recorded %s): add a new migration instead", f.name, f.checksum[:12], a.checksum[:min(12, len(a.checksum))])
			}
			continue
		}
		err := pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, f.sql); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)`,
				f.version, f.name, f.checksum)
			return err
		})
		if err != nil {
			return done, fmt.Errorf("backend: migration %s failed, schema left as before it: %w", f.name, err)
		}
		s.logger.Info("applied migration", "name", f.name)
		done = append(done, f.name)
	}
	return done, nil
}

type appliedMigration struct {
	checksum string
	at       time.Time
}

type querier interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
}

var (
	_ querier = (*pgxpool.Pool)(nil)
	_ querier = (*pgxpool.Conn)(nil)
)

func appliedMigrations(ctx context.Context, q querier) (map[int]appliedMigration, error) {
	rows, err := q.Query(ctx, `SELECT version, checksum, applied_at FROM schema_migrations`)
	if err != nil {
		if isUndefinedTable(err) { // a database no migration has touched yet
			return map[int]appliedMigration{}, nil
		}
		return nil, fmt.Errorf("backend: read schema_migrations: %w", err)
	}
	out := map[int]appliedMigration{}
	var (
		v int
		a appliedMigration
	)
	_, err = pgx.ForEachRow(rows, []any{&v, &a.checksum, &a.at}, func() error {
		out[v] = a
		return nil
	})
	if err != nil {
		if isUndefinedTable(err) {
			return map[int]appliedMigration{}, nil
		}
		return nil, fmt.Errorf("backend: read schema_migrations: %w", err)
	}
	return out, nil
}

func readMigrations(fsys fs.FS) ([]migrationFile, error) {
	entries, err := fs.ReadDir(fsys, ".")
	if err != nil {
		return nil, fmt.Errorf("backend: list migrations: %w", err)
	}
	var files []migrationFile
	seen := map[int]string{}
	for _, e := range entries {
		m := migrationName.FindStringSubmatch(e.Name())
		if m == nil {
			continue
		}
		v, _ := strconv.Atoi(m[1])
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("backend: migrations %s and %s share number %d", other, e.Name(), v)
		}
		seen[v] = e.Name()
		b, err := fs.ReadFile(fsys, e.Name())
		if err != nil {
			return nil, fmt.Errorf("backend: read migration %s: %w", e.Name(), err)
		}
		sum := sha256.Sum256(b)
		files = append(files, migrationFile{version: v, name: e.Name(), sql: string(b), checksum: hex.EncodeToString(sum[:])})
	}
	if len(files) == 0 {
		return nil, errors.New("backend: no migrations found")
	}
	sort.Slice(files, func(i, j int) bool { return files[i].version < files[j].version })
	return files, nil
}
