package backend_test

import (
	"context"
	"errors"
	"reflect"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// objectProp sets one dead property on an object.
func (f fixture) objectProp(t *testing.T, o backend.Object, value string) {
	t.Helper()
	err := f.s.PatchProperties(t.Context(), backend.PropertyPatch{
		Target: backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeObject, CollectionID: o.CollectionID, ObjectID: o.ID},
		Set:    []backend.DeadProperty{{Namespace: "urn:x", Name: "note", Value: value}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

// propsOf lists an object's dead property values, as a PROPFIND would.
func (f fixture) propsOf(t *testing.T, collectionID int64, name string) []string {
	t.Helper()
	ctx := t.Context()
	o, err := f.s.GetObject(ctx, collectionID, name, false)
	if err != nil {
		t.Fatal(err)
	}
	props, err := f.s.ListProperties(ctx, backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeObject, CollectionID: collectionID, ObjectID: o.ID})
	if err != nil {
		t.Fatal(err)
	}
	byCollection, err := f.s.ListObjectProperties(ctx, collectionID)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(props, byCollection[o.ID]) {
		t.Fatalf("ListProperties = %v, ListObjectProperties = %v", props, byCollection[o.ID])
	}
	var values []string
	for _, p := range props {
		values = append(values, p.Value)
	}
	return values
}

func lastChange(t *testing.T, f fixture, collectionID int64) change {
	t.Helper()
	c := f.changes(t, collectionID)
	if len(c) == 0 {
		t.Fatal("no changes")
	}
	return c[len(c)-1]
}

func TestMoveAndCopy(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	a, b := f.cal.ID, f.alt.ID
	orig := f.put(t, a, "a.ics", "ua", "A")
	f.objectProp(t, orig, "<note xmlns='urn:x'>a</note>")

	// Move to another collection: same object, bytes and properties, a
	// tombstone at the source and a change at the destination.
	replaced, err := f.s.MoveObject(ctx, a, "a.ics", b, "x.ics", false, backend.Conditions{IfMatch: tags(orig.ETag)})
	if err != nil || replaced {
		t.Fatalf("move: replaced=%v err=%v", replaced, err)
	}
	if _, err := f.s.GetObject(ctx, a, "a.ics", false); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("source after move: %v", err)
	}
	moved, err := f.s.GetObject(ctx, b, "x.ics", true)
	if err != nil || moved.ID != orig.ID || string(moved.Data) != "A" || moved.ETag != orig.ETag || moved.UID != "ua" {
		t.Fatalf("moved = %+v, %v", moved, err)
	}
	if got := f.propsOf(t, b, "x.ics"); !reflect.DeepEqual(got, []string{"<note xmlns='urn:x'>a</note>"}) {
		t.Fatalf("moved properties = %v", got)
	}
	if m, _ := f.s.ListObjectProperties(ctx, a); len(m) != 0 {
		t.Fatalf("source collection keeps object properties %v", m)
	}
	if got, want := lastChange(t, f, a), (change{"a.ics", f.seq(t, a), true}); got != want {
		t.Fatalf("source change = %v, want %v", got, want)
	}
	if got, want := lastChange(t, f, b), (change{"x.ics", f.seq(t, b), false}); got != want || want.Seq != 1 {
		t.Fatalf("destination change = %v, want %v (seq 1)", got, want)
	}

	// Copy back: a new object with a copy of the properties; the source's
	// collection does not change.
	seqB := f.seq(t, b)
	replaced, err = f.s.CopyObject(ctx, b, "x.ics", a, "a.ics", false, backend.Conditions{})
	if err != nil || replaced {
		t.Fatalf("copy: replaced=%v err=%v", replaced, err)
	}
	cp, err := f.s.GetObject(ctx, a, "a.ics", true)
	if err != nil || cp.ID == orig.ID || string(cp.Data) != "A" || cp.ETag != orig.ETag || cp.UID != "ua" || cp.Component != "VEVENT" {
		t.Fatalf("copy = %+v, %v", cp, err)
	}
	if got := f.propsOf(t, a, "a.ics"); !reflect.DeepEqual(got, []string{"<note xmlns='urn:x'>a</note>"}) {
		t.Fatalf("copied properties = %v", got)
	}
	if f.seq(t, b) != seqB {
		t.Fatal("a copy changed its source collection")
	}
	if got, want := lastChange(t, f, a), (change{"a.ics", f.seq(t, a), false}); got != want {
		t.Fatalf("copy change = %v, want %v", got, want)
	}
	// The copy's properties are its own.
	f.objectProp(t, cp, "<note xmlns='urn:x'>copy</note>")
	if got := f.propsOf(t, b, "x.ics"); !reflect.DeepEqual(got, []string{"<note xmlns='urn:x'>a</note>"}) {
		t.Fatalf("source properties after changing the copy's = %v", got)
	}

	// Overwrite: T replaces the destination, its data and its properties.
	other := f.put(t, b, "y.ics", "uy", "Y")
	f.objectProp(t, other, "<note xmlns='urn:x'>y</note>")
	if _, err := f.s.CopyObject(ctx, a, "a.ics", b, "y.ics", false, backend.Conditions{}); !errors.Is(err, backend.ErrPreconditionFailed) {
		t.Fatalf("Overwrite F onto an existing object: %v", err)
	}
	if _, err := f.s.MoveObject(ctx, a, "a.ics", b, "y.ics", false, backend.Conditions{}); !errors.Is(err, backend.ErrPreconditionFailed) {
		t.Fatalf("Overwrite F onto an existing object: %v", err)
	}
	// The destination collection already holds "ua" at x.ics: a conflict
	// even with Overwrite T.
	var conflict *backend.UIDConflictError
	if _, err := f.s.CopyObject(ctx, a, "a.ics", b, "y.ics", true, backend.Conditions{}); !errors.As(err, &conflict) || conflict.Name != "x.ics" || !errors.Is(err, backend.ErrExists) {
		t.Fatalf("UID conflict at the destination: %v", err)
	}
	if err := f.s.DeleteObject(ctx, b, "x.ics", backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	// y.ics holds another UID: replacing it would change its UID.
	if _, err := f.s.MoveObject(ctx, a, "a.ics", b, "y.ics", true, backend.Conditions{}); !errors.As(err, &conflict) || conflict.Name != "y.ics" || conflict.Replaced != "uy" {
		t.Fatalf("move onto another UID: %v", err)
	}
	if err := f.s.DeleteObject(ctx, b, "y.ics", backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	other = f.put(t, b, "y.ics", "ua", "Y")
	f.objectProp(t, other, "<note xmlns='urn:x'>y</note>")
	seqA, seqB := f.seq(t, a), f.seq(t, b)
	replaced, err = f.s.MoveObject(ctx, a, "a.ics", b, "y.ics", true, backend.Conditions{})
	if err != nil || !replaced {
		t.Fatalf("move with Overwrite T: replaced=%v err=%v", replaced, err)
	}
	y, err := f.s.GetObject(ctx, b, "y.ics", true)
	if err != nil || y.ID != cp.ID || string(y.Data) != "A" || y.UID != "ua" {
		t.Fatalf("replaced destination = %+v, %v", y, err)
	}
	if got := f.propsOf(t, b, "y.ics"); !reflect.DeepEqual(got, []string{"<note xmlns='urn:x'>copy</note>"}) {
		t.Fatalf("replaced destination properties = %v", got)
	}
	if n := f.count(t, `SELECT count(*) FROM properties WHERE object_id = $1`, other.ID); n != 0 {
		t.Fatalf("the replaced object's properties remain: %d", n)
	}
	if f.seq(t, a) != seqA+1 || f.seq(t, b) != seqB+1 {
		t.Fatalf("seqs %d,%d -> %d,%d; want one step each", seqA, seqB, f.seq(t, a), f.seq(t, b))
	}
	if got, want := lastChange(t, f, b), (change{"y.ics", seqB + 1, false}); got != want {
		t.Fatalf("destination change = %v, want %v", got, want)
	}
	if got, want := lastChange(t, f, a), (change{"a.ics", seqA + 1, true}); got != want {
		t.Fatalf("source change = %v, want %v", got, want)
	}

	// Within one collection a move is a rename (its own UID is no
	// conflict), a copy always a UID conflict.
	replaced, err = f.s.MoveObject(ctx, b, "y.ics", b, "z.ics", false, backend.Conditions{})
	if err != nil || replaced {
		t.Fatalf("rename: replaced=%v err=%v", replaced, err)
	}
	if c := f.changes(t, b); !reflect.DeepEqual(c[len(c)-2:], []change{{"y.ics", c[len(c)-1].Seq - 1, true}, {"z.ics", c[len(c)-1].Seq, false}}) {
		t.Fatalf("rename changes = %v", c)
	}
	if _, err := f.s.CopyObject(ctx, b, "z.ics", b, "w.ics", false, backend.Conditions{}); !errors.As(err, &conflict) || conflict.Name != "z.ics" {
		t.Fatalf("copy within a collection: %v", err)
	}
	if got := f.propsOf(t, b, "z.ics"); len(got) != 1 {
		t.Fatalf("renamed object properties = %v", got)
	}
}

// Refused moves and copies change nothing.
func TestMoveAndCopyRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	a, b := f.cal.ID, f.alt.ID
	src := f.put(t, a, "src.ics", "u-src", "S")
	f.put(t, a, "other.ics", "u-other", "O")
	f.put(t, b, "taken.ics", "u-taken", "T")
	f.put(t, b, "same-uid.ics", "u-src", "S2")
	for _, tc := range []struct {
		name            string
		srcColl         int64
		srcName         string
		dstColl         int64
		dstName         string
		overwrite       bool
		cond            backend.Conditions
		want            error
		uidConflictWith string
	}{
		{name: "onto itself", srcColl: a, srcName: "src.ics", dstColl: a, dstName: "src.ics", overwrite: true, want: backend.ErrInvalid},
		{name: "bad destination name", srcColl: a, srcName: "src.ics", dstColl: b, dstName: "a/b", want: backend.ErrInvalid},
		{name: "missing source", srcColl: a, srcName: "nope.ics", dstColl: b, dstName: "n.ics", want: backend.ErrNotFound},
		{name: "missing source with If-Match", srcColl: a, srcName: "nope.ics", dstColl: b, dstName: "n.ics", cond: backend.Conditions{IfMatch: anyTag}, want: backend.ErrPreconditionFailed},
		{name: "If-Match mismatch", srcColl: a, srcName: "src.ics", dstColl: b, dstName: "n.ics", cond: backend.Conditions{IfMatch: tags("x")}, want: backend.ErrPreconditionFailed},
		{name: "If-None-Match on source", srcColl: a, srcName: "src.ics", dstColl: b, dstName: "n.ics", cond: backend.Conditions{IfNoneMatch: tags(src.ETag)}, want: backend.ErrPreconditionFailed},
		{name: "unknown destination collection", srcColl: a, srcName: "src.ics", dstColl: b + 1000, dstName: "n.ics", want: backend.ErrNotFound},
		{name: "unknown source collection", srcColl: a + 1000, srcName: "src.ics", dstColl: b, dstName: "n.ics", want: backend.ErrNotFound},
		{name: "Overwrite F", srcColl: a, srcName: "src.ics", dstColl: b, dstName: "taken.ics", want: backend.ErrPreconditionFailed},
		{name: "Overwrite F in one collection", srcColl: a, srcName: "src.ics", dstColl: a, dstName: "other.ics", want: backend.ErrPreconditionFailed},
		{name: "UID conflict", srcColl: a, srcName: "src.ics", dstColl: b, dstName: "n.ics", want: backend.ErrExists, uidConflictWith: "same-uid.ics"},
		{name: "UID conflict with Overwrite T", srcColl: a, srcName: "src.ics", dstColl: b, dstName: "taken.ics", overwrite: true, want: backend.ErrExists, uidConflictWith: "same-uid.ics"},
	} {
		for _, op := range []struct {
			name string
			fn   func(context.Context, int64, string, int64, string, bool, backend.Conditions) (bool, error)
		}{{"move", f.s.MoveObject}, {"copy", f.s.CopyObject}} {
			t.Run(op.name+" "+tc.name, func(t *testing.T) {
				seqA, seqB := f.seq(t, a), f.seq(t, b)
				_, err := op.fn(ctx, tc.srcColl, tc.srcName, tc.dstColl, tc.dstName, tc.overwrite, tc.cond)
				if !errors.Is(err, tc.want) {
					t.Fatalf("err = %v, want %v", err, tc.want)
				}
				var conflict *backend.UIDConflictError
				if tc.uidConflictWith != "" && (!errors.As(err, &conflict) || conflict.Name != tc.uidConflictWith || conflict.UID != "u-src") {
					t.Fatalf("err = %#v, want a UID conflict with %s", err, tc.uidConflictWith)
				}
				if f.seq(t, a) != seqA || f.seq(t, b) != seqB {
					t.Fatal("a refused request changed a sync_seq")
				}
				if got, err := f.s.GetObject(ctx, a, "src.ics", false); err != nil || got.ID != src.ID {
					t.Fatalf("source after a refused request: %+v, %v", got, err)
				}
				if _, err := f.s.GetObject(ctx, b, "n.ics", false); !errors.Is(err, backend.ErrNotFound) {
					t.Fatalf("destination written by a refused request: %v", err)
				}
			})
		}
	}
}
