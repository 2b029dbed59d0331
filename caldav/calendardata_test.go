package caldav

import (
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// dataRequest parses a calendar-data element through a calendar-query.
func dataRequest(t *testing.T, calendarData string) *calendarDataRequest {
	t.Helper()
	q, err := parseCalendarQuery(dataBody(calendarData))
	if err != nil {
		t.Fatal(err)
	}
	if q.Data == nil {
		t.Fatal("no calendar-data")
	}
	return q.Data
}

// queryData returns the calendar-data request of a testdata query.
func queryData(t *testing.T, file string) *calendarDataRequest {
	t.Helper()
	q, err := parseCalendarQuery(queryFile(t, file))
	if err != nil {
		t.Fatal(err)
	}
	return q.Data
}

// render renders a testdata object and checks the form of the result:
// CRLF line ends, lines of at most 75 octets, decodable.
func render(t *testing.T, cd *calendarDataRequest, file string) *ical.Calendar {
	t.Helper()
	out, err := cd.render(sample(t, file), nil)
	if err != nil {
		t.Fatalf("render %s: %v", file, err)
	}
	checkICalendarForm(t, out)
	cal, err := decodeCalendar([]byte(out))
	if err != nil {
		t.Fatalf("render %s: result does not decode: %v\n%s", file, err, out)
	}
	return cal
}

// checkICalendarForm checks CRLF line ends and folding (RFC 5545 3.1) of
// rendered output, which must differ from the LF-only testdata.
func checkICalendarForm(t *testing.T, out string) {
	t.Helper()
	if !strings.HasSuffix(out, "\r\n") || strings.Count(out, "\n") != strings.Count(out, "\r\n") {
		t.Errorf("output does not use CRLF line ends:\n%q", out)
	}
	for _, line := range strings.Split(strings.TrimSuffix(out, "\r\n"), "\r\n") {
		if len(line) > 75 {
			t.Errorf("line of %d octets: %q", len(line), line)
		}
	}
}

// sameComponent compares two components structurally: names, the values
// and parameters of each property name in order, and subcomponents in
// order. Property order, which go-ical does not keep, is ignored.
func sameComponent(t *testing.T, path string, got, want *ical.Component) {
	t.Helper()
	path += "/" + want.Name
	if got.Name != want.Name {
		t.Errorf("%s: got component %s", path, got.Name)
		return
	}
	if g, w := propsString(got), propsString(want); g != w {
		t.Errorf("%s: properties\n got: %s\nwant: %s", path, g, w)
	}
	var gn, wn []string
	for _, c := range got.Children {
		gn = append(gn, c.Name)
	}
	for _, c := range want.Children {
		wn = append(wn, c.Name)
	}
	if !slices.Equal(gn, wn) {
		t.Errorf("%s: subcomponents %v, want %v", path, gn, wn)
		return
	}
	for i := range want.Children {
		sameComponent(t, fmt.Sprintf("%s[%d]", path, i), got.Children[i], want.Children[i])
	}
}

// propsString lists the properties of c in a canonical form.
func propsString(c *ical.Component) string {
	var names []string
	for name := range c.Props {
		names = append(names, name)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, name := range names {
		for _, p := range c.Props[name] {
			var params []string
			for k, v := range p.Params {
				params = append(params, k+"="+strings.Join(v, ","))
			}
			sort.Strings(params)
			fmt.Fprintf(&b, "%s;%s:%s | ", name, strings.Join(params, ";"), p.Value)
		}
	}
	return b.String()
}

// TestRenderRFC renders the Appendix B objects as RFC 4791's examples
// ask and compares with the answers the RFC documents, corrected where
// the RFC contradicts itself (each noted in the file's comment below).
func TestRenderRFC(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		query, object, want string
	}{
		// 7.8.1: comp/prop projection. The RFC's answer for abcd2
		// shows a third VEVENT that Appendix B does not have, and
		// PRODID for abcd3 although only VERSION was asked for and
		// the text says so.
		{"rfc4791-7.8.1.xml", "abcd2", "rfc4791-7.8.1-abcd2.ics"},
		{"rfc4791-7.8.1.xml", "abcd3", "rfc4791-7.8.1-abcd3.ics"},
		// 7.8.2: limit-recurrence-set keeps the override of Jan 4
		// (abcd2 returned whole; abcd3 has none: its X-ABC-GUID in
		// the RFC's answer is not in Appendix B).
		{"rfc4791-7.8.2.xml", "abcd2", "rfc4791/abcd2.ics"},
		{"rfc4791-7.8.2.xml", "abcd3", "rfc4791/abcd3.ics"},
		// 7.8.3: expand. The RFC prints the instance times without Z,
		// where 9.6.5 requires UTC; these files have the Z.
		{"rfc4791-7.8.3.xml", "abcd2", "rfc4791-7.8.3-abcd2.ics"},
		{"rfc4791-7.8.3.xml", "abcd3", "rfc4791-7.8.3-abcd3.ics"},
		// 7.8.4: limit-freebusy-set. The RFC's answer has DTSTART and
		// DTEND at 10:00Z, Appendix B at 00:00Z: the data wins.
		{"rfc4791-7.8.4.xml", "abcd8", "rfc4791-7.8.4-abcd8.ics"},
	} {
		t.Run(tc.query+"/"+tc.object, func(t *testing.T) {
			cd := queryData(t, tc.query)
			file := tc.want
			if !strings.Contains(file, "/") {
				file = "query/" + file
			}
			want := decodeSample(t, file)
			out, err := cd.render(sample(t, "rfc4791/"+tc.object+".ics"), nil)
			if err != nil {
				t.Fatal(err)
			}
			got, err := decodeCalendar([]byte(out))
			if err != nil {
				t.Fatalf("%v\n%s", err, out)
			}
			sameComponent(t, "", got.Component, want.Component)
			if t.Failed() {
				t.Logf("output:\n%s", out)
			}
		})
	}
}

// TestRenderPassThrough: without selection, and when a limit removes
// nothing, the stored bytes come back unchanged (even LF line ends and
// a BOM).
func TestRenderPassThrough(t *testing.T) {
	t.Parallel()
	data := append([]byte("\uFEFF"), sample(t, "rfc4791/abcd2.ics")...)
	for _, cd := range []*calendarDataRequest{
		nil,
		{},
		dataRequest(t, `<C:calendar-data/>`),
		dataRequest(t, `<C:calendar-data><C:comp name="VCALENDAR"/></C:calendar-data>`),
		dataRequest(t, `<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp></C:calendar-data>`),
		dataRequest(t, `<C:calendar-data><C:limit-freebusy-set start="20060102T000000Z" end="20060103T000000Z"/></C:calendar-data>`),
		dataRequest(t, `<C:calendar-data><C:limit-recurrence-set start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data>`),
	} {
		out, err := cd.render(data, nil)
		if err != nil || out != string(data) {
			t.Errorf("%s: render changed the data (%v):\n%s", dump(cd), err, out)
		}
	}
	if _, err := (&calendarDataRequest{}).render([]byte("not iCalendar"), nil); err != nil {
		t.Errorf("pass-through parsed the data: %v", err)
	}
	cd := dataRequest(t, `<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/></C:comp></C:calendar-data>`)
	if _, err := cd.render([]byte("not iCalendar"), nil); err == nil {
		t.Error("rendered undecodable data")
	}
}

func TestRenderProjection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, data, object, want string
	}{
		{"novalue", `<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="ATTENDEE" novalue="yes"/><C:prop name="UID"/></C:comp></C:comp></C:calendar-data>`,
			"abcd3", "BEGIN:VCALENDAR\nBEGIN:VEVENT\nATTENDEE;PARTSTAT=ACCEPTED;ROLE=CHAIR:\nATTENDEE;PARTSTAT=NEEDS-ACTION:\nUID:DC6C50A017428C5216A2F1CD@example.com\nEND:VEVENT\nEND:VCALENDAR\n"},
		{"allprop without subcomponents", `<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:comp name="VTODO"><C:allprop/></C:comp></C:comp></C:calendar-data>`,
			"abcd4", "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//Example Corp.//CalDAV Client//EN\nBEGIN:VTODO\nDTSTAMP:20060205T235335Z\nDUE;VALUE=DATE:20060104\nSTATUS:NEEDS-ACTION\nSUMMARY:Task #1\nUID:DDDEEB7915FA61233B861457@example.com\nEND:VTODO\nEND:VCALENDAR\n"},
		{"allcomp", `<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:allcomp/></C:comp></C:calendar-data>`,
			"abcd5", strings.Replace(string(sample(t, "rfc4791/abcd5.ics")), "PRODID:-//Example Corp.//CalDAV Client//EN\n", "", 1)},
		{"allcomp with a narrower comp", `<C:calendar-data><C:comp name="VCALENDAR"><C:allcomp/><C:comp name="VALARM"/><C:comp name="VTODO"><C:prop name="UID"/></C:comp></C:comp></C:calendar-data>`,
			"abcd5", "BEGIN:VCALENDAR\nBEGIN:VTODO\nUID:E10BA47467C5C69BB74E8720@example.com\nEND:VTODO\nEND:VCALENDAR\n"},
		{"nested alarm selection", `<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VTODO"><C:prop name="SUMMARY"/><C:comp name="VALARM"><C:prop name="TRIGGER"/></C:comp></C:comp></C:comp></C:calendar-data>`,
			"abcd4", "BEGIN:VCALENDAR\nBEGIN:VTODO\nSUMMARY:Task #1\nBEGIN:VALARM\nTRIGGER;RELATED=START:-PT10M\nEND:VALARM\nEND:VTODO\nEND:VCALENDAR\n"},
		{"component not present", `<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"/></C:comp></C:calendar-data>`,
			"abcd6", "BEGIN:VCALENDAR\nVERSION:2.0\nEND:VCALENDAR\n"},
		{"lower-case names", `<C:calendar-data><C:comp name="vcalendar"><C:comp name="vfreebusy"><C:prop name="organizer"/></C:comp></C:comp></C:calendar-data>`,
			"abcd8", "BEGIN:VCALENDAR\nBEGIN:VFREEBUSY\nORGANIZER;CN=\"Bernard Desruisseaux\":mailto:bernard@example.com\nEND:VFREEBUSY\nEND:VCALENDAR\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := render(t, dataRequest(t, tc.data), "rfc4791/"+tc.object+".ics")
			want, err := decodeCalendar([]byte(tc.want))
			if err != nil {
				t.Fatal(err)
			}
			sameComponent(t, "", got.Component, want.Component)
		})
	}
}

