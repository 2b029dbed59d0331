package backend_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// emptyStore is a Store on a database no migration has touched.
func emptyStore(t *testing.T) *backend.Store {
	t.Helper()
	return backendtest.Open(t, backendtest.NewEmptyDatabase(t))
}

func tableExists(t *testing.T, s *backend.Store, name string) bool {
	t.Helper()
	var ok bool
	if err := s.Pool().QueryRow(context.Background(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestMigrateFreshAndIdempotent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := emptyStore(t)
	done, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files := backend.MigrationFiles()
	if len(done) != files || done[0] != "0001_init.sql" {
		t.Fatalf("applied %v, want all of %d files", done, files)
	}
	for _, table := range []string{"principals", "collections", "objects", "changes", "properties", "schema_migrations"} {
		if !tableExists(t, s, table) {
			t.Errorf("table %s missing after migration", table)
		}
	}
	again, err := s.Migrate(ctx)
	if err != nil || len(again) != 0 {
		t.Fatalf("second Migrate applied %v, %v; want nothing", again, err)
	}
	status, err := s.MigrationStatus(ctx)
	if err != nil || len(status) != files || !status[0].Applied || status[0].AppliedAt.IsZero() {
		t.Fatalf("MigrationStatus = %+v, %v", status, err)
	}
}

func TestMigrationStatusOnEmptyDatabase(t *testing.T) {
	t.Parallel()
	s := emptyStore(t)
	status, err := s.MigrationStatus(context.Background())
	if err != nil || len(status) == 0 || status[0].Applied {
		t.Fatalf("MigrationStatus = %+v, %v; want all pending", status, err)
	}
}

// Nodes starting together: every migration is applied exactly once and
// every node returns without error.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	conn := backendtest.NewEmptyDatabase(t)
	const nodes = 4
	stores := make([]*backend.Store, nodes)
	for i := range stores {
		stores[i] = backendtest.Open(t, conn)
	}
	var wg sync.WaitGroup
	applied := make([][]string, nodes)
	errs := make([]error, nodes)
	for i := range stores {
		wg.Add(1)
		go func() {
			defer wg.Done()
			applied[i], errs[i] = stores[i].Migrate(ctx)
		}()
	}
	wg.Wait()
	total := 0
	for i := range stores {
		if errs[i] != nil {
			t.Fatalf("node %d: %v", i, errs[i])
		}
		total += len(applied[i])
	}
	files := backend.MigrationFiles()
	if total != files {
		t.Fatalf("migrations applied %d times in all, want %d", total, files)
	}
	var n int
	if err := stores[0].Pool().QueryRow(ctx, `SELECT count(*) FROM schema_migrations`).Scan(&n); err != nil || n != files {
		t.Fatalf("schema_migrations has %d rows (%v)", n, err)
	}
}

// A failing migration is rolled back whole, is named in the error, and
// leaves the earlier ones applied.
func TestMigrateFailureLeavesSchema(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	s := emptyStore(t)
	fsys := fstest.MapFS{
		"0001_first.sql":  {Data: []byte(`CREATE TABLE first (id int);`)},
		"0002_broken.sql": {Data: []byte(`CREATE TABLE second (id int); INSERT INTO second VALUES (1); SELECT no_such_function();`)},
		"0003_third.sql":  {Data: []byte(`CREATE TABLE third (id int);`)},
		"README.md":       {Data: []byte(`not a migration`)},
	}
	done, err := s.MigrateFS(ctx, fsys)
	if err == nil || !strings.Contains(err.Error(), "0002_broken.sql") {
		t.Fatalf("err = %v, want it to name 0002_broken.sql", err)
	}
	if len(done) != 1 || done[0] != "0001_first.sql" {
		t.Fatalf("applied %v, want [0001_first.sql]", done)
	}
	if !tableExists(t, s, "first") || tableExists(t, s, "second") || tableExists(t, s, "third") {
		t.Fatal("schema is not as it was before the failed migration")
	}
	var versions []int
	rows, _ := s.Pool().Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	versions, err = pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil || len(versions) != 1 || versions[0] != 1 {
		t.Fatalf("recorded versions %v, %v", versions, err)
	}

	// Fixing the file lets the next run continue where it stopped.
	fsys["0002_broken.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE second (id int);`)}
	done, err = s.MigrateFS(ctx, fsys)
	if err != nil || len(done) != 2 {
		t.Fatalf("after the fix: applied %v, %v", done, err)
	}

	// Editing an applied migration is refused.
	fsys["0001_first.sql"] = &fstest.MapFile{Data: []byte(`CREATE TABLE first (id bigint);`)}
	if _, err := s.MigrateFS(ctx, fsys); err == nil || !strings.Contains(err.Error(), "0001_first.sql was changed") {
		t.Fatalf("edited migration: err = %v", err)
	}
}

func TestReadMigrationsRejectsDuplicateNumbers(t *testing.T) {
	t.Parallel()
	err := backend.CheckMigrationFiles(fstest.MapFS{
		"0001_a.sql": {Data: []byte(`SELECT 1`)},
		"0001_b.sql": {Data: []byte(`SELECT 1`)},
	})
	if err == nil {
		t.Fatal("duplicate migration numbers accepted")
	}
}
