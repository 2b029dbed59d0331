package backend_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
)

// importWrites returns n calendar-object writes named imp-000.ics, … with
// UIDs imp-000, ….
func importWrites(n int) []backend.ObjectWrite {
	out := make([]backend.ObjectWrite, n)
	for i := range out {
		uid := fmt.Sprintf("imp-%03d", i)
		out[i] = write(0, uid+".ics", uid, "BEGIN:VCALENDAR\r\nUID:"+uid+"\r\nEND:VCALENDAR\r\n")
	}
	return out
}

// An import stores what PutObject would store, and records every name in
// the change log under one new sequence number.
func TestImportObjects(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.put(t, f.cal.ID, "before.ics", "before", "x") // seq 1

	start := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	writes := importWrites(5)
	writes[0].Span = &backend.Span{Start: start, End: start.Add(time.Hour)}
	writes[1].Span = &backend.Span{Start: start} // unbounded above
	writes[2].CollectionID = f.cal.ID            // the collection's own ID is accepted too
	n, err := f.s.ImportObjects(ctx, f.cal.ID, writes)
	if err != nil || n != len(writes) {
		t.Fatalf("ImportObjects = %d, %v; want %d", n, err, len(writes))
	}
	if got := f.count(t, `SELECT count(*) FROM objects WHERE collection_id = $1`, f.cal.ID); got != 6 {
		t.Fatalf("%d objects after import, want 6", got)
	}
	if seq := f.seq(t, f.cal.ID); seq != 2 {
		t.Fatalf("sync_seq = %d after one import, want 2 (one bump for the whole import)", seq)
	}
	changes := f.changes(t, f.cal.ID)
	if len(changes) != 6 || changes[0] != (change{"before.ics", 1, false}) {
		t.Fatalf("changes = %v", changes)
	}
	byName := map[string]change{}
	for _, c := range changes[1:] {
		byName[c.Name] = c
	}
	for _, w := range writes {
		if c := byName[w.Name]; c != (change{w.Name, 2, false}) {
			t.Errorf("change of %s = %+v, want seq 2, not deleted", w.Name, c)
		}
	}
	for _, w := range writes {
		o, err := f.s.GetObject(ctx, f.cal.ID, w.Name, true)
		if err != nil {
			t.Fatal(err)
		}
		if o.UID != w.UID || !bytes.Equal(o.Data, w.Data) || o.ETag != backend.ETagOf(w.Data) || o.Size != len(w.Data) ||
			o.Component != w.Component || o.ContentType != w.ContentType || o.CreatedAt.IsZero() || !o.ModifiedAt.Equal(o.CreatedAt) {
			t.Errorf("imported %s = %+v", w.Name, o)
		}
	}
	// The span column holds exactly what PutObject stores for the same span.
	for i, w := range writes[:3] {
		w.Name, w.UID = fmt.Sprintf("put-%d.ics", i), fmt.Sprintf("put-%d", i)
		if _, _, err := f.s.PutObject(ctx, backend.ObjectWrite{CollectionID: f.alt.ID, Name: w.Name, UID: w.UID, Data: w.Data,
			Component: w.Component, ContentType: w.ContentType, Span: w.Span}, backend.Conditions{}); err != nil {
			t.Fatal(err)
		}
		var imported, put *string
		if err := f.s.Pool().QueryRow(ctx, `SELECT (SELECT span::text FROM objects WHERE collection_id = $1 AND name = $2),
				(SELECT span::text FROM objects WHERE collection_id = $3 AND name = $4)`,
			f.cal.ID, writes[i].Name, f.alt.ID, w.Name).Scan(&imported, &put); err != nil {
			t.Fatal(err)
		}
		if (imported == nil) != (put == nil) || (imported != nil && *imported != *put) {
			t.Errorf("span of %s: imported %v, PutObject %v", writes[i].Name, deref(imported), deref(put))
		}
	}

	// A deleted name leaves a tombstone; importing it again revives its
	// change row with the import's number.
	if err := f.s.DeleteObject(ctx, f.cal.ID, writes[4].Name, backend.Conditions{}); err != nil { // seq 3
		t.Fatal(err)
	}
	if n, err := f.s.ImportObjects(ctx, f.cal.ID, writes[4:]); err != nil || n != 1 {
		t.Fatalf("re-import after delete = %d, %v", n, err)
	}
	if got := f.changes(t, f.cal.ID); got[len(got)-1] != (change{writes[4].Name, 4, false}) || len(got) != 6 {
		t.Fatalf("changes after re-import = %v", got)
	}

	// Nothing to import: nothing changes.
	if n, err := f.s.ImportObjects(ctx, f.cal.ID, nil); err != nil || n != 0 {
		t.Fatalf("empty import = %d, %v", n, err)
	}
	if seq := f.seq(t, f.cal.ID); seq != 4 {
		t.Fatalf("sync_seq after an empty import = %d, want 4", seq)
	}
}

