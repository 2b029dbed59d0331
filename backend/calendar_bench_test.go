package backend_test

// The SQL behind a one-month calendar-query and a 100-name multiget, with
// their plans, on 10 000 and 100 000 objects (15 % recurring):
//
//	go test -run '^$' -bench 'QueryCalendarObjects|GetObjectsByName' -benchtime 50x -v ./backend/

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

func fillCalendar(b *testing.B, n int) (*backend.Store, int64, []string) {
	b.Helper()
	ctx := b.Context()
	s := backendtest.New(b)
	hash, _ := backend.HashPassword("x")
	p, err := s.CreatePrincipal(ctx, backend.Principal{Name: "bench"}, hash, nil)
	if err != nil {
		b.Fatal(err)
	}
	c, err := s.CreateCollection(ctx, p.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "big"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	var names []string
	var batch []backend.ObjectWrite
	for i := range n {
		start := base.Add(time.Duration(rng.IntN(3*365*24)) * time.Hour)
		span := &backend.Span{Start: start, End: start.Add(time.Hour)}
		if i%100 < 15 { // weekly: 20 weeks, or forever
			span.End = start.AddDate(0, 0, 7*20)
			if i%2 == 1 {
				span.End = time.Time{}
			}
		}
		name := fmt.Sprintf("%08d.ics", i)
		names = append(names, name)
		batch = append(batch, backend.ObjectWrite{CollectionID: c.ID, Name: name, Data: []byte(strings.Repeat("x", 400)),
			UID: name, Component: "VEVENT", ContentType: "text/calendar", Span: span})
		if len(batch) == 5000 || i == n-1 {
			if _, err := s.ImportObjects(ctx, c.ID, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if _, err := s.Pool().Exec(ctx, "ANALYZE objects"); err != nil {
		b.Fatal(err)
	}
	return s, c.ID, names
}

func explainPlan(b *testing.B, s *backend.Store, sql string, args ...any) {
	b.Helper()
	plan, err := s.Explain(b.Context(), sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("plan:\n%s", plan)
}

func BenchmarkQueryCalendarObjects(b *testing.B) {
	month := &backend.TimeRange{Span: backend.Span{Start: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)}}
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			s, id, _ := fillCalendar(b, n)
			ctx := b.Context()
			explainPlan(b, s, `SELECT id, etag FROM objects WHERE collection_id = $1 AND component = ANY($2)
				AND span && tstzrange($3::timestamptz, $4::timestamptz, '[)')`, id, []string{"VEVENT"}, month.Start, month.End)
			rows := 0
			for b.Loop() {
				rows = 0
				err := s.QueryCalendarObjects(ctx, backend.CalendarQuery{CollectionID: id, Components: []string{"VEVENT"}, Range: month},
					func(backend.Object) error { rows++; return nil })
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(rows), "candidates")
		})
	}
}

func BenchmarkGetObjectsByName(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			s, id, names := fillCalendar(b, n)
			ctx := b.Context()
			want := make([]string, 100)
			for i := range want {
				want[i] = names[(i*7919)%n]
			}
			explainPlan(b, s, `SELECT id, etag, data FROM objects JOIN object_bodies ON object_id = id WHERE collection_id = $1 AND name = ANY($2)`, id, want)
			for b.Loop() {
				got := 0
				if err := s.GetObjectsByName(ctx, id, want, true, func(backend.Object) error { got++; return nil }); err != nil || got != 100 {
					b.Fatalf("%d objects, %v", got, err)
				}
			}
		})
	}
}
