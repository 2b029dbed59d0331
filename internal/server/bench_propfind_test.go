package server

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// A Depth-1 PROPFIND on a large collection streams: the first responses
// reach the client before the server has read the collection's last row,
// and what the server holds does not grow with the collection.
//
// Allocation is linear in the members (each is garbage once written), the
// heap held is not. Their figures are in docs/benchmarks.md:
//
//	go test -run='^$' -bench=PropfindDepth1 -benchtime=3x ./internal/server/
//	PGDAV_STREAM_N=100000 go test -run=PropfindStreams -v ./internal/server/

// propfindBody asks for what a client's first sync asks of every member.
const propfindBody = `<?xml version="1.0" encoding="utf-8"?>
<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/></D:prop></D:propfind>`

// propfindFixture is a server over real HTTP with one user whose
// calendars hold imported events.
type propfindFixture struct {
	store  *rowHookStore
	http   *httptest.Server
	client *http.Client
	cols   map[string]backend.Collection
	// firstWrite and handlerEnd are the times, in UnixNano, of the last
	// request's first body write and of the end of its handler.
	firstWrite, handlerEnd atomic.Int64
	// handlerDone receives a value when a handler has stored handlerEnd,
	// unless one is waiting to be read already.
	handlerDone chan struct{}
}

const propfindUser, propfindPassword = "bench", "bench-pw"

// newPropfindFixture creates the user, one calendar per entry of sizes
// (named cal-N) filled with N events through ImportObjects, and a server.
func newPropfindFixture(tb testing.TB, sizes ...int) *propfindFixture {
	tb.Helper()
	ctx := tb.Context()
	store := &rowHookStore{Store: backendtest.New(tb)}
	hash, err := backend.HashPassword(propfindPassword)
	if err != nil {
		tb.Fatal(err)
	}
	var cols []backend.Collection
	for _, n := range sizes {
		cols = append(cols, backend.Collection{Kind: backend.KindCalendar, Slug: fmt.Sprintf("cal-%d", n), Components: []string{"VEVENT", "VTODO"}})
	}
	p, err := store.CreatePrincipal(ctx, backend.Principal{Name: propfindUser}, hash, cols)
	if err != nil {
		tb.Fatal(err)
	}
	f := &propfindFixture{store: store, cols: map[string]backend.Collection{}, handlerDone: make(chan struct{}, 1)}
	for _, n := range sizes {
		slug := fmt.Sprintf("cal-%d", n)
		c, err := store.GetCollection(ctx, p.ID, backend.KindCalendar, slug)
		if err != nil {
			tb.Fatal(err)
		}
		f.cols[slug] = c
		// In batches, so the generated texts of 100 000 events are never
		// all in memory at once.
		for start := 0; start < n; start += 10000 {
			batch := make([]backend.ObjectWrite, 0, min(10000, n-start))
			for i := start; i < start+cap(batch); i++ {
				batch = append(batch, benchEvent(i))
			}
			if _, err := store.ImportObjects(ctx, c.ID, batch); err != nil {
				tb.Fatal(err)
			}
		}
	}
	// Auth cached: the measured requests must not pay for argon2id, which
	// allocates tens of megabytes by design.
	srv := New(Config{AuthCacheTTL: time.Hour}, store)
	srv.SetReady()
	f.http = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fw := &firstWriteRecorder{ResponseWriter: w, first: &f.firstWrite}
		f.firstWrite.Store(0)
		srv.ServeHTTP(fw, r)
		f.handlerEnd.Store(time.Now().UnixNano())
		select {
		case f.handlerDone <- struct{}{}:
		default:
		}
	}))
	tb.Cleanup(f.http.Close)
	f.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 1, DisableCompression: true}}
	tb.Cleanup(f.client.CloseIdleConnections)
	return f
}

