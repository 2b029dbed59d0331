package backend_test

import (
	"errors"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// delta is what one Changes call returned.
type delta struct {
	changes []backend.Change
	set     backend.ChangeSet
}

func (d delta) names() []string {
	var out []string
	for _, c := range d.changes {
		name := c.Name
		if c.Deleted {
			name = "-" + name
		}
		out = append(out, name)
	}
	return out
}

// changesOf runs Changes and collects what it returns (copying each
// change, which Changes reuses).
func changesOf(t testing.TB, s *backend.Store, q backend.ChangeQuery) delta {
	t.Helper()
	var d delta
	set, err := s.Changes(t.Context(), q, func(c *backend.Change) error {
		cp := *c
		cp.Properties = slices.Clone(c.Properties)
		d.changes = append(d.changes, cp)
		return nil
	})
	if err != nil {
		t.Fatalf("Changes(%+v): %v", q, err)
	}
	d.set = set
	return d
}

// A first sync lists every present member once and no tombstone (in no
// particular order when they fit in one answer); a delta lists each
// member changed since once, in change order, with its
// latest state, deleted ones as tombstones; the new revision is the
// collection's counter, which also moves with property changes.
func TestChangesInitialAndDelta(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.put(t, f.cal.ID, "a.ics", "a", "A1")                                                 // 1
	f.put(t, f.cal.ID, "b.ics", "b", "B1")                                                 // 2
	f.put(t, f.cal.ID, "c.ics", "c", "C1")                                                 // 3
	f.put(t, f.alt.ID, "x.ics", "x", "X1")                                                 // other collection
	if err := f.s.DeleteObject(ctx, f.cal.ID, "b.ics", backend.Conditions{}); err != nil { // 4
		t.Fatal(err)
	}
	first := changesOf(t, f.s, backend.ChangeQuery{CollectionID: f.cal.ID, Initial: true})
	if got := first.names(); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"a.ics", "c.ics"}) {
		t.Fatalf("initial = %v, want a.ics c.ics", got)
	}
	if first.set != (backend.ChangeSet{Seq: 4}) {
		t.Fatalf("initial set = %+v, want Seq 4", first.set)
	}
	i := slices.IndexFunc(first.changes, func(c backend.Change) bool { return c.Name == "a.ics" })
	a := first.changes[i].Object
	if a.ETag != backend.ETagOf([]byte("A1")) || a.Name != "a.ics" || a.CollectionID != f.cal.ID || a.ID == 0 || a.Data != nil || a.UID != "a" || a.Size != 2 {
		t.Fatalf("initial a.ics = %+v", a)
	}

	f.put(t, f.cal.ID, "a.ics", "a", "A2")                                                 // 5
	f.put(t, f.cal.ID, "a.ics", "a", "A3")                                                 // 6
	f.put(t, f.cal.ID, "d.ics", "d", "D1")                                                 // 7
	if err := f.s.DeleteObject(ctx, f.cal.ID, "c.ics", backend.Conditions{}); err != nil { // 8
		t.Fatal(err)
	}
	f.put(t, f.cal.ID, "b.ics", "b", "B2") // 9: re-created
	d := changesOf(t, f.s, backend.ChangeQuery{CollectionID: f.cal.ID, Since: first.set.Seq, WithData: true})
	if got := d.names(); !slices.Equal(got, []string{"a.ics", "d.ics", "-c.ics", "b.ics"}) {
		t.Fatalf("delta = %v", got)
	}
	if string(d.changes[0].Object.Data) != "A3" || d.changes[0].Seq != 6 || d.changes[2].Object.ID != 0 || d.changes[2].Object.ETag != "" {
		t.Fatalf("delta changes = %+v", d.changes)
	}
	if d.set.Seq != 9 || d.set.Truncated {
		t.Fatalf("delta set = %+v", d.set)
	}
	// A collection property change moves the counter, not the members.
	if _, err := f.s.Pool().Exec(ctx, `UPDATE collections SET sync_seq = sync_seq + 1 WHERE id = $1`, f.cal.ID); err != nil {
		t.Fatal(err)
	}
	if d := changesOf(t, f.s, backend.ChangeQuery{CollectionID: f.cal.ID, Since: 9}); len(d.changes) != 0 || d.set.Seq != 10 {
		t.Fatalf("after a property change: %v, %+v", d.names(), d.set)
	}
	// A revision token of the new collection (seq 0) lists everything
	// that happened, tombstones included.
	if d := changesOf(t, f.s, backend.ChangeQuery{CollectionID: f.cal.ID, Since: 0}); !slices.Equal(d.names(), []string{"a.ics", "d.ics", "-c.ics", "b.ics"}) {
		t.Fatalf("since 0 = %v", d.names())
	}
}

