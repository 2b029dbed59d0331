package caldav_test

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/internal/davtest"
)

// appendixB are RFC 4791 Appendix B's calendar object resources.
var appendixB = []string{"abcd1", "abcd2", "abcd3", "abcd4", "abcd5", "abcd6", "abcd7", "abcd8"}

// toCRLF turns a stored-with-LF test file into what clients send.
func toCRLF(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func readTestdata(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// appendixBCalendar makes bernard's calendar "work" (accepting every
// component type) holding the Appendix B objects, as RFC 4791's examples
// assume, and returns the environment.
func appendixBCalendar(t *testing.T) *davtest.Env {
	t.Helper()
	e := davtest.New(t, davtest.Config{}, "bernard", "lisa")
	e.Do(t, "bernard", "MKCALENDAR", "/calendars/bernard/work/", "").Want(t, http.StatusCreated)
	for _, name := range appendixB {
		e.Do(t, "bernard", "PUT", "/calendars/bernard/work/"+name+".ics", toCRLF(readTestdata(t, "rfc4791/"+name+".ics")),
			"Content-Type: text/calendar").Want(t, http.StatusCreated)
	}
	return e
}

// names returns the sorted object names (without .ics) of a multistatus;
// with etags set, every response must carry its getetag.
func names(t *testing.T, ms *davtest.Multistatus, etags bool) []string {
	t.Helper()
	var out []string
	for _, r := range ms.Responses {
		if r.Status != 0 {
			t.Fatalf("unexpected response-level status %d for %s", r.Status, r.Href)
		}
		if _, st := r.Prop(davtest.DName("getetag")); etags && st != http.StatusOK {
			t.Errorf("%s: getetag status %d; every response must carry it", r.Href, st)
		}
		out = append(out, strings.TrimSuffix(filepath.Base(r.Href), ".ics"))
	}
	slices.Sort(out)
	return out
}

// TestCalendarQueryRFCExamples runs the calendar-query examples of RFC
// 4791 7.8 over HTTP against Appendix B and expects the resources the RFC
// documents (7.8.5 is left out: its answer uses a version of abcd5 that
// Appendix B does not have; see caldav/match_test.go).
func TestCalendarQueryRFCExamples(t *testing.T) {
	t.Parallel()
	e := appendixBCalendar(t)
	for _, tc := range []struct {
		file string
		want []string
	}{
		{"rfc4791-7.8.1.xml", []string{"abcd2", "abcd3"}},
		{"rfc4791-7.8.2.xml", []string{"abcd2", "abcd3"}},
		{"rfc4791-7.8.3.xml", []string{"abcd2", "abcd3"}},
		{"rfc4791-7.8.4.xml", []string{"abcd8"}},
		{"rfc4791-7.8.6.xml", []string{"abcd3"}},
		{"rfc4791-7.8.7.xml", []string{"abcd3"}},
		{"rfc4791-7.8.8.xml", []string{"abcd1", "abcd2", "abcd3"}},
		{"rfc4791-7.8.9.xml", []string{"abcd4", "abcd5"}},
	} {
		t.Run(tc.file, func(t *testing.T) {
			body := readTestdata(t, "query/"+tc.file)
			r := e.Do(t, "bernard", "REPORT", "/calendars/bernard/work/", body, "Depth: 1").Want(t, http.StatusMultiStatus)
			ms := r.Multistatus(t)
			davtest.Golden(t, "calendar-query/"+strings.TrimSuffix(tc.file, ".xml")+".xml", r)
			if got := names(t, ms, strings.Contains(body, "getetag")); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
			for _, r := range ms.Responses {
				if data, st := r.Prop(davtest.CName("calendar-data")); strings.Contains(body, "calendar-data") && (st != http.StatusOK || !strings.Contains(data.Text, "BEGIN:VCALENDAR")) {
					t.Errorf("%s: calendar-data status %d", r.Href, st)
				}
			}
		})
	}

	// 7.8.3: expanded instances, each with a RECURRENCE-ID and no RRULE.
	ms := e.Do(t, "bernard", "REPORT", "/calendars/bernard/work/", readTestdata(t, "query/rfc4791-7.8.3.xml"), "Depth: 1").Multistatus(t)
	data, _ := ms.Response(t, e.Href("/calendars/bernard/work/abcd2.ics")).Prop(davtest.CName("calendar-data"))
	cal, err := ical.NewDecoder(strings.NewReader(data.Text)).Decode()
	if err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, c := range cal.Children {
		if c.Name == ical.CompEvent {
			if c.Props.Get(ical.PropRecurrenceRule) != nil || c.Props.Get(ical.PropRecurrenceID) == nil {
				t.Errorf("expanded instance keeps RRULE or lacks RECURRENCE-ID:\n%s", data.Text)
			}
			starts = append(starts, c.Props.Get(ical.PropDateTimeStart).Value)
		}
	}
	slices.Sort(starts)
	if want := []string{"20060103T170000Z", "20060104T190000Z"}; !slices.Equal(starts, want) {
		t.Errorf("expanded DTSTARTs %v, want %v (the 4th moved by its override)", starts, want)
	}
}

func TestCalendarMultiget(t *testing.T) {
	t.Parallel()
	e := appendixBCalendar(t)
	e.Do(t, "lisa", "PUT", "/calendars/lisa/default/x.ics", toCRLF(readTestdata(t, "rfc4791/abcd1.ics")), "Content-Type: text/calendar").Want(t, http.StatusCreated)
	e.Do(t, "bernard", "PUT", "/calendars/bernard/default/other.ics", toCRLF(readTestdata(t, "rfc4791/abcd1.ics")), "Content-Type: text/calendar").Want(t, http.StatusCreated)
	stored := e.Do(t, "bernard", "GET", "/calendars/bernard/work/abcd1.ics", "").Want(t, http.StatusOK)

	// RFC 4791 7.9.1, with this server's layout, plus the awkward cases.
	hrefs := []string{
		"/calendars/bernard/work/abcd1.ics",
		"/calendars/bernard/work/mtg1.ics",                        // missing: 404
		"http://dav.example.org/calendars/bernard/work/abcd3.ics", // absolute URL
		"/calendars/bernard/work/abcd1.ics",                       // duplicate
		"/calendars/bernard/work/abcd%33.ics",                     // abcd3, encoded
		"/calendars/lisa/default/x.ics",                           // another user's: 403
		"/calendars/bernard/default/other.ics",                    // outside the request URI: 404
		"/calendars/bernard/work/../secret",                       // malformed: 404
	}
	var b strings.Builder
	b.WriteString(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>`)
	for _, h := range hrefs {
		b.WriteString("<D:href>" + h + "</D:href>")
	}
	b.WriteString(`</C:calendar-multiget>`)
	ms := e.Do(t, "bernard", "REPORT", "/calendars/bernard/work/", b.String()).Want(t, http.StatusMultiStatus).Multistatus(t)
	got := map[string]int{}
	for _, r := range ms.Responses {
		if _, dup := got[r.Href]; dup {
			t.Errorf("%s answered twice", r.Href)
		}
		got[r.Href] = r.Status
		if r.Status == 0 {
			got[r.Href] = http.StatusOK
		}
	}
	want := map[string]int{
		"/calendars/bernard/work/abcd1.ics":    http.StatusOK,
		"/calendars/bernard/work/abcd3.ics":    http.StatusOK,
		"/calendars/bernard/work/mtg1.ics":     http.StatusNotFound,
		"/calendars/lisa/default/x.ics":        http.StatusForbidden,
		"/calendars/bernard/default/other.ics": http.StatusNotFound,
		"/calendars/bernard/work/../secret":    http.StatusNotFound,
	}
	for h, st := range want {
		if got[h] != st {
			t.Errorf("%s: status %d, want %d", h, got[h], st)
		}
	}
	if len(got) != len(want) {
		t.Errorf("responses %v, want %v", got, want)
	}
	r := ms.Response(t, "/calendars/bernard/work/abcd1.ics")
	data, _ := r.Prop(davtest.CName("calendar-data"))
	etag, _ := r.Prop(davtest.DName("getetag"))
	if toCRLF(data.Text) != string(stored.Body) || etag.Text != stored.Header.Get("ETag") {
		t.Errorf("multiget data or etag differ from GET:\n%q\n%q", data.Text, stored.Body)
	}
	if r := ms.Response(t, "/calendars/lisa/default/x.ics"); len(r.Propstats) != 0 {
		t.Error("another user's resource answered with properties")
	}

	// A multiget on one object resource answers for that object only:
	// the other hrefs are outside the request URI (answered as sent).
	one := e.Do(t, "bernard", "REPORT", "/calendars/bernard/work/abcd1.ics", b.String()).Want(t, http.StatusMultiStatus).Multistatus(t)
	for _, r := range one.Responses {
		if strings.Contains(r.Href, "abcd3") && r.Status != http.StatusNotFound {
			t.Errorf("multiget on abcd1.ics answered %s with %d, want 404", r.Href, r.Status)
		}
	}
	if one.Response(t, "/calendars/bernard/work/abcd1.ics").Status != 0 {
		t.Error("multiget on abcd1.ics did not answer abcd1.ics")
	}
}

// TestCalendarQueryDepth: a REPORT on one object resource, Depth 0 and 1
// and none on the collection.
func TestCalendarQueryDepth(t *testing.T) {
	t.Parallel()
	e := appendixBCalendar(t)
	events := readTestdata(t, "query/rfc4791-7.8.8.xml")
	for _, tc := range []struct {
		path, depth string
		want        []string
	}{
		{"/calendars/bernard/work/", "1", []string{"abcd1", "abcd2", "abcd3"}},
		{"/calendars/bernard/work/", "", []string{"abcd1", "abcd2", "abcd3"}},
		{"/calendars/bernard/work/", "0", nil},
		{"/calendars/bernard/work/abcd2.ics", "0", []string{"abcd2"}},
		{"/calendars/bernard/work/abcd4.ics", "0", nil}, // a VTODO: no match
	} {
		var hdr []string
		if tc.depth != "" {
			hdr = append(hdr, "Depth: "+tc.depth)
		}
		ms := e.Do(t, "bernard", "REPORT", tc.path, events, hdr...).Want(t, http.StatusMultiStatus).Multistatus(t)
		if got := names(t, ms, true); !slices.Equal(got, tc.want) {
			t.Errorf("%s Depth %q: got %v, want %v", tc.path, tc.depth, got, tc.want)
		}
	}
}

// Bad queries are refused before anything is written, with the RFC's
// condition.
func TestCalendarQueryErrors(t *testing.T) {
	t.Parallel()
	e := appendixBCalendar(t)
	q := func(filter string) string {
		return `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
			`<C:filter><C:comp-filter name="VCALENDAR">` + filter + `</C:comp-filter></C:filter></C:calendar-query>`
	}
	for _, tc := range []struct {
		name   string
		body   string
		status int
		cond   string
	}{
		{"unknown collation", q(`<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:text-match collation="i;klingon">x</C:text-match></C:prop-filter></C:comp-filter>`), 403, "supported-collation"},
		{"unknown filter element", q(`<C:comp-filter name="VEVENT"><C:fuzzy-match/></C:comp-filter>`), 403, "supported-filter"},
		// RFC 4791 9.9: "date with UTC time" or the filter is invalid (7.8).
		{"time-range not in UTC", q(`<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000" end="20060105T000000Z"/></C:comp-filter>`), 403, "valid-filter"},
		{"prop-filter time-range with a DATE", q(`<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:time-range start="20060104"/></C:prop-filter></C:comp-filter>`), 403, "valid-filter"},
		// RFC 4791 9.6.5 asks the same of expand, but names no
		// precondition for it: a malformed request.
		{"expand not in UTC", strings.Replace(q(`<C:comp-filter name="VEVENT"/>`), `<D:getetag/>`,
			`<C:calendar-data><C:expand start="20060103T000000" end="20060105T000000Z"/></C:calendar-data>`, 1), 400, ""},
		// RFC 4791 7.8: valid-calendar-data, as PUT refuses the same
		// VCALENDAR without VERSION.
		{"timezone without VERSION", strings.Replace(q(`<C:comp-filter name="VEVENT"/>`), `</C:filter>`, `</C:filter><C:timezone>BEGIN:VCALENDAR&#13;
PRODID:-//x//y&#13;
BEGIN:VTIMEZONE&#13;
TZID:Europe/Berlin&#13;
BEGIN:STANDARD&#13;
DTSTART:19701025T030000&#13;
TZOFFSETFROM:+0200&#13;
TZOFFSETTO:+0100&#13;
END:STANDARD&#13;
END:VTIMEZONE&#13;
END:VCALENDAR&#13;
</C:timezone>`, 1), 403, "valid-calendar-data"},
		{"malformed XML", `<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter>`, 400, ""},
	} {
		r := e.Do(t, "bernard", "REPORT", "/calendars/bernard/work/", tc.body, "Depth: 1")
		if r.Status != tc.status {
			t.Errorf("%s: status %d, want %d\n%s", tc.name, r.Status, tc.status, r.Body)
			continue
		}
		if tc.cond != "" {
			r.Condition(t, tc.status, davtest.CName(tc.cond))
		}
	}
	// RFC 4791 7.5.1: the collations are advertised.
	coll, _ := e.PropOf(t, "bernard", "/calendars/bernard/work/", davtest.CName("supported-collation-set"))
	var collations []string
	for _, c := range coll.All(davtest.CName("supported-collation")) {
		collations = append(collations, c.Text)
	}
	slices.Sort(collations)
	if want := []string{"i;ascii-casemap", "i;octet", "i;unicode-casemap"}; !slices.Equal(collations, want) {
		t.Errorf("supported-collation-set %v, want %v", collations, want)
	}
	// Every REPORT this calendar answers is advertised, and only those.
	set, _ := e.PropOf(t, "bernard", "/calendars/bernard/work/", davtest.DName("supported-report-set"))
	var reports []string
	for _, sr := range set.All(davtest.DName("supported-report")) {
		for _, n := range sr.Child(davtest.DName("report")).ChildNames() {
			reports = append(reports, n.Local)
		}
	}
	slices.Sort(reports)
	if want := []string{"calendar-multiget", "calendar-query", "free-busy-query", "sync-collection"}; !slices.Equal(reports, want) {
		t.Errorf("supported-report-set %v, want %v", reports, want)
	}
}

// TestFreeBusyRFCExample is RFC 4791 7.10.1 over Appendix B: BUSY-TENTATIVE
// for abcd3, BUSY for two instances of abcd2 (one moved by its override),
// BUSY-UNAVAILABLE from abcd8's VFREEBUSY.
func TestFreeBusyRFCExample(t *testing.T) {
	t.Parallel()
	e := appendixBCalendar(t)
	body := readTestdata(t, "query/rfc4791-7.10.1.xml")
	for _, path := range []string{"/calendars/bernard/work/", "/calendars/bernard/"} {
		r := e.Do(t, "bernard", "REPORT", path, body, "Depth: 1").Want(t, http.StatusOK)
		if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/calendar") {
			t.Fatalf("Content-Type %q", ct)
		}
		cal, err := ical.NewDecoder(strings.NewReader(string(r.Body))).Decode()
		if err != nil {
			t.Fatal(err)
		}
		got := map[string][]string{}
		for _, c := range cal.Children {
			if c.Name != ical.CompFreeBusy {
				continue
			}
			if s := c.Props.Get(ical.PropDateTimeStart); s == nil || s.Value != "20060104T140000Z" {
				t.Errorf("DTSTART %v", s)
			}
			for _, p := range c.Props.Values(ical.PropFreeBusy) {
				fb := p.Params.Get(ical.ParamFreeBusyType)
				if fb == "" {
					fb = "BUSY"
				}
				for _, v := range strings.Split(p.Value, ",") {
					got[fb] = append(got[fb], normalizePeriod(t, v))
				}
			}
		}
		want := map[string][]string{
			"BUSY-TENTATIVE":   {"20060104T150000Z/20060104T160000Z"},
			"BUSY":             {"20060104T190000Z/20060104T200000Z", "20060105T170000Z/20060105T180000Z"},
			"BUSY-UNAVAILABLE": {"20060105T100000Z/20060105T120000Z"},
		}
		for k := range got {
			slices.Sort(got[k])
		}
		for k, v := range want {
			if !slices.Equal(got[k], v) {
				t.Errorf("%s FBTYPE=%s: %v, want %v", path, k, got[k], v)
			}
		}
		if len(got) != len(want) {
			t.Errorf("%s: types %v, want %v", path, got, want)
		}
	}
}

// normalizePeriod writes a PERIOD as start/end in UTC.
func normalizePeriod(t *testing.T, v string) string {
	t.Helper()
	const f = "20060102T150405Z"
	a, b, _ := strings.Cut(v, "/")
	start, err := time.Parse(f, a)
	if err != nil {
		t.Fatalf("period %q: %v", v, err)
	}
	if end, err := time.Parse(f, b); err == nil {
		return start.Format(f) + "/" + end.Format(f)
	}
	p := ical.NewProp("DURATION")
	p.Value = b
	d, err := p.Duration()
	if err != nil {
		t.Fatalf("period %q: %v", v, err)
	}
	return start.Format(f) + "/" + start.Add(d).Format(f)
}

// Many REPORTs asking for dead properties at once, more than the pool
// has connections: each must finish (none may wait for a second
// connection while its stream holds one).
func TestCalendarReportsWithDeadPropertiesConcurrently(t *testing.T) {
	t.Parallel()
	e := appendixBCalendar(t)
	e.Do(t, "bernard", "PROPPATCH", "/calendars/bernard/work/abcd1.ics",
		davtest.ProppatchSet(`<X:tag xmlns:X="urn:x">one</X:tag>`)).Want(t, http.StatusMultiStatus)
	query := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:X="urn:x">` +
		`<D:prop><D:getetag/><X:tag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`
	multiget := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:allprop/>` +
		`<D:href>/calendars/bernard/work/abcd1.ics</D:href><D:href>/calendars/bernard/work/abcd2.ics</D:href></C:calendar-multiget>`
	const clients = 16 // the test store's pool has 4 connections
	done := make(chan error, clients)
	for i := range clients {
		go func() {
			body := query
			if i%2 == 1 {
				body = multiget
			}
			req, _ := http.NewRequest("REPORT", e.HTTP.URL+"/calendars/bernard/work/", strings.NewReader(body))
			req.SetBasicAuth("bernard", davtest.Password)
			req.Header.Set("Depth", "1")
			resp, err := e.Client.Do(req)
			if err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusMultiStatus {
					err = fmt.Errorf("status %d", resp.StatusCode)
				}
			}
			done <- err
		}()
	}
	timeout := time.After(60 * time.Second)
	for range clients {
		select {
		case err := <-done:
			if err != nil {
				t.Fatal(err)
			}
		case <-timeout:
			t.Fatal("concurrent REPORTs with dead properties did not finish: the pool deadlocked")
		}
	}
	ms := e.Do(t, "bernard", "REPORT", "/calendars/bernard/work/", query, "Depth: 1").Multistatus(t)
	if v, st := ms.Response(t, "/calendars/bernard/work/abcd1.ics").Prop(xml.Name{Space: "urn:x", Local: "tag"}); st != http.StatusOK || v.Text != "one" {
		t.Fatalf("dead property in the REPORT: %d %v", st, v)
	}
}

