package caldav_test

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/pgdav/pgdav/internal/davtest"
)

// TestExpandStoredEqualsRendered: a calendar-query with expand answers
// the objects whose times are exact from the expansion stored at PUT
// (caldav/expansion.go); a calendar-multiget with the same expand renders
// from the bytes. Over the Appendix B objects (zoned recurring events
// with overrides, UTC, all-day) and several ranges, both must answer
// the same calendar-data, byte for byte.
func TestExpandStoredEqualsRendered(t *testing.T) {
	t.Parallel()
	e := appendixBCalendar(t)
	ranges := [][2]string{
		{"20060103T000000Z", "20060105T000000Z"}, // RFC 4791 7.8.3
		{"20060101T000000Z", "20070101T000000Z"},
		{"20060104T150000Z", "20060104T190000Z"}, // edges on an instance
		{"20060102T000000Z", "20060103T170000Z"},
	}
	compared := 0
	for _, r := range ranges {
		expand := fmt.Sprintf(`<C:calendar-data><C:expand start="%s" end="%s"/></C:calendar-data>`, r[0], r[1])
		query := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>` + expand +
			`</D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
			`<C:time-range start="` + r[0] + `" end="` + r[1] + `"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
		ms := e.Do(t, "bernard", "REPORT", "/calendars/bernard/work/", query, "Depth: 1").Want(t, http.StatusMultiStatus).Multistatus(t)
		if len(ms.Responses) == 0 {
			t.Fatalf("range %v: no match", r)
		}
		for _, resp := range ms.Responses {
			got, st := resp.Prop(davtest.CName("calendar-data"))
			if st != http.StatusOK {
				t.Fatalf("%s: calendar-data status %d", resp.Href, st)
			}
			multiget := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop>` + expand +
				`</D:prop><D:href>` + resp.Href + `</D:href></C:calendar-multiget>`
			mg := e.Do(t, "bernard", "REPORT", "/calendars/bernard/work/", multiget, "Depth: 1").Want(t, http.StatusMultiStatus).Multistatus(t)
			want, _ := mg.Response(t, resp.Href).Prop(davtest.CName("calendar-data"))
			if got.Text != want.Text {
				t.Errorf("%s over %v: calendar-query answered\n%s\ncalendar-multiget\n%s", resp.Href, r, got.Text, want.Text)
			}
			compared++
		}
	}
	t.Logf("%d expanded answers compared", compared)
}
