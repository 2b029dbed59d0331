package backend_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

func prop(name, value string) backend.DeadProperty {
	return backend.DeadProperty{Namespace: "urn:x", Name: name, Value: value}
}

func (f fixture) props(t *testing.T, target backend.PropertyTarget) []backend.DeadProperty {
	t.Helper()
	props, err := f.s.ListProperties(t.Context(), target)
	if err != nil {
		t.Fatal(err)
	}
	return props
}

func (f fixture) patch(t *testing.T, p backend.PropertyPatch) {
	t.Helper()
	if err := f.s.PatchProperties(t.Context(), p); err != nil {
		t.Fatal(err)
	}
}

func TestDeadPropertiesOfHomesAndPrincipals(t *testing.T) {
	t.Parallel()
	f := newFixture(t)
	home := backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCalendarHome}
	f.patch(t, backend.PropertyPatch{Target: home, Set: []backend.DeadProperty{
		prop("b", "<b xmlns='urn:x'>1</b>"),
		{Namespace: "", Name: "plain", Value: "<plain>é &amp; 日本</plain>"},
		prop("a", "<a xmlns='urn:x' attr=\"v\"><nested/></a>"),
	}})
	want := []backend.DeadProperty{
		{Namespace: "", Name: "plain", Value: "<plain>é &amp; 日本</plain>"},
		prop("a", "<a xmlns='urn:x' attr=\"v\"><nested/></a>"),
		prop("b", "<b xmlns='urn:x'>1</b>"),
	}
	if got := f.props(t, home); !reflect.DeepEqual(got, want) {
		t.Fatalf("calendar home = %v, want %v", got, want)
	}
	for _, scope := range []string{backend.ScopeAddressBookHome, backend.ScopePrincipal} {
		if got := f.props(t, backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: scope}); len(got) != 0 {
			t.Fatalf("%s has %v", scope, got)
		}
	}
	// Set replaces, Remove deletes, removing an absent property is fine.
	f.patch(t, backend.PropertyPatch{Target: home,
		Set:    []backend.DeadProperty{prop("b", "<b xmlns='urn:x'>2</b>")},
		Remove: []backend.PropertyName{{Namespace: "urn:x", Name: "a"}, {Namespace: "urn:x", Name: "absent"}},
	})
	want = []backend.DeadProperty{want[0], prop("b", "<b xmlns='urn:x'>2</b>")}
	if got := f.props(t, home); !reflect.DeepEqual(got, want) {
		t.Fatalf("after the second patch = %v, want %v", got, want)
	}
	// Homes have no counters.
	if f.seq(t, f.cal.ID) != 0 || f.seq(t, f.alt.ID) != 0 {
		t.Fatal("a home property bumped a collection")
	}
	principal := backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopePrincipal}
	f.patch(t, backend.PropertyPatch{Target: principal, Set: []backend.DeadProperty{prop("p", "<p xmlns='urn:x'/>")}})
	if got := f.props(t, principal); len(got) != 1 {
		t.Fatalf("principal = %v", got)
	}
	if err := f.s.PatchProperties(t.Context(), backend.PropertyPatch{
		Target: backend.PropertyTarget{PrincipalID: f.owner.ID + 1000, Scope: backend.ScopePrincipal},
		Set:    []backend.DeadProperty{prop("p", "<p/>")},
	}); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("unknown principal: %v", err)
	}
}

