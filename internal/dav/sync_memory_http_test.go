package dav_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/internal/davtest"
	"github.com/pgdav/pgdav/internal/server"
)

// heapProbe is a ResponseWriter that discards the answer, counts its
// bytes and members, and samples the live heap (after a collection)
// every megabyte written, keeping the largest sample.
type heapProbe struct {
	header  http.Header
	status  int
	bytes   int64
	next    int64
	peak    uint64
	members int
	tail    []byte // the last bytes written, shorter than a tag
}

func (w *heapProbe) Header() http.Header { return w.header }
func (w *heapProbe) WriteHeader(s int)   { w.status = s }
func (w *heapProbe) Flush()              {}

func (w *heapProbe) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.bytes += int64(len(p))
	// A response's start tag may be split between two writes: the end
	// of the previous write is counted with this one.
	const tag = "<D:response>"
	joined := append(w.tail, p[:min(len(p), len(tag)-1)]...)
	w.members += bytes.Count(joined, []byte(tag)) + bytes.Count(p, []byte(tag))
	w.tail = append(w.tail[:0], p[max(0, len(p)-(len(tag)-1)):]...)
	if w.bytes >= w.next {
		w.next += 1 << 20
		if h := liveHeap(); h > w.peak {
			w.peak = h
		}
	}
	return len(p), nil
}

// liveHeap is the heap in use after a full collection.
func liveHeap() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapAlloc
}

// syncMemEnv imports n events into alice's calendar and returns a server
// without a cap on sync answers (the answer streams whole), warmed up so
// that the password check (argon2) is cached.
func syncMemEnv(tb testing.TB, n int) (*server.Server, *backend.Store) {
	tb.Helper()
	ctx := tb.Context()
	e, _ := davtest.NewWithServer(tb, server.Config{}, "alice")
	cal, err := e.Store.GetCollection(ctx, e.Users["alice"].ID, backend.KindCalendar, "default")
	if err != nil {
		tb.Fatal(err)
	}
	for start := 0; start < n; start += 10000 {
		var batch []backend.ObjectWrite
		for i := start; i < min(n, start+10000); i++ {
			uid := fmt.Sprintf("mem-%06d", i)
			batch = append(batch, backend.ObjectWrite{Name: uid + ".ics", UID: uid, Data: []byte(davtest.Event(uid, "streamed event "+uid)),
				Component: "VEVENT", ContentType: "text/calendar; charset=utf-8; component=vevent"})
		}
		if _, err := e.Store.ImportObjects(ctx, cal.ID, batch); err != nil {
			tb.Fatal(err)
		}
	}
	s := server.New(server.Config{AuthCacheTTL: time.Hour, SyncMaxResults: 0}, e.Store)
	s.SetReady()
	w := &heapProbe{header: http.Header{}}
	s.ServeHTTP(w, syncRequest(tb, davtest.SyncXML("", "1", "", davtest.SyncLimit(1), `<D:getetag/>`)))
	if w.status != http.StatusMultiStatus {
		tb.Fatalf("warm-up: status %d", w.status)
	}
	return s, e.Store
}

func syncRequest(tb testing.TB, body string) *http.Request {
	tb.Helper()
	r := httptest.NewRequest("REPORT", syncCal, strings.NewReader(body))
	r.SetBasicAuth("alice", davtest.Password)
	r.Header.Set("Content-Type", "application/xml; charset=utf-8")
	return r
}

// A first sync of a large calendar streams from the database cursor to
// the client: the live heap while it is answered does not grow with the
// number of members (a buffered answer would hold every response), and
// the allocations per member stay the same. Measured with the server's
// cap off (--sync-max-results 0), calendar-data included.
//
// Not parallel: the heap is the process's, and the parallel tests wait
// until the sequential ones are done.
func TestSyncCollectionStreams(t *testing.T) {
	body := davtest.SyncXML("", "1", "", `<D:getetag/>`, `<C:calendar-data/>`)
	type result struct {
		members      int
		bytes        int64
		peakExtra    uint64
		allocsPer    float64
		allocBytePer float64
	}
	run := func(n int) result {
		s, _ := syncMemEnv(t, n)
		base := liveHeap()
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		w := &heapProbe{header: http.Header{}, next: 1 << 20}
		s.ServeHTTP(w, syncRequest(t, body))
		runtime.ReadMemStats(&after)
		if w.status != http.StatusMultiStatus || w.members != n {
			t.Fatalf("%d events: status %d, %d responses", n, w.status, w.members)
		}
		extra := uint64(0)
		if w.peak > base {
			extra = w.peak - base
		}
		return result{
			members: w.members, bytes: w.bytes, peakExtra: extra,
			allocsPer:    float64(after.Mallocs-before.Mallocs) / float64(n),
			allocBytePer: float64(after.TotalAlloc-before.TotalAlloc) / float64(n),
		}
	}
	small, large := run(4000), run(40000)
	for _, r := range []result{small, large} {
		t.Logf("%6d members, %5.1f MB answer: live heap +%.2f MB at most while answering; %.1f allocations, %.0f bytes allocated per member",
			r.members, float64(r.bytes)/(1<<20), float64(r.peakExtra)/(1<<20), r.allocsPer, r.allocBytePer)
	}
	if large.bytes < 8*small.bytes {
		t.Fatalf("answers of %d and %d bytes: the large one is too small to tell", small.bytes, large.bytes)
	}
	// A buffered answer would hold at least the large one's bytes.
	if large.peakExtra > small.peakExtra+4<<20 || large.peakExtra > uint64(large.bytes)/4 {
		t.Errorf("the live heap grew by %.1f MB for a %.1f MB answer (%.1f MB for the small one): the answer is not streamed",
			float64(large.peakExtra)/(1<<20), float64(large.bytes)/(1<<20), float64(small.peakExtra)/(1<<20))
	}
	if large.allocsPer > 1.5*small.allocsPer+5 {
		t.Errorf("allocations per member grew from %.1f to %.1f", small.allocsPer, large.allocsPer)
	}
}

// The whole REPORT in process, per member: a first sync with getetag, and
// with calendar-data, of 1 000 and 10 000 events.
//
//	go test ./internal/dav -run '^$' -bench SyncCollection -benchtime 10x
func BenchmarkSyncCollection(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		s, _ := syncMemEnv(b, n)
		for _, props := range []string{`<D:getetag/>`, `<D:getetag/><C:calendar-data/>`} {
			name := "getetag"
			if strings.Contains(props, "calendar-data") {
				name += "+calendar-data"
			}
			b.Run(fmt.Sprintf("members=%d/%s", n, name), func(b *testing.B) {
				b.ReportAllocs()
				body := davtest.SyncXML("", "1", "", props)
				for b.Loop() {
					w := &heapProbe{header: http.Header{}, next: 1 << 62}
					s.ServeHTTP(w, syncRequest(b, body))
					if w.members != n {
						b.Fatalf("%d responses", w.members)
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/member")
			})
		}
	}
}
