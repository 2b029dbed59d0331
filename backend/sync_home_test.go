package backend_test

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// homeDelta is a home delta as the test compares it: each slug with
// whether it was reported deleted.
type homeDelta map[string]bool

// homeSync asks the calendar home of f's owner for the changes since
// token (initial when token < 0) and returns them and the new token.
func (f fixture) homeSync(t *testing.T, s *backend.Store, token int64, limit int) (homeDelta, backend.HomeChangeSet) {
	t.Helper()
	q := backend.HomeChangeQuery{PrincipalID: f.owner.ID, Kind: backend.KindCalendar, Initial: token < 0, Since: token, Limit: limit}
	got, set, err := s.HomeChanges(t.Context(), q)
	if err != nil {
		t.Fatalf("HomeChanges(%+v): %v", q, err)
	}
	d := homeDelta{}
	last := int64(0)
	for _, c := range got {
		if _, twice := d[c.Slug]; twice {
			t.Fatalf("HomeChanges(%+v): %s twice in %+v", q, c.Slug, got)
		}
		if c.Seq <= last || c.Seq > set.Seq {
			t.Fatalf("HomeChanges(%+v): revisions out of order or beyond the token %d: %+v", q, set.Seq, got)
		}
		last = c.Seq
		if !c.Deleted && (c.Collection.Slug != c.Slug || c.Collection.ID == 0 || c.Collection.PrincipalID != f.owner.ID) {
			t.Fatalf("HomeChanges(%+v): change %+v without its collection", q, c)
		}
		d[c.Slug] = c.Deleted
	}
	return d, set
}

