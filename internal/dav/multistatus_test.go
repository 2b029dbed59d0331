package dav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"
)

// msDoc is a multistatus parsed back by namespace, as clients do.
type msDoc struct {
	XMLName   xml.Name     `xml:"DAV: multistatus"`
	Responses []msResponse `xml:"DAV: response"`
	SyncToken string       `xml:"DAV: sync-token"`
}

type msResponse struct {
	Href      string       `xml:"DAV: href"`
	Status    string       `xml:"DAV: status"`
	Propstats []msPropstat `xml:"DAV: propstat"`
}

type msPropstat struct {
	Prop struct {
		Any []msProp `xml:",any"`
	} `xml:"DAV: prop"`
	Status string `xml:"DAV: status"`
	Error  *struct {
		Inner string `xml:",innerxml"`
	} `xml:"DAV: error"`
}

type msProp struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Inner   string     `xml:",innerxml"`
	Text    string     `xml:",chardata"`
}

func parseMS(t testing.TB, body []byte) msDoc {
	t.Helper()
	var doc msDoc
	if err := xml.Unmarshal(body, &doc); err != nil {
		t.Fatalf("multistatus does not parse: %v\n%s", err, body)
	}
	return doc
}

func TestMultistatusShape(t *testing.T) {
	rec := httptest.NewRecorder()
	ms := NewMultistatus(rec, MultistatusOptions{})
	if ms.Written() {
		t.Fatal("Written before anything was written")
	}
	err := ms.Response("/calendars/alice/a&b/x%20y.ics", []Prop{
		{Name: DAVName("displayname"), Status: http.StatusNotFound},
		{Name: DAVName("getetag"), Status: http.StatusOK, Inner: `"abc"`},
		{Name: xml.Name{Space: "urn:x", Local: "foreign"}, Status: http.StatusNotFound},
		{Name: xml.Name{Local: "nons"}, Status: http.StatusNotFound},
		{Name: DAVName("owner"), Status: http.StatusForbidden},
		{Name: DAVName("resourcetype"), Status: http.StatusOK},
		{Name: ICalName("calendar-color"), Status: http.StatusOK,
			Raw: `<calendar-color xmlns="http://apple.com/ns/ical/" symbolic-color="orange">#FD8208FF</calendar-color>`},
		{Name: DAVName("current-user-principal"), Status: http.StatusOK, Inner: `<D:href>/principals/alice/</D:href>`},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !ms.Written() {
		t.Fatal("not Written after Response")
	}
	if err := ms.StatusResponse("/calendars/alice/a&b/gone.ics", http.StatusNotFound); err != nil {
		t.Fatal(err)
	}
	if err := ms.Close(`<D:sync-token>http://pgdav.example/ns/sync/1-2</D:sync-token>`); err != nil {
		t.Fatal(err)
	}
	if err := ms.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
	if err := ms.Response("/x", nil); err == nil {
		t.Error("Response after Close succeeded")
	}

	if rec.Code != http.StatusMultiStatus {
		t.Errorf("status %d, want 207", rec.Code)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/xml; charset=utf-8" {
		t.Errorf("Content-Type %q", ct)
	}
	body := rec.Body.Bytes()
	if !bytes.HasPrefix(body, []byte(`<?xml version="1.0" encoding="utf-8"?>`)) {
		t.Errorf("no XML declaration: %.60s", body)
	}
	for _, want := range []string{
		`xmlns:D="DAV:"`, `xmlns:C="urn:ietf:params:xml:ns:caldav"`, `xmlns:CR="urn:ietf:params:xml:ns:carddav"`,
		`xmlns:CS="http://calendarserver.org/ns/"`, `xmlns:ICAL="http://apple.com/ns/ical/"`,
		`<D:href>/calendars/alice/a&amp;b/x%20y.ics</D:href>`,
		`<D:status>HTTP/1.1 200 OK</D:status>`,
		`<D:status>HTTP/1.1 403 Forbidden</D:status>`,
		`<D:status>HTTP/1.1 404 Not Found</D:status>`,
		`<foreign xmlns="urn:x"/>`, `<nons xmlns=""/>`, `<D:resourcetype/>`,
	} {
		if !bytes.Contains(body, []byte(want)) {
			t.Errorf("body lacks %s:\n%s", want, body)
		}
	}

	doc := parseMS(t, body)
	if len(doc.Responses) != 2 {
		t.Fatalf("%d responses, want 2", len(doc.Responses))
	}
	r := doc.Responses[0]
	if r.Href != "/calendars/alice/a&b/x%20y.ics" || r.Status != "" {
		t.Errorf("response 0: href %q status %q", r.Href, r.Status)
	}
	var got []string
	for _, ps := range r.Propstats {
		var names []string
		for _, p := range ps.Prop.Any {
			names = append(names, p.XMLName.Local)
		}
		got = append(got, ps.Status+": "+strings.Join(names, " "))
	}
	want := []string{
		"HTTP/1.1 200 OK: getetag resourcetype calendar-color current-user-principal",
		"HTTP/1.1 403 Forbidden: owner",
		"HTTP/1.1 404 Not Found: displayname foreign nons",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("propstats:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ok := r.Propstats[0].Prop.Any
	if ok[0].Text != `"abc"` {
		t.Errorf("getetag %q", ok[0].Text)
	}
	if ok[2].XMLName.Space != NSAppleICal || ok[2].Text != "#FD8208FF" || !slices.Contains(ok[2].Attrs, xml.Attr{Name: xml.Name{Local: "symbolic-color"}, Value: "orange"}) {
		t.Errorf("raw property came back as %+v", ok[2])
	}
	foreign := r.Propstats[2].Prop.Any
	if foreign[1].XMLName.Space != "urn:x" || foreign[2].XMLName.Space != "" {
		t.Errorf("foreign namespaces: %+v", foreign)
	}
	gone := doc.Responses[1]
	if gone.Status != "HTTP/1.1 404 Not Found" || len(gone.Propstats) != 0 {
		t.Errorf("status response: %+v", gone)
	}
	if doc.SyncToken != "http://pgdav.example/ns/sync/1-2" {
		t.Errorf("sync-token %q", doc.SyncToken)
	}
}

func TestMultistatusMinimal(t *testing.T) {
	rec := httptest.NewRecorder()
	ms := NewMultistatus(rec, MultistatusOptions{Minimal: true})
	must(t, ms.Response("/a/", []Prop{
		{Name: DAVName("displayname"), Status: http.StatusNotFound},
		{Name: DAVName("getetag"), Status: http.StatusOK, Inner: `"1"`},
		{Name: DAVName("owner"), Status: http.StatusForbidden},
	}))
	must(t, ms.Response("/b/", []Prop{
		{Name: DAVName("displayname"), Status: http.StatusNotFound},
		{Name: CSName("getctag"), Status: http.StatusNotFound},
	}))
	must(t, ms.Response("/c/", nil))
	must(t, ms.Close())
	doc := parseMS(t, rec.Body.Bytes())
	if n := len(doc.Responses[0].Propstats); n != 2 || doc.Responses[0].Propstats[1].Status != "HTTP/1.1 403 Forbidden" {
		t.Errorf("/a/: %+v", doc.Responses[0].Propstats)
	}
	for _, r := range doc.Responses[1:] {
		if len(r.Propstats) != 1 || r.Propstats[0].Status != "HTTP/1.1 200 OK" || len(r.Propstats[0].Prop.Any) != 0 {
			t.Errorf("%s: want one empty 200 propstat, got %+v", r.Href, r.Propstats)
		}
	}
	if !strings.Contains(rec.Body.String(), "<D:propstat><D:prop/><D:status>HTTP/1.1 200 OK</D:status></D:propstat>") {
		t.Errorf("empty propstat not written literally:\n%s", rec.Body.String())
	}
}

func TestMultistatusPropError(t *testing.T) {
	rec := httptest.NewRecorder()
	ms := NewMultistatus(rec, MultistatusOptions{})
	must(t, ms.Response("/cal/", []Prop{
		{Name: DAVName("displayname"), Status: http.StatusFailedDependency},
		{Name: DAVName("getetag"), Status: http.StatusForbidden, Error: `<D:cannot-modify-protected-property/>`},
		{Name: CalDAVName("calendar-timezone"), Status: http.StatusForbidden, Error: `<C:valid-calendar-data/>`},
		{Name: DAVName("resourcetype"), Status: http.StatusForbidden, Error: `<D:cannot-modify-protected-property/>`},
	}))
	must(t, ms.Close())
	doc := parseMS(t, rec.Body.Bytes())
	ps := doc.Responses[0].Propstats
	if len(ps) != 3 {
		t.Fatalf("%d propstats, want 3: %s", len(ps), rec.Body.String())
	}
	if len(ps[0].Prop.Any) != 2 || ps[0].Error == nil || !strings.Contains(ps[0].Error.Inner, "cannot-modify-protected-property") {
		t.Errorf("first 403 propstat: %+v", ps[0])
	}
	if len(ps[1].Prop.Any) != 1 || ps[1].Error == nil || !strings.Contains(ps[1].Error.Inner, "valid-calendar-data") {
		t.Errorf("second 403 propstat: %+v", ps[1])
	}
	if ps[2].Status != "HTTP/1.1 424 Failed Dependency" || ps[2].Error != nil {
		t.Errorf("424 propstat: %+v", ps[2])
	}
	var b strings.Builder
	writePropstats(&b, []Prop{{Name: DAVName("displayname"), Status: http.StatusNotFound}})
	if got := b.String(); got != `<D:propstat><D:prop><D:displayname/></D:prop><D:status>HTTP/1.1 404 Not Found</D:status></D:propstat>` {
		t.Errorf("writePropstats = %s", got)
	}
}

func TestMultistatusEmpty(t *testing.T) {
	w := &countingWriter{}
	ms := NewMultistatus(w, MultistatusOptions{})
	if w.status != 0 || w.n != 0 {
		t.Fatal("NewMultistatus wrote something")
	}
	must(t, ms.Close())
	if w.status != http.StatusMultiStatus {
		t.Errorf("status %d", w.status)
	}
	doc := parseMS(t, w.body.Bytes())
	if len(doc.Responses) != 0 {
		t.Errorf("responses in an empty multistatus: %+v", doc.Responses)
	}
}

// A Prop's Text is escaped as it is written, exactly as EscapeText
// would escape it into Inner.
func TestMultistatusPropText(t *testing.T) {
	text := "BEGIN:VCALENDAR\r\nSUMMARY:a & b <c> \"d\"\x01\r\nEND:VCALENDAR\r\n"
	name := CalDAVName("calendar-data")
	var bodies []string
	for _, p := range []Prop{{Name: name, Status: http.StatusOK, Text: text}, {Name: name, Status: http.StatusOK, Inner: EscapeText(text)}} {
		w := &countingWriter{}
		ms := NewMultistatus(w, MultistatusOptions{})
		must(t, ms.Response("/c/a.ics", []Prop{p}))
		must(t, ms.Close())
		bodies = append(bodies, w.body.String())
	}
	if bodies[0] != bodies[1] {
		t.Errorf("Text written as\n%s\nInner as\n%s", bodies[0], bodies[1])
	}
	if !strings.Contains(bodies[0], "SUMMARY:a &amp; b &lt;c&gt; &quot;d&quot;\uFFFD&#13;\nEND") {
		t.Errorf("Text not escaped: %s", bodies[0])
	}
}

func TestStatusLine(t *testing.T) {
	for code, want := range map[int]string{
		200: "HTTP/1.1 200 OK", 404: "HTTP/1.1 404 Not Found", 507: "HTTP/1.1 507 Insufficient Storage",
		424: "HTTP/1.1 424 Failed Dependency", 599: "HTTP/1.1 599 Unknown", 1000: "HTTP/1.1 1000 Unknown",
	} {
		if got := statusLine(code); got != want {
			t.Errorf("statusLine(%d) = %q, want %q", code, got, want)
		}
	}
}

// failingWriter accepts limit bytes, then fails like a closed connection.
type failingWriter struct {
	countingWriter
	limit int
}

var errGone = errors.New("client gone")

func (f *failingWriter) Write(p []byte) (int, error) {
	if f.n+len(p) > f.limit {
		return 0, errGone
	}
	return f.countingWriter.Write(p)
}

func TestMultistatusWriteError(t *testing.T) {
	w := &failingWriter{limit: 100 << 10}
	ms := NewMultistatus(w, MultistatusOptions{})
	props := benchProps()
	var err error
	for i := 0; i < 100000 && err == nil; i++ {
		err = ms.Response("/calendars/alice/work/event.ics", props)
	}
	if !errors.Is(err, errGone) {
		t.Fatalf("Response error %v, want %v", err, errGone)
	}
	if err := ms.Close(); !errors.Is(err, errGone) {
		t.Errorf("Close error %v, want %v", err, errGone)
	}
}

// countingWriter is an http.ResponseWriter and http.Flusher that keeps
// the first 1 MiB of the body and counts the rest.
type countingWriter struct {
	h       http.Header
	status  int
	n       int
	flushes int
	pending int // bytes written since the last flush
	body    bytes.Buffer
}

func (c *countingWriter) Header() http.Header {
	if c.h == nil {
		c.h = http.Header{}
	}
	return c.h
}
func (c *countingWriter) WriteHeader(status int) { c.status = status }
func (c *countingWriter) Flush()                 { c.flushes, c.pending = c.flushes+1, 0 }
func (c *countingWriter) Write(p []byte) (int, error) {
	if c.body.Len() < 1<<20 {
		c.body.Write(p[:min(len(p), 1<<20-c.body.Len())])
	}
	c.n += len(p)
	c.pending += len(p)
	return len(p), nil
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// benchProps is a typical member of a calendar listing: two found live
// properties, one Apple property the server does not have.
func benchProps() []Prop {
	return []Prop{
		{Name: DAVName("getetag"), Status: http.StatusOK, Inner: `"0123456789abcdef0123456789abcdef"`},
		{Name: DAVName("getcontenttype"), Status: http.StatusOK, Inner: "text/calendar; charset=utf-8; component=vevent"},
		{Name: DAVName("resourcetype"), Status: http.StatusOK},
		{Name: ICalName("calendar-color"), Status: http.StatusNotFound},
		{Name: xml.Name{Space: "urn:x-unknown", Local: "thing"}, Status: http.StatusNotFound},
	}
}

func benchHrefs() []string {
	hrefs := make([]string, 64)
	for i := range hrefs {
		hrefs[i] = fmt.Sprintf("/calendars/alice/work/%08X-A&B.ics", i)
	}
	return hrefs
}

func writeN(w http.ResponseWriter, n int, hrefs []string, props []Prop) error {
	ms := NewMultistatus(w, MultistatusOptions{})
	for i := range n {
		if err := ms.Response(hrefs[i%len(hrefs)], props); err != nil {
			return err
		}
	}
	return ms.Close()
}

// TestMultistatusMemory checks that a 100 000-member answer costs no more
// allocations than a 1 000-member one: the per-response cost is zero, so
// memory does not grow with the size of a calendar.
func TestMultistatusMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("writes 100 000 responses")
	}
	props, hrefs := benchProps(), benchHrefs()
	small := testing.AllocsPerRun(5, func() { must(t, writeN(&countingWriter{}, 1000, hrefs, props)) })
	large := testing.AllocsPerRun(2, func() { must(t, writeN(&countingWriter{}, 100000, hrefs, props)) })
	t.Logf("allocations per answer: %v for 1 000 responses, %v for 100 000", small, large)
	if large >= 2*100*small {
		t.Errorf("100 000 responses: %v allocations, want < 2×100×%v", large, small)
	}
	// A few allocations of slack: a collection during the long run may
	// empty the buffer pool, which then allocates its buffers again. An
	// allocation per response would add 99 000.
	if large > small+16 {
		t.Errorf("allocations grow with the answer: %v for 1 000 responses, %v for 100 000", small, large)
	}

	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	w := &failingWriter{limit: 1 << 62} // keeps only the first MiB
	must(t, writeN(w, 100000, hrefs, props))
	runtime.ReadMemStats(&after)
	allocated := after.TotalAlloc - before.TotalAlloc
	t.Logf("100 000 responses: %d bytes written, %d bytes allocated, %d flushes", w.n, allocated, w.flushes)
	if allocated > 4<<20 { // the kept MiB of body, the 32 KiB buffer, slack
		t.Errorf("100 000 responses allocated %d bytes", allocated)
	}
	if w.flushes < 100000/flushEvery {
		t.Errorf("%d flushes for 100 000 responses, want at least %d", w.flushes, 100000/flushEvery)
	}
}

// BenchmarkMultistatus reports the cost of one <D:response>: ns/op and
// allocs/op are per response.
func BenchmarkMultistatus(b *testing.B) {
	props, hrefs := benchProps(), benchHrefs()
	b.Run("listing", func(b *testing.B) {
		b.ReportAllocs()
		ms := NewMultistatus(&countingWriter{body: *bytes.NewBuffer(make([]byte, 0, 1<<20))}, MultistatusOptions{})
		for i := 0; b.Loop(); i++ {
			if err := ms.Response(hrefs[i%len(hrefs)], props); err != nil {
				b.Fatal(err)
			}
		}
		must(b, ms.Close())
	})
	b.Run("calendar-data", func(b *testing.B) {
		// A 1.5 KB event whose CRLFs are written as &#13;.
		data := strings.Repeat("DESCRIPTION:Meeting & follow-up <notes>\r\n", 36)
		withData := append(benchProps(), Prop{Name: CalDAVName("calendar-data"), Status: http.StatusOK, Inner: EscapeText(data)})
		b.ReportAllocs()
		ms := NewMultistatus(&countingWriter{body: *bytes.NewBuffer(make([]byte, 0, 1<<20))}, MultistatusOptions{})
		for i := 0; b.Loop(); i++ {
			if err := ms.Response(hrefs[i%len(hrefs)], withData); err != nil {
				b.Fatal(err)
			}
		}
		must(b, ms.Close())
	})
}

// TestMultistatusStreams checks that a client reads the first responses
// while the handler is still producing the answer.
func TestMultistatusStreams(t *testing.T) {
	const streamed = 2*flushEvery + flushEvery/2
	release := make(chan struct{})
	handlerDone := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer close(handlerDone)
		ms := NewMultistatus(w, MultistatusOptions{})
		for i := range streamed {
			if err := ms.Response(fmt.Sprintf("/calendars/alice/work/%d.ics", i), benchProps()); err != nil {
				t.Error(err)
				return
			}
		}
		<-release
		if err := ms.Close(); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	released := false
	defer func() {
		if !released {
			close(release)
		}
	}()

	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("status %d", resp.StatusCode)
	}
	// Read until the responses flushed so far (streamed rounded down to the
	// flush interval) have arrived, while the handler is blocked.
	want := streamed / flushEvery * flushEvery
	got := make(chan int, 1)
	var body bytes.Buffer
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := resp.Body.Read(buf)
			body.Write(buf[:n])
			if c := bytes.Count(body.Bytes(), []byte("</D:response>")); c >= want || err != nil {
				got <- c
				return
			}
		}
	}()
	select {
	case c := <-got:
		if c < want {
			t.Fatalf("read %d responses before the body ended, want %d", c, want)
		}
		select {
		case <-handlerDone:
			t.Fatal("handler finished before the client read")
		default:
		}
	case <-time.After(10 * time.Second):
		t.Fatalf("the first %d responses did not arrive while the handler was still running", want)
	}
	close(release)
	released = true
	rest, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	body.Write(rest)
	doc := parseMS(t, body.Bytes())
	if len(doc.Responses) != streamed {
		t.Errorf("%d responses, want %d", len(doc.Responses), streamed)
	}
}

