package backend_test

import (
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"sync"
	"testing"
	"testing/fstest"

	"github.com/jackc/pgx/v5"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
	"github.com/pgdav/pgdav/migrations"
)

// emptyStore is a Store on a database no migration has touched.
func emptyStore(t *testing.T) *backend.Store {
	t.Helper()
	return backendtest.Open(t, backendtest.NewEmptyDatabase(t))
}

func tableExists(t *testing.T, s *backend.Store, name string) bool {
	t.Helper()
	var ok bool
	if err := s.Pool().QueryRow(t.Context(), `SELECT to_regclass($1) IS NOT NULL`, name).Scan(&ok); err != nil {
		t.Fatal(err)
	}
	return ok
}

func TestMigrateFreshAndIdempotent(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := emptyStore(t)
	done, err := s.Migrate(ctx)
	if err != nil {
		t.Fatal(err)
	}
	files := backend.MigrationFiles()
	if len(done) != files || done[0] != "0001_init.sql" {
		t.Fatalf("applied %v, want all of %d files", done, files)
	}
	for _, table := range []string{"principals", "collections", "objects", "object_bodies", "changes", "properties", "schema_migrations", "homes", "home_changes"} {
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
	status, err := s.MigrationStatus(t.Context())
	if err != nil || len(status) == 0 || status[0].Applied {
		t.Fatalf("MigrationStatus = %+v, %v; want all pending", status, err)
	}
}

// Nodes starting together: every migration is applied exactly once and
// every node returns without error.
func TestMigrateConcurrently(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
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
	ctx := t.Context()
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

// migrationsUpTo is migrations.FS with only the files up to version last.
func migrationsUpTo(t *testing.T, last int) fstest.MapFS {
	t.Helper()
	out := fstest.MapFS{}
	entries, err := fs.ReadDir(migrations.FS, ".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		var v int
		if _, err := fmt.Sscanf(e.Name(), "%04d_", &v); err != nil || v > last {
			continue
		}
		b, err := fs.ReadFile(migrations.FS, e.Name())
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = &fstest.MapFile{Data: b}
	}
	return out
}

// Migration 0007 moves the objects' bytes (data, and the expansion of
// 0006) into object_bodies: every object keeps them byte for byte, the
// columns leave objects, and the stores' reads and writes work on the
// migrated rows.
func TestMigrate0007ObjectBodies(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := emptyStore(t)
	if done, err := s.MigrateFS(ctx, migrationsUpTo(t, 6)); err != nil || len(done) != 6 {
		t.Fatalf("migrating to 0006: applied %v, %v", done, err)
	}
	var calID, bookID int64
	err := s.Pool().QueryRow(ctx, `
		WITH p AS (
			INSERT INTO principals (name, password_hash) VALUES ('old', 'x') RETURNING id
		), c AS (
			INSERT INTO collections (principal_id, kind, slug)
			SELECT id, k, k FROM p, unnest(ARRAY['calendar', 'addressbook']) AS k RETURNING id, kind
		)
		SELECT (SELECT id FROM c WHERE kind = 'calendar'), (SELECT id FROM c WHERE kind = 'addressbook')`).Scan(&calID, &bookID)
	if err != nil {
		t.Fatal(err)
	}
	big := strings.Repeat("DESCRIPTION:long enough to be stored out of line\r\n", 200)
	objects := []struct {
		coll      int64
		name      string
		component string
		data      []byte
		expansion []byte // nil: NULL
	}{
		{calID, "plain.ics", "VEVENT", []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"), nil},
		{calID, "expanded.ics", "VEVENT", []byte("BEGIN:VCALENDAR\r\nUID:e\r\nEND:VCALENDAR\r\n"), []byte("expanded \x00\xff bytes")},
		{calID, "empty-expansion.ics", "VTODO", []byte{0, 1, 2, 0xfe, 0xff}, []byte{}},
		{calID, "big.ics", "VEVENT", []byte("BEGIN:VCALENDAR\r\n" + big + "END:VCALENDAR\r\n"), []byte(big)},
		{bookID, "card.vcf", "VCARD", []byte("BEGIN:VCARD\r\nFN:Old Card\r\nEND:VCARD\r\n"), nil},
	}
	for i, o := range objects {
		_, err := s.Pool().Exec(ctx, `
			INSERT INTO objects (collection_id, name, uid, data, etag, size, content_type, component, expansion)
			VALUES ($1, $2, $3, $4, $5, $6, 'text/calendar', $7, $8)`,
			o.coll, o.name, fmt.Sprint("uid-", i), o.data, backend.ETagOf(o.data), len(o.data), o.component, o.expansion)
		if err != nil {
			t.Fatal(err)
		}
	}

	// Many rows of the usual size, whose bytes stay inline (not toasted),
	// so that the heap shrinks measurably when the rewrite drops them.
	const many = 500
	_, err = s.Pool().Exec(ctx, `
		INSERT INTO objects (collection_id, name, uid, data, etag, size, content_type, component)
		SELECT $1, 'many-' || i, 'many-' || i, convert_to(repeat(md5(i::text), 45), 'UTF8'),
			md5(i::text), 1440, 'text/calendar', 'VEVENT'
		FROM generate_series(1, $2) AS i`, calID, many)
	if err != nil {
		t.Fatal(err)
	}
	var before int64
	if err := s.Pool().QueryRow(ctx, `SELECT pg_relation_size('objects')`).Scan(&before); err != nil {
		t.Fatal(err)
	}

	done, err := s.Migrate(ctx)
	if err != nil || len(done) == 0 || done[0] != "0007_object_bodies.sql" {
		t.Fatalf("migrating from 0006: applied %v, %v", done, err)
	}
	var gone int
	err = s.Pool().QueryRow(ctx, `SELECT count(*) FROM information_schema.columns
		WHERE table_name = 'objects' AND column_name IN ('data', 'expansion')`).Scan(&gone)
	if err != nil || gone != 0 {
		t.Fatalf("%d of the columns data and expansion still in objects (%v)", gone, err)
	}
	// The migration rewrote the heap without the bytes: about 1.6 KB a
	// row before, less than 300 bytes after.
	var after int64
	if err := s.Pool().QueryRow(ctx, `SELECT pg_relation_size('objects')`).Scan(&after); err != nil {
		t.Fatal(err)
	}
	if after*4 > before {
		t.Errorf("objects' heap is %d bytes after the migration, %d before: not rewritten", after, before)
	}

	for _, o := range objects {
		var data, expansion []byte
		err := s.Pool().QueryRow(ctx, `SELECT b.data, b.expansion FROM objects o
			JOIN object_bodies b ON b.object_id = o.id WHERE o.collection_id = $1 AND o.name = $2`,
			o.coll, o.name).Scan(&data, &expansion)
		if err != nil {
			t.Fatalf("%s: %v", o.name, err)
		}
		if !bytes.Equal(data, o.data) {
			t.Errorf("%s: data %q, want %q", o.name, data, o.data)
		}
		if !bytes.Equal(expansion, o.expansion) || (expansion == nil) != (o.expansion == nil) {
			t.Errorf("%s: expansion %q (nil %v), want %q (nil %v)", o.name, expansion, expansion == nil, o.expansion, o.expansion == nil)
		}
		got, err := s.GetObject(ctx, o.coll, o.name, true)
		if err != nil || !bytes.Equal(got.Data, o.data) || got.ETag != backend.ETagOf(o.data) {
			t.Errorf("GetObject(%s) = %+v, %v", o.name, got, err)
		}
	}
	var bodies int
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM object_bodies`).Scan(&bodies); err != nil || bodies != len(objects)+many {
		t.Fatalf("%d bodies (%v), want %d", bodies, err, len(objects)+many)
	}

	// The migrated rows are written and deleted as any other.
	w := backend.ObjectWrite{CollectionID: calID, Name: "plain.ics", UID: "uid-0", Component: "VEVENT",
		ContentType: "text/calendar", Data: []byte("BEGIN:VCALENDAR\r\nX:new\r\nEND:VCALENDAR\r\n")}
	if _, created, err := s.PutObject(ctx, w, backend.Conditions{}); err != nil || created {
		t.Fatalf("PutObject over a migrated object: created=%v, %v", created, err)
	}
	if got, err := s.GetObject(ctx, calID, "plain.ics", true); err != nil || !bytes.Equal(got.Data, w.Data) {
		t.Fatalf("after the PUT: %q, %v", got.Data, err)
	}
	if err := s.DeleteObject(ctx, calID, "big.ics", backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Pool().QueryRow(ctx, `SELECT count(*) FROM object_bodies`).Scan(&bodies); err != nil || bodies != len(objects)+many-1 {
		t.Fatalf("after a delete: %d bodies (%v), want %d", bodies, err, len(objects)+many-1)
	}
}

// Migration 0008 adds the homes' change log, empty: the collections made
// before it are every home's first changes once a home token is asked
// for, and their writes go on as before.
func TestMigrate0008HomeChanges(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s := emptyStore(t)
	if done, err := s.MigrateFS(ctx, migrationsUpTo(t, 7)); err != nil || len(done) != 7 {
		t.Fatalf("migrating to 0007: applied %v, %v", done, err)
	}
	var principal, calID int64
	err := s.Pool().QueryRow(ctx, `
		WITH p AS (
			INSERT INTO principals (name, password_hash) VALUES ('old', 'x') RETURNING id
		), c AS (
			INSERT INTO collections (principal_id, kind, slug, sync_seq)
			SELECT id, k, s, 4 FROM p, (VALUES ('calendar', 'home'), ('calendar', 'work'), ('addressbook', 'book')) AS v(k, s)
			RETURNING id, slug
		)
		SELECT (SELECT id FROM p), (SELECT id FROM c WHERE slug = 'home')`).Scan(&principal, &calID)
	if err != nil {
		t.Fatal(err)
	}
	done, err := s.Migrate(ctx)
	if err != nil || len(done) == 0 || done[0] != "0008_home_changes.sql" {
		t.Fatalf("migrating from 0007: applied %v, %v", done, err)
	}
	got, set, err := s.HomeChanges(ctx, backend.HomeChangeQuery{PrincipalID: principal, Kind: backend.KindCalendar, Initial: true})
	if err != nil || len(got) != 2 || got[0].Slug != "home" || got[1].Slug != "work" || set.Seq != 2 || got[0].Collection.SyncSeq != 4 {
		t.Fatalf("first home sync after the migration: %+v, %+v, %v", got, set, err)
	}
	w := backend.ObjectWrite{CollectionID: calID, Name: "a.ics", UID: "a", Component: "VEVENT",
		ContentType: "text/calendar", Data: []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")}
	if _, _, err := s.PutObject(ctx, w, backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	got, _, err = s.HomeChanges(ctx, backend.HomeChangeQuery{PrincipalID: principal, Kind: backend.KindCalendar, Since: set.Seq})
	if err != nil || len(got) != 1 || got[0].Slug != "home" || got[0].Collection.SyncSeq != 5 {
		t.Fatalf("home delta after a PUT: %+v, %v", got, err)
	}
}
