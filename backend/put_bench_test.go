package backend_test

// PutObject of new events into one calendar, as davload's put scenario
// does it (If-None-Match: *), from 1 and 8 writers at once:
//
//	go test -run '^$' -bench PutObjectNew -benchtime 3000x ./backend/
//
// The test cluster runs with fsync and synchronous_commit off, so this
// measures round trips and lock waits, not the disk; davload measures the
// whole server on a durable cluster (docs/benchmarks.md).

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

func BenchmarkPutObjectNew(b *testing.B) {
	for _, writers := range []int{1, 8} {
		b.Run(fmt.Sprintf("writers=%d", writers), func(b *testing.B) {
			ctx := b.Context()
			s, err := backend.Open(ctx, backendtest.NewDatabase(b), backend.PoolOptions{MaxConns: 10}, nil)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			p, err := s.CreatePrincipal(ctx, backend.Principal{Name: "bench"}, "$argon2id$bench", nil)
			if err != nil {
				b.Fatal(err)
			}
			c, err := s.CreateCollection(ctx, p.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "put"}, nil)
			if err != nil {
				b.Fatal(err)
			}
			cond := backend.Conditions{IfNoneMatch: &backend.ETagSet{Any: true}}
			start := time.Date(2026, 1, 5, 9, 0, 0, 0, time.UTC)
			var next atomic.Int64
			var wg sync.WaitGroup
			errs := make(chan error, writers)
			b.ResetTimer()
			for range writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for {
						k := next.Add(1)
						if k > int64(b.N) {
							return
						}
						name := fmt.Sprintf("bench-%d.ics", k)
						at := start.Add(time.Duration(k) * time.Hour)
						data := fmt.Sprintf("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//bench//EN\r\n"+
							"BEGIN:VEVENT\r\nUID:bench-%d\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:%s\r\nDTEND:%s\r\n"+
							"SUMMARY:Benchmark event %d\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
							k, at.Format("20060102T150405Z"), at.Add(time.Hour).Format("20060102T150405Z"), k)
						w := write(c.ID, name, fmt.Sprintf("bench-%d", k), data)
						w.Span = &backend.Span{Start: at, End: at.Add(time.Hour)}
						if _, created, err := s.PutObject(ctx, w, cond); err != nil || !created {
							errs <- fmt.Errorf("put %s: created=%v, %v", name, created, err)
							return
						}
					}
				}()
			}
			wg.Wait()
			b.StopTimer()
			close(errs)
			for err := range errs {
				b.Fatal(err)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "objects/s")
		})
	}
}
