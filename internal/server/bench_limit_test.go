package server

// Issue 9, item 4, "close to the limit": for calendar-query, multiget and
// the sync-collection delta, the bare SQL statement that fetches the rows
// and columns the answer needs, over pgx and scanned into Go values, next
// to pgdav's full HTTP answer on the same data set (newCalDAVBench). The
// target is http ≤ 1.5 × sql; the http sub-benchmark reports the ratio as
// its "x-sql" metric.
//
//	go test -run '^$' -bench Limit -benchtime 50x -count 3 ./internal/server/
//	PGDAV_BENCH_N=10000,100000 go test -run '^$' -bench Limit -benchtime 50x ./internal/server/
//
// Filling 100 000 objects takes a while (every event goes through
// caldav.ValidateObject), so only N=10 000 runs unless PGDAV_BENCH_N asks
// for other sizes.

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/pgdav/pgdav/backend/backendtest"
	"github.com/pgdav/pgdav/internal/dav"
)

// limitBench is newCalDAVBench's server with a pool of its own on the
// server's database, for the bare statements.
type limitBench struct {
	*caldavBench
	pool   *pgxpool.Pool
	collID int64
	// exact: objects has the instances columns (migration 0006), so SQL
	// alone decides a time-range match.
	exact bool
}

// newLimitBench builds newCalDAVBench(b, n) and finds its database.
// backendtest does not tell which database New created, so the database
// that appears while newCalDAVBench runs is it: a probe database (on the
// same cluster, from backendtest.NewDatabase) lists the databases before
// and after. Benchmarks run one at a time, and -run '^$' runs no test
// that could create one meanwhile.
func newLimitBench(b *testing.B, n int) *limitBench {
	b.Helper()
	ctx := b.Context()
	probe := backendtest.NewDatabase(b)
	conn, err := pgx.Connect(ctx, probe)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	databases := func() []string {
		rows, _ := conn.Query(ctx, `SELECT datname FROM pg_database`)
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			b.Fatal(err)
		}
		return names
	}
	before := databases()
	cb := newCalDAVBench(b, n)
	var created []string
	for _, name := range databases() {
		if !slices.Contains(before, name) {
			created = append(created, name)
		}
	}
	if len(created) != 1 {
		b.Fatalf("newCalDAVBench created databases %q; want exactly one", created)
	}
	pool, err := pgxpool.New(ctx, backendtest.WithDatabase(probe, created[0]))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	lb := &limitBench{caldavBench: cb, pool: pool}
	err = pool.QueryRow(ctx, `SELECT c.id FROM collections c JOIN principals p ON p.id = c.principal_id
		WHERE p.name = 'bench' AND c.slug = 'big'`).Scan(&lb.collID)
	if err != nil {
		b.Fatal(err)
	}
	err = pool.QueryRow(ctx, `SELECT EXISTS (SELECT FROM information_schema.columns
		WHERE table_name = 'objects' AND column_name = 'instances')`).Scan(&lb.exact)
	if err != nil {
		b.Fatal(err)
	}
	// Fresh statistics, as a server that ran a while has them.
	if _, err := pool.Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return lb
}

// benchSizes is PGDAV_BENCH_N (comma-separated), 10 000 by default.
func benchSizes(b *testing.B) []int {
	env := os.Getenv("PGDAV_BENCH_N")
	if env == "" {
		return []int{10000}
	}
	var out []int
	for _, f := range strings.Split(env, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1000 {
			b.Fatalf("PGDAV_BENCH_N=%q: want sizes of at least 1000", env)
		}
		out = append(out, n)
	}
	return out
}

// pair runs the sql and the http sub-benchmarks of one case; each
// returns how many members it read or answered, which must agree. The
// http one reports its time per answer divided by the sql one's as
// "x-sql".
func pair(b *testing.B, name string, sqlOp, httpOp func(*testing.B) int) {
	// Both stay unset when -bench selects the http half alone.
	var sqlPerOp time.Duration
	sqlRows := -1
	b.Run(name+"/sql", func(b *testing.B) {
		for b.Loop() {
			sqlRows = sqlOp(b)
		}
		sqlPerOp = b.Elapsed() / time.Duration(b.N)
		b.ReportMetric(float64(sqlRows), "rows")
	})
	b.Run(name+"/http", func(b *testing.B) {
		got := 0
		for b.Loop() {
			got = httpOp(b)
		}
		if sqlRows >= 0 && got != sqlRows {
			b.Fatalf("the answer holds %d members, the bare statement reads %d rows", got, sqlRows)
		}
		b.ReportMetric(float64(got), "rows")
		if sqlPerOp > 0 {
			b.ReportMetric(float64(b.Elapsed()/time.Duration(b.N))/float64(sqlPerOp), "x-sql")
		}
	})
}

// scanRows reads every row of sql into dest, returns how many there were.
func scanRows(b *testing.B, pool *pgxpool.Pool, sql string, args []any, dest ...any) int {
	rows, err := pool.Query(b.Context(), sql, args...)
	if err != nil {
		b.Fatal(err)
	}
	n := 0
	_, err = pgx.ForEachRow(rows, dest, func() error { n++; return nil })
	if err != nil {
		b.Fatal(err)
	}
	return n
}