// Tokens the store cannot compute a delta from are refused before the
// callback runs.
func TestChangesTokenErrors(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.put(t, f.cal.ID, "a.ics", "a", "1")
	f.put(t, f.cal.ID, "a.ics", "a", "2")
	f.put(t, f.cal.ID, "a.ics", "a", "3")
	if _, err := f.s.Pool().Exec(ctx, `UPDATE collections SET sync_floor = 2 WHERE id = $1`, f.cal.ID); err != nil {
		t.Fatal(err)
	}
	called := func(*backend.Change) error { t.Error("callback called"); return nil }
	for _, tc := range []struct {
		q    backend.ChangeQuery
		want error
	}{
		{backend.ChangeQuery{CollectionID: f.cal.ID, Since: 4}, backend.ErrTokenUnknown},
		{backend.ChangeQuery{CollectionID: f.cal.ID, Since: 1}, backend.ErrTokenExpired},
		{backend.ChangeQuery{CollectionID: f.cal.ID, Since: 2, After: "a.ics"}, backend.ErrTokenExpired},
		{backend.ChangeQuery{CollectionID: f.cal.ID + 1000, Initial: true}, backend.ErrNotFound},
		{backend.ChangeQuery{CollectionID: f.cal.ID, Since: -1}, backend.ErrInvalid},
	} {
		if _, err := f.s.Changes(ctx, tc.q, called); !errors.Is(err, tc.want) {
			t.Errorf("Changes(%+v) = %v, want %v", tc.q, err, tc.want)
		}
	}
	for _, since := range []int64{2, 3} { // at the floor and at the counter
		if _, err := f.s.Changes(ctx, backend.ChangeQuery{CollectionID: f.cal.ID, Since: since}, func(*backend.Change) error { return nil }); err != nil {
			t.Errorf("since %d: %v", since, err)
		}
	}
	// An error of the callback comes back as it is.
	stop := errors.New("stop")
	if _, err := f.s.Changes(ctx, backend.ChangeQuery{CollectionID: f.cal.ID, Initial: true}, func(*backend.Change) error { return stop }); err != stop {
		t.Errorf("callback error came back as %v", err)
	}
}