func deref(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}

// A failing import stores nothing: no object, no sequence number, no
// change row, even when the failure is found by the database halfway
// through the COPY.
func TestImportObjectsAllOrNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.put(t, f.cal.ID, "taken.ics", "taken-uid", "x")

	withLast := func(mod func(*backend.ObjectWrite)) []backend.ObjectWrite {
		ws := importWrites(50)
		mod(&ws[len(ws)-1])
		return ws
	}
	for _, tc := range []struct {
		name       string
		collection int64
		writes     []backend.ObjectWrite
		want       error
	}{
		{"name taken in the collection", f.cal.ID, withLast(func(w *backend.ObjectWrite) { w.Name = "taken.ics" }), backend.ErrExists},
		{"UID taken in the collection", f.cal.ID, withLast(func(w *backend.ObjectWrite) { w.UID = "taken-uid" }), backend.ErrExists},
		{"name twice in the import", f.cal.ID, withLast(func(w *backend.ObjectWrite) { w.Name = "imp-000.ics" }), backend.ErrExists},
		{"UID twice in the import", f.cal.ID, withLast(func(w *backend.ObjectWrite) { w.UID = "imp-000" }), backend.ErrExists},
		{"invalid name", f.cal.ID, withLast(func(w *backend.ObjectWrite) { w.Name = "a/b.ics" }), backend.ErrInvalid},
		{"dot name", f.cal.ID, withLast(func(w *backend.ObjectWrite) { w.Name = ".." }), backend.ErrInvalid},
		{"empty UID", f.cal.ID, withLast(func(w *backend.ObjectWrite) { w.UID = "" }), backend.ErrInvalid},
		{"other collection", f.cal.ID, withLast(func(w *backend.ObjectWrite) { w.CollectionID = f.alt.ID }), backend.ErrInvalid},
		{"unknown collection", f.cal.ID + 1000, importWrites(3), backend.ErrNotFound},
	} {
		n, err := f.s.ImportObjects(ctx, tc.collection, tc.writes)
		if !errors.Is(err, tc.want) || n != 0 {
			t.Errorf("%s: ImportObjects = %d, %v; want 0, %v", tc.name, n, err, tc.want)
		}
		if tc.want == backend.ErrExists && !strings.Contains(err.Error(), "imp-0") && !strings.Contains(err.Error(), "taken") {
			t.Errorf("%s: the error does not name the key taken: %v", tc.name, err)
		}
	}
	if got := f.count(t, `SELECT count(*) FROM objects`); got != 1 {
		t.Errorf("%d objects after failed imports, want 1", got)
	}
	if got := f.count(t, `SELECT count(*) FROM changes`); got != 1 {
		t.Errorf("%d change rows after failed imports, want 1", got)
	}
	for _, id := range []int64{f.cal.ID, f.alt.ID} {
		if seq := f.seq(t, id); seq != map[int64]int64{f.cal.ID: 1, f.alt.ID: 0}[id] {
			t.Errorf("collection %d: sync_seq = %d after failed imports", id, seq)
		}
	}
	// The same objects without the fault go in.
	if n, err := f.s.ImportObjects(ctx, f.cal.ID, importWrites(50)); err != nil || n != 50 {
		t.Fatalf("clean import = %d, %v", n, err)
	}
}