// benchEvent is a realistic calendar object of about 600 bytes: an hour-long
// meeting with organizer, attendee and alarm, every one with its own UID.
func benchEvent(i int) backend.ObjectWrite {
	uid := fmt.Sprintf("%08x-7c1e-4f3a-9b2d-%012x", i, i*7919)
	start := time.Date(2025, 1, 6, 9, 0, 0, 0, time.UTC).Add(time.Duration(i) * 3 * time.Hour)
	end := start.Add(time.Hour)
	const ts = "20060102T150405Z"
	data := "BEGIN:VCALENDAR\r\n" +
		"VERSION:2.0\r\n" +
		"PRODID:-//pgdav//benchmark//EN\r\n" +
		"CALSCALE:GREGORIAN\r\n" +
		"BEGIN:VEVENT\r\n" +
		"UID:" + uid + "\r\n" +
		"DTSTAMP:20250101T120000Z\r\n" +
		"CREATED:20250101T120000Z\r\n" +
		"LAST-MODIFIED:20250101T120000Z\r\n" +
		"DTSTART:" + start.Format(ts) + "\r\n" +
		"DTEND:" + end.Format(ts) + "\r\n" +
		fmt.Sprintf("SUMMARY:Project sync #%d\r\n", i) +
		fmt.Sprintf("LOCATION:Room %d\\, Building B\r\n", 100+i%40) +
		"DESCRIPTION:Weekly status of the migration project: open issues\\, next\r\n" +
		" steps and who does what until the next meeting.\r\n" +
		"ORGANIZER;CN=Alice Liddell:mailto:alice@example.org\r\n" +
		"ATTENDEE;CN=Bob;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED:mailto:bob@example.org\r\n" +
		"SEQUENCE:0\r\n" +
		"STATUS:CONFIRMED\r\n" +
		"TRANSP:OPAQUE\r\n" +
		"BEGIN:VALARM\r\n" +
		"ACTION:DISPLAY\r\n" +
		"DESCRIPTION:Reminder\r\n" +
		"TRIGGER:-PT15M\r\n" +
		"END:VALARM\r\n" +
		"END:VEVENT\r\n" +
		"END:VCALENDAR\r\n"
	return backend.ObjectWrite{Name: uid + ".ics", UID: uid, Data: []byte(data), Component: "VEVENT",
		ContentType: "text/calendar; charset=utf-8; component=VEVENT", Span: &backend.Span{Start: start, End: end}}
}

// rowHookStore calls onRow, when set, before each row of ListObjects is
// handed on: the test's view of how far the server has read.
type rowHookStore struct {
	*backend.Store
	onRow atomic.Pointer[func(row int)]
}

func (s *rowHookStore) ListObjects(ctx context.Context, collectionID int64, withData bool, fn func(backend.Object) error) error {
	hook := s.onRow.Load()
	if hook == nil {
		return s.Store.ListObjects(ctx, collectionID, withData, fn)
	}
	row := 0
	return s.Store.ListObjects(ctx, collectionID, withData, func(o backend.Object) error {
		row++
		(*hook)(row)
		return fn(o)
	})
}

// firstWriteRecorder notes the time of the first body write.
type firstWriteRecorder struct {
	http.ResponseWriter
	first *atomic.Int64
}

