package server

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"testing"
)

// Pathological request bodies get a 4xx before the server has done work
// in proportion to them: nesting beyond the bound is 400, too many
// elements 413, and the memory a request allocates stays bounded. On
// 803505d 4 million unclosed elements in a 12 MB REPORT cost 50 s and
// 320 MiB. Not parallel: it measures the process's allocations.
func TestDAVPathologicalBodies(t *testing.T) {
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", "/calendars/alice/default/a.ics", event("limits-a", "A"), ctCal)
	const (
		cal = "/calendars/alice/default/"
		ab  = "/addressbooks/alice/default/"
	)
	calQuery0 := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>`
	names := func(n int) string {
		var b strings.Builder
		b.WriteString(`<D:propfind xmlns:D="DAV:" xmlns:X="urn:x"><D:prop>`)
		for i := range n {
			fmt.Fprintf(&b, "<X:p%d/>", i)
		}
		b.WriteString(`</D:prop></D:propfind>`)
		return b.String()
	}
	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   string
		status int
	}{
		// Unknown elements outside the filter are skipped (RFC 4918
		// 17), so only the decoder's bound stops these.
		{"REPORT: 4 million unclosed elements", "REPORT", cal, calQuery0 + strings.Repeat("<a>", 4_000_000), http.StatusBadRequest},
		{"REPORT: a million hrefs", "REPORT", cal, `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` + strings.Repeat(`<D:href>x.ics</D:href>`, 1_000_000) + `</C:calendar-multiget>`, http.StatusRequestEntityTooLarge},
		{"REPORT: deep addressbook-query", "REPORT", ab, `<CR:addressbook-query xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav">` + strings.Repeat("<x>", 500) + strings.Repeat("</x>", 500) + `<CR:filter/></CR:addressbook-query>`, http.StatusBadRequest},
		{"REPORT: deep sync-collection", "REPORT", cal, `<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:prop>` + strings.Repeat("<x>", 500) + strings.Repeat("</x>", 500) + `</D:prop></D:sync-collection>`, http.StatusBadRequest},
		{"REPORT: element with 100 000 attributes", "REPORT", cal, calQuery0 + "<a" + func() string {
			var b strings.Builder
			for i := range 100_000 {
				fmt.Fprintf(&b, ` b%d=""`, i)
			}
			return b.String()
		}() + "/>", http.StatusBadRequest},
		{"PROPFIND: 80 000 names", "PROPFIND", cal, names(80_000), http.StatusRequestEntityTooLarge},
		{"PROPFIND: deep", "PROPFIND", cal, `<D:propfind xmlns:D="DAV:"><D:prop>` + strings.Repeat("<a>", 300_000), http.StatusBadRequest},
		{"PROPPATCH: deep value", "PROPPATCH", cal, `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><X:deep xmlns:X="urn:x">` + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + `</X:deep></D:prop></D:set></D:propertyupdate>`, http.StatusBadRequest},
		{"MKCALENDAR: deep", "MKCALENDAR", "/calendars/alice/deep/", `<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>` + strings.Repeat("<a>", 100) + strings.Repeat("</a>", 100) + `</D:prop></D:set></C:mkcalendar>`, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			r := e.do(t, "alice", tc.method, tc.path, tc.body, "Depth: 1", "Content-Type: application/xml")
			runtime.ReadMemStats(&after)
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d\n%.500s", r.Status, tc.status, r.Body)
			}
			if !strings.Contains(string(r.Body), "XML body") {
				t.Errorf("the answer does not say what is wrong: %.300s", r.Body)
			}
			// The body itself is read whole (up to 32 MiB for a
			// REPORT) and copied by the test client; the parse adds
			// little to that.
			if used, limit := after.TotalAlloc-before.TotalAlloc, uint64(3*len(tc.body)+64<<20); used > limit {
				t.Errorf("%d MiB allocated for a %d MiB body, want below %d MiB", used>>20, len(tc.body)>>20, limit>>20)
			}
		})
	}
	// Nothing was changed by the refused writes.
	if _, status := e.propOf(t, "alice", cal, xml.Name{Space: "urn:x", Local: "deep"}); status != http.StatusNotFound {
		t.Errorf("the deep property was stored: %d", status)
	}
	e.do(t, "alice", "PROPFIND", "/calendars/alice/deep/", "", "Depth: 0").want(t, http.StatusNotFound)

	// Within the bounds, 10 000 names get a correct answer, from PROPFIND
	// and from the REPORTs of both collection types.
	props := strings.TrimSuffix(strings.TrimPrefix(names(10_000), `<D:propfind xmlns:D="DAV:" xmlns:X="urn:x">`), `</D:propfind>`)
	e.put(t, "alice", ab+"c.vcf", card("limits-c", "C"), ctCard)
	for _, tc := range []struct {
		method, path, body, member string
	}{
		{"PROPFIND", cal, names(10_000), cal},
		{"REPORT", cal, `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:X="urn:x">` + props + `<D:href>` + cal + `a.ics</D:href></C:calendar-multiget>`, cal + "a.ics"},
		{"REPORT", ab, `<CR:addressbook-multiget xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav" xmlns:X="urn:x">` + props + `<D:href>` + ab + `c.vcf</D:href></CR:addressbook-multiget>`, ab + "c.vcf"},
		{"REPORT", cal, `<D:sync-collection xmlns:D="DAV:" xmlns:X="urn:x"><D:sync-token/><D:sync-level>1</D:sync-level>` + props + `</D:sync-collection>`, cal + "a.ics"},
	} {
		r := e.do(t, "alice", tc.method, tc.path, tc.body, "Depth: 0").multistatus(t).response(t, tc.member)
		for _, i := range []int{0, 5_000, 9_999} {
			if s := r.propStatus(xml.Name{Space: "urn:x", Local: fmt.Sprintf("p%d", i)}); s != http.StatusNotFound {
				t.Errorf("%s %s: p%d: %d, want 404", tc.method, tc.path, i, s)
			}
		}
	}
}