// TestRenderEncoding checks the exact text of an encoded object: CRLF,
// property order, parameter quoting, folding at 75 octets without
// splitting a character.
func TestRenderEncoding(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("ä", 60)
	data := event("UID:enc-1", "DTSTAMP:20250101T000000Z", "DTSTART:20250101T100000Z",
		"SUMMARY:"+long, `ATTENDEE;CN="Doe, Jane";ROLE=CHAIR:mailto:jane@example.com`, `X-EMPTY;X-P=:`)
	// Everything but subcomponents of VEVENT, so that the object is
	// encoded anew.
	cd := &calendarDataRequest{comp: &compSelector{name: "VCALENDAR", allProps: true,
		comps: []*compSelector{{name: "VEVENT", allProps: true}}}}
	out, err := cd.render(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkICalendarForm(t, out)
	// 8 + 66 octets (33 × "ä") fit in 75; a 67th would split an "ä".
	folded := []string{"SUMMARY:" + strings.Repeat("ä", 33), " " + strings.Repeat("ä", 27)}
	want := strings.Join([]string{
		"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//test//EN",
		"BEGIN:VEVENT",
		`ATTENDEE;CN="Doe, Jane";ROLE=CHAIR:mailto:jane@example.com`,
		"DTSTAMP:20250101T000000Z", "DTSTART:20250101T100000Z",
	}, "\r\n") + "\r\n" + strings.Join(folded, "\r\n") + "\r\n" +
		"UID:enc-1\r\nX-EMPTY;X-P=:\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if out != want {
		t.Errorf("encoded\n%q\nwant\n%q", out, want)
	}
}

