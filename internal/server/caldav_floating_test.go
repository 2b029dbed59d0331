package server

import (
	"net/http"
	"slices"
	"testing"

	"github.com/pgdav/pgdav/internal/dav"
)

// TestFloatingTimesFollowTheZone: all-day events and floating times are
// stored with the times they have in the calendar's zone (caldav
// objectTimes), and SQL decides with them only for queries that read
// floating times in that zone. A query with its own CALDAV:timezone, and
// every query after the calendar-timezone changes, must still see the
// events where the new zone puts them (RFC 4791 9.9: DATE values and
// floating DATE-TIMEs are read in the calendar's or the query's zone).
func TestFloatingTimesFollowTheZone(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "zoe")
	const cal = "/calendars/zoe/default/"
	put := func(name, body string) {
		t.Helper()
		e.do(t, "zoe", "PUT", cal+name, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//test//EN\r\nBEGIN:VEVENT\r\n"+
			"UID:"+name+"\r\nDTSTAMP:20260101T000000Z\r\n"+body+"SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			"Content-Type: text/calendar").want(t, http.StatusCreated)
	}
	put("day.ics", "DTSTART;VALUE=DATE:20260310\r\nDTEND;VALUE=DATE:20260311\r\n")
	put("float.ics", "DTSTART:20260310T230000\r\nDURATION:PT30M\r\n")
	put("utc.ics", "DTSTART:20260310T120000Z\r\nDURATION:PT1H\r\n")

	tz := func(id string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//x//EN\r\nBEGIN:VTIMEZONE\r\nTZID:" + id +
			"\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0000\r\nTZOFFSETTO:+0000\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
	}
	// 2026-03-10 22:30Z–23:45Z: in UTC the all-day event (all of the
	// 10th) and the floating one (23:00–23:30) overlap it; in Tokyo
	// (UTC+9) the day ends at 15:00Z and the floating event is at 14:00Z;
	// in Los Angeles (UTC-7 in March) the day runs 07:00Z–07:00Z next
	// day and the floating event is at 06:00Z on the 11th.
	window := func(extra string) []string {
		t.Helper()
		body := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
			`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
			`<C:time-range start="20260310T223000Z" end="20260310T234500Z"/></C:comp-filter></C:comp-filter></C:filter>` + extra +
			`</C:calendar-query>`
		ms := e.do(t, "zoe", "REPORT", cal, body, "Depth: 1").want(t, http.StatusMultiStatus).multistatus(t)
		return names(t, ms, true)
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	check("calendar in UTC", window(""), []string{"day", "float"})
	check("query in Tokyo", window(`<C:timezone-id>Asia/Tokyo</C:timezone-id>`), nil)
	check("query in Los Angeles", window(`<C:timezone-id>America/Los_Angeles</C:timezone-id>`), []string{"day"})

	e.do(t, "zoe", "PROPPATCH", cal, `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>`+
		`<C:calendar-timezone>`+dav.EscapeText(tz("Asia/Tokyo"))+`</C:calendar-timezone></D:prop></D:set></D:propertyupdate>`).want(t, http.StatusMultiStatus)
	check("calendar moved to Tokyo", window(""), nil)
	check("query in UTC, calendar in Tokyo", window(`<C:timezone-id>UTC</C:timezone-id>`), []string{"day", "float"})

	// Written again while the calendar is in Tokyo: stored in Tokyo.
	put("day2.ics", "DTSTART;VALUE=DATE:20260310\r\n")
	check("new all-day event, calendar in Tokyo", window(""), nil)
	check("new all-day event, query in UTC", window(`<C:timezone-id>UTC</C:timezone-id>`), []string{"day", "day2", "float"})
}
