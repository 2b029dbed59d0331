package backend_test

import (
	"bytes"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgdav/pgdav/backend"
)

func TestETagOf(t *testing.T) {
	t.Parallel()
	a, b := backend.ETagOf([]byte("BEGIN:VCALENDAR\r\n")), backend.ETagOf([]byte("BEGIN:VCALENDAR\r\n"))
	if a != b || len(a) != 32 || strings.Trim(a, "0123456789abcdef") != "" {
		t.Fatalf("ETagOf = %q and %q, want equal 32 hex digits", a, b)
	}
	if backend.ETagOf([]byte("BEGIN:VCALENDAR\n")) == a {
		t.Fatal("different bytes, same tag")
	}
	// The first 16 bytes of SHA-256 of the empty string.
	if got := backend.ETagOf(nil); got != "e3b0c44298fc1c149afbf4c8996fb924" {
		t.Fatalf("ETagOf(nil) = %q", got)
	}
}

// Create, update and a re-PUT of identical bytes: only real changes get a
// new ETag, a new sync_seq and a change-log entry.
func TestPutObjectCreateUpdateUnchanged(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	v1, v2 := "BEGIN:VCALENDAR\r\nUID:u1\r\nEND:VCALENDAR\r\n", "BEGIN:VCALENDAR\r\nUID:u1\r\nSEQUENCE:1\r\nEND:VCALENDAR\r\n"

	o1, created, err := f.s.PutObject(ctx, write(f.cal.ID, "a.ics", "u1", v1), backend.Conditions{})
	if err != nil || !created {
		t.Fatalf("create: created=%v err=%v", created, err)
	}
	if o1.ID == 0 || o1.CollectionID != f.cal.ID || o1.Name != "a.ics" || o1.UID != "u1" || o1.ETag != backend.ETagOf([]byte(v1)) ||
		o1.Size != len(v1) || o1.Component != "VEVENT" || o1.ContentType != "text/calendar; charset=utf-8" || o1.Data != nil ||
		o1.CreatedAt.IsZero() || !o1.ModifiedAt.Equal(o1.CreatedAt) {
		t.Fatalf("created object = %+v", o1)
	}
	if seq := f.seq(t, f.cal.ID); seq != 1 {
		t.Fatalf("sync_seq after create = %d, want 1", seq)
	}
	if got, want := f.changes(t, f.cal.ID), []change{{"a.ics", 1, false}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}

	// Age the row by a second in the database rather than waiting, so
	// that the update's modified_at is later than created_at.
	if _, err := f.s.Pool().Exec(ctx, `UPDATE objects SET created_at = created_at - interval '1 second',
		modified_at = modified_at - interval '1 second' WHERE id = $1`, o1.ID); err != nil {
		t.Fatal(err)
	}
	o1.CreatedAt, o1.ModifiedAt = o1.CreatedAt.Add(-time.Second), o1.ModifiedAt.Add(-time.Second)
	o2, created, err := f.s.PutObject(ctx, write(f.cal.ID, "a.ics", "u1", v2), backend.Conditions{})
	if err != nil || created {
		t.Fatalf("update: created=%v err=%v", created, err)
	}
	if o2.ID != o1.ID || o2.ETag == o1.ETag || o2.ETag != backend.ETagOf([]byte(v2)) || o2.Size != len(v2) ||
		!o2.CreatedAt.Equal(o1.CreatedAt) || !o2.ModifiedAt.After(o1.ModifiedAt) {
		t.Fatalf("updated object = %+v, was %+v", o2, o1)
	}
	if got, want := f.changes(t, f.cal.ID), []change{{"a.ics", 2, false}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}

	o3, created, err := f.s.PutObject(ctx, write(f.cal.ID, "a.ics", "u1", v2), backend.Conditions{IfMatch: tags(o2.ETag)})
	if err != nil || created {
		t.Fatalf("unchanged: created=%v err=%v", created, err)
	}
	if !sameObject(o3, o2) {
		t.Fatalf("unchanged re-PUT returned %+v, want %+v", o3, o2)
	}
	if seq := f.seq(t, f.cal.ID); seq != 2 {
		t.Fatalf("sync_seq after unchanged re-PUT = %d, want 2", seq)
	}
	if got, want := f.changes(t, f.cal.ID), []change{{"a.ics", 2, false}}; !reflect.DeepEqual(got, want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}

	got, err := f.s.GetObject(ctx, f.cal.ID, "a.ics", true)
	if err != nil || string(got.Data) != v2 || !got.ModifiedAt.Equal(o2.ModifiedAt) {
		t.Fatalf("GetObject with data = %+v, %v", got, err)
	}
	got.Data = nil
	if !sameObject(got, o2) {
		t.Fatalf("GetObject = %+v, want %+v", got, o2)
	}
	if got, err := f.s.GetObject(ctx, f.cal.ID, "a.ics", false); err != nil || got.Data != nil || got.ETag != o2.ETag {
		t.Fatalf("GetObject without data = %+v, %v", got, err)
	}
	if _, err := f.s.GetObject(ctx, f.cal.ID, "missing.ics", false); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("GetObject of a missing object: %v", err)
	}
	if _, err := f.s.GetObject(ctx, f.alt.ID, "a.ics", false); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("GetObject in the other collection: %v", err)
	}
}