func (f *firstWriteRecorder) Write(p []byte) (int, error) {
	f.first.CompareAndSwap(0, time.Now().UnixNano())
	return f.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush.
func (f *firstWriteRecorder) Unwrap() http.ResponseWriter { return f.ResponseWriter }

// propfind sends the Depth-1 PROPFIND to the calendar of n events and
// returns the response; the caller reads and closes its body.
func (f *propfindFixture) propfind(tb testing.TB, n int) *http.Response {
	tb.Helper()
	req, err := http.NewRequest("PROPFIND", f.http.URL+"/calendars/"+propfindUser+fmt.Sprintf("/cal-%d/", n), strings.NewReader(propfindBody))
	if err != nil {
		tb.Fatal(err)
	}
	req.SetBasicAuth(propfindUser, propfindPassword)
	req.Header.Set("Depth", "1")
	req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	resp, err := f.client.Do(req)
	if err != nil {
		tb.Fatal(err)
	}
	if resp.StatusCode != http.StatusMultiStatus {
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		tb.Fatalf("PROPFIND cal-%d: %s\n%.500s", n, resp.Status, b)
	}
	return resp
}

// multistatusReader counts the responses of a multistatus as it reads
// them, one line each, without keeping them.
type multistatusReader struct {
	br        *bufio.Reader
	responses int
	bytes     int64
	last      []byte // the last line, a copy
}

func newMultistatusReader(r io.Reader) *multistatusReader {
	return &multistatusReader{br: bufio.NewReaderSize(r, 64<<10)}
}

// next reads one line and reports whether it ended a response; io.EOF
// at the end.
func (m *multistatusReader) next() (bool, error) {
	var line []byte
	for {
		part, err := m.br.ReadSlice('\n')
		m.bytes += int64(len(part))
		if len(line) > 0 || err == bufio.ErrBufferFull {
			line = append(line, part...)
		} else {
			line = part
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		if len(line) > 0 {
			m.last = append(m.last[:0], line...)
		}
		if err != nil {
			return false, err
		}
		ended := bytes.HasSuffix(line, []byte("</D:response>\n"))
		if ended {
			m.responses++
		}
		return ended, nil
	}
}

// rest reads to the end and checks that the document is complete.
func (m *multistatusReader) rest(tb testing.TB, wantResponses int) {
	tb.Helper()
	for {
		if _, err := m.next(); err == io.EOF {
			break
		} else if err != nil {
			tb.Fatalf("reading the multistatus: %v", err)
		}
	}
	if m.responses != wantResponses || string(m.last) != "</D:multistatus>\n" {
		tb.Fatalf("multistatus has %d responses, want %d; last line %q", m.responses, wantResponses, m.last)
	}
}

// streamRun is what one measured PROPFIND showed.
type streamRun struct {
	n                 int
	responseBytes     int64
	alloc, mallocs    uint64        // allocated during the request (whole process)
	peakInuse         int64         // highest HeapInuse over the baseline, sampled after a GC
	peakLive          int64         // the same for HeapAlloc (live objects)
	firstByte, total  time.Duration // from the request to the first body write, and to the handler's end
	answeredBeforeEnd bool          // the client held a response before the server read the last row
}

// measureStream sends two PROPFINDs on the calendar of n events.
//
// The first is instrumented through rowHookStore. Every n/10 rows the
// server is stopped for a full GC and its heap read: the live heap while the
// answer is in flight, which a server that collects rows or buffers the
// answer would grow by at least the answer's size. (Between GCs garbage
// accumulates up to the collector's pacing target whatever the server
// does; that is not what is asked.) At the last row, before it is handed
// on, the server waits until the client has parsed a complete <response>:
// if the answer did not stream the client gets nothing before the handler
// is done, the wait times out, and answeredBeforeEnd stays false.
//
// The second is not instrumented: the bytes and objects allocated while it
// runs, with no other test running (this test is not parallel).
func (f *propfindFixture) measureStream(t *testing.T, n int) streamRun {
	t.Helper()
	run := streamRun{n: n}
	firstResponse := make(chan struct{})
	var (
		mu            sync.Mutex
		baseInuse     uint64
		baseLive      uint64
		peakInuse     uint64
		peakLive      uint64
		answeredFirst bool
	)
	sample := func() {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		mu.Lock()
		peakInuse, peakLive = max(peakInuse, ms.HeapInuse), max(peakLive, ms.HeapAlloc)
		mu.Unlock()
	}
	every := max(n/10, 1)
	hook := func(row int) {
		if row == n {
			select {
			case <-firstResponse:
				mu.Lock()
				answeredFirst = true
				mu.Unlock()
			case <-time.After(15 * time.Second):
			}
		}
		if row%every == 0 {
			sample()
		}
	}
	f.store.onRow.Store(&hook)
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	baseInuse, baseLive = ms.HeapInuse, ms.HeapAlloc
	start := time.Now()
	resp := f.propfind(t, n)
	mr := newMultistatusReader(resp.Body)
	for {
		ended, err := mr.next()
		if err != nil {
			t.Fatalf("multistatus ended before its first response: %v", err)
		}
		if ended {
			break
		}
	}
	close(firstResponse)
	mr.rest(t, n+1)
	resp.Body.Close()
	f.store.onRow.Store(nil)
	mu.Lock()
	run.peakInuse, run.peakLive = int64(peakInuse)-int64(baseInuse), int64(peakLive)-int64(baseLive)
	run.answeredBeforeEnd = answeredFirst
	mu.Unlock()
	// The handler may still be returning when the client has read the
	// end; a signal may also be left from an earlier request's handler.
	for range 3 {
		if f.handlerEnd.Load() >= start.UnixNano() {
			break
		}
		select {
		case <-f.handlerDone:
		case <-time.After(time.Minute): // bounds a broken test only
			t.Fatal("the PROPFIND handler did not return")
		}
	}
	if f.handlerEnd.Load() < start.UnixNano() {
		t.Fatal("no end of the PROPFIND handler recorded")
	}
	run.firstByte = time.Duration(f.firstWrite.Load() - start.UnixNano())
	run.total = time.Duration(f.handlerEnd.Load() - start.UnixNano())

	// Allocations, uninstrumented.
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	resp = f.propfind(t, n)
	mr = newMultistatusReader(resp.Body)
	mr.rest(t, n+1)
	resp.Body.Close()
	runtime.ReadMemStats(&after)
	run.alloc, run.mallocs = after.TotalAlloc-before.TotalAlloc, after.Mallocs-before.Mallocs
	run.responseBytes = mr.bytes
	return run
}

// TestPropfindStreamsWithFlatMemory compares a Depth-1 PROPFIND on 2 000
// and on 20 000 events (PGDAV_STREAM_N sets the larger size, the smaller
// is a tenth of it; go test -run PropfindStreams -v prints the figures).
func TestPropfindStreamsWithFlatMemory(t *testing.T) {
	// Not parallel: the allocation figures are the whole process's.
	large := 20000
	if v := os.Getenv("PGDAV_STREAM_N"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 100 {
			t.Fatalf("PGDAV_STREAM_N=%q: want a number of at least 100", v)
		}
		large = n
	}
	small := large / 10
	f := newPropfindFixture(t, small, large)
	// Warm-up: the password check (cached from here on), the connection,
	// pgx's statement cache.
	for _, n := range []int{small, large} {
		resp := f.propfind(t, n)
		newMultistatusReader(resp.Body).rest(t, n+1)
		resp.Body.Close()
	}

	runs := map[int]streamRun{}
	for _, n := range []int{small, large} {
		r := f.measureStream(t, n)
		runs[n] = r
		t.Logf("N=%d: %d response bytes (%d B/object); allocated %d B, %d objects = %.0f B/object, %.1f allocs/object; "+
			"peak heap growth after GC: HeapInuse %+d B, HeapAlloc %+d B; first byte after %v, handler done after %v",
			n, r.responseBytes, r.responseBytes/int64(n), r.alloc, r.mallocs, float64(r.alloc)/float64(n), float64(r.mallocs)/float64(n),
			r.peakInuse, r.peakLive, r.firstByte.Round(time.Microsecond), r.total.Round(time.Microsecond))
		if !r.answeredBeforeEnd {
			t.Errorf("N=%d: the client had no complete <response> when the server read the collection's last row: the answer is not streamed", n)
		}
		if r.firstByte <= 0 || r.firstByte >= r.total {
			t.Errorf("N=%d: first body write after %v, handler done after %v", n, r.firstByte, r.total)
		}
		// Far below the answer: a server that held the rows or the answer
		// would need at least responseBytes more heap. (At the small size
		// the fixed buffers, some 100-200 KiB, are not yet far below it.)
		if limit := r.responseBytes / 10; n == large && (r.peakInuse > limit || r.peakLive > limit) {
			t.Errorf("N=%d: heap grew by %d B in use, %d B live while answering %d bytes; want under %d",
				n, r.peakInuse, r.peakLive, r.responseBytes, limit)
		}
	}
	perSmall := float64(runs[small].alloc) / float64(small)
	perLarge := float64(runs[large].alloc) / float64(large)
	if perLarge > 1.5*perSmall {
		t.Errorf("allocation per object grows with the collection: %.0f B/object at %d, %.0f B/object at %d",
			perSmall, small, perLarge, large)
	}
}

// BenchmarkPropfindDepth1 measures a Depth-1 PROPFIND of getetag and
// getcontenttype over real HTTP. Each size's events are imported once,
// before the measured loop. Besides the usual figures it reports ms/op and
// bytes, allocations and time per object.
func BenchmarkPropfindDepth1(b *testing.B) {
	for _, n := range []int{1000, 10000, 100000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			f := newPropfindFixture(b, n)
			resp := f.propfind(b, n) // warm-up: auth cache, connection, statements
			newMultistatusReader(resp.Body).rest(b, n+1)
			resp.Body.Close()
			b.ReportAllocs()
			runtime.GC()
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			ops := 0
			var respBytes int64
			start := time.Now()
			for b.Loop() {
				resp := f.propfind(b, n)
				mr := newMultistatusReader(resp.Body)
				mr.rest(b, n+1)
				resp.Body.Close()
				respBytes = mr.bytes
				ops++
			}
			elapsed := time.Since(start)
			runtime.ReadMemStats(&after)
			perOp := float64(after.TotalAlloc-before.TotalAlloc) / float64(ops)
			allocsPerOp := float64(after.Mallocs-before.Mallocs) / float64(ops)
			b.ReportMetric(float64(elapsed.Microseconds())/1000/float64(ops), "ms/op")
			b.ReportMetric(float64(elapsed.Nanoseconds())/float64(ops)/float64(n), "ns/object")
			b.ReportMetric(perOp/float64(n), "B/object")
			b.ReportMetric(allocsPerOp/float64(n), "allocs/object")
			b.ReportMetric(float64(respBytes), "resp-B/op")
		})
	}
}
