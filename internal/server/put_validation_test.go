package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// What PUT stores, every query can answer (issue 15 item 1): objects the
// query engine cannot evaluate used to be stored with 201 and then left
// out of every time-range query and free-busy answer.

// vcal is a VCALENDAR around the given lines.
func vcal(lines ...string) string {
	return crlf(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//tests//EN"}, lines...), "END:VCALENDAR")...)
}

// vevent is a VEVENT object with UID uid around the given lines.
func vevent(uid string, lines ...string) string {
	return vcal(append(append([]string{"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20250101T000000Z"}, lines...), "END:VEVENT")...)
}

// january2025 asks for the VEVENTs and VTODOs of January 2025 with their
// instances expanded: the time-range and the expansion both run the
// engine on every candidate.
const january2025 = `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` +
	`<C:calendar-data><C:expand start="20250101T000000Z" end="20250201T000000Z"/></C:calendar-data></D:prop>` +
	`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="%s">` +
	`<C:time-range start="20250101T000000Z" end="20250201T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`

// TestPUTRefusesUnevaluable: each object the engine cannot evaluate is
// refused with 403 valid-calendar-data, a message naming the property and
// the reason, and nothing stored.
func TestPUTRefusesUnevaluable(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	if _, err := e.store.CreateCollection(t.Context(), e.users["alice"].ID, backend.Collection{Kind: backend.KindCalendar, Slug: "all"}, nil); err != nil {
		t.Fatal(err)
	}
	start := "DTSTART:20250106T100000Z"
	for i, tc := range []struct {
		name, calendar, body string
		message              []string // substrings of the message
	}{
		{"BYDAY with a bare ordinal", "default", vevent("u0", start, "RRULE:FREQ=MONTHLY;BYDAY=+1,3MO"), []string{"VEVENT: RRULE", "BYDAY: +1 is not a weekday"}},
		{"FREQ=FORTNIGHTLY", "default", vevent("u1", start, "RRULE:FREQ=FORTNIGHTLY"), []string{"VEVENT: RRULE", "unknown FREQ FORTNIGHTLY"}},
		{"INTERVAL=0", "default", vevent("u2", start, "RRULE:FREQ=WEEKLY;INTERVAL=0"), []string{"VEVENT: RRULE", "INTERVAL must be a positive integer"}},
		{"DTSTART with dashes", "default", vevent("u3", "DTSTART:2025-01-05"), []string{"VEVENT: DTSTART", "2025-01-05", "is not an iCalendar DATE or DATE-TIME"}},
		{"hour 25", "default", vevent("u4", "DTSTART:20250105T250000Z"), []string{"VEVENT: DTSTART", "20250105T250000Z"}},
		{"month 13", "default", vevent("u5", "DTSTART;TZID=Europe/Berlin:20251305T100000"), []string{"VEVENT: DTSTART", "20251305T100000"}},
		{"DURATION:P1X", "default", vevent("u6", start, "DURATION:P1X"), []string{"VEVENT: DURATION", "P1X", "is not an iCalendar DURATION"}},
		{"DTEND:tomorrow", "default", vevent("u7", start, "DTEND:tomorrow"), []string{"VEVENT: DTEND", "tomorrow"}},
		{"recurring VTODO with DUE and no DTSTART", "default",
			vcal("BEGIN:VTODO", "UID:u8", "DUE:20250110T100000Z", "RRULE:FREQ=DAILY;COUNT=5", "END:VTODO"), []string{"VTODO: RRULE without DTSTART"}},
		{"bad TRIGGER", "default", vevent("u9", start, "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-15M", "END:VALARM"), []string{"VALARM in VEVENT: TRIGGER", "-15M"}},
		{"bad EXDATE", "default", vevent("u10", start, "RRULE:FREQ=DAILY;COUNT=5", "EXDATE:20250107T10:00"), []string{"VEVENT: EXDATE", "20250107T10:00"}},
		{"bad DTSTAMP", "default", vcal("BEGIN:VEVENT", "UID:u11", "DTSTAMP:20250105 100000", start, "END:VEVENT"), []string{"VEVENT: DTSTAMP"}},
		{"FREEBUSY not in UTC", "all", vcal("BEGIN:VFREEBUSY", "UID:u12", "FREEBUSY:20250106T100000/PT1H", "END:VFREEBUSY"), []string{"VFREEBUSY: FREEBUSY", "is not a PERIOD in UTC"}},
		{"control character", "default", vevent("u13", start, "SUMMARY:a\x01b"), []string{"line 8: SUMMARY holds the control character U+0001"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := fmt.Sprintf("/calendars/alice/%s/bad%d.ics", tc.calendar, i)
			r := e.do(t, "alice", "PUT", path, tc.body, ctCal)
			r.condition(t, http.StatusForbidden, cName("valid-calendar-data"))
			msg := strings.NewReplacer("&#34;", `"`, "&quot;", `"`).Replace(string(r.Body))
			for _, m := range tc.message {
				if !strings.Contains(msg, m) {
					t.Errorf("the message lacks %q:\n%s", m, r.Body)
				}
			}
			e.do(t, "alice", "GET", path, "").want(t, http.StatusNotFound)
		})
	}
	for _, c := range []string{"default", "all"} {
		ms := e.propfind(t, "alice", "/calendars/alice/"+c+"/", "1", dName("getetag"))
		if len(ms.Responses) != 1 {
			t.Errorf("%s holds %v; want nothing stored", c, ms.hrefs())
		}
	}
}

// TestPUTAcceptedIsQueryable: what PUT accepts at the edges (among them
// a TZID without its VTIMEZONE, known or not: RFC 7809) is found by a
// time-range query with expand and counted by free-busy.
func TestPUTAcceptedIsQueryable(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	bodies := map[string]string{
		"iana.ics":     vevent("a1", "DTSTART;TZID=America/New_York:20250106T100000", "DTEND;TZID=America/New_York:20250106T110000", "RRULE:FREQ=WEEKLY;COUNT=3"),
		"unknown.ics":  vevent("a2", "DTSTART;TZID=Mars/Olympus_Mons:20250107T100000", "DURATION:PT1H"),
		"date.ics":     vevent("a3", "DTSTART:20250108", "DTEND:20250109"),
		"tab.ics":      vevent("a4", "DTSTART:20250109T100000Z", "DURATION:P1DT", "SUMMARY:a\tb"),
		"leap.ics":     vevent("a5", "DTSTART:20250110T235960Z", "DURATION:PT1H"),
		"override.ics": vcal("BEGIN:VEVENT", "UID:a6", "DTSTART:20250111T100000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=3", "END:VEVENT", "BEGIN:VEVENT", "UID:a6", "RECURRENCE-ID:20250112T100000Z", "DTSTART:20250112T120000Z", "DURATION:PT1H", "END:VEVENT"),
	}
	var want []string
	for name, body := range bodies {
		e.put(t, "alice", "/calendars/alice/default/"+name, body, ctCal)
		want = append(want, e.href("/calendars/alice/default/"+name))
	}
	slices.Sort(want)
	ms := e.report(t, "alice", "/calendars/alice/default/", "1", fmt.Sprintf(january2025, "VEVENT")).want(t, http.StatusMultiStatus).multistatus(t)
	got := ms.hrefs()
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Errorf("time-range query: %v, want %v", got, want)
	}
	for _, href := range got {
		if st := ms.response(t, href).propStatus(cName("calendar-data")); st != http.StatusOK {
			t.Errorf("%s: expanded calendar-data has status %d", href, st)
		}
	}
	fb := e.report(t, "alice", "/calendars/alice/default/", "1", `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">`+
		`<C:time-range start="20250101T000000Z" end="20250201T000000Z"/></C:free-busy-query>`).want(t, http.StatusOK)
	// One busy period per instance, none of them overlapping: 3 + 1 + 1
	// (a day) + 1 + 1 + 3.
	if n := strings.Count(strings.ReplaceAll(string(fb.Body), "\r\n ", ""), "/2025"); n != 10 {
		t.Errorf("free-busy has %d periods, want 10:\n%s", n, fb.Body)
	}
}