// GET returns exactly the bytes PUT stored.
func TestObjectDataVerbatim(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	binaryish := make([]byte, 0, 255)
	for b := 1; b < 256; b++ {
		binaryish = append(binaryish, byte(b))
	}
	big := bytes.Repeat([]byte("DESCRIPTION:0123456789 abcdefghijklmnopqrstuvwxyz ÄÖÜ €\r\n"), 1<<20/60+1)[:1<<20]
	for i, data := range map[string][]byte{
		"crlf":      []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"),
		"lf-folded": []byte("BEGIN:VCARD\nFN:Zoë\n  Ünïcödé 日本語 🎉\nEND:VCARD\n"),
		"trailing":  []byte("BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n\r\n  \t"),
		"bytes":     binaryish,
		"1MB":       big,
	} {
		t.Run(i, func(t *testing.T) {
			o, _, err := f.s.PutObject(ctx, write(f.cal.ID, i+".ics", i, string(data)), backend.Conditions{})
			if err != nil {
				t.Fatal(err)
			}
			got, err := f.s.GetObject(ctx, f.cal.ID, i+".ics", true)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Data, data) || got.Size != len(data) || o.Size != len(data) || got.ETag != backend.ETagOf(data) {
				t.Fatalf("stored %d bytes (size %d, etag %s), got %d back (size %d, etag %s)",
					len(data), o.Size, o.ETag, len(got.Data), got.Size, got.ETag)
			}
		})
	}
}