// Every kind of change to a collection of the home is in the next home
// delta, once, and nothing else is: creation, live and dead properties,
// member PUT, DELETE and MOVE (both collections), an import, a dead
// property of a member, deletion; and a delta from the first token holds
// them all, the deleted ones as tombstones.
func TestHomeChangesLog(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	s := f.s
	first, set := f.homeSync(t, s, -1, 0)
	if !maps.Equal(first, homeDelta{"cal": false, "alt": false}) {
		t.Fatalf("first home sync: %v", first)
	}
	initial := set.Seq
	name := "Renamed"
	var extra backend.Collection
	steps := []struct {
		name   string
		change func(t *testing.T)
		want   homeDelta
	}{
		{"nothing", func(*testing.T) {}, homeDelta{}},
		{"create", func(t *testing.T) {
			var err error
			if extra, err = s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "extra"}, nil); err != nil {
				t.Fatal(err)
			}
		}, homeDelta{"extra": false}},
		{"live property", func(t *testing.T) {
			patch(t, s, backend.PropertyPatch{Target: collTarget(f.owner.ID, f.alt.ID), Collection: &backend.CollectionUpdate{DisplayName: &name}})
		}, homeDelta{"alt": false}},
		{"dead property", func(t *testing.T) {
			patch(t, s, backend.PropertyPatch{Target: collTarget(f.owner.ID, f.cal.ID),
				Set: []backend.DeadProperty{{Namespace: "urn:x", Name: "y", Value: `<y xmlns="urn:x">1</y>`}}})
		}, homeDelta{"cal": false}},
		{"member PUT", func(t *testing.T) { f.put(t, f.cal.ID, "a.ics", "a", "one") }, homeDelta{"cal": false}},
		{"member PUT again, same bytes", func(t *testing.T) { f.put(t, f.cal.ID, "a.ics", "a", "one") }, homeDelta{}},
		{"member dead property", func(t *testing.T) {
			o, err := s.GetObject(ctx, f.cal.ID, "a.ics", false)
			if err != nil {
				t.Fatal(err)
			}
			patch(t, s, backend.PropertyPatch{Target: backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeObject, CollectionID: f.cal.ID, ObjectID: o.ID},
				Set: []backend.DeadProperty{{Namespace: "urn:x", Name: "z", Value: `<z xmlns="urn:x"/>`}}})
		}, homeDelta{"cal": false}},
		{"member MOVE", func(t *testing.T) {
			if _, err := s.MoveObject(ctx, f.cal.ID, "a.ics", f.alt.ID, "a.ics", false, backend.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}, homeDelta{"cal": false, "alt": false}},
		{"member DELETE", func(t *testing.T) {
			if err := s.DeleteObject(ctx, f.alt.ID, "a.ics", backend.Conditions{}); err != nil {
				t.Fatal(err)
			}
		}, homeDelta{"alt": false}},
		{"import", func(t *testing.T) { f.importNumbered(t, extra.ID, 3) }, homeDelta{"extra": false}},
		{"delete collection", func(t *testing.T) {
			if err := s.DeleteCollection(ctx, f.owner.ID, backend.KindCalendar, "extra"); err != nil {
				t.Fatal(err)
			}
		}, homeDelta{"extra": true}},
		{"address book", func(t *testing.T) {
			if _, err := s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindAddressBook, Slug: "book"}, nil); err != nil {
				t.Fatal(err)
			}
		}, homeDelta{}},
		{"create again with a deleted slug", func(t *testing.T) {
			if _, err := s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "extra"}, nil); err != nil {
				t.Fatal(err)
			}
		}, homeDelta{"extra": false}},
	}
	token := initial
	for _, step := range steps {
		step.change(t)
		got, set := f.homeSync(t, s, token, 0)
		if !maps.Equal(got, step.want) {
			t.Fatalf("%s: home delta %v, want %v", step.name, got, step.want)
		}
		if len(step.want) == 0 && set.Seq != token {
			t.Fatalf("%s: no change, but the token moved from %d to %d", step.name, token, set.Seq)
		}
		token = set.Seq
	}
	all, _ := f.homeSync(t, s, initial, 0)
	if want := (homeDelta{"cal": false, "alt": false, "extra": false}); !maps.Equal(all, want) {
		t.Fatalf("delta since the first token: %v, want %v", all, want)
	}
	books, _, err := s.HomeChanges(ctx, backend.HomeChangeQuery{PrincipalID: f.owner.ID, Kind: backend.KindAddressBook, Initial: true})
	if err != nil || len(books) != 1 || books[0].Slug != "book" {
		t.Fatalf("address book home: %+v, %v", books, err)
	}
	if seq, err := s.HomeSyncState(ctx, f.owner.ID, backend.KindCalendar); err != nil || seq != token {
		t.Fatalf("HomeSyncState = %d, %v; want the last token %d", seq, err, token)
	}
	// A change the log has not recorded yet moves the home's state too.
	f.put(t, f.cal.ID, "b.ics", "b", "two")
	if seq, err := s.HomeSyncState(ctx, f.owner.ID, backend.KindCalendar); err != nil || seq <= token {
		t.Fatalf("HomeSyncState after a PUT = %d, %v; want more than %d", seq, err, token)
	}
}

func collTarget(principal, collection int64) backend.PropertyTarget {
	return backend.PropertyTarget{PrincipalID: principal, Scope: backend.ScopeCollection, CollectionID: collection}
}

func patch(t *testing.T, s *backend.Store, p backend.PropertyPatch) {
	t.Helper()
	if err := s.PatchProperties(t.Context(), p); err != nil {
		t.Fatal(err)
	}
}