// TestMoveCopyRefusesUnevaluable: an object stored before PUT checked
// what queries can evaluate stays readable, replaceable and deletable,
// but MOVE and COPY run PUT's validation and refuse to store it anew.
func TestMoveCopyRefusesUnevaluable(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	ctx := t.Context()
	alice := e.users["alice"]
	if _, err := e.store.CreateCollection(ctx, alice.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "second"}, nil); err != nil {
		t.Fatal(err)
	}
	cal, err := e.store.GetCollection(ctx, alice.ID, backend.KindCalendar, "default")
	if err != nil {
		t.Fatal(err)
	}
	old := vevent("old-1", "DTSTART:20250106T100000Z", "RRULE:FREQ=FORTNIGHTLY")
	if _, _, err := e.store.PutObject(ctx, backend.ObjectWrite{
		CollectionID: cal.ID, Name: "old.ics", Data: []byte(old), UID: "old-1", Component: "VEVENT",
		ContentType: "text/calendar; charset=utf-8; component=vevent", Span: &backend.Span{},
	}, backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	src := "/calendars/alice/default/old.ics"
	for _, method := range []string{"MOVE", "COPY"} {
		dst := "/calendars/alice/second/" + strings.ToLower(method) + ".ics"
		e.do(t, "alice", method, src, "", "Destination: "+e.srv.URL+e.href(dst)).condition(t, http.StatusForbidden, cName("valid-calendar-data"))
		e.do(t, "alice", "GET", dst, "").want(t, http.StatusNotFound)
		if g := e.do(t, "alice", "GET", src, "").want(t, http.StatusOK); string(g.Body) != old {
			t.Errorf("after %s the source reads %q", method, g.Body)
		}
	}
	e.put(t, "alice", src, vevent("old-1", "DTSTART:20250106T100000Z", "RRULE:FREQ=WEEKLY;INTERVAL=2"), ctCal)
	e.do(t, "alice", "MOVE", src, "", "Destination: "+e.srv.URL+e.href("/calendars/alice/second/moved.ics")).want(t, http.StatusCreated)
	e.do(t, "alice", "DELETE", "/calendars/alice/second/moved.ics", "").want(t, http.StatusNoContent)
}

// TestPUTRefusesControlCharacterCard: a vCard with a control character
// other than HTAB is refused with valid-address-data, nothing stored.
func TestPUTRefusesControlCharacterCard(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	path := "/addressbooks/alice/default/ctl.vcf"
	body := crlf("BEGIN:VCARD", "VERSION:3.0", "UID:ctl", "FN:Ann", "NOTE:bell\x07", "END:VCARD")
	r := e.do(t, "alice", "PUT", path, body, ctCard)
	r.condition(t, http.StatusForbidden, crName("valid-address-data"))
	if !strings.Contains(string(r.Body), "line 5: NOTE holds the control character U+0007") {
		t.Errorf("message:\n%s", r.Body)
	}
	e.do(t, "alice", "GET", path, "").want(t, http.StatusNotFound)
	e.put(t, "alice", path, crlf("BEGIN:VCARD", "VERSION:3.0", "UID:ctl", "FN:Ann", "NOTE:tab\there", "END:VCARD"), ctCard)
}
