package backend_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// fixture is a fresh database with one user and two calendars.
type fixture struct {
	s        *backend.Store
	owner    backend.Principal
	cal, alt backend.Collection
}

func newFixture(t *testing.T) fixture {
	t.Helper()
	ctx := t.Context()
	s := backendtest.New(t)
	p, err := s.CreatePrincipal(ctx, backend.Principal{Name: "erin"}, "$argon2id$test", []backend.Collection{
		{Kind: backend.KindCalendar, Slug: "cal"},
		{Kind: backend.KindCalendar, Slug: "alt"},
	})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{s: s, owner: p}
	if f.cal, err = s.GetCollection(ctx, p.ID, backend.KindCalendar, "cal"); err != nil {
		t.Fatal(err)
	}
	if f.alt, err = s.GetCollection(ctx, p.ID, backend.KindCalendar, "alt"); err != nil {
		t.Fatal(err)
	}
	return f
}

// write is an ObjectWrite of a calendar object.
func write(collectionID int64, name, uid, data string) backend.ObjectWrite {
	return backend.ObjectWrite{CollectionID: collectionID, Name: name, UID: uid, Data: []byte(data),
		Component: "VEVENT", ContentType: "text/calendar; charset=utf-8"}
}

// put stores an object and fails the test on error.
func (f fixture) put(t *testing.T, collectionID int64, name, uid, data string) backend.Object {
	t.Helper()
	o, _, err := f.s.PutObject(t.Context(), write(collectionID, name, uid, data), backend.Conditions{})
	if err != nil {
		t.Fatalf("put %q: %v", name, err)
	}
	return o
}

// seq returns the collection's sync_seq.
func (f fixture) seq(t *testing.T, collectionID int64) int64 {
	t.Helper()
	seq, _, err := f.s.CollectionSyncState(t.Context(), collectionID)
	if err != nil {
		t.Fatal(err)
	}
	return seq
}

// change is a row of the change log.
type change struct {
	Name    string
	Seq     int64
	Deleted bool
}

// changes returns the collection's change log ordered by seq.
func (f fixture) changes(t *testing.T, collectionID int64) []change {
	t.Helper()
	rows, err := f.s.Pool().Query(t.Context(),
		`SELECT name, seq, deleted FROM changes WHERE collection_id = $1 ORDER BY seq`, collectionID)
	if err != nil {
		t.Fatal(err)
	}
	var out []change
	for rows.Next() {
		var c change
		if err := rows.Scan(&c.Name, &c.Seq, &c.Deleted); err != nil {
			t.Fatal(err)
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// count runs a SELECT count(*) … query.
func (f fixture) count(t *testing.T, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := f.s.Pool().QueryRow(t.Context(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}

func tags(t ...string) *backend.ETagSet { return &backend.ETagSet{Tags: t} }

var anyTag = &backend.ETagSet{Any: true}

// sameObject compares two objects, times by instant.
func sameObject(a, b backend.Object) bool {
	for _, o := range []*backend.Object{&a, &b} {
		o.CreatedAt, o.ModifiedAt = o.CreatedAt.UTC(), o.ModifiedAt.UTC()
	}
	return reflect.DeepEqual(a, b)
}

// importNumbered imports n objects e0000.ics, e0001.ics, … (UID "uid-"
// and the name, bytes "data of " and the name) into the collection in
// one ImportObjects: a collection PostgreSQL has no statistics of yet.
func (f fixture) importNumbered(t *testing.T, collectionID int64, n int) {
	t.Helper()
	batch := make([]backend.ObjectWrite, n)
	for i := range batch {
		name := fmt.Sprintf("e%04d.ics", i)
		batch[i] = write(collectionID, name, "uid-"+name, "data of "+name)
	}
	if _, err := f.s.ImportObjects(t.Context(), collectionID, batch); err != nil {
		t.Fatal(err)
	}
}
