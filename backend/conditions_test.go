package backend_test

import (
	"errors"
	"fmt"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

func TestConditionsCheck(t *testing.T) {
	t.Parallel()
	obj := backend.State{Exists: true, ETag: "e1"}
	coll := backend.State{Exists: true}
	never := func(backend.State, backend.State) bool { return false }
	for _, tc := range []struct {
		name   string
		cond   backend.Conditions
		target backend.State
		fail   bool
	}{
		{"none", backend.Conditions{}, obj, false},
		{"If-Match tag", backend.Conditions{IfMatch: tags("e1")}, obj, false},
		{"If-Match other tag", backend.Conditions{IfMatch: tags("e2")}, obj, true},
		{"If-Match tag on a collection", backend.Conditions{IfMatch: tags("e1")}, coll, true},
		{"If-Match empty tag on a collection", backend.Conditions{IfMatch: tags("")}, coll, true},
		{"If-Match * on a collection", backend.Conditions{IfMatch: anyTag}, coll, false},
		{"If-Match * on nothing", backend.Conditions{IfMatch: anyTag}, backend.State{}, true},
		{"If-None-Match * on a collection", backend.Conditions{IfNoneMatch: anyTag}, coll, true},
		{"If-None-Match tag on a collection", backend.Conditions{IfNoneMatch: tags("e1")}, coll, false},
		{"If-None-Match tag", backend.Conditions{IfNoneMatch: tags("e1")}, obj, true},
		{"If-None-Match * on nothing", backend.Conditions{IfNoneMatch: anyTag}, backend.State{}, false},
		{"If false", backend.Conditions{If: never}, obj, true},
		{"If true", backend.Conditions{If: func(s, _ backend.State) bool { return s == obj }}, obj, false},
	} {
		err := tc.cond.Check(tc.target, backend.State{})
		if tc.fail != (err != nil) || (err != nil && !errors.Is(err, backend.ErrPreconditionFailed)) {
			t.Errorf("%s: err = %v, want failure %v", tc.name, err, tc.fail)
		}
	}
}

// A collection's DELETE evaluates its conditions in its transaction; a
// failed one deletes nothing.
func TestDeleteCollectionIf(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	never := func(backend.State, backend.State) bool { return false }
	for i, tc := range []struct {
		name string
		cond backend.Conditions
		want error
	}{
		{"If-Match tag", backend.Conditions{IfMatch: tags("x")}, backend.ErrPreconditionFailed},
		{"If-None-Match *", backend.Conditions{IfNoneMatch: anyTag}, backend.ErrPreconditionFailed},
		{"If false", backend.Conditions{If: never}, backend.ErrPreconditionFailed},
		{"If-Match *", backend.Conditions{IfMatch: anyTag}, nil},
		{"If sees a collection", backend.Conditions{If: func(s, d backend.State) bool {
			return s == backend.State{Exists: true} && d == backend.State{}
		}}, nil},
		{"none", backend.Conditions{}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			slug := fmt.Sprintf("del-%d", i)
			c, err := f.s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: slug}, nil)
			if err != nil {
				t.Fatal(err)
			}
			f.put(t, c.ID, "a.ics", "ua", "A")
			err = f.s.DeleteCollectionIf(ctx, f.owner.ID, backend.KindCalendar, slug, tc.cond)
			if !errors.Is(err, tc.want) || (tc.want == nil && err != nil) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			_, gerr := f.s.GetObject(ctx, c.ID, "a.ics", false)
			if tc.want != nil && gerr != nil {
				t.Fatalf("a refused DELETE removed the collection's object: %v", gerr)
			}
			if tc.want == nil && !errors.Is(gerr, backend.ErrNotFound) {
				t.Fatalf("object of a deleted collection: %v", gerr)
			}
		})
	}
	// A missing collection: If-Match fails, anything else is not found.
	if err := f.s.DeleteCollectionIf(ctx, f.owner.ID, backend.KindCalendar, "nope", backend.Conditions{IfMatch: anyTag}); !errors.Is(err, backend.ErrPreconditionFailed) {
		t.Fatalf("missing collection with If-Match: %v", err)
	}
	if err := f.s.DeleteCollectionIf(ctx, f.owner.ID, backend.KindCalendar, "nope", backend.Conditions{IfNoneMatch: anyTag}); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("missing collection with If-None-Match: %v", err)
	}
}

