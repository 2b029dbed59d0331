package caldav

import (
	"fmt"
	"strings"
	"testing"
)

// BenchmarkParseReport measures the REPORT body parsers, which run once
// per request before anything is read from the store: a calendar-multiget
// naming 5 000 members (Apple and Thunderbird name every changed member
// at once after a sync) and a typical calendar-query (one month of
// VEVENTs with ETags and data, as DAVx5 and Thunderbird send).
func BenchmarkParseReport(b *testing.B) {
	var multiget strings.Builder
	multiget.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
		`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` + "\n" +
		`  <D:prop><D:getetag/><C:calendar-data/></D:prop>` + "\n")
	for i := range 5000 {
		fmt.Fprintf(&multiget, "  <D:href>/calendars/alice/work/%08x-4d2a-11ef-9c3b-0242ac120002.ics</D:href>\n", i)
	}
	multiget.WriteString(`</C:calendar-multiget>` + "\n")
	query := []byte(`<?xml version="1.0" encoding="UTF-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:prop>
    <D:getetag/>
    <C:calendar-data/>
  </D:prop>
  <C:filter>
    <C:comp-filter name="VCALENDAR">
      <C:comp-filter name="VEVENT">
        <C:time-range start="20260301T000000Z" end="20260401T000000Z"/>
      </C:comp-filter>
    </C:comp-filter>
  </C:filter>
</C:calendar-query>
`)
	b.Run("multiget-5000", func(b *testing.B) {
		body := []byte(multiget.String())
		b.SetBytes(int64(len(body)))
		b.ReportAllocs()
		for b.Loop() {
			m, err := parseCalendarMultiget(body)
			if err != nil || len(m.Hrefs) != 5000 {
				b.Fatalf("%v, %d hrefs", err, len(m.Hrefs))
			}
		}
	})
	b.Run("query", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := parseCalendarQuery(query); err != nil {
				b.Fatal(err)
			}
		}
	})
}