func BenchmarkLimit(b *testing.B) {
	ctx := b.Context()
	for _, n := range benchSizes(b) {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			lb := newLimitBench(b, n)
			var (
				name, etag string
				data       []byte
				deleted    bool
			)

			// The fixed costs every answer pays: one HTTP exchange with
			// the server that needs no database (a request without
			// credentials, answered 401), and one round trip to
			// PostgreSQL. An answer over HTTP is one exchange and two
			// round trips (credentials with the collection, then the
			// statement); the bare statement is one round trip.
			b.Run("floor/http-401", func(b *testing.B) {
				for b.Loop() {
					resp, err := lb.client.Get(lb.srv.URL + "/calendars/bench/big/")
					if err != nil {
						b.Fatal(err)
					}
					io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusUnauthorized {
						b.Fatalf("status %d, want 401", resp.StatusCode)
					}
				}
			})
			b.Run("floor/sql-round-trip", func(b *testing.B) {
				var one int
				for b.Loop() {
					if err := lb.pool.QueryRow(ctx, `SELECT 1`).Scan(&one); err != nil {
						b.Fatal(err)
					}
				}
			})

			// calendar-query, one month (monthQuery), getetag only. The
			// span pre-filter, closed at both ends as QueryCalendarObjects
			// has it, and, once the instances columns exist, their exact
			// test, so that SQL returns exactly the answer's members.
			start, end := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)
			query := `SELECT name, etag FROM objects WHERE collection_id = $1 AND component = 'VEVENT'
				AND span && tstzrange($2, $3, '[]')`
			if lb.exact {
				query += ` AND (instances IS NULL OR NOT instances_within @> tstzrange($2, $3, '[)')
					OR instances && tstzrange($2, $3, '[)'))`
			}
			pair(b, "query",
				func(b *testing.B) int { return scanRows(b, lb.pool, query, []any{lb.collID, start, end}, &name, &etag) },
				func(b *testing.B) int { return lb.report(b, monthQuery) })

			// calendar-multiget of BenchmarkCalendarMultiget100's 100
			// hrefs, with calendar-data.
			var mg strings.Builder
			mg.WriteString(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>`)
			want := make([]string, 100)
			for i := range want {
				want[i] = lb.names[(i*7919)%n]
				mg.WriteString("<D:href>/calendars/bench/big/" + want[i] + "</D:href>")
			}
			mg.WriteString(`</C:calendar-multiget>`)
			pair(b, "multiget",
				func(b *testing.B) int {
					return scanRows(b, lb.pool, `SELECT name, etag, data FROM objects JOIN object_bodies ON object_id = id WHERE collection_id = $1 AND name = ANY($2)`,
						[]any{lb.collID, want}, &name, &etag, &data)
				},
				func(b *testing.B) int { return lb.report(b, mg.String()) })

			// sync-collection from a token taken before ten PUTs, as
			// davload's sync-delta scenario does. The bare statement is
			// the change-log range scan of backend.Changes with only the
			// columns a getetag answer needs.
			var seq int64
			if err := lb.pool.QueryRow(ctx, `SELECT sync_seq FROM collections WHERE id = $1`, lb.collID).Scan(&seq); err != nil {
				b.Fatal(err)
			}
			lb.editEvents(b, 10)
			syncBody := `<D:sync-collection xmlns:D="DAV:"><D:sync-token>` + dav.SyncToken(lb.collID, seq) +
				`</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
			pair(b, "sync-delta",
				func(b *testing.B) int {
					return scanRows(b, lb.pool, `SELECT c.name, c.deleted, coalesce(o.etag, '') FROM changes c
						LEFT JOIN objects o ON o.collection_id = c.collection_id AND o.name = c.name AND NOT c.deleted
						WHERE c.collection_id = $1 AND c.seq > $2 ORDER BY c.seq, c.name`,
						[]any{lb.collID, seq}, &name, &deleted, &etag)
				},
				func(b *testing.B) int { return lb.report(b, syncBody) })
		})
	}
}

// editEvents changes the SUMMARY of k events spread over the calendar
// with PUTs, as a client would.
func (lb *limitBench) editEvents(b *testing.B, k int) {
	b.Helper()
	ctx := b.Context()
	for i := range k {
		name := lb.names[i*(len(lb.names)/k)]
		var data string
		if err := lb.pool.QueryRow(ctx, `SELECT convert_from(data, 'UTF8') FROM objects JOIN object_bodies ON object_id = id WHERE collection_id = $1 AND name = $2`,
			lb.collID, name).Scan(&data); err != nil {
			b.Fatal(err)
		}
		data = strings.Replace(data, "SUMMARY:Event number", "SUMMARY:Edited event number", 1)
		req, _ := http.NewRequest(http.MethodPut, lb.srv.URL+"/calendars/bench/big/"+name, strings.NewReader(data))
		req.SetBasicAuth("bench", testPassword)
		req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
		resp, err := lb.client.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNoContent && resp.StatusCode != http.StatusCreated {
			b.Fatalf("PUT %s: status %d", name, resp.StatusCode)
		}
	}
}