// If-Match and If-None-Match, on a new and on an existing object.
func TestPutObjectConditions(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	cur := f.put(t, f.cal.ID, "a.ics", "uid-a.ics", "v1")
	// "CUR" in a tag list stands for a.ics's ETag at the time of the case.
	const CUR = "CUR"
	for _, tc := range []struct {
		name   string
		target string // "a.ics" exists, "new.ics" does not
		cond   backend.Conditions
		fail   bool
	}{
		{"If-None-Match * on existing", "a.ics", backend.Conditions{IfNoneMatch: anyTag}, true},
		{"If-None-Match * on new", "new.ics", backend.Conditions{IfNoneMatch: anyTag}, false},
		{"If-None-Match current tag", "a.ics", backend.Conditions{IfNoneMatch: tags("x", CUR)}, true},
		{"If-None-Match other tag", "a.ics", backend.Conditions{IfNoneMatch: tags("x")}, false},
		{"If-Match wrong tag", "a.ics", backend.Conditions{IfMatch: tags("x")}, true},
		{"If-Match quoted tag", "a.ics", backend.Conditions{IfMatch: tags(`"CUR"`)}, true},
		{"If-Match current tag", "a.ics", backend.Conditions{IfMatch: tags("x", CUR)}, false},
		{"If-Match * on existing", "a.ics", backend.Conditions{IfMatch: anyTag}, false},
		{"If-Match * on new", "new.ics", backend.Conditions{IfMatch: anyTag}, true},
		{"If-Match tag on new", "new.ics", backend.Conditions{IfMatch: tags(CUR)}, true},
		{"If-Match ok, If-None-Match fails", "a.ics", backend.Conditions{IfMatch: tags(CUR), IfNoneMatch: anyTag}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, set := range []*backend.ETagSet{tc.cond.IfMatch, tc.cond.IfNoneMatch} {
				if set != nil {
					for i := range set.Tags {
						set.Tags[i] = strings.ReplaceAll(set.Tags[i], CUR, cur.ETag)
					}
				}
			}
			before := f.seq(t, f.cal.ID)
			// Each write carries new bytes, so a success is a real change.
			data := fmt.Sprintf("data for %s", tc.name)
			o, _, err := f.s.PutObject(ctx, write(f.cal.ID, tc.target, "uid-"+tc.target, data), tc.cond)
			if tc.fail {
				if !errors.Is(err, backend.ErrPreconditionFailed) {
					t.Fatalf("err = %v, want ErrPreconditionFailed", err)
				}
				if seq := f.seq(t, f.cal.ID); seq != before {
					t.Fatalf("sync_seq moved from %d to %d on a failed precondition", before, seq)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v, want success", err)
			}
			if tc.target == "a.ics" {
				cur = o
			} else if err := f.s.DeleteObject(ctx, f.cal.ID, tc.target, backend.Conditions{}); err != nil {
				t.Fatal(err)
			}
		})
	}
	if got, err := f.s.GetObject(ctx, f.cal.ID, "a.ics", false); err != nil || got.ETag != cur.ETag {
		t.Fatalf("a.ics = %+v, %v; want etag %s", got, err, cur.ETag)
	}
}

// A UID held by another name is refused with that name; nothing is written.
func TestPutObjectUIDConflict(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.put(t, f.cal.ID, "a.ics", "shared-uid", "v1")
	before := f.seq(t, f.cal.ID)
	for _, name := range []string{"b.ics", "a-renamed.ics"} {
		_, _, err := f.s.PutObject(ctx, write(f.cal.ID, name, "shared-uid", "v2"), backend.Conditions{})
		var conflict *backend.UIDConflictError
		if !errors.As(err, &conflict) || conflict.Name != "a.ics" || conflict.UID != "shared-uid" || !errors.Is(err, backend.ErrExists) {
			t.Fatalf("put %s: err = %v, want *UIDConflictError naming a.ics that is ErrExists", name, err)
		}
		if _, err := f.s.GetObject(ctx, f.cal.ID, name, false); !errors.Is(err, backend.ErrNotFound) {
			t.Fatalf("%s was written despite the conflict: %v", name, err)
		}
	}
	if seq := f.seq(t, f.cal.ID); seq != before {
		t.Fatalf("sync_seq %d -> %d after refused writes", before, seq)
	}
	if n := len(f.changes(t, f.cal.ID)); n != 1 {
		t.Fatalf("%d change rows, want 1", n)
	}
	// The same UID in another collection is fine; so is re-using the UID at
	// its own name.
	f.put(t, f.alt.ID, "b.ics", "shared-uid", "v2")
	f.put(t, f.cal.ID, "a.ics", "shared-uid", "v3")
}