func TestDeadPropertiesOfCollectionsAndObjects(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	coll := backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCollection, CollectionID: f.cal.ID}
	name, color, order := "Renamed", "#00FF00", 7
	// Age the collection by a second in the database rather than waiting,
	// so that the patch's updated_at is later.
	if _, err := f.s.Pool().Exec(ctx, `UPDATE collections SET updated_at = updated_at - interval '1 second' WHERE id = $1`, f.cal.ID); err != nil {
		t.Fatal(err)
	}
	before, err := f.s.GetCollectionByID(ctx, f.cal.ID)
	if err != nil {
		t.Fatal(err)
	}
	f.patch(t, backend.PropertyPatch{Target: coll,
		Collection: &backend.CollectionUpdate{DisplayName: &name, Color: &color, Order: &order},
		Set:        []backend.DeadProperty{prop("c", "<c xmlns='urn:x'/>")},
	})
	got, err := f.s.GetCollectionByID(ctx, f.cal.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.DisplayName != name || got.Color != color || got.Order == nil || *got.Order != 7 || got.Description != "" ||
		got.SyncSeq != 1 || !got.UpdatedAt.After(before.UpdatedAt) {
		t.Fatalf("collection after patch = %+v", got)
	}
	if c := f.changes(t, f.cal.ID); len(c) != 0 {
		t.Fatalf("a collection property change wrote member changes %v", c)
	}
	if got := f.props(t, coll); !reflect.DeepEqual(got, []backend.DeadProperty{prop("c", "<c xmlns='urn:x'/>")}) {
		t.Fatalf("collection properties = %v", got)
	}
	// The owner may be left out; it is looked up.
	if got := f.props(t, backend.PropertyTarget{Scope: backend.ScopeCollection, CollectionID: f.cal.ID}); len(got) != 1 {
		t.Fatalf("collection properties without owner = %v", got)
	}
	// Dead properties only, and clearing the order.
	f.patch(t, backend.PropertyPatch{Target: coll, Collection: &backend.CollectionUpdate{ClearOrder: true}})
	f.patch(t, backend.PropertyPatch{Target: coll, Remove: []backend.PropertyName{{Namespace: "urn:x", Name: "c"}}})
	if got, _ := f.s.GetCollectionByID(ctx, f.cal.ID); got.Order != nil || got.DisplayName != name || got.SyncSeq != 3 {
		t.Fatalf("collection after clearing = %+v", got)
	}
	if got := f.props(t, coll); len(got) != 0 {
		t.Fatalf("collection properties after remove = %v", got)
	}

	// Object properties bump the collection and record the member.
	o1 := f.put(t, f.cal.ID, "one.ics", "u1", "1")
	o2 := f.put(t, f.cal.ID, "two.ics", "u2", "2")
	f.put(t, f.cal.ID, "three.ics", "u3", "3")
	seq := f.seq(t, f.cal.ID)
	for _, o := range []backend.Object{o1, o2} {
		f.patch(t, backend.PropertyPatch{
			Target: backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeObject, CollectionID: f.cal.ID, ObjectID: o.ID},
			Set:    []backend.DeadProperty{prop("z", "<z xmlns='urn:x'>"+o.Name+"</z>"), prop("y", "<y xmlns='urn:x'/>")},
		})
	}
	if got := f.seq(t, f.cal.ID); got != seq+2 {
		t.Fatalf("sync_seq = %d, want %d", got, seq+2)
	}
	if got, want := lastChange(t, f, f.cal.ID), (change{"two.ics", seq + 2, false}); got != want {
		t.Fatalf("last change = %v, want %v", got, want)
	}
	all, err := f.s.ListObjectProperties(ctx, f.cal.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64][]backend.DeadProperty{
		o1.ID: {prop("y", "<y xmlns='urn:x'/>"), prop("z", "<z xmlns='urn:x'>one.ics</z>")},
		o2.ID: {prop("y", "<y xmlns='urn:x'/>"), prop("z", "<z xmlns='urn:x'>two.ics</z>")},
	}
	if !reflect.DeepEqual(all, want) {
		t.Fatalf("ListObjectProperties = %v, want %v", all, want)
	}
	// Collection properties are not object properties, and vice versa.
	if got := f.props(t, coll); len(got) != 0 {
		t.Fatalf("collection properties = %v", got)
	}
	if m, err := f.s.ListObjectProperties(ctx, f.alt.ID); err != nil || len(m) != 0 {
		t.Fatalf("other collection: %v, %v", m, err)
	}
	// An object target found by object ID alone.
	if got := f.props(t, backend.PropertyTarget{Scope: backend.ScopeObject, ObjectID: o1.ID}); !reflect.DeepEqual(got, want[o1.ID]) {
		t.Fatalf("object properties by ID = %v", got)
	}
}