// PROPPATCH evaluates its conditions on the target under its lock: an
// object's ETag, a collection's existence. A failed one writes nothing,
// even when the patch is empty.
func TestPatchPropertiesConditions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	o := f.put(t, f.cal.ID, "a.ics", "ua", "A")
	objT := backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeObject, CollectionID: f.cal.ID, ObjectID: o.ID}
	collT := backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCollection, CollectionID: f.cal.ID}
	set := []backend.DeadProperty{prop("n", "<n xmlns='urn:x'>1</n>")}
	for _, tc := range []struct {
		name   string
		target backend.PropertyTarget
		set    []backend.DeadProperty
		cond   backend.Conditions
		fail   bool
	}{
		{"object If-Match stale", objT, set, backend.Conditions{IfMatch: tags("stale")}, true},
		{"object If-None-Match current", objT, set, backend.Conditions{IfNoneMatch: tags(o.ETag)}, true},
		{"object If sees the ETag", objT, set, backend.Conditions{If: func(s, _ backend.State) bool { return s.ETag == "x" }}, true},
		{"empty patch, failed condition", objT, nil, backend.Conditions{IfMatch: tags("stale")}, true},
		{"collection If-Match tag", collT, set, backend.Conditions{IfMatch: tags(o.ETag)}, true},
		{"collection If-None-Match *", collT, set, backend.Conditions{IfNoneMatch: anyTag}, true},
		{"object If-Match current", objT, set, backend.Conditions{IfMatch: tags(o.ETag)}, false},
		{"collection If-Match *", collT, set, backend.Conditions{IfMatch: anyTag}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := f.seq(t, f.cal.ID)
			propsBefore := len(f.props(t, tc.target))
			err := f.s.PatchProperties(ctx, backend.PropertyPatch{Target: tc.target, Set: tc.set, Cond: tc.cond})
			if !tc.fail {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, backend.ErrPreconditionFailed) {
				t.Fatalf("err = %v, want ErrPreconditionFailed", err)
			}
			if f.seq(t, f.cal.ID) != before || len(f.props(t, tc.target)) != propsBefore {
				t.Fatal("a refused PROPPATCH wrote")
			}
		})
	}
}

// A MOVE's or COPY's If sees the source and the destination as the
// transaction finds them.
func TestTransferIfSeesBoth(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	src := f.put(t, f.cal.ID, "a.ics", "ua", "A")
	dst := f.put(t, f.alt.ID, "a.ics", "ua", "A2")
	var seen [2]backend.State
	record := backend.Conditions{If: func(s, d backend.State) bool { seen = [2]backend.State{s, d}; return false }}
	seq := f.seq(t, f.alt.ID)
	if _, err := f.s.CopyObject(ctx, f.cal.ID, "a.ics", f.alt.ID, "a.ics", true, record); !errors.Is(err, backend.ErrPreconditionFailed) {
		t.Fatalf("copy with a false If: %v", err)
	}
	if want := [2]backend.State{{Exists: true, ETag: src.ETag}, {Exists: true, ETag: dst.ETag}}; seen != want {
		t.Fatalf("If saw %v, want %v", seen, want)
	}
	if _, err := f.s.MoveObject(ctx, f.cal.ID, "a.ics", f.alt.ID, "new.ics", true, record); !errors.Is(err, backend.ErrPreconditionFailed) {
		t.Fatalf("move with a false If: %v", err)
	}
	if want := [2]backend.State{{Exists: true, ETag: src.ETag}, {}}; seen != want {
		t.Fatalf("If saw %v, want %v", seen, want)
	}
	if f.seq(t, f.alt.ID) != seq {
		t.Fatal("a refused transfer wrote")
	}
	if got, err := f.s.GetObject(ctx, f.alt.ID, "a.ics", false); err != nil || got.ETag != dst.ETag {
		t.Fatalf("destination after refused transfers: %+v, %v", got, err)
	}
	ok := backend.Conditions{If: func(s, d backend.State) bool { return d.ETag == dst.ETag }}
	if replaced, err := f.s.MoveObject(ctx, f.cal.ID, "a.ics", f.alt.ID, "a.ics", true, ok); err != nil || !replaced {
		t.Fatalf("move with a true If: %v, %v", replaced, err)
	}
}

