package backend_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// The delta of sync-collection costs what changed, not what the
// collection holds: a 10-change delta on 1 000 and on 100 000 objects.
//
//	go test ./backend -run '^$' -bench Changes -benchtime 200x -v

// syncBenchCalendar imports n events into a fresh calendar, then changes
// ten of them one by one (as PUTs do), and returns the revision from
// before the ten changes.
func syncBenchCalendar(tb testing.TB, n int) (*backend.Store, backend.Collection, int64) {
	tb.Helper()
	ctx := tb.Context()
	s := backendtest.New(tb)
	p, err := s.CreatePrincipal(ctx, backend.Principal{Name: "bench"}, "$argon2id$bench",
		[]backend.Collection{{Kind: backend.KindCalendar, Slug: "cal"}})
	if err != nil {
		tb.Fatal(err)
	}
	cal, err := s.GetCollection(ctx, p.ID, backend.KindCalendar, "cal")
	if err != nil {
		tb.Fatal(err)
	}
	for start := 0; start < n; start += 10000 {
		batch := make([]backend.ObjectWrite, 0, 10000)
		for i := start; i < min(n, start+10000); i++ {
			uid := fmt.Sprintf("ev-%06d", i)
			batch = append(batch, write(0, uid+".ics", uid, benchEvent(uid, 0)))
		}
		if _, err := s.ImportObjects(ctx, cal.ID, batch); err != nil {
			tb.Fatal(err)
		}
	}
	if _, err := s.Pool().Exec(ctx, "VACUUM ANALYZE"); err != nil {
		tb.Fatal(err)
	}
	since, _, err := s.CollectionSyncState(ctx, cal.ID)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 10 {
		uid := fmt.Sprintf("ev-%06d", i*(n/10))
		if _, _, err := s.PutObject(ctx, write(cal.ID, uid+".ics", uid, benchEvent(uid, 1)), backend.Conditions{}); err != nil {
			tb.Fatal(err)
		}
	}
	return s, cal, since
}

func benchEvent(uid string, rev int) string {
	return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//bench//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260105T100000Z\r\nDTEND:20260105T110000Z\r\nSUMMARY:event " +
		uid + fmt.Sprintf(" rev %d", rev) + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
}

func BenchmarkChanges(b *testing.B) {
	ctx := b.Context()
	for _, n := range []int{1000, 100000} {
		s, cal, since := syncBenchCalendar(b, n)
		for _, withData := range []bool{false, true} {
			q := backend.ChangeQuery{CollectionID: cal.ID, Since: since, WithData: withData, Limit: 10000}
			plan, err := s.ExplainChanges(ctx, q, false)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("objects=%d/delta-10/data=%v", n, withData), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					got := 0
					if _, err := s.Changes(ctx, q, func(*backend.Change) error { got++; return nil }); err != nil || got != 10 {
						b.Fatalf("delta of %d, %v", got, err)
					}
				}
				b.Logf("EXPLAIN ANALYZE:\n%s", plan)
			})
		}
		// A page of a paged first sync (getetag only), at the start and
		// at the end of the collection: its cost does not depend on
		// where it starts, nor on the collection's size.
		last, err := s.Changes(ctx, backend.ChangeQuery{CollectionID: cal.ID, Initial: true, Limit: n - 1000}, func(*backend.Change) error { return nil })
		if err != nil {
			b.Fatal(err)
		}
		for _, page := range []struct {
			name string
			q    backend.ChangeQuery
		}{
			{"first", backend.ChangeQuery{CollectionID: cal.ID, Initial: true, Limit: 1000}},
			{"last", backend.ChangeQuery{CollectionID: cal.ID, Since: last.Seq, After: last.After, Limit: 1000}},
		} {
			if page.name == "last" && n <= 1000 {
				continue // the first page is the last
			}
			b.Run(fmt.Sprintf("objects=%d/page-1000-%s", n, page.name), func(b *testing.B) {
				b.ReportAllocs()
				for b.Loop() {
					got := 0
					if _, err := s.Changes(ctx, page.q, func(*backend.Change) error { got++; return nil }); err != nil || got != 1000 {
						b.Fatalf("page of %d, %v", got, err)
					}
				}
			})
		}
	}
}

// The delta statement is an ordered scan of changes_seq_idx from the
// token on (no scan of the collection, no sort), for a delta, a page of a
// first sync and a page that continues inside an import's revision, and
// reads the member rows through the objects key; with the values known
// and in the generic plan of a cached statement.
func TestChangesPlanUsesSeqIndex(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, cal, since := syncBenchCalendar(t, 20000)
	for _, q := range []backend.ChangeQuery{
		{CollectionID: cal.ID, Since: since},
		{CollectionID: cal.ID, Since: since, WithData: true, WithProperties: true, Limit: 10000},
		{CollectionID: cal.ID, Initial: true, Limit: 100},
		{CollectionID: cal.ID, Since: since, After: "ev-010000.ics", Limit: 100},
	} {
		for _, generic := range []bool{false, true} {
			plan, err := s.ExplainChanges(ctx, q, generic)
			if err != nil {
				t.Fatal(err)
			}
			ordered := plan.Any(func(n backend.PlanNode) bool { return n.NodeType == "Index Scan" && n.IndexName == "changes_seq_idx" })
			if !ordered || plan.Any(func(n backend.PlanNode) bool { return strings.Contains(n.NodeType, "Sort") }) {
				t.Errorf("%+v (generic plan %v): not an ordered scan of changes_seq_idx:\n%s", q, generic, plan)
			}
			if plan.Any(func(n backend.PlanNode) bool { return n.NodeType == "Seq Scan" && n.RelationName == "objects" }) {
				t.Errorf("%+v (generic plan %v): the plan scans objects:\n%s", q, generic, plan)
			}
			t.Logf("%+v (generic plan %v):\n%s", q, generic, plan)
		}
	}
}

// davload's sync-delta at 100 000 events: the token comes after a paged
// first sync (10 000 members a page, the server's default), which runs
// the delta's own statement ten times with large answers, and the change
// log also holds 50 000 members of another collection. The delta must
// cost what BenchmarkChanges's does (TestChangesDeltaPlansWithValues).
//
//	go test ./backend -run '^$' -bench ChangesAfterPaging -benchtime 200x -count 3
func BenchmarkChangesAfterPaging(b *testing.B) {
	ctx := b.Context()
	const n, page = 100000, 10000
	s, cal := pagedCalendar(b, n, page, n/2)
	// Twice: every connection of the pool gets to run the pages.
	for range 2 {
		pageThrough(b, s, cal.ID, page)
	}
	since, _, err := s.CollectionSyncState(ctx, cal.ID)
	if err != nil {
		b.Fatal(err)
	}
	for i := range 10 {
		uid := fmt.Sprintf("cal-%06d", i*(n/10))
		if _, _, err := s.PutObject(ctx, write(cal.ID, uid+".ics", uid, benchEvent(uid, 1)), backend.Conditions{}); err != nil {
			b.Fatal(err)
		}
	}
	q := backend.ChangeQuery{CollectionID: cal.ID, Since: since, Limit: page}
	b.Run("objects=100000/delta-10", func(b *testing.B) {
		for b.Loop() {
			got := 0
			if _, err := s.Changes(ctx, q, func(*backend.Change) error { got++; return nil }); err != nil || got != 10 {
				b.Fatalf("delta of %d, %v", got, err)
			}
		}
	})
}