// TestRenderExpand covers CALDAV:expand beyond RFC 4791's example.
func TestRenderExpand(t *testing.T) {
	t.Parallel()
	expand := func(start, end string) *calendarDataRequest {
		return dataRequest(t, `<C:calendar-data><C:expand start="`+start+`" end="`+end+`"/></C:calendar-data>`)
	}
	t.Run("all instances of abcd2", func(t *testing.T) {
		got := render(t, expand("20060101T000000Z", "20070101T000000Z"), "rfc4791/abcd2.ics")
		var starts, rids []string
		for _, c := range got.Children {
			if c.Name == ical.CompTimezone {
				t.Error("VTIMEZONE kept")
			}
			for _, name := range recurrenceProps {
				if c.Props.Get(name) != nil {
					t.Errorf("%s kept", name)
				}
			}
			starts = append(starts, c.Props.Get(ical.PropDateTimeStart).Value)
			rids = append(rids, c.Props.Get(ical.PropRecurrenceID).Value)
		}
		if want := []string{"20060102T170000Z", "20060103T170000Z", "20060104T190000Z", "20060105T170000Z", "20060106T170000Z"}; !slices.Equal(starts, want) {
			t.Errorf("DTSTART %v, want %v", starts, want)
		}
		if want := []string{"20060102T170000Z", "20060103T170000Z", "20060104T170000Z", "20060105T170000Z", "20060106T170000Z"}; !slices.Equal(rids, want) {
			t.Errorf("RECURRENCE-ID %v, want %v", rids, want)
		}
	})
	t.Run("nothing in range", func(t *testing.T) {
		got := render(t, expand("20070101T000000Z", "20070102T000000Z"), "rfc4791/abcd2.ics")
		if len(got.Children) != 0 {
			t.Errorf("%d components", len(got.Children))
		}
	})
	t.Run("all-day and DTEND", func(t *testing.T) {
		data := event("UID:x1", "DTSTAMP:20250101T000000Z", "DTSTART;VALUE=DATE:20250301", "DTEND;VALUE=DATE:20250302",
			"RRULE:FREQ=WEEKLY;COUNT=3", "EXDATE;VALUE=DATE:20250308", "SUMMARY:weekly")
		out, err := expand("20250301T000000Z", "20250401T000000Z").render(data, nil)
		if err != nil {
			t.Fatal(err)
		}
		want, err := decodeCalendar(ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//test//EN",
			"BEGIN:VEVENT", "UID:x1", "DTSTAMP:20250101T000000Z", "DTSTART;VALUE=DATE:20250301", "DTEND;VALUE=DATE:20250302",
			"RECURRENCE-ID;VALUE=DATE:20250301", "SUMMARY:weekly", "END:VEVENT",
			"BEGIN:VEVENT", "UID:x1", "DTSTAMP:20250101T000000Z", "DTSTART;VALUE=DATE:20250315", "DTEND;VALUE=DATE:20250316",
			"RECURRENCE-ID;VALUE=DATE:20250315", "SUMMARY:weekly", "END:VEVENT", "END:VCALENDAR"))
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeCalendar([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		sameComponent(t, "", got.Component, want.Component)
	})
	t.Run("all-day in a zone east of UTC, endless rule, override", func(t *testing.T) {
		data := ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x",
			"BEGIN:VEVENT", "UID:x3", "DTSTAMP:20250101T000000Z", "DTSTART;VALUE=DATE:20250301", "RRULE:FREQ=DAILY", "SUMMARY:daily", "END:VEVENT",
			"BEGIN:VEVENT", "UID:x3", "DTSTAMP:20250101T000000Z", "RECURRENCE-ID;VALUE=DATE:20250302", "DTSTART;VALUE=DATE:20250310",
			"SUMMARY:moved", "END:VEVENT", "END:VCALENDAR")
		tokyo, err := time.LoadLocation("Asia/Tokyo")
		if err != nil {
			t.Fatal(err)
		}
		// 2025-03-01 00:00 in Tokyo is 2025-02-28T15:00Z.
		out, err := expand("20250228T150000Z", "20250303T150000Z").render(data, tokyo)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeCalendar([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		var lines []string
		for _, c := range got.Children {
			lines = append(lines, c.Props.Get(ical.PropDateTimeStart).Value+" "+c.Props.Get(ical.PropRecurrenceID).Value+" "+c.Props.Get(ical.PropSummary).Value)
			if c.Props.Get(ical.PropDateTimeStart).Params.Get(ical.ParamValue) != "DATE" {
				t.Errorf("DTSTART is not a DATE: %v", c.Props.Get(ical.PropDateTimeStart))
			}
		}
		if want := []string{"20250301 20250301 daily", "20250303 20250303 daily"}; !slices.Equal(lines, want) {
			t.Errorf("instances %q, want %q", lines, want)
		}
	})
	t.Run("floating times in the given zone, alarms kept", func(t *testing.T) {
		data := event("UID:x2", "DTSTAMP:20250101T000000Z", "DTSTART:20250301T100000", "DTEND:20250301T110000",
			"BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:x", "TRIGGER:-PT5M", "END:VALARM")
		berlin, err := time.LoadLocation("Europe/Berlin")
		if err != nil {
			t.Fatal(err)
		}
		out, err := expand("20250301T000000Z", "20250302T000000Z").render(data, berlin)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeCalendar([]byte(out))
		if err != nil {
			t.Fatal(err)
		}
		want, _ := decodeCalendar(ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//test//EN",
			"BEGIN:VEVENT", "UID:x2", "DTSTAMP:20250101T000000Z", "DTSTART:20250301T090000Z", "DTEND:20250301T100000Z",
			"BEGIN:VALARM", "ACTION:DISPLAY", "DESCRIPTION:x", "TRIGGER:-PT5M", "END:VALARM", "END:VEVENT", "END:VCALENDAR"))
		sameComponent(t, "", got.Component, want.Component)
	})
	t.Run("then projected", func(t *testing.T) {
		cd := dataRequest(t, `<C:calendar-data><C:comp name="VCALENDAR"><C:comp name="VEVENT"><C:prop name="DTSTART"/><C:prop name="RECURRENCE-ID"/></C:comp></C:comp>`+
			`<C:expand start="20060104T000000Z" end="20060105T000000Z"/></C:calendar-data>`)
		got := render(t, cd, "rfc4791/abcd2.ics")
		want, _ := decodeCalendar(ics("BEGIN:VCALENDAR", "BEGIN:VEVENT", "DTSTART:20060104T190000Z", "RECURRENCE-ID:20060104T170000Z", "END:VEVENT", "END:VCALENDAR"))
		sameComponent(t, "", got.Component, want.Component)
	})
}

// TestRenderLimitRecurrenceSet covers limit-recurrence-set beyond RFC
// 4791's example 7.8.2: an override outside the range is dropped, one
// moved into it or out of it is kept, and so is one with
// RANGE=THISANDFUTURE before it.
func TestRenderLimitRecurrenceSet(t *testing.T) {
	t.Parallel()
	data := ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x",
		"BEGIN:VEVENT", "UID:r1", "DTSTAMP:20060101T000000Z", "DTSTART:20060102T120000Z", "DURATION:PT1H", "RRULE:FREQ=DAILY;COUNT=10", "SUMMARY:master", "END:VEVENT",
		"BEGIN:VEVENT", "UID:r1", "DTSTAMP:20060101T000000Z", "RECURRENCE-ID:20060104T120000Z", "DTSTART:20060104T140000Z", "DURATION:PT1H", "SUMMARY:in range", "END:VEVENT",
		"BEGIN:VEVENT", "UID:r1", "DTSTAMP:20060101T000000Z", "RECURRENCE-ID:20060108T120000Z", "DTSTART:20060108T140000Z", "DURATION:PT1H", "SUMMARY:after", "END:VEVENT",
		"BEGIN:VEVENT", "UID:r1", "DTSTAMP:20060101T000000Z", "RECURRENCE-ID:20060109T120000Z", "DTSTART:20060103T080000Z", "DURATION:PT1H", "SUMMARY:moved in", "END:VEVENT",
		"BEGIN:VEVENT", "UID:r1", "DTSTAMP:20060101T000000Z", "RECURRENCE-ID:20060103T120000Z", "DTSTART:20060110T080000Z", "DURATION:PT1H", "SUMMARY:moved out", "END:VEVENT",
		"BEGIN:VEVENT", "UID:r1", "DTSTAMP:20060101T000000Z", "RECURRENCE-ID;RANGE=THISANDFUTURE:20060102T120000Z", "DTSTART:20060102T130000Z", "DURATION:PT1H", "SUMMARY:this and future", "END:VEVENT",
		"END:VCALENDAR")
	cd := dataRequest(t, `<C:calendar-data><C:limit-recurrence-set start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data>`)
	out, err := cd.render(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	checkICalendarForm(t, out)
	got, err := decodeCalendar([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var summaries []string
	for _, c := range got.Children {
		summaries = append(summaries, c.Props.Get(ical.PropSummary).Value)
	}
	if want := []string{"master", "in range", "moved in", "moved out", "this and future"}; !slices.Equal(summaries, want) {
		t.Errorf("kept %v, want %v", summaries, want)
	}
}

// TestRenderLimitFreeBusySet: periods are kept whole when they overlap,
// dropped one by one from a list, and FREEBUSY properties left empty go.
func TestRenderLimitFreeBusySet(t *testing.T) {
	t.Parallel()
	data := ics("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x", "BEGIN:VFREEBUSY", "UID:f1", "DTSTAMP:20060101T000000Z",
		"FREEBUSY:20060101T230000Z/20060102T010000Z,20060103T100000Z/PT1H,20060102T100000Z/PT2H",
		"FREEBUSY;FBTYPE=FREE:20060105T100000Z/20060105T120000Z",
		"FREEBUSY:garbage",
		"END:VFREEBUSY", "END:VCALENDAR")
	cd := dataRequest(t, `<C:calendar-data><C:limit-freebusy-set start="20060102T000000Z" end="20060103T000000Z"/></C:calendar-data>`)
	out, err := cd.render(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	cal, err := decodeCalendar([]byte(out))
	if err != nil {
		t.Fatal(err)
	}
	var values []string
	for _, p := range cal.Children[0].Props.Values(ical.PropFreeBusy) {
		values = append(values, p.Value)
	}
	if want := []string{"20060101T230000Z/20060102T010000Z,20060102T100000Z/PT2H", "garbage"}; !slices.Equal(values, want) {
		t.Errorf("FREEBUSY %q, want %q", values, want)
	}
}
