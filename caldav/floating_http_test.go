package caldav_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/internal/dav"
	"github.com/pgdav/pgdav/internal/davtest"
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
	e := davtest.New(t, davtest.Config{}, "zoe")
	const cal = "/calendars/zoe/default/"
	put := func(name, body string) {
		t.Helper()
		e.Do(t, "zoe", "PUT", cal+name, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//test//EN\r\nBEGIN:VEVENT\r\n"+
			"UID:"+name+"\r\nDTSTAMP:20260101T000000Z\r\n"+body+"SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			"Content-Type: text/calendar").Want(t, http.StatusCreated)
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
		ms := e.Do(t, "zoe", "REPORT", cal, body, "Depth: 1").Want(t, http.StatusMultiStatus).Multistatus(t)
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

	e.Do(t, "zoe", "PROPPATCH", cal, `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop>`+
		`<C:calendar-timezone>`+dav.EscapeText(tz("Asia/Tokyo"))+`</C:calendar-timezone></D:prop></D:set></D:propertyupdate>`).Want(t, http.StatusMultiStatus)
	check("calendar moved to Tokyo", window(""), nil)
	check("query in UTC, calendar in Tokyo", window(`<C:timezone-id>UTC</C:timezone-id>`), []string{"day", "float"})

	// Written again while the calendar is in Tokyo: stored in Tokyo.
	put("day2.ics", "DTSTART;VALUE=DATE:20260310\r\n")
	check("new all-day event, calendar in Tokyo", window(""), nil)
	check("new all-day event, query in UTC", window(`<C:timezone-id>UTC</C:timezone-id>`), []string{"day", "day2", "float"})
}

// TestCalendarTimezoneID: calendar-timezone-id (RFC 7809 5.2) places
// floating times and DATE values as calendar-timezone does, in
// calendar-query and free-busy-query alike, and the two properties
// describe one zone: setting either changes the other, removing either
// removes both, an unknown identifier is 403 valid-timezone with nothing
// changed.
func TestCalendarTimezoneID(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "zoe")
	const cal = "/calendars/zoe/default/"
	put := func(name, body string) {
		t.Helper()
		e.Do(t, "zoe", "PUT", cal+name, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//test//EN\r\nBEGIN:VEVENT\r\n"+
			"UID:"+name+"\r\nDTSTAMP:20260101T000000Z\r\n"+body+"SUMMARY:x\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
			"Content-Type: text/calendar").Want(t, http.StatusCreated)
	}
	put("day.ics", "DTSTART;VALUE=DATE:20260310\r\nDTEND;VALUE=DATE:20260311\r\n")
	put("float.ics", "DTSTART:20260310T230000\r\nDURATION:PT30M\r\n")
	put("utc.ics", "DTSTART:20260310T120000Z\r\nDURATION:PT1H\r\n")

	// 2026-03-11 02:45Z–03:15Z. In New York (UTC-4 from 8 March) the
	// floating event is 03:00Z–03:30Z on the 11th and the all-day event
	// runs 04:00Z on the 10th to 04:00Z on the 11th: both overlap. In
	// UTC they end before the window begins; in Tokyo long before.
	const start, end = "20260311T024500Z", "20260311T031500Z"
	window := func() []string {
		t.Helper()
		body := `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>` +
			`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
			`<C:time-range start="` + start + `" end="` + end + `"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
		return names(t, e.Do(t, "zoe", "REPORT", cal, body, "Depth: 1").Want(t, http.StatusMultiStatus).Multistatus(t), true)
	}
	busy := func() []string {
		t.Helper()
		r := e.Do(t, "zoe", "REPORT", cal, `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">`+
			`<C:time-range start="`+start+`" end="`+end+`"/></C:free-busy-query>`, "Depth: 1").Want(t, http.StatusOK)
		var out []string
		for _, line := range strings.Split(strings.ReplaceAll(string(r.Body), "\r\n ", ""), "\r\n") {
			if strings.HasPrefix(line, "FREEBUSY") {
				out = append(out, line[strings.IndexByte(line, ':')+1:])
			}
		}
		return out
	}
	zone := func() (id, tzid string) {
		t.Helper()
		r := e.Propfind(t, "zoe", cal, "0", davtest.CName("calendar-timezone-id"), davtest.CName("calendar-timezone")).Response(t, cal)
		if p, st := r.Prop(davtest.CName("calendar-timezone-id")); st == http.StatusOK {
			id = p.Text
		}
		if p, st := r.Prop(davtest.CName("calendar-timezone")); st == http.StatusOK {
			cal, err := ical.NewDecoder(strings.NewReader(p.Text)).Decode()
			if err != nil {
				t.Fatalf("calendar-timezone: %v\n%s", err, p.Text)
			}
			for _, c := range cal.Children {
				if c.Name == ical.CompTimezone {
					tzid = c.Props.Get(ical.PropTimezoneID).Value
				}
			}
		}
		return id, tzid
	}
	check := func(what string, got, want []string) {
		t.Helper()
		if !slices.Equal(got, want) {
			t.Errorf("%s: got %v, want %v", what, got, want)
		}
	}
	proppatch := func(body string) *davtest.Resp {
		t.Helper()
		return e.Do(t, "zoe", "PROPPATCH", cal, `<D:propertyupdate xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">`+body+`</D:propertyupdate>`).
			Want(t, http.StatusMultiStatus)
	}
	setID := func(id string) *davtest.Resp {
		t.Helper()
		return proppatch(`<D:set><D:prop><C:calendar-timezone-id>` + id + `</C:calendar-timezone-id></D:prop></D:set>`)
	}

	check("calendar in UTC", window(), nil)
	check("free-busy, calendar in UTC", busy(), nil)
	setID("America/New_York")
	if id, tzid := zone(); id != "America/New_York" || tzid != "America/New_York" {
		t.Errorf("after setting calendar-timezone-id: id %q, calendar-timezone TZID %q", id, tzid)
	}
	check("calendar-timezone-id New York", window(), []string{"day", "float"})
	// The all-day event covers the whole window.
	check("free-busy, calendar-timezone-id New York", busy(), []string{start + "/" + end})

	// An unknown name changes nothing.
	ms := setID("Mars/Olympus").Multistatus(t)
	if st := ms.Response(t, cal).PropStatus(davtest.CName("calendar-timezone-id")); st != http.StatusForbidden {
		t.Errorf("unknown calendar-timezone-id: status %d, want 403", st)
	}
	if !strings.Contains(string(ms.Raw), "valid-timezone") {
		t.Errorf("unknown calendar-timezone-id: no valid-timezone in\n%s", ms.Raw)
	}
	if id, _ := zone(); id != "America/New_York" {
		t.Errorf("after a refused calendar-timezone-id: id %q", id)
	}

	// calendar-timezone set: calendar-timezone-id follows.
	proppatch(`<D:set><D:prop><C:calendar-timezone>` + dav.EscapeText("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//x//EN\r\n"+
		"BEGIN:VTIMEZONE\r\nTZID:Asia/Tokyo\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\nTZOFFSETFROM:+0900\r\nTZOFFSETTO:+0900\r\n"+
		"END:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n") + `</C:calendar-timezone></D:prop></D:set>`)
	if id, tzid := zone(); id != "Asia/Tokyo" || tzid != "Asia/Tokyo" {
		t.Errorf("after setting calendar-timezone: id %q, TZID %q", id, tzid)
	}
	check("calendar-timezone Tokyo", window(), nil)

	// A Windows name is taken, and reads back as its IANA name.
	setID("Eastern Standard Time")
	if id, _ := zone(); id != "America/New_York" {
		t.Errorf("after a Windows calendar-timezone-id: id %q", id)
	}
	check("calendar-timezone-id Eastern Standard Time", window(), []string{"day", "float"})

	// Removing calendar-timezone-id removes calendar-timezone too.
	proppatch(`<D:remove><D:prop><C:calendar-timezone-id/></D:prop></D:remove>`)
	if id, tzid := zone(); id != "" || tzid != "" {
		t.Errorf("after removing calendar-timezone-id: id %q, TZID %q", id, tzid)
	}
	check("calendar-timezone-id removed", window(), nil)
}