// Dead properties come with their member, from the same snapshot.
func TestChangesWithProperties(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	o := f.put(t, f.cal.ID, "a.ics", "a", "1")
	f.put(t, f.cal.ID, "b.ics", "b", "1")
	err := f.s.PatchProperties(ctx, backend.PropertyPatch{
		Target: backend.PropertyTarget{PrincipalID: f.owner.ID, Scope: backend.ScopeObject, CollectionID: f.cal.ID, ObjectID: o.ID},
		Set: []backend.DeadProperty{
			{Namespace: "urn:z", Name: "z", Value: `<z xmlns="urn:z">1</z>`},
			{Namespace: "urn:a", Name: "a", Value: `<a xmlns="urn:a">2</a>`},
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	d := changesOf(t, f.s, backend.ChangeQuery{CollectionID: f.cal.ID, Initial: true, WithProperties: true})
	byName := map[string]backend.Change{}
	for _, c := range d.changes {
		byName[c.Name] = c
	}
	if got := byName["a.ics"].Properties; len(got) != 2 || got[0].Namespace != "urn:a" || got[1].Value != `<z xmlns="urn:z">1</z>` {
		t.Fatalf("a.ics properties = %+v", got)
	}
	if got := byName["b.ics"].Properties; len(got) != 0 {
		t.Fatalf("b.ics properties = %+v", got)
	}
}

// Paging walks a delta without gap or repeat, also through the one
// revision an import gives all its members, and also when members change
// between the pages.
func TestChangesPaging(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.put(t, f.cal.ID, "first.ics", "first", "1")                                 // 1
	if _, err := f.s.ImportObjects(ctx, f.cal.ID, importWrites(25)); err != nil { // 2, all 25
		t.Fatal(err)
	}
	f.put(t, f.cal.ID, "last.ics", "last", "1") // 3

	for _, limit := range []int{1, 2, 7, 26, 27, 100} {
		seen := map[string]bool{}
		q := backend.ChangeQuery{CollectionID: f.cal.ID, Initial: true, Limit: limit}
		for pages := 0; ; pages++ {
			if pages > 100 {
				t.Fatalf("limit %d: no end", limit)
			}
			d := changesOf(t, f.s, q)
			if len(d.changes) > limit || (d.set.Truncated && len(d.changes) != limit) {
				t.Fatalf("limit %d: page of %d, %+v", limit, len(d.changes), d.set)
			}
			for _, c := range d.changes {
				if seen[c.Name] {
					t.Fatalf("limit %d: %s twice", limit, c.Name)
				}
				seen[c.Name] = true
			}
			if !d.set.Truncated {
				if d.set.Seq != 3 || d.set.After != "" {
					t.Fatalf("limit %d: last page %+v", limit, d.set)
				}
				break
			}
			if last := d.changes[len(d.changes)-1]; last.Seq != d.set.Seq || (d.set.After != "" && d.set.After != last.Name) {
				t.Fatalf("limit %d: truncated at %+v after %s/%d", limit, d.set, last.Name, last.Seq)
			}
			q = backend.ChangeQuery{CollectionID: f.cal.ID, Since: d.set.Seq, After: d.set.After, Limit: limit}
		}
		if len(seen) != 27 {
			t.Fatalf("limit %d: %d members seen, want 27", limit, len(seen))
		}
	}

	// Changes between pages: a member already listed and changed again is
	// listed again; one not yet listed is listed once.
	d := changesOf(t, f.s, backend.ChangeQuery{CollectionID: f.cal.ID, Initial: true, Limit: 10})
	f.put(t, f.cal.ID, "first.ics", "first", "2")
	f.put(t, f.cal.ID, "imp-024.ics", "imp-024", "2")
	if err := f.s.DeleteObject(ctx, f.cal.ID, "imp-020.ics", backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	var rest []string
	q := backend.ChangeQuery{CollectionID: f.cal.ID, Since: d.set.Seq, After: d.set.After, Limit: 10}
	for {
		p := changesOf(t, f.s, q)
		rest = append(rest, p.names()...)
		if !p.set.Truncated {
			break
		}
		q = backend.ChangeQuery{CollectionID: f.cal.ID, Since: p.set.Seq, After: p.set.After, Limit: 10}
	}
	want := []string{}
	for i := 9; i < 25; i++ { // the import's members after the first page, but the two changed
		if i != 20 && i != 24 {
			want = append(want, fmt.Sprintf("imp-%03d.ics", i))
		}
	}
	want = append(want, "last.ics", "first.ics", "imp-024.ics", "-imp-020.ics")
	if !slices.Equal(rest, want) {
		t.Fatalf("after the first page: %v\nwant %v", rest, want)
	}
}

// Writers on several connections create, update and delete while a
// reader syncs with the tokens it gets, sometimes in small pages; the
// reader's view (an upsert per change, a delete per tombstone) must end
// equal to the collection, every round.
func TestChangesConcurrentWritersLoseNothing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	const rounds, writers, ops = 20, 4, 40
	deadline := time.Now().Add(12 * time.Second)
	for round := range rounds {
		if time.Now().After(deadline) {
			t.Logf("stopping after %d rounds (time budget)", round)
			break
		}
		coll, err := f.s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindCalendar, Slug: fmt.Sprintf("r%d", round)}, nil)
		if err != nil {
			t.Fatal(err)
		}
		view := map[string]string{} // name → etag
		var q backend.ChangeQuery
		pull := func(r *rand.Rand) delta {
			if q.CollectionID == 0 {
				q = backend.ChangeQuery{CollectionID: coll.ID, Initial: true}
			}
			q.Limit = []int{0, 0, 1, 3, 10}[r.IntN(5)]
			d := changesOf(t, f.s, q)
			for _, c := range d.changes {
				if c.Deleted {
					delete(view, c.Name)
				} else {
					view[c.Name] = c.Object.ETag
				}
			}
			q = backend.ChangeQuery{CollectionID: coll.ID, Since: d.set.Seq, After: d.set.After}
			return d
		}

		var wg sync.WaitGroup
		done := make(chan struct{})
		errs := make(chan error, writers)
		for w := range writers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := rand.New(rand.NewPCG(uint64(round), uint64(w)))
				for i := range ops {
					name := fmt.Sprintf("w%d-%d.ics", w, r.IntN(8))
					var err error
					if r.IntN(4) == 0 {
						err = f.s.DeleteObject(ctx, coll.ID, name, backend.Conditions{})
						if errors.Is(err, backend.ErrNotFound) {
							err = nil
						}
					} else {
						_, _, err = f.s.PutObject(ctx, write(coll.ID, name, name, fmt.Sprintf("r%d w%d op%d", round, w, i)), backend.Conditions{})
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		go func() { wg.Wait(); close(done) }()
		r := rand.New(rand.NewPCG(uint64(round), 99))
		for running := true; running; {
			select {
			case <-done:
				running = false
			default:
			}
			pull(r)
		}
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		for {
			if d := pull(r); !d.set.Truncated && len(d.changes) == 0 {
				break
			}
		}
		truth := map[string]string{}
		if err := f.s.ListObjects(ctx, coll.ID, false, func(o backend.Object) error { truth[o.Name] = o.ETag; return nil }); err != nil {
			t.Fatal(err)
		}
		if !maps.Equal(view, truth) {
			t.Fatalf("round %d: the reader's view\n%v\ndiffers from the collection\n%v", round, view, truth)
		}
	}
}

// Pruning removes old tombstones only, raises the floor to the highest
// pruned revision, and a token from before that is refused while one at
// or after it still works. Two nodes pruning at once agree.
func TestPruneTombstones(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.put(t, f.cal.ID, "keep.ics", "keep", "1")                     // 1
	f.put(t, f.cal.ID, "old1.ics", "old1", "1")                     // 2
	f.put(t, f.cal.ID, "old2.ics", "old2", "1")                     // 3
	f.put(t, f.cal.ID, "new.ics", "new", "1")                       // 4
	for _, n := range []string{"old1.ics", "old2.ics", "new.ics"} { // 5, 6, 7
		if err := f.s.DeleteObject(ctx, f.cal.ID, n, backend.Conditions{}); err != nil {
			t.Fatal(err)
		}
	}
	f.put(t, f.alt.ID, "alt.ics", "alt", "1")
	if err := f.s.DeleteObject(ctx, f.alt.ID, "alt.ics", backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	// Age the first two tombstones, the kept member and alt's tombstone.
	if _, err := f.s.Pool().Exec(ctx, `UPDATE changes SET changed_at = now() - interval '100 days'
		WHERE name IN ('old1.ics', 'old2.ics', 'keep.ics', 'alt.ics')`); err != nil {
		t.Fatal(err)
	}
	if _, err := f.s.PruneTombstones(ctx, 0); !errors.Is(err, backend.ErrInvalid) {
		t.Fatalf("PruneTombstones(0) = %v, want ErrInvalid", err)
	}
	var wg sync.WaitGroup
	counts := make([]int64, 2)
	for i := range counts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var err error
			if counts[i], err = f.s.PruneTombstones(ctx, 90*24*time.Hour); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if counts[0]+counts[1] != 3 {
		t.Fatalf("pruned %v tombstones, want 3 in all", counts)
	}
	if got := f.changes(t, f.cal.ID); !slices.Equal(got, []change{{"keep.ics", 1, false}, {"new.ics", 7, true}}) {
		t.Fatalf("change log after pruning: %v", got)
	}
	if _, floor, _ := f.s.CollectionSyncState(ctx, f.cal.ID); floor != 6 {
		t.Fatalf("floor = %d, want 6 (old2.ics's tombstone)", floor)
	}
	if _, floor, _ := f.s.CollectionSyncState(ctx, f.alt.ID); floor != 2 {
		t.Fatalf("alt floor = %d, want 2", floor)
	}
	if _, err := f.s.Changes(ctx, backend.ChangeQuery{CollectionID: f.cal.ID, Since: 5}, func(*backend.Change) error { return nil }); !errors.Is(err, backend.ErrTokenExpired) {
		t.Fatalf("token 5 after pruning: %v, want ErrTokenExpired", err)
	}
	if d := changesOf(t, f.s, backend.ChangeQuery{CollectionID: f.cal.ID, Since: 6}); !slices.Equal(d.names(), []string{"-new.ics"}) {
		t.Fatalf("token 6 after pruning: %v", d.names())
	}
	if d := changesOf(t, f.s, backend.ChangeQuery{CollectionID: f.cal.ID, Initial: true}); !slices.Equal(d.names(), []string{"keep.ics"}) {
		t.Fatalf("initial after pruning: %v", d.names())
	}
	// Nothing old is left: a second run removes nothing, the floor stays.
	if n, err := f.s.PruneTombstones(ctx, 90*24*time.Hour); err != nil || n != 0 {
		t.Fatalf("second prune: %d, %v", n, err)
	}
	// The lookup of old tombstones is an index scan of the tombstones.
	plan, err := f.s.Explain(ctx, `SELECT DISTINCT collection_id FROM changes WHERE deleted AND changed_at < now() - make_interval(secs => 3600) ORDER BY collection_id`)
	if err != nil {
		t.Fatal(err)
	}
	if !plan.Any(func(n backend.PlanNode) bool { return n.IndexName == "changes_tombstones_idx" }) {
		t.Logf("plan of the tombstone lookup (small table, the planner may scan it):\n%s", plan)
	}
}

// pagedCalendar imports n events into calendar "cal" in imports of page
// members each (one revision per import), and m into calendar "other", so
// that the change log holds a second large collection as a server's does
// (davload's 50 000 cards next to its 100 000 events). It returns the
// store and the calendar.
func pagedCalendar(tb testing.TB, n, page, m int) (*backend.Store, backend.Collection) {
	tb.Helper()
	ctx := tb.Context()
	s := backendtest.New(tb)
	p, err := s.CreatePrincipal(ctx, backend.Principal{Name: "paged"}, "$argon2id$test",
		[]backend.Collection{{Kind: backend.KindCalendar, Slug: "cal"}, {Kind: backend.KindCalendar, Slug: "other"}})
	if err != nil {
		tb.Fatal(err)
	}
	var cal backend.Collection
	for _, c := range []struct {
		slug       string
		n, perStep int
	}{{"other", m, 10000}, {"cal", n, page}} {
		coll, err := s.GetCollection(ctx, p.ID, backend.KindCalendar, c.slug)
		if err != nil {
			tb.Fatal(err)
		}
		for start := 0; start < c.n; start += c.perStep {
			batch := make([]backend.ObjectWrite, 0, c.perStep)
			for i := start; i < min(c.n, start+c.perStep); i++ {
				uid := fmt.Sprintf("%s-%06d", c.slug, i)
				batch = append(batch, write(0, uid+".ics", uid, benchEvent(uid, 0)))
			}
			if _, err := s.ImportObjects(ctx, coll.ID, batch); err != nil {
				tb.Fatal(err)
			}
		}
		cal = coll
	}
	if _, err := s.Pool().Exec(ctx, "VACUUM ANALYZE"); err != nil {
		tb.Fatal(err)
	}
	return s, cal
}

// pageThrough runs a paged first sync of the collection, as a client
// following 507 answers does, and returns the final revision. With one
// import per page, every page after the first ends on a revision
// boundary, so it runs the very statement a later delta with the same
// limit runs.
func pageThrough(tb testing.TB, s *backend.Store, collID int64, limit int) int64 {
	tb.Helper()
	q := backend.ChangeQuery{CollectionID: collID, Initial: true, Limit: limit}
	for range 1000 {
		set, err := s.Changes(tb.Context(), q, func(*backend.Change) error { return nil })
		if err != nil {
			tb.Fatal(err)
		}
		if !set.Truncated {
			return set.Seq
		}
		q = backend.ChangeQuery{CollectionID: collID, Since: set.Seq, After: set.After, Limit: limit}
	}
	tb.Fatal("more than 1000 pages")
	return 0
}

// The delta statement is planned with its values every time, never with
// the generic plan of pgx's cached prepared statement: after the pages of
// a first sync ran that statement with 2 000-row answers, PostgreSQL
// would otherwise switch to a generic plan (the custom ones looked
// expensive), one that assumes a third of the collection changed and,
// at davload's 100 000 events and 50 000 cards, runs a 10-change delta as
// a parallel Gather Merge, paying for a worker's start.
// Changes runs it as pgx's unnamed statement (QueryExecModeCacheDescribe),
// which PostgreSQL parses and plans anew at every execution, so no
// connection may hold it as a named prepared statement:
// pg_prepared_statements, which lists each connection's named statements
// with their generic and custom plan counts, must show none, and in
// particular no generic plan. Every connection of the pool is read.
func TestChangesDeltaPlansWithValues(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	const page = 2000
	s, cal := pagedCalendar(t, 10*page, page, 10000)
	for range 3 {
		pageThrough(t, s, cal.ID, page)
	}
	since, _, err := s.CollectionSyncState(ctx, cal.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		uid := fmt.Sprintf("cal-%06d", i*page)
		if _, _, err := s.PutObject(ctx, write(cal.ID, uid+".ics", uid, benchEvent(uid, 1)), backend.Conditions{}); err != nil {
			t.Fatal(err)
		}
	}
	for range 10 {
		if d := changesOf(t, s, backend.ChangeQuery{CollectionID: cal.ID, Since: since, Limit: page}); len(d.changes) != 10 {
			t.Fatalf("delta of %d changes, want 10", len(d.changes))
		}
	}
	var conns []*pgxpool.Conn
	defer func() {
		for _, c := range conns {
			c.Release()
		}
	}()
	var generic, named int64
	for range s.Pool().Stat().MaxConns() {
		c, err := s.Pool().Acquire(ctx)
		if err != nil {
			t.Fatal(err)
		}
		conns = append(conns, c)
		var g, n int64
		err = c.QueryRow(ctx, `SELECT coalesce(sum(generic_plans), 0)::bigint, count(*)
			FROM pg_prepared_statements
			WHERE statement LIKE '%FROM changes c%' AND statement NOT LIKE '%pg_prepared_statements%'`).Scan(&g, &n)
		if err != nil {
			t.Fatal(err)
		}
		generic, named = generic+g, named+n
	}
	if generic != 0 || named != 0 {
		t.Errorf("change statements: %d named prepared statements ran %d generic plans; want none (the unnamed statement, planned with its values)", named, generic)
	}
}

// On a collection PostgreSQL has no statistics of yet (imported a moment
// ago, before autovacuum analyzed it), a first sync and a delta still
// read each member through one probe of the objects key. A plain join
// filtered the whole collection once per change row instead.
func TestChangesWithoutStatistics(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	f.importNumbered(t, f.cal.ID, 1000)
	since := f.seq(t, f.cal.ID)
	f.put(t, f.cal.ID, "e0001.ics", "uid-e0001.ics", "changed")
	for _, q := range []backend.ChangeQuery{
		{CollectionID: f.cal.ID, Initial: true},
		{CollectionID: f.cal.ID, Initial: true, Limit: 100},
		{CollectionID: f.cal.ID, Since: since, WithData: true},
	} {
		plan, err := f.s.ExplainChanges(ctx, q, false)
		if err != nil {
			t.Fatal(err)
		}
		probe := plan.Any(func(n backend.PlanNode) bool {
			return n.RelationName == "objects" && n.IndexCond == "((collection_id = c.collection_id) AND (name = c.name))"
		})
		if !probe || plan.Any(func(n backend.PlanNode) bool { return n.JoinFilter != "" }) {
			t.Errorf("%+v: the members are not probes of the objects key:\n%s", q, plan)
		}
	}
}

// A first sync whose members fit in one answer lists them from objects
// alone, without the change log; one with more members pages through
// the change log in revision order. Either way every present member comes
// once, with its bytes and dead properties when asked, and the first page
// holds no tombstone; the limit itself still fits.
func TestChangesInitialListing(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t)
	var present []string
	for i := range 5 {
		name := fmt.Sprintf("m%d.ics", i)
		o := f.put(t, f.cal.ID, name, "uid-"+name, "data of "+name)
		if i == 2 {
			f.objectProp(t, o, "note of "+name)
		}
		present = append(present, name)
	}
	f.put(t, f.alt.ID, "other.ics", "other", "other")
	if err := f.s.DeleteObject(ctx, f.cal.ID, "m4.ics", backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	present = present[:4]
	counter := f.seq(t, f.cal.ID)
	for _, tc := range []struct {
		limit, pages int
	}{{0, 1}, {5, 1}, {4, 1}, {3, 2}, {1, 5}} {
		q := backend.ChangeQuery{CollectionID: f.cal.ID, Initial: true, Limit: tc.limit, WithData: true, WithProperties: true}
		var names []string
		pages := 0
		for range 10 {
			d := changesOf(t, f.s, q)
			pages++
			for _, c := range d.changes {
				if c.Deleted && pages > 1 {
					// A later page is a delta from the page before:
					// a tombstone there is a member the client never
					// had, which it ignores.
					continue
				}
				if c.Deleted || string(c.Object.Data) != "data of "+c.Name || c.Object.ETag != backend.ETagOf(c.Object.Data) {
					t.Errorf("limit %d: %+v", tc.limit, c)
				}
				wantProps := 0
				if c.Name == "m2.ics" {
					wantProps = 1
				}
				if len(c.Properties) != wantProps {
					t.Errorf("limit %d: %s has properties %+v", tc.limit, c.Name, c.Properties)
				}
				if tc.pages == 1 && c.Seq != counter {
					// Listed from objects, as of the counter.
					t.Errorf("limit %d: %s has revision %d, want the counter %d", tc.limit, c.Name, c.Seq, counter)
				}
				names = append(names, c.Name)
			}
			if !d.set.Truncated {
				if d.set.Seq != counter {
					t.Errorf("limit %d: token revision %d, want the counter %d", tc.limit, d.set.Seq, counter)
				}
				break
			}
			q = backend.ChangeQuery{CollectionID: f.cal.ID, Since: d.set.Seq, After: d.set.After, Limit: tc.limit, WithData: true, WithProperties: true}
		}
		if !slices.Equal(slices.Sorted(slices.Values(names)), present) || pages != tc.pages {
			t.Errorf("limit %d: %d pages of %v, want %d pages of %v", tc.limit, pages, names, tc.pages, present)
		}
	}

	for _, tc := range []struct {
		limit   int
		listing bool
	}{{0, true}, {4, true}, {3, false}} {
		plan, err := f.s.ExplainInitialListing(ctx, backend.ChangeQuery{CollectionID: f.cal.ID, Initial: true, Limit: tc.limit})
		if err != nil {
			t.Fatal(err)
		}
		if plan.Any(func(n backend.PlanNode) bool {
			return n.RelationName == "changes" || strings.HasPrefix(n.IndexName, "changes")
		}) {
			t.Errorf("limit %d: the listing reads the change log:\n%s", tc.limit, plan)
		}
		if listed := !plan.Any(func(n backend.PlanNode) bool { return n.ActualLoops == 0 }); listed != tc.listing {
			t.Errorf("limit %d: objects listed %v, want %v:\n%s", tc.limit, listed, tc.listing, plan)
		}
	}
}