// Tokens the home never issued: beyond its counter, or another user's
// state; a home never synchronised has revision 0 and a usable token 0.
func TestHomeChangesTokenErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	_, set := f.homeSync(t, f.s, -1, 0)
	for _, since := range []int64{set.Seq + 1, 1 << 40} {
		_, _, err := f.s.HomeChanges(ctx, backend.HomeChangeQuery{PrincipalID: f.owner.ID, Kind: backend.KindCalendar, Since: since})
		if !errors.Is(err, backend.ErrTokenUnknown) {
			t.Errorf("since %d: %v, want ErrTokenUnknown", since, err)
		}
	}
	if _, _, err := f.s.HomeChanges(ctx, backend.HomeChangeQuery{PrincipalID: f.owner.ID, Kind: backend.KindCalendar, Since: -1}); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("since -1: %v, want ErrInvalid", err)
	}
	got, set, err := f.s.HomeChanges(ctx, backend.HomeChangeQuery{PrincipalID: f.owner.ID, Kind: backend.KindAddressBook})
	if err != nil || len(got) != 0 || set.Seq != 0 {
		t.Errorf("empty address book home from 0: %+v, %+v, %v", got, set, err)
	}
	if _, err := f.s.HomeSyncState(ctx, f.owner.ID+1000, backend.KindCalendar); err != nil {
		t.Errorf("HomeSyncState of a principal without collections: %v", err)
	}
}

// A home delta larger than the limit comes in pages, each continuing
// where the last stopped; the pages hold every change once, whatever
// changes between them.
func TestHomeChangesPaging(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	for i := range 5 {
		if _, err := f.s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: fmt.Sprint("c", i)}, nil); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name  string
		limit int
		pages int // pages up to the first that is not truncated
	}{
		{"limit 1", 1, 7},
		{"limit 2", 2, 4},
		{"limit 3", 3, 3},
		{"limit 7", 7, 1},
		{"no limit", 0, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			seen := homeDelta{}
			token, pages := int64(-1), 0
			for range 20 {
				pages++
				d, set := f.homeSync(t, f.s, token, tc.limit)
				if tc.limit > 0 && len(d) > tc.limit {
					t.Fatalf("page of %d with limit %d", len(d), tc.limit)
				}
				for slug := range d {
					if _, twice := seen[slug]; twice {
						t.Fatalf("%s on two pages", slug)
					}
				}
				maps.Copy(seen, d)
				token = set.Seq
				if !set.Truncated {
					break
				}
			}
			if len(seen) != 7 || pages != tc.pages {
				t.Fatalf("%d pages held %v; want 7 collections in %d pages", pages, seen, tc.pages)
			}
		})
	}
	// Changes between pages: the next page and the one after hold them.
	_, set := f.homeSync(t, f.s, -1, 0)
	token := set.Seq
	for _, slug := range []string{"c0", "c1", "c2"} {
		name := "x"
		c, err := f.s.GetCollection(ctx, f.owner.ID, backend.KindCalendar, slug)
		if err != nil {
			t.Fatal(err)
		}
		patch(t, f.s, backend.PropertyPatch{Target: collTarget(f.owner.ID, c.ID), Collection: &backend.CollectionUpdate{DisplayName: &name}})
	}
	page, set := f.homeSync(t, f.s, token, 2)
	if len(page) != 2 || !set.Truncated {
		t.Fatalf("first page %v, %+v", page, set)
	}
	if err := f.s.DeleteCollection(ctx, f.owner.ID, backend.KindCalendar, "c3"); err != nil {
		t.Fatal(err)
	}
	rest, set := f.homeSync(t, f.s, set.Seq, 2)
	maps.Copy(page, rest)
	if set.Truncated || !maps.Equal(page, homeDelta{"c0": false, "c1": false, "c2": false, "c3": true}) {
		t.Fatalf("pages %v, %+v", page, set)
	}
}