// TestMkcalendarTimezoneWithoutVersion: older DAVx5 releases send
// calendar-timezone-id and then calendar-timezone as ical4j's bare
// VCALENDAR around the VTIMEZONE, without VERSION; the calendar must
// still be made, in that zone (docs/compatibility.md).
func TestMkcalendarTimezoneWithoutVersion(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "zoe")
	const cal = "/calendars/zoe/family/"
	tz := "BEGIN:VCALENDAR\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:STANDARD\r\nTZNAME:CET\r\nTZOFFSETFROM:+0200\r\n" +
		"TZOFFSETTO:+0100\r\nDTSTART:19961027T030000\r\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\n" +
		"TZNAME:CEST\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nDTSTART:19810329T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" +
		"END:DAYLIGHT\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
	e.Do(t, "zoe", "MKCALENDAR", cal, `<?xml version='1.0' encoding='UTF-8' ?><CAL:mkcalendar xmlns="DAV:" xmlns:CAL="urn:ietf:params:xml:ns:caldav">`+
		`<set><prop><resourcetype><collection /><CAL:calendar /></resourcetype><displayname>Family</displayname>`+
		`<CAL:calendar-timezone-id>Europe/Berlin</CAL:calendar-timezone-id><CAL:calendar-timezone>`+dav.EscapeText(tz)+
		`</CAL:calendar-timezone></prop></set></CAL:mkcalendar>`, "Content-Type: application/xml; charset=UTF-8").Want(t, http.StatusCreated)
	r := e.Propfind(t, "zoe", cal, "0", davtest.CName("calendar-timezone-id"), davtest.CName("calendar-timezone")).Response(t, cal)
	if got := r.Found(t, davtest.CName("calendar-timezone-id")).Text; got != "Europe/Berlin" {
		t.Errorf("calendar-timezone-id %q", got)
	}
	if got := r.Found(t, davtest.CName("calendar-timezone")).Text; got != tz {
		t.Errorf("calendar-timezone %q, want it as sent", got)
	}
}