// RFC 4791 9.6: calendar-data in a PROPFIND may select components and
// properties like in a REPORT; a request the server cannot honour is
// refused before anything is written.
func TestPropfindCalendarDataSelection(t *testing.T) {
	t.Parallel()
	e := appendixBCalendar(t)
	body := `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` +
		`<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT">` +
		`<C:prop name="SUMMARY"/><C:prop name="UID"/></C:comp></C:comp></C:calendar-data></D:prop></D:propfind>`
	for _, depth := range []string{"0", "1"} {
		path := "/calendars/bernard/work/"
		if depth == "0" {
			path += "abcd1.ics"
		}
		ms := e.Do(t, "bernard", "PROPFIND", path, body, "Depth: "+depth).Want(t, http.StatusMultiStatus).Multistatus(t)
		data, st := ms.Response(t, "/calendars/bernard/work/abcd1.ics").Prop(davtest.CName("calendar-data"))
		if st != http.StatusOK || !strings.Contains(data.Text, "SUMMARY:Event #1") || strings.Contains(data.Text, "DTSTART") ||
			strings.Contains(data.Text, "VTIMEZONE") {
			t.Errorf("Depth %s: selected calendar-data (%d):\n%s", depth, st, data.Text)
		}
	}
	bad := `<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>` +
		`<C:calendar-data content-type="application/json"/></D:prop></D:propfind>`
	e.Do(t, "bernard", "PROPFIND", "/calendars/bernard/work/", bad, "Depth: 1").Condition(t, http.StatusForbidden, davtest.CName("supported-calendar-data"))
}