// A write that would replace an object with data of another UID is a
// *UIDConflictError naming the object it would replace, and writes
// nothing (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1).
func TestReplaceKeepsUID(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		op   func() error
		coll int64
	}{
		{"put", func() error {
			_, _, err := f.s.PutObject(ctx, write(f.cal.ID, "t-put.ics", "other", "B"), backend.Conditions{})
			return err
		}, f.cal.ID},
		{"put If-Match", func() error {
			o, err := f.s.GetObject(ctx, f.cal.ID, "t-put-if.ics", false)
			if err != nil {
				return err
			}
			_, _, err = f.s.PutObject(ctx, write(f.cal.ID, "t-put-if.ics", "other", "B"), backend.Conditions{IfMatch: tags(o.ETag)})
			return err
		}, f.cal.ID},
		{"move", func() error {
			_, err := f.s.MoveObject(ctx, f.alt.ID, "s-move.ics", f.cal.ID, "t-move.ics", true, backend.Conditions{})
			return err
		}, f.cal.ID},
		{"move in one collection", func() error {
			_, err := f.s.MoveObject(ctx, f.cal.ID, "s-move-in.ics", f.cal.ID, "t-move-in.ics", true, backend.Conditions{})
			return err
		}, f.cal.ID},
		{"copy", func() error {
			_, err := f.s.CopyObject(ctx, f.alt.ID, "s-copy.ics", f.cal.ID, "t-copy.ics", true, backend.Conditions{})
			return err
		}, f.cal.ID},
	} {
		t.Run(tc.name, func(t *testing.T) {
			suffix := map[string]string{"put": "put", "put If-Match": "put-if", "move": "move", "move in one collection": "move-in", "copy": "copy"}[tc.name]
			target := "t-" + suffix + ".ics"
			old := f.put(t, f.cal.ID, target, "uid-"+target, "old "+target)
			srcColl := f.alt.ID
			if tc.name == "move in one collection" {
				srcColl = f.cal.ID
			}
			if tc.name != "put" && tc.name != "put If-Match" {
				f.put(t, srcColl, "s-"+suffix+".ics", "uid-s-"+suffix, "source "+suffix)
			}
			seqCal, seqAlt := f.seq(t, f.cal.ID), f.seq(t, f.alt.ID)
			err := tc.op()
			var conflict *backend.UIDConflictError
			if !errors.As(err, &conflict) || conflict.Name != target || conflict.Replaced != "uid-"+target || !errors.Is(err, backend.ErrExists) {
				t.Fatalf("err = %#v, want a *UIDConflictError naming %s", err, target)
			}
			if f.seq(t, f.cal.ID) != seqCal || f.seq(t, f.alt.ID) != seqAlt {
				t.Fatal("a refused write changed a sync_seq")
			}
			if got, err := f.s.GetObject(ctx, f.cal.ID, target, false); err != nil || got.ETag != old.ETag || got.UID != old.UID {
				t.Fatalf("target after a refused write: %+v, %v", got, err)
			}
		})
	}
}

// An If evaluated by a MOVE and an If-Match of a PUT on one ETag, racing:
// exactly one wins. The MOVE's If sees the state its write replaces, so
// it cannot move an object the PUT changed meanwhile.
func TestMoveIfRacesPut(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	for round := range 10 {
		name := fmt.Sprintf("r%d.ics", round)
		cur := f.put(t, f.cal.ID, name, "uid-"+name, "v1")
		errs := race(2, func(i int) error {
			if i == 0 {
				_, err := f.s.MoveObject(ctx, f.cal.ID, name, f.alt.ID, name, false,
					backend.Conditions{If: func(s, _ backend.State) bool { return s.ETag == cur.ETag }})
				return err
			}
			_, _, err := f.s.PutObject(ctx, write(f.cal.ID, name, "uid-"+name, "v2"), backend.Conditions{IfMatch: tags(cur.ETag)})
			return err
		})
		ok := 0
		for i, err := range errs {
			switch {
			case err == nil:
				ok++
			case !errors.Is(err, backend.ErrPreconditionFailed):
				t.Fatalf("round %d: writer %d: %v", round, i, err)
			}
		}
		if ok != 1 {
			t.Fatalf("round %d: %d writers succeeded, want 1: %v", round, ok, errs)
		}
	}
}