// Close hands the last bytes to net/http without a flush, so they leave
// with the end of the response: a small answer goes out whole, with a
// Content-Length, and a streamed one is flushed only while it streams.
func TestMultistatusCloseDoesNotFlush(t *testing.T) {
	for _, n := range []int{1, flushEvery + 1} {
		w := &countingWriter{}
		must(t, writeN(w, n, benchHrefs(), benchProps()))
		if n < flushEvery && w.flushes != 0 {
			t.Errorf("%d responses: %d flushes, want none", n, w.flushes)
		}
		if n > flushEvery && w.flushes == 0 {
			t.Errorf("%d responses: not flushed while streaming", n)
		}
		if !strings.HasSuffix(w.body.String(), "</D:multistatus>\n") || w.pending == 0 {
			t.Errorf("%d responses: the end of the answer was flushed (%d bytes after the last flush)", n, w.pending)
		}
		if doc := parseMS(t, w.body.Bytes()); len(doc.Responses) != n {
			t.Errorf("%d responses written, %d read back", n, len(doc.Responses))
		}
	}

	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := writeN(w, 3, benchHrefs(), benchProps()); err != nil {
			t.Error(err)
		}
	}))
	defer srv.Close()
	resp, err := http.Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if resp.ContentLength != int64(len(body)) || len(resp.TransferEncoding) != 0 {
		t.Errorf("small answer: Content-Length %d, Transfer-Encoding %q, %d bytes; want it sent whole", resp.ContentLength, resp.TransferEncoding, len(body))
	}
}