// TestCalendarQueryLimit: <C:limit><C:nresults>N</C:nresults> cuts the
// answer at N objects and then adds a 507 response for the Request-URI
// with DAV:number-of-matches-within-limits (a CalendarServer extension
// to RFC 4791 9.5; RFC 6352 8.6.1 gives the answer's form for CardDAV),
// whether SQL decides the filter, the stored times do, or the exact
// matcher; a limit the matches stay within adds nothing.
func TestCalendarQueryLimit(t *testing.T) {
	t.Parallel()
	e := appendixBCalendar(t)
	const cal = "/calendars/bernard/work/"
	for _, filter := range []string{
		`<C:comp-filter name="VEVENT"/>`,
		`<C:comp-filter name="VEVENT"><C:time-range start="20000101T000000Z"/></C:comp-filter>`,
		`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"/></C:comp-filter>`,
	} {
		query := func(limit string) *davtest.Multistatus {
			t.Helper()
			return e.Do(t, "bernard", "REPORT", cal, `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`+
				`<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">`+filter+`</C:comp-filter></C:filter>`+
				limit+`</C:calendar-query>`, "Depth: 1").Want(t, http.StatusMultiStatus).Multistatus(t)
		}
		all := names(t, query(""), true)
		if len(all) != 3 {
			t.Fatalf("%s: matches %v, want the three events", filter, all)
		}
		for n := 1; n <= len(all)+2; n++ {
			ms := query(fmt.Sprintf("<C:limit><C:nresults>%d</C:nresults></C:limit>", n))
			truncated := n < len(all)
			davtest.WantTruncated(t, ms, cal, truncated)
			objects := ms.Responses
			if truncated {
				if last := objects[len(objects)-1]; last.Href != cal {
					t.Errorf("%s nresults %d: the 507 response is not the last one: %v", filter, n, ms.Hrefs())
				}
				objects = objects[:len(objects)-1]
			}
			got := names(t, &davtest.Multistatus{Responses: objects}, true)
			if want := min(n, len(all)); len(got) != want {
				t.Errorf("%s nresults %d: %d objects %v, want %d", filter, n, len(got), got, want)
			}
			for _, g := range got {
				if !slices.Contains(all, g) {
					t.Errorf("%s nresults %d: %s is no match", filter, n, g)
				}
			}
		}
	}
}