func TestPutObjectValidation(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	for _, tc := range []struct {
		name string
		w    backend.ObjectWrite
		want error
	}{
		{"empty name", write(f.cal.ID, "", "u", "x"), backend.ErrInvalid},
		{"dot name", write(f.cal.ID, "..", "u", "x"), backend.ErrInvalid},
		{"slash", write(f.cal.ID, "a/b.ics", "u", "x"), backend.ErrInvalid},
		{"control", write(f.cal.ID, "a\nb.ics", "u", "x"), backend.ErrInvalid},
		{"not UTF-8", write(f.cal.ID, "a\xff.ics", "u", "x"), backend.ErrInvalid},
		{"long", write(f.cal.ID, strings.Repeat("x", 513), "u", "x"), backend.ErrInvalid},
		{"empty UID", write(f.cal.ID, "a.ics", "", "x"), backend.ErrInvalid},
		{"backwards span", func() backend.ObjectWrite {
			w := write(f.cal.ID, "a.ics", "u", "x")
			w.Span = &backend.Span{Start: time.Unix(2000, 0), End: time.Unix(1000, 0)}
			return w
		}(), backend.ErrInvalid},
		{"unknown collection", write(f.cal.ID+1000, "a.ics", "u", "x"), backend.ErrNotFound},
	} {
		if _, _, err := f.s.PutObject(ctx, tc.w, backend.Conditions{}); !errors.Is(err, tc.want) {
			t.Errorf("%s: err = %v, want %v", tc.name, err, tc.want)
		}
	}
	// Names are any URL segment: spaces, '@', non-ASCII, 512 bytes.
	for _, name := range []string{"with space.ics", "a@b.ics", "événement.ics", strings.Repeat("y", 512)} {
		f.put(t, f.cal.ID, name, "uid "+name, "x")
	}
}