// Pruning removes the home tombstones older than the retention and
// raises the home's floor: a token from before is refused, one from
// after still works; present collections are never pruned.
func TestHomeChangesPrune(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	_, set := f.homeSync(t, f.s, -1, 0)
	before := set.Seq
	for _, slug := range []string{"gone", "recent"} {
		if _, err := f.s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: slug}, nil); err != nil {
			t.Fatal(err)
		}
	}
	f.homeSync(t, f.s, before, 0)
	if err := f.s.DeleteCollection(ctx, f.owner.ID, backend.KindCalendar, "gone"); err != nil {
		t.Fatal(err)
	}
	if d, _ := f.homeSync(t, f.s, before, 0); !d["gone"] {
		t.Fatalf("no tombstone for the deleted collection: %v", d)
	}
	if err := f.s.DeleteCollection(ctx, f.owner.ID, backend.KindCalendar, "recent"); err != nil {
		t.Fatal(err)
	}
	_, set = f.homeSync(t, f.s, before, 0)
	after := set.Seq
	if _, err := f.s.Pool().Exec(ctx, `UPDATE home_changes SET changed_at = now() - interval '100 days'
		WHERE principal_id = $1 AND slug IN ('gone', 'cal')`, f.owner.ID); err != nil {
		t.Fatal(err)
	}
	n, err := f.s.PruneTombstones(ctx, 90*24*time.Hour)
	if err != nil || n != 1 {
		t.Fatalf("PruneTombstones = %d, %v; want the one old home tombstone", n, err)
	}
	if got := f.count(t, `SELECT count(*) FROM home_changes WHERE principal_id = $1`, f.owner.ID); got != 3 {
		t.Fatalf("%d rows left in the home log, want cal, alt and the recent tombstone", got)
	}
	_, _, err = f.s.HomeChanges(ctx, backend.HomeChangeQuery{PrincipalID: f.owner.ID, Kind: backend.KindCalendar, Since: before})
	if !errors.Is(err, backend.ErrTokenExpired) {
		t.Fatalf("token from before the pruned point: %v, want ErrTokenExpired", err)
	}
	if d, _ := f.homeSync(t, f.s, after, 0); len(d) != 0 {
		t.Fatalf("token from after the pruned point: %v", d)
	}
	if d, _ := f.homeSync(t, f.s, -1, 0); !maps.Equal(d, homeDelta{"cal": false, "alt": false}) {
		t.Fatalf("initial after pruning: %v", d)
	}
	if n, err := f.s.PruneTombstones(ctx, 90*24*time.Hour); err != nil || n != 0 {
		t.Fatalf("second prune: %d, %v", n, err)
	}
}

