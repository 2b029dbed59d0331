package caldav

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// FuzzParseCalendarQuery feeds the calendar-query parser arbitrary bodies
// (docs/architecture.md "Fuzzing the trust boundary"): it must not panic,
// its errors are *dav.Error with a 400 or 403, and what it accepts has a
// VCALENDAR filter and a property request that plan, matches and render
// handle without panicking.
func FuzzParseCalendarQuery(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "query", "*.xml"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT">` +
		`<C:text-match collation="i;unicode-casemap" negate-condition="yes">ß</C:text-match></C:param-filter></C:prop-filter></C:comp-filter>`))
	f.Add(dataBody(`<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:comp name="VEVENT"><C:prop name="UID" novalue="yes"/></C:comp></C:comp>` +
		`<C:expand start="20060103T000000Z" end="20060105T000000Z"/><C:limit-freebusy-set start="20060102T000000Z" end="20060103T000000Z"/></C:calendar-data>`))
	f.Add([]byte(`<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>` +
		`<C:timezone>` + dav.EscapeText(berlinTimezone) + `</C:timezone><C:limit><C:nresults>2</C:nresults></C:limit></C:calendar-query>`))
	f.Add(filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:time-range start="20060104T000000"/></C:prop-filter></C:comp-filter>`))
	var cals []*ical.Calendar
	var data [][]byte
	for _, name := range []string{"abcd2", "abcd4", "abcd8"} {
		b, err := os.ReadFile(filepath.Join("testdata", "rfc4791", name+".ics"))
		if err != nil {
			f.Fatal(err)
		}
		cal, err := decodeCalendar(b)
		if err != nil {
			f.Fatal(err)
		}
		cals, data = append(cals, cal), append(data, b)
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, err := parseCalendarQuery(body)
		if err != nil {
			var de *dav.Error
			if !errors.As(err, &de) || (de.Status != 400 && de.Status != 403) || de.Message == "" {
				t.Fatalf("error %v (%T)", err, err)
			}
			return
		}
		if q.Filter == nil || q.Filter.Name != "VCALENDAR" || q.Props == nil {
			t.Fatalf("accepted without filter or props: %+v", q)
		}
		q.Filter.plan()
		for i, cal := range cals {
			_, _ = q.Filter.matches(ictime.NewContext(cal, q.Timezone), cal)
			_, _ = q.Data.render(data[i], q.Timezone)
		}
	})
}