// The span column holds the calendar time span the caller computed.
func TestPutObjectSpan(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	start := time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)
	end := start.Add(time.Hour)
	for _, tc := range []struct {
		name string
		span *backend.Span
		want string // span::text with the session in UTC
	}{
		{"none", nil, "<NULL>"},
		{"bounded", &backend.Span{Start: start, End: end}, `["2024-03-01 09:00:00+00","2024-03-01 10:00:00+00"]`},
		{"instant", &backend.Span{Start: start, End: start}, `["2024-03-01 09:00:00+00","2024-03-01 09:00:00+00"]`},
		{"unbounded above", &backend.Span{Start: start}, `["2024-03-01 09:00:00+00",)`},
		{"unbounded below", &backend.Span{End: end}, `(,"2024-03-01 10:00:00+00"]`},
	} {
		w := write(f.cal.ID, tc.name+".ics", tc.name, "x")
		w.Span = tc.span
		if _, _, err := f.s.PutObject(ctx, w, backend.Conditions{}); err != nil {
			t.Fatal(err)
		}
		var got string
		err := pgx.BeginFunc(ctx, f.s.Pool(), func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SET LOCAL TimeZone = 'UTC'`); err != nil {
				return err
			}
			return tx.QueryRow(ctx, `SELECT coalesce(span::text, '<NULL>') FROM objects WHERE name = $1`, tc.name+".ics").Scan(&got)
		})
		if err != nil || got != tc.want {
			t.Errorf("%s: span = %s (%v), want %s", tc.name, got, err, tc.want)
		}
	}
	// The GiST pre-filter finds the instant and the open-ended ones.
	n := f.count(t, `SELECT count(*) FROM objects WHERE collection_id = $1 AND span && tstzrange($2, $3)`,
		f.cal.ID, start, start.Add(time.Minute))
	if n != 4 {
		t.Fatalf("%d objects overlap the first minute, want 4", n)
	}
}

func TestDeleteObject(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	a := f.put(t, f.cal.ID, "a.ics", "ua", "A")
	f.put(t, f.cal.ID, "b.ics", "ub", "B")
	if err := f.s.PatchProperties(ctx, backend.PropertyPatch{
		Target: backend.PropertyTarget{Scope: backend.ScopeObject, ObjectID: a.ID},
		Set:    []backend.DeadProperty{{Namespace: "urn:x", Name: "p", Value: "<p xmlns='urn:x'/>"}},
	}); err != nil {
		t.Fatal(err)
	}
	before := f.seq(t, f.cal.ID) // 3

	// A mismatched If-Match leaves the object alone.
	if err := f.s.DeleteObject(ctx, f.cal.ID, "a.ics", backend.Conditions{IfMatch: tags("nope")}); !errors.Is(err, backend.ErrPreconditionFailed) {
		t.Fatalf("If-Match mismatch: %v", err)
	}
	if _, err := f.s.GetObject(ctx, f.cal.ID, "a.ics", false); err != nil {
		t.Fatalf("object gone after a failed delete: %v", err)
	}
	if seq := f.seq(t, f.cal.ID); seq != before {
		t.Fatalf("sync_seq %d -> %d after a failed delete", before, seq)
	}

	if err := f.s.DeleteObject(ctx, f.cal.ID, "a.ics", backend.Conditions{IfMatch: tags(a.ETag)}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.GetObject(ctx, f.cal.ID, "a.ics", false); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("after delete: %v", err)
	}
	want := []change{{"b.ics", 2, false}, {"a.ics", before + 1, true}}
	if got := f.changes(t, f.cal.ID); !reflect.DeepEqual(got, want) {
		t.Fatalf("changes = %v, want %v", got, want)
	}
	if n := f.count(t, `SELECT count(*) FROM properties WHERE object_id = $1`, a.ID); n != 0 {
		t.Fatalf("%d properties of the deleted object remain", n)
	}

	for _, tc := range []struct {
		cond backend.Conditions
		want error
	}{
		{backend.Conditions{}, backend.ErrNotFound},
		{backend.Conditions{IfNoneMatch: anyTag}, backend.ErrNotFound},
		{backend.Conditions{IfMatch: anyTag}, backend.ErrPreconditionFailed},
		{backend.Conditions{IfMatch: tags(a.ETag)}, backend.ErrPreconditionFailed},
	} {
		if err := f.s.DeleteObject(ctx, f.cal.ID, "a.ics", tc.cond); !errors.Is(err, tc.want) {
			t.Errorf("delete missing with %+v: err = %v, want %v", tc.cond, err, tc.want)
		}
	}
	if err := f.s.DeleteObject(ctx, f.cal.ID, "b.ics", backend.Conditions{IfNoneMatch: anyTag}); !errors.Is(err, backend.ErrPreconditionFailed) {
		t.Fatalf("If-None-Match * on an existing object: %v", err)
	}
	if err := f.s.DeleteObject(ctx, f.cal.ID+1000, "b.ics", backend.Conditions{}); !errors.Is(err, backend.ErrNotFound) {
		t.Fatalf("unknown collection: %v", err)
	}
	if seq := f.seq(t, f.cal.ID); seq != before+1 {
		t.Fatalf("sync_seq = %d, want %d", seq, before+1)
	}
	// Re-creating the name turns the tombstone back into a change.
	f.put(t, f.cal.ID, "a.ics", "ua", "A2")
	if got := f.changes(t, f.cal.ID); got[len(got)-1] != (change{"a.ics", before + 2, false}) {
		t.Fatalf("changes = %v", got)
	}
}

func TestListObjects(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	const n = 2000
	// Inserted in one statement, in an order unlike the names'.
	_, err := f.s.Pool().Exec(ctx, `
		WITH o AS (
			INSERT INTO objects (collection_id, name, uid, etag, size, content_type, component)
			SELECT $1, format('obj-%s.ics', lpad(i::text, 4, '0')), 'uid-' || i,
				'etag-' || i, length('data ' || i), 'text/calendar', 'VEVENT'
			FROM generate_series($2::int, 1, -1) AS i
			RETURNING id, uid
		)
		INSERT INTO object_bodies (object_id, data)
		SELECT id, convert_to('data ' || substr(uid, 5), 'UTF8') FROM o`, f.cal.ID, n)
	if err != nil {
		t.Fatal(err)
	}
	f.put(t, f.alt.ID, "obj-0001.ics", "other", "in the other calendar")

	for _, withData := range []bool{false, true} {
		var names []string
		err := f.s.ListObjects(ctx, f.cal.ID, withData, func(o backend.Object) error {
			names = append(names, o.Name)
			var i int
			if _, err := fmt.Sscanf(o.Name, "obj-%d.ics", &i); err != nil {
				return err
			}
			if o.CollectionID != f.cal.ID || o.UID != fmt.Sprintf("uid-%d", i) || o.ETag != fmt.Sprintf("etag-%d", i) {
				return fmt.Errorf("object %d = %+v", i, o)
			}
			if withData != (o.Data != nil) || (withData && string(o.Data) != fmt.Sprintf("data %d", i)) {
				return fmt.Errorf("object %d: withData=%v, data %q", i, withData, o.Data)
			}
			return nil
		})
		if err != nil {
			t.Fatalf("withData=%v: %v", withData, err)
		}
		slices.Sort(names)
		if len(names) != n || names[0] != "obj-0001.ics" || slices.Compact(names) == nil || len(slices.Compact(names)) != n {
			t.Fatalf("withData=%v: %d names, first %q", withData, len(names), names[0])
		}
	}

	// An error from fn stops the iteration and comes back as it is.
	stop := errors.New("client went away")
	calls := 0
	err = f.s.ListObjects(ctx, f.cal.ID, true, func(backend.Object) error {
		calls++
		if calls == 10 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 10 {
		t.Fatalf("err = %v after %d calls, want the callback's error after 10", err, calls)
	}
	// The connection is usable afterwards.
	if _, err := f.s.GetObject(ctx, f.cal.ID, "obj-0010.ics", false); err != nil {
		t.Fatal(err)
	}
	calls = 0
	if err := f.s.ListObjects(ctx, f.cal.ID+1000, false, func(backend.Object) error { calls++; return nil }); err != nil || calls != 0 {
		t.Fatalf("unknown collection: %d calls, %v", calls, err)
	}
}

// race runs fn(0) … fn(n-1) at once, as nearly as goroutines allow, and
// returns their errors by index.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

// racers is how many writers each race test runs at once: as many as the
// test store's pool has connections.
const racers = 4

// Concurrent creates of one new name with If-None-Match: *: exactly one
// is created, the others fail their precondition, and the change log
// records the one write.
func TestPutObjectConcurrentCreateIfNoneMatch(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	for round := range 15 {
		name := fmt.Sprintf("r%d.ics", round)
		before := f.seq(t, f.cal.ID)
		etags := make([]string, racers)
		created := make([]bool, racers)
		errs := race(racers, func(i int) (err error) {
			var o backend.Object
			o, created[i], err = f.s.PutObject(ctx, write(f.cal.ID, name, fmt.Sprintf("uid-%d-%d", round, i), fmt.Sprintf("v%d", i)),
				backend.Conditions{IfNoneMatch: anyTag})
			etags[i] = o.ETag
			return err
		})
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && created[i] && winner < 0:
				winner = i
			case errors.Is(err, backend.ErrPreconditionFailed):
			default:
				t.Fatalf("round %d: writer %d: created=%v, err = %v; want one creation, the rest ErrPreconditionFailed (all: %v)", round, i, created[i], err, errs)
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: nobody created %s: %v", round, name, errs)
		}
		if got, err := f.s.GetObject(ctx, f.cal.ID, name, false); err != nil || got.ETag != etags[winner] {
			t.Fatalf("round %d: stored %+v, %v; want the winner's etag %s", round, got, err, etags[winner])
		}
		if seq := f.seq(t, f.cal.ID); seq != before+1 {
			t.Fatalf("round %d: sync_seq %d -> %d, want one change", round, before, seq)
		}
	}
	if n := f.count(t, `SELECT count(*) FROM objects WHERE collection_id = $1`, f.cal.ID); n != 15 {
		t.Fatalf("%d objects, want 15", n)
	}
}

// Concurrent creates of different names with one UID: exactly one is
// stored, the others get a *UIDConflictError naming it.
func TestPutObjectConcurrentUIDConflict(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	for round := range 15 {
		uid := fmt.Sprintf("shared-%d", round)
		name := func(i int) string { return fmt.Sprintf("r%d-w%d.ics", round, i) }
		before := f.seq(t, f.cal.ID)
		errs := race(racers, func(i int) error {
			// Half of the writers ask for a creation, half do not care.
			var cond backend.Conditions
			if i%2 == 0 {
				cond.IfNoneMatch = anyTag
			}
			_, _, err := f.s.PutObject(ctx, write(f.cal.ID, name(i), uid, "v"), cond)
			return err
		})
		winner := -1
		for i, err := range errs {
			if err == nil && winner < 0 {
				winner = i
			}
		}
		if winner < 0 {
			t.Fatalf("round %d: no write succeeded: %v", round, errs)
		}
		for i, err := range errs {
			if i == winner {
				continue
			}
			var conflict *backend.UIDConflictError
			if !errors.As(err, &conflict) || conflict.Name != name(winner) || conflict.UID != uid {
				t.Fatalf("round %d: writer %d: err = %v, want *UIDConflictError naming %s", round, i, err, name(winner))
			}
			if _, err := f.s.GetObject(ctx, f.cal.ID, name(i), false); !errors.Is(err, backend.ErrNotFound) {
				t.Fatalf("round %d: %s was stored despite the conflict: %v", round, name(i), err)
			}
		}
		if seq := f.seq(t, f.cal.ID); seq != before+1 {
			t.Fatalf("round %d: sync_seq %d -> %d, want one change", round, before, seq)
		}
	}
}

// Concurrent unconditional PUTs of one new name: one creates it, the others
// replace it, and each of them is one change in the log.
func TestPutObjectConcurrentSameName(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	for round := range 10 {
		name := fmt.Sprintf("r%d.ics", round)
		before := f.seq(t, f.cal.ID)
		etags := make([]string, racers)
		created := make([]bool, racers)
		errs := race(racers, func(i int) (err error) {
			var o backend.Object
			o, created[i], err = f.s.PutObject(ctx, write(f.cal.ID, name, "uid-"+name, fmt.Sprintf("v%d", i)), backend.Conditions{})
			etags[i] = o.ETag
			return err
		})
		n := 0
		for i, err := range errs {
			if err != nil {
				t.Fatalf("round %d: writer %d: %v", round, i, err)
			}
			if created[i] {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d writers created %s, want 1", round, n, name)
		}
		got, err := f.s.GetObject(ctx, f.cal.ID, name, false)
		if err != nil || !slices.Contains(etags, got.ETag) {
			t.Fatalf("round %d: stored %+v, %v; want one of %v", round, got, err, etags)
		}
		if seq := f.seq(t, f.cal.ID); seq != before+racers {
			t.Fatalf("round %d: sync_seq %d -> %d, want %d changes", round, before, seq, racers)
		}
	}
}

// Concurrent writes conditional on one ETag: exactly one wins, the others
// fail their precondition (no lost update); concurrent DELETEs of one
// object: one deletes it, the others find nothing.
func TestObjectConcurrentIfMatchAndDelete(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	for round := range 10 {
		cur := f.put(t, f.cal.ID, "a.ics", "uid-a", fmt.Sprintf("round %d", round))
		before := f.seq(t, f.cal.ID)
		errs := race(racers, func(i int) error {
			_, _, err := f.s.PutObject(ctx, write(f.cal.ID, "a.ics", "uid-a", fmt.Sprintf("round %d writer %d", round, i)),
				backend.Conditions{IfMatch: tags(cur.ETag)})
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
			t.Fatalf("round %d: %d If-Match writes succeeded, want 1: %v", round, ok, errs)
		}
		if seq := f.seq(t, f.cal.ID); seq != before+1 {
			t.Fatalf("round %d: sync_seq %d -> %d, want one change", round, before, seq)
		}
	}
	before := f.seq(t, f.cal.ID)
	errs := race(racers, func(int) error { return f.s.DeleteObject(ctx, f.cal.ID, "a.ics", backend.Conditions{}) })
	ok := 0
	for i, err := range errs {
		switch {
		case err == nil:
			ok++
		case !errors.Is(err, backend.ErrNotFound):
			t.Fatalf("delete %d: %v", i, err)
		}
	}
	if ok != 1 {
		t.Fatalf("%d deletes succeeded, want 1: %v", ok, errs)
	}
	if seq := f.seq(t, f.cal.ID); seq != before+1 {
		t.Fatalf("sync_seq %d -> %d, want one tombstone", before, seq)
	}
	if got := f.changes(t, f.cal.ID); len(got) != 1 || !got[0].Deleted || got[0].Seq != before+1 {
		t.Fatalf("change log %+v, want one tombstone of a.ics at %d", got, before+1)
	}
}
