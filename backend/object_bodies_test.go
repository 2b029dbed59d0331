package backend_test

import (
	"bytes"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// Every write keeps one body per object and no body without its object:
// object_bodies has no foreign key (migration 0007), so the writes and
// the delete trigger are what keep the two tables paired.
func TestBodiesFollowObjects(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	check := func(step string) {
		t.Helper()
		unpaired := f.count(t, `SELECT count(*) FROM objects o FULL JOIN object_bodies b ON b.object_id = o.id
			WHERE o.id IS NULL OR b.object_id IS NULL`)
		if unpaired != 0 {
			t.Fatalf("after %s: %d objects without a body or bodies without an object", step, unpaired)
		}
	}
	for _, name := range []string{"a.ics", "b.ics", "c.ics", "d.ics"} {
		f.put(t, f.cal.ID, name, "uid-"+name, "data of "+name)
	}
	// A replacement keeps the UID (no-uid-conflict).
	f.put(t, f.alt.ID, "x.ics", "uid-c.ics", "data of x")
	f.put(t, f.alt.ID, "y.ics", "uid-d.ics", "data of y")
	check("creates")
	f.put(t, f.cal.ID, "a.ics", "uid-a.ics", "new data of a.ics")
	check("a replace")
	if err := f.s.DeleteObject(ctx, f.cal.ID, "b.ics", backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	check("a delete")
	if _, err := f.s.CopyObject(ctx, f.cal.ID, "c.ics", f.alt.ID, "x.ics", true, backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	check("a copy over an object")
	if o, err := f.s.GetObject(ctx, f.alt.ID, "x.ics", true); err != nil || !bytes.Equal(o.Data, []byte("data of c.ics")) {
		t.Fatalf("copied object: %q, %v", o.Data, err)
	}
	if _, err := f.s.MoveObject(ctx, f.cal.ID, "d.ics", f.alt.ID, "y.ics", true, backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	check("a move over an object")
	if o, err := f.s.GetObject(ctx, f.alt.ID, "y.ics", true); err != nil || !bytes.Equal(o.Data, []byte("data of d.ics")) {
		t.Fatalf("moved object: %q, %v", o.Data, err)
	}
	if _, err := f.s.ImportObjects(ctx, f.alt.ID, []backend.ObjectWrite{
		write(0, "i1.ics", "uid-i1", "data of i1"), write(0, "i2.ics", "uid-i2", "data of i2"),
	}); err != nil {
		t.Fatal(err)
	}
	check("an import")
	if err := f.s.DeleteCollection(ctx, f.owner.ID, backend.KindCalendar, "alt"); err != nil {
		t.Fatal(err)
	}
	check("deleting a collection")
	if n := f.count(t, `SELECT count(*) FROM object_bodies`); n != 2 {
		t.Fatalf("%d bodies left, want those of a.ics and c.ics", n)
	}
	if err := f.s.DeletePrincipal(ctx, f.owner.Name); err != nil {
		t.Fatal(err)
	}
	check("deleting the owner")
	if n := f.count(t, `SELECT count(*) FROM object_bodies`); n != 0 {
		t.Fatalf("%d bodies left after deleting their owner", n)
	}
}