func TestPatchPropertiesRefused(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	o := f.put(t, f.cal.ID, "o.ics", "u", "x")
	other, err := f.s.CreatePrincipal(ctx, backend.Principal{Name: "frank"}, "$argon2id$test", nil)
	if err != nil {
		t.Fatal(err)
	}
	coll := backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCollection, CollectionID: f.cal.ID}
	order, name := 1, "n"
	ok := []backend.DeadProperty{prop("ok", "<ok xmlns='urn:x'/>")}
	for _, tc := range []struct {
		name string
		p    backend.PropertyPatch
		want error
	}{
		{"unknown scope", backend.PropertyPatch{Target: backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: "home"}, Set: ok}, backend.ErrInvalid},
		{"home with a collection", backend.PropertyPatch{Target: backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCalendarHome, CollectionID: f.cal.ID}, Set: ok}, backend.ErrInvalid},
		{"collection without id", backend.PropertyPatch{Target: backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCollection}, Set: ok}, backend.ErrInvalid},
		{"live properties of an object", backend.PropertyPatch{Target: backend.PropertyTarget{Scope: backend.ScopeObject, ObjectID: o.ID}, Collection: &backend.CollectionUpdate{DisplayName: &name}}, backend.ErrInvalid},
		{"order set and cleared", backend.PropertyPatch{Target: coll, Collection: &backend.CollectionUpdate{Order: &order, ClearOrder: true}}, backend.ErrInvalid},
		{"empty name", backend.PropertyPatch{Target: coll, Set: []backend.DeadProperty{{Namespace: "urn:x", Value: "<x/>"}}}, backend.ErrInvalid},
		{"empty value", backend.PropertyPatch{Target: coll, Set: []backend.DeadProperty{prop("v", "")}}, backend.ErrInvalid},
		{"NUL in value", backend.PropertyPatch{Target: coll, Set: []backend.DeadProperty{prop("v", "<v>\x00</v>")}}, backend.ErrInvalid},
		{"set and removed", backend.PropertyPatch{Target: coll, Set: ok, Remove: []backend.PropertyName{{Namespace: "urn:x", Name: "ok"}}}, backend.ErrInvalid},
		{"unknown collection", backend.PropertyPatch{Target: backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCollection, CollectionID: f.cal.ID + 1000}, Set: ok}, backend.ErrNotFound},
		{"another owner's collection", backend.PropertyPatch{Target: backend.PropertyTarget{PrincipalID: other.ID, Scope: backend.ScopeCollection, CollectionID: f.cal.ID}, Set: ok}, backend.ErrNotFound},
		{"object in another collection", backend.PropertyPatch{Target: backend.PropertyTarget{Scope: backend.ScopeObject, CollectionID: f.alt.ID, ObjectID: o.ID}, Set: ok}, backend.ErrNotFound},
		{"unknown object", backend.PropertyPatch{Target: backend.PropertyTarget{Scope: backend.ScopeObject, ObjectID: o.ID + 1000}, Set: ok}, backend.ErrNotFound},
	} {
		if err := f.s.PatchProperties(ctx, tc.p); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM properties`); n != 0 {
		t.Fatalf("refused patches stored %d properties", n)
	}
	if f.seq(t, f.cal.ID) != 1 || f.seq(t, f.alt.ID) != 0 {
		t.Fatal("refused patches bumped a collection")
	}
}

// A PROPPATCH is all or nothing (RFC 4918 9.2), whether the store refuses
// it before writing or the database fails halfway.
func TestPatchPropertiesIsAtomic(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	coll := backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCollection, CollectionID: f.cal.ID}
	old := "Old"
	f.patch(t, backend.PropertyPatch{Target: coll,
		Collection: &backend.CollectionUpdate{DisplayName: &old},
		Set:        []backend.DeadProperty{prop("p1", "<p1 xmlns='urn:x'>1</p1>"), prop("p2", "<p2 xmlns='urn:x'>2</p2>")},
	})
	before, err := f.s.GetCollectionByID(ctx, f.cal.ID)
	if err != nil {
		t.Fatal(err)
	}
	beforeProps := f.props(t, coll)

	fresh, broken := "New", "New\x00" // PostgreSQL text cannot hold NUL
	for _, tc := range []struct {
		name string
		p    backend.PropertyPatch
		want error // nil: any error
	}{
		{"refused before writing", backend.PropertyPatch{Target: coll,
			Collection: &backend.CollectionUpdate{DisplayName: &fresh},
			Remove:     []backend.PropertyName{{Namespace: "urn:x", Name: "p1"}},
			Set:        []backend.DeadProperty{prop("p2", "<p2 xmlns='urn:x'>changed</p2>"), {Namespace: "urn:x", Name: "", Value: "<x/>"}},
		}, backend.ErrInvalid},
		{"failing in the database after the dead properties", backend.PropertyPatch{Target: coll,
			Collection: &backend.CollectionUpdate{DisplayName: &broken},
			Remove:     []backend.PropertyName{{Namespace: "urn:x", Name: "p1"}},
			Set:        []backend.DeadProperty{prop("p2", "<p2 xmlns='urn:x'>changed</p2>"), prop("p3", "<p3 xmlns='urn:x'/>")},
		}, nil},
	} {
		err := f.s.PatchProperties(ctx, tc.p)
		if err == nil || (tc.want != nil && !errors.Is(err, tc.want)) {
			t.Fatalf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
		after, err := f.s.GetCollectionByID(ctx, f.cal.ID)
		if err != nil {
			t.Fatal(err)
		}
		if after.DisplayName != "Old" || after.SyncSeq != before.SyncSeq || !after.UpdatedAt.Equal(before.UpdatedAt) {
			t.Fatalf("%s: collection changed: %+v", tc.name, after)
		}
		if got := f.props(t, coll); !reflect.DeepEqual(got, beforeProps) {
			t.Fatalf("%s: properties = %v, want %v", tc.name, got, beforeProps)
		}
	}
}

func TestCreateCollectionWithProperties(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	props := []backend.DeadProperty{prop("b", "<b xmlns='urn:x'/>"), prop("a", "<a xmlns='urn:x'/>")}
	c, err := f.s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "new", DisplayName: "New"}, props)
	if err != nil {
		t.Fatal(err)
	}
	if c.SyncSeq != 0 || c.DisplayName != "New" {
		t.Fatalf("created %+v", c)
	}
	got := f.props(t, backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCollection, CollectionID: c.ID})
	if !reflect.DeepEqual(got, []backend.DeadProperty{props[1], props[0]}) {
		t.Fatalf("properties = %v", got)
	}
	if byID, err := f.s.GetCollectionByID(ctx, c.ID); err != nil || byID.Slug != "new" || byID.PrincipalID != f.owner.ID || byID.Kind != backend.KindCalendar {
		t.Fatalf("GetCollectionByID = %+v, %v", byID, err)
	}
	if _, err := f.s.GetCollectionByID(ctx, c.ID+1000); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("GetCollectionByID of an unknown id: %v", err)
	}

	// A property that cannot be stored leaves no collection behind.
	bad := []backend.DeadProperty{prop("ok", "<ok/>"), prop("", "<x/>")}
	if _, err := f.s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "bad"}, bad); !errors.Is(err, backend.ErrInvalid) {
		t.Fatalf("invalid property: %v", err)
	}
	if _, err := f.s.GetCollection(ctx, f.owner.ID, backend.KindCalendar, "bad"); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("collection created despite an invalid property: %v", err)
	}
	if _, err := f.s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "new"}, props); !errors.Is(err, backend.ErrExists) {
		t.Fatalf("duplicate slug: %v", err)
	}
	if _, err := f.s.CreateCollection(ctx, f.owner.ID+1000, backend.Collection{Kind: backend.KindCalendar, Slug: "x"}, nil); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("unknown principal: %v", err)
	}
	if n := f.count(t, `SELECT count(*) FROM properties`); n != 2 {
		t.Fatalf("%d properties stored, want 2", n)
	}
}

// Deleting a collection removes its objects, change log and properties,
// and nothing of its neighbours.
func TestDeleteCollectionCascades(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	for _, id := range []int64{f.cal.ID, f.alt.ID} {
		o := f.put(t, id, "o.ics", "u", "x")
		f.put(t, id, "gone.ics", "g", "x")
		if err := f.s.DeleteObject(ctx, id, "gone.ics", backend.Conditions{}); err != nil {
			t.Fatal(err)
		}
		f.objectProp(t, o, "<note xmlns='urn:x'/>")
		f.patch(t, backend.PropertyPatch{Target: backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeCollection, CollectionID: id},
			Set: []backend.DeadProperty{prop("c", "<c xmlns='urn:x'/>")}})
	}
	if err := f.s.DeleteCollection(ctx, f.owner.ID, backend.KindCalendar, "cal"); err != nil {
		t.Fatal(err)
	}
	for _, table := range []string{"objects", "changes", "properties"} {
		if n := f.count(t, `SELECT count(*) FROM `+table+` WHERE collection_id = $1`, f.cal.ID); n != 0 {
			t.Errorf("%d rows of the deleted collection remain in %s", n, table)
		}
		if n := f.count(t, `SELECT count(*) FROM `+table+` WHERE collection_id = $1`, f.alt.ID); n == 0 {
			t.Errorf("the other collection lost its rows in %s", table)
		}
	}
	if _, _, err := f.s.CollectionSyncState(ctx, f.cal.ID); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("sync state of a deleted collection: %v", err)
	}
}