// Writers change the collections of one home (PUT, DELETE, PROPPATCH,
// in three calendars) while clients on two nodes (two stores on one
// database) sync the home again and again with the tokens they got, in
// pages of random size. Each client keeps the sync_seq each collection
// had when reported; whenever one is reported, its change of at least
// that revision was committed before the answer, so a client whose view
// ends equal to the collections' state after a last sync missed nothing,
// and no token ever named a revision whose changes it did not hold.
func TestHomeChangesConcurrentWritersLoseNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	conn := backendtest.NewDatabase(t)
	first, second := backendtest.Open(t, conn), backendtest.Open(t, conn)
	p, err := first.CreatePrincipal(ctx, backend.Principal{Name: "erin"}, "$argon2id$test", []backend.Collection{
		{Kind: backend.KindCalendar, Slug: "cal"}, {Kind: backend.KindCalendar, Slug: "alt"}})
	if err != nil {
		t.Fatal(err)
	}
	f := fixture{s: first, owner: p}
	if f.cal, err = first.GetCollection(ctx, p.ID, backend.KindCalendar, "cal"); err != nil {
		t.Fatal(err)
	}
	if f.alt, err = first.GetCollection(ctx, p.ID, backend.KindCalendar, "alt"); err != nil {
		t.Fatal(err)
	}
	third, err := f.s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "third"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	colls := []int64{f.cal.ID, f.alt.ID, third.ID}
	const writers, ops, clients = 3, 40, 4
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for i := range ops {
				coll := colls[r.IntN(len(colls))]
				name := fmt.Sprintf("w%d-%d.ics", w, r.IntN(4))
				var err error
				switch r.IntN(4) {
				case 0:
					err = f.s.DeleteObject(ctx, coll, name, backend.Conditions{})
					if errors.Is(err, backend.ErrNotFound) {
						err = nil
					}
				case 1:
					dn := fmt.Sprint("op ", i)
					err = f.s.PatchProperties(ctx, backend.PropertyPatch{Target: collTarget(f.owner.ID, coll), Collection: &backend.CollectionUpdate{DisplayName: &dn}})
				default:
					_, _, err = f.s.PutObject(ctx, write(coll, name, fmt.Sprintf("%d-%s", coll, name), fmt.Sprint("op ", i)), backend.Conditions{})
				}
				if err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	t.Cleanup(wg.Wait) // no writer outlives the test, even a failed one
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	views := make([]map[string]int64, clients)
	tokens := make([]int64, clients)
	var cwg sync.WaitGroup
	for c := range clients {
		views[c], tokens[c] = map[string]int64{}, -1
		store := []*backend.Store{f.s, second}[c%2]
		cwg.Add(1)
		go func() {
			defer cwg.Done()
			r := rand.New(rand.NewPCG(uint64(c), 2))
			for rounds := 0; rounds < 1000; rounds++ {
				finished := false
				select {
				case <-done:
					finished = true
				default:
				}
				if !homePull(t, f, store, &tokens[c], views[c], []int{0, 1, 2}[r.IntN(3)]) || finished {
					return
				}
			}
		}()
	}
	cwg.Wait()
	<-done
	truth := map[string]int64{}
	for _, id := range colls {
		c, err := f.s.GetCollectionByID(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		truth[c.Slug] = c.SyncSeq
	}
	for c := range clients {
		homePull(t, f, []*backend.Store{f.s, second}[c%2], &tokens[c], views[c], 0)
		if !maps.Equal(views[c], truth) {
			t.Errorf("client %d: view %v, collections %v", c, views[c], truth)
		}
	}
}

// homePull syncs the home from *token to the end (every page), applying
// each answer to view (slug → sync_seq reported); false on an error.
func homePull(t *testing.T, f fixture, s *backend.Store, token *int64, view map[string]int64, limit int) bool {
	t.Helper()
	for range 100 {
		q := backend.HomeChangeQuery{PrincipalID: f.owner.ID, Kind: backend.KindCalendar, Initial: *token < 0, Since: *token, Limit: limit}
		got, set, err := s.HomeChanges(t.Context(), q)
		if err != nil {
			t.Error(err)
			return false
		}
		if set.Seq < *token {
			t.Errorf("token went back from %d to %d", *token, set.Seq)
			return false
		}
		for _, c := range got {
			if c.Deleted {
				delete(view, c.Slug)
				continue
			}
			if c.Collection.SyncSeq < view[c.Slug] {
				t.Errorf("%s reported at revision %d after %d", c.Slug, c.Collection.SyncSeq, view[c.Slug])
			}
			view[c.Slug] = c.Collection.SyncSeq
		}
		*token = set.Seq
		if !set.Truncated {
			return true
		}
	}
	t.Error("no end of pages")
	return false
}

// A principal's deletion takes its homes' logs with it, also while a
// catch-up is due (a collection changed since the last one).
func TestHomeChangesPrincipalDeleted(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.homeSync(t, f.s, -1, 0)
	f.put(t, f.cal.ID, "a.ics", "a", "one")
	if err := f.s.DeletePrincipal(ctx, f.owner.Name); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM homes WHERE principal_id = $1`, f.owner.ID) +
		f.count(t, `SELECT count(*) FROM home_changes WHERE principal_id = $1`, f.owner.ID); n != 0 {
		t.Fatalf("%d rows of the deleted principal's homes left", n)
	}
	got, set, err := f.s.HomeChanges(ctx, backend.HomeChangeQuery{PrincipalID: f.owner.ID, Kind: backend.KindCalendar, Initial: true})
	if err != nil || len(got) != 0 || set.Seq != 0 {
		t.Fatalf("home of a deleted principal: %+v, %+v, %v", got, set, err)
	}
}
