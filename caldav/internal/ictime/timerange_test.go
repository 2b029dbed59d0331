package ictime

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// tcal decodes the components in body (lines separated by \n) inside a
// VCALENDAR.
func tcal(t testing.TB, body string) *ical.Calendar {
	t.Helper()
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//test//EN\r\n" +
		strings.ReplaceAll(strings.TrimSpace(body), "\n", "\r\n") + "\r\nEND:VCALENDAR\r\n"
	cal, err := decode([]byte(data))
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
	return cal
}

// ut parses a UTC DATE-TIME such as 20260110T100000Z; "" is the zero time.
func ut(t testing.TB, s string) time.Time {
	t.Helper()
	if s == "" {
		return time.Time{}
	}
	v, err := time.Parse("20060102T150405Z", s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// rng is a Range from two UTC DATE-TIMEs, "" for unbounded.
func rng(t testing.TB, a, b string) Range { return Range{ut(t, a), ut(t, b)} }

// firstComp returns the first component of cal named name.
func firstComp(cal *ical.Calendar, name string) *ical.Component {
	for _, c := range cal.Children {
		if c.Name == name {
			return c
		}
	}
	return nil
}

type rangeCase struct {
	a, b string
	want bool
}

// checkRanges runs ComponentOverlaps of the first component named name
// in body over cases.
func checkRanges(t *testing.T, body, name string, floating *time.Location, cases []rangeCase) {
	t.Helper()
	cal := tcal(t, body)
	tc := NewContext(cal, floating)
	comp := firstComp(cal, name)
	for _, c := range cases {
		got, err := tc.ComponentOverlaps(comp, rng(t, c.a, c.b))
		if err != nil {
			t.Errorf("[%s, %s): %v", c.a, c.b, err)
			continue
		}
		if got != c.want {
			t.Errorf("%s [%s, %s): got %v, want %v\n%s", name, c.a, c.b, got, c.want, body)
		}
	}
}

// TestVEventTable covers every row of the RFC 4791 9.9 VEVENT table,
// with ranges that touch the boundaries (half-open) and open ends.
func TestVEventTable(t *testing.T) {
	oneHour := []rangeCase{
		{"20260110T090000Z", "20260110T100000Z", false}, // ends where the event starts
		{"20260110T090000Z", "20260110T100001Z", true},
		{"20260110T110000Z", "20260110T120000Z", false}, // starts where it ends
		{"20260110T105959Z", "20260110T120000Z", true},
		{"20260110T101500Z", "20260110T101600Z", true}, // inside
		{"20260110T000000Z", "20260111T000000Z", true}, // around
		{"", "20260110T100000Z", false},
		{"", "20260110T100001Z", true},
		{"20260110T110000Z", "", false},
		{"20260110T103000Z", "", true},
		{"", "", true},
	}
	instant := []rangeCase{
		{"20260110T100000Z", "20260110T100001Z", true},  // start <= DTSTART
		{"20260110T090000Z", "20260110T100000Z", false}, // end > DTSTART fails
		{"20260110T100001Z", "20260110T110000Z", false},
		{"", "20260110T100000Z", false},
		{"", "20260110T100001Z", true},
		{"20260110T100000Z", "", true},
		{"20260110T100001Z", "", false},
	}
	for _, tt := range []struct {
		name  string
		props string
		cases []rangeCase
	}{
		{"DTEND", "DTSTART:20260110T100000Z\nDTEND:20260110T110000Z", oneHour},
		{"DURATION", "DTSTART:20260110T100000Z\nDURATION:PT1H", oneHour},
		{"DURATION zero", "DTSTART:20260110T100000Z\nDURATION:PT0S", instant},
		{"DATE-TIME without end", "DTSTART:20260110T100000Z", instant},
		// Deviation: DTEND equal to DTSTART is the same instant as no end.
		{"DTEND equal", "DTSTART:20260110T100000Z\nDTEND:20260110T100000Z", instant},
		{"DATE without end", "DTSTART;VALUE=DATE:20260110", []rangeCase{
			{"20260110T000000Z", "20260110T000001Z", true},
			{"20260109T000000Z", "20260110T000000Z", false},
			{"20260110T235959Z", "20260111T000000Z", true},
			{"20260111T000000Z", "20260112T000000Z", false},
			{"", "20260110T000001Z", true},
			{"20260111T000000Z", "", false},
		}},
		{"DATE with DTEND", "DTSTART;VALUE=DATE:20260110\nDTEND;VALUE=DATE:20260112", []rangeCase{
			{"20260111T235959Z", "20260112T000000Z", true},
			{"20260112T000000Z", "20260113T000000Z", false},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkRanges(t, "BEGIN:VEVENT\nUID:a\nDTSTAMP:20260101T000000Z\n"+tt.props+"\nEND:VEVENT", "VEVENT", nil, tt.cases)
		})
	}
}

// TestFloatingZone reads floating times and DATE values in the zone the
// query or the collection gives.
func TestFloatingZone(t *testing.T) {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	checkRanges(t, "BEGIN:VEVENT\nUID:a\nDTSTART;VALUE=DATE:20260110\nEND:VEVENT", "VEVENT", berlin, []rangeCase{
		{"20260109T230000Z", "20260109T230001Z", true},
		{"20260109T220000Z", "20260109T230000Z", false},
		{"20260110T225959Z", "20260111T000000Z", true},
		{"20260110T230000Z", "20260111T000000Z", false},
	})
	checkRanges(t, "BEGIN:VEVENT\nUID:a\nDTSTART:20260110T100000\nDURATION:PT1H\nEND:VEVENT", "VEVENT", ny, []rangeCase{
		{"20260110T150000Z", "20260110T150001Z", true},
		{"20260110T100000Z", "20260110T150000Z", false},
	})
	// An unknown TZID without VTIMEZONE is floating too.
	checkRanges(t, "BEGIN:VEVENT\nUID:a\nDTSTART;TZID=Nowhere/Special:20260110T100000\nDURATION:PT1H\nEND:VEVENT", "VEVENT", ny, []rangeCase{
		{"20260110T150000Z", "20260110T150001Z", true},
		{"20260110T100000Z", "20260110T150000Z", false},
	})
}

// TestVTodoTable covers the eight rows of the RFC 4791 9.9 VTODO table.
func TestVTodoTable(t *testing.T) {
	for _, tt := range []struct {
		name  string
		props string
		cases []rangeCase
	}{
		{"DTSTART+DURATION", "DTSTART:20260110T100000Z\nDURATION:PT1H", []rangeCase{
			{"20260110T110000Z", "20260110T120000Z", true}, // start <= DTSTART+DURATION
			{"20260110T110001Z", "20260110T120000Z", false},
			{"20260110T090000Z", "20260110T100000Z", false},
			{"20260110T090000Z", "20260110T100001Z", true},
			{"", "", true},
		}},
		{"DTSTART+DURATION zero", "DTSTART:20260110T100000Z\nDURATION:PT0S", []rangeCase{
			{"20260110T090000Z", "20260110T100000Z", true}, // end >= DTSTART+DURATION
			{"20260110T100000Z", "20260110T110000Z", true},
			{"20260110T100001Z", "20260110T110000Z", false},
		}},
		{"DTSTART+DUE", "DTSTART:20260110T100000Z\nDUE:20260110T110000Z", []rangeCase{
			{"20260110T110000Z", "20260110T120000Z", false},
			{"20260110T105900Z", "20260110T120000Z", true},
			{"20260110T090000Z", "20260110T100000Z", false},
			{"20260110T090000Z", "20260110T100001Z", true},
			{"", "20260110T100001Z", true},
			{"20260110T105959Z", "", true},
		}},
		{"DTSTART+DUE equal", "DTSTART:20260110T100000Z\nDUE:20260110T100000Z", []rangeCase{
			{"20260110T090000Z", "20260110T100000Z", true}, // end >= DUE
			{"20260110T100000Z", "20260110T110000Z", true}, // start <= DTSTART
			{"20260110T100001Z", "20260110T110000Z", false},
		}},
		{"DTSTART", "DTSTART:20260110T100000Z", []rangeCase{
			{"20260110T100000Z", "20260110T100100Z", true},
			{"20260110T090000Z", "20260110T100000Z", false},
			{"20260110T100001Z", "20260110T110000Z", false},
		}},
		{"DUE", "DUE:20260110T110000Z", []rangeCase{
			{"20260110T100000Z", "20260110T110000Z", true},  // end >= DUE
			{"20260110T110000Z", "20260110T120000Z", false}, // start < DUE fails
			{"20260110T090000Z", "20260110T105959Z", false},
			{"", "20260110T110000Z", true},
			{"20260110T105959Z", "", true},
		}},
		{"DUE with DURATION, no DTSTART", "DUE:20260110T110000Z\nDURATION:PT1H", []rangeCase{
			{"20260110T100000Z", "20260110T110000Z", true},
			{"20260110T110000Z", "20260110T120000Z", false},
		}},
		{"COMPLETED+CREATED", "CREATED:20260110T080000Z\nCOMPLETED:20260110T120000Z", []rangeCase{
			{"20260110T120000Z", "20260110T130000Z", true},
			{"20260110T120001Z", "20260110T130000Z", false},
			{"20260110T070000Z", "20260110T080000Z", true}, // end >= CREATED
			{"20260110T060000Z", "20260110T075959Z", false},
			{"20260110T090000Z", "20260110T100000Z", true},
		}},
		{"COMPLETED", "COMPLETED:20260110T120000Z", []rangeCase{
			{"20260110T110000Z", "20260110T120000Z", true},
			{"20260110T120000Z", "20260110T130000Z", true},
			{"20260110T120001Z", "20260110T130000Z", false},
			{"20260110T100000Z", "20260110T115959Z", false},
		}},
		{"CREATED", "CREATED:20260110T080000Z", []rangeCase{
			{"20260110T070000Z", "20260110T080000Z", false},
			{"20260110T070000Z", "20260110T080001Z", true},
			{"20300101T000000Z", "20300102T000000Z", true},
			{"", "20260110T080000Z", false},
			{"20000101T000000Z", "", true},
		}},
		{"nothing", "SUMMARY:x", []rangeCase{
			{"20260110T070000Z", "20260110T080000Z", true},
			{"", "19000101T000000Z", true},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			checkRanges(t, "BEGIN:VTODO\nUID:a\nDTSTAMP:20260101T000000Z\n"+tt.props+"\nEND:VTODO", "VTODO", nil, tt.cases)
		})
	}
}

// TestVJournalTable covers the RFC 4791 9.9 VJOURNAL table.
func TestVJournalTable(t *testing.T) {
	checkRanges(t, "BEGIN:VJOURNAL\nUID:a\nDTSTART;VALUE=DATE:20260110\nEND:VJOURNAL", "VJOURNAL", nil, []rangeCase{
		{"20260110T235959Z", "20260111T000000Z", true},
		{"20260109T000000Z", "20260110T000000Z", false},
		{"20260111T000000Z", "20260112T000000Z", false},
	})
	checkRanges(t, "BEGIN:VJOURNAL\nUID:a\nDTSTART:20260110T100000Z\nEND:VJOURNAL", "VJOURNAL", nil, []rangeCase{
		{"20260110T100000Z", "20260110T100001Z", true},
		{"20260110T090000Z", "20260110T100000Z", false},
		{"20260110T100001Z", "20260110T110000Z", false},
	})
	checkRanges(t, "BEGIN:VJOURNAL\nUID:a\nSUMMARY:no date\nEND:VJOURNAL", "VJOURNAL", nil, []rangeCase{
		{"20260110T100000Z", "20260110T100001Z", false},
		{"", "", false},
	})
}

// TestVFreeBusyTable covers the RFC 4791 9.9 VFREEBUSY table.
func TestVFreeBusyTable(t *testing.T) {
	checkRanges(t, "BEGIN:VFREEBUSY\nUID:a\nDTSTART:20260110T100000Z\nDTEND:20260110T120000Z\nFREEBUSY:20300101T000000Z/PT1H\nEND:VFREEBUSY", "VFREEBUSY", nil, []rangeCase{
		{"20260110T120000Z", "20260110T130000Z", true}, // start <= DTEND
		{"20260110T120001Z", "20260110T130000Z", false},
		{"20260110T090000Z", "20260110T100000Z", false},
		{"20260110T090000Z", "20260110T100001Z", true},
		{"20300101T000000Z", "20300102T000000Z", false}, // FREEBUSY ignored
	})
	checkRanges(t, "BEGIN:VFREEBUSY\nUID:a\nFREEBUSY:20260110T100000Z/20260110T110000Z,20260110T140000Z/PT1H\nFREEBUSY;FBTYPE=FREE:20260111T100000Z/PT1H\nEND:VFREEBUSY", "VFREEBUSY", nil, []rangeCase{
		{"20260110T110000Z", "20260110T140000Z", false},
		{"20260110T103000Z", "20260110T103100Z", true},
		{"20260110T145900Z", "20260110T160000Z", true},
		{"20260110T150000Z", "20260110T160000Z", false},
		{"20260111T100000Z", "20260111T100001Z", true},
	})
	checkRanges(t, "BEGIN:VFREEBUSY\nUID:a\nDTSTART:20260110T100000Z\nEND:VFREEBUSY", "VFREEBUSY", nil, []rangeCase{
		{"", "", false},
	})
}

// TestVAlarmTable covers the RFC 4791 9.9 VALARM table: relative to
// start and end, absolute, with and without REPEAT.
func TestVAlarmTable(t *testing.T) {
	const ev = "BEGIN:VEVENT\nUID:a\nDTSTART:20260110T100000Z\nDTEND:20260110T110000Z\nBEGIN:VALARM\nACTION:DISPLAY\n%s\nEND:VALARM\nEND:VEVENT"
	for _, tt := range []struct {
		name  string
		props string
		cases []rangeCase
	}{
		{"start", "TRIGGER:-PT15M", []rangeCase{
			{"20260110T094500Z", "20260110T094501Z", true},
			{"20260110T090000Z", "20260110T094500Z", false},
			{"20260110T094501Z", "20260110T120000Z", false},
			{"", "", true},
		}},
		{"start explicit", "TRIGGER;RELATED=START:PT0S", []rangeCase{
			{"20260110T100000Z", "20260110T100001Z", true},
		}},
		{"end", "TRIGGER;RELATED=END:PT5M", []rangeCase{
			{"20260110T110500Z", "20260110T110501Z", true},
			{"20260110T100000Z", "20260110T110500Z", false},
		}},
		{"absolute", "TRIGGER;VALUE=DATE-TIME:20260101T000000Z", []rangeCase{
			{"20260101T000000Z", "20260101T000001Z", true},
			{"20260110T000000Z", "20260111T000000Z", false},
		}},
		{"repeat", "TRIGGER:-PT15M\nREPEAT:2\nDURATION:PT10M", []rangeCase{
			{"20260110T100500Z", "20260110T100501Z", true}, // third trigger
			{"20260110T095500Z", "20260110T095501Z", true},
			{"20260110T094600Z", "20260110T095500Z", false},
			{"20260110T100501Z", "20260110T110000Z", false},
		}},
		{"repeat without duration", "TRIGGER:-PT15M\nREPEAT:2", []rangeCase{
			{"20260110T095500Z", "20260110T095501Z", false},
			{"20260110T094500Z", "20260110T094501Z", true},
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			body := strings.Replace(ev, "%s", tt.props, 1)
			cal := tcal(t, body)
			tc := NewContext(cal, nil)
			parent := firstComp(cal, "VEVENT")
			for _, c := range tt.cases {
				got, err := tc.AlarmOverlaps(parent, parent.Children[0], rng(t, c.a, c.b))
				if err != nil || got != c.want {
					t.Errorf("[%s, %s): got %v %v, want %v", c.a, c.b, got, err, c.want)
				}
			}
		})
	}
}

// TestAlarmRecurring checks that a recurring event's alarms fire for
// each instance, not for overridden ones, and that an override's own
// alarm counts for its instance.
func TestAlarmRecurring(t *testing.T) {
	cal := tcal(t, `BEGIN:VEVENT
UID:r
DTSTART;TZID=Europe/Berlin:20260101T100000
DURATION:PT1H
RRULE:FREQ=DAILY
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER:-P1W
END:VALARM
END:VEVENT
BEGIN:VEVENT
UID:r
RECURRENCE-ID;TZID=Europe/Berlin:20460110T100000
DTSTART;TZID=Europe/Berlin:20460110T150000
DURATION:PT1H
BEGIN:VALARM
ACTION:DISPLAY
TRIGGER;RELATED=END:PT1M
END:VALARM
END:VEVENT`)
	tc := NewContext(cal, nil)
	master, override := cal.Children[0], cal.Children[1]
	for _, c := range []struct {
		comp *ical.Component
		a, b string
		want bool
	}{
		{master, "20460103T090000Z", "20460103T090001Z", false}, // a week before 2046-01-10, overridden
		{master, "20460102T090000Z", "20460102T090001Z", true},  // a week before the 9th
		{master, "20460104T090000Z", "20460104T090001Z", true},  // a week before the 11th
		{master, "20251225T090000Z", "20251225T090001Z", true},  // before the first instance
		{override, "20460110T150100Z", "20460110T150101Z", true},
		{override, "20460103T090000Z", "20460103T090001Z", false},
	} {
		got, err := tc.AlarmOverlaps(c.comp, c.comp.Children[0], rng(t, c.a, c.b))
		if err != nil || got != c.want {
			t.Errorf("%s [%s, %s): got %v %v, want %v", c.comp.Props.Get("DTSTART").Value, c.a, c.b, got, err, c.want)
		}
	}
}

// TestPropertyOverlaps covers time-range on properties (RFC 4791 9.7.2).
func TestPropertyOverlaps(t *testing.T) {
	cal := tcal(t, `BEGIN:VEVENT
UID:p
DTSTAMP:20260105T120000Z
DTSTART;TZID=America/New_York:20260110T100000
DTEND;VALUE=DATE:20260111
RDATE;VALUE=PERIOD:20260201T100000Z/PT1H
EXDATE:20260301T100000Z,20260302T100000Z
SUMMARY:20260110T100000Z
TRIGGER:-PT5M
END:VEVENT`)
	tc := NewContext(cal, nil)
	comp := cal.Children[0]
	for _, c := range []struct {
		prop string
		a, b string
		want bool
	}{
		{"DTSTAMP", "20260105T120000Z", "20260105T120001Z", true},
		{"DTSTAMP", "20260105T110000Z", "20260105T120000Z", false},
		{"DTSTART", "20260110T150000Z", "20260110T150001Z", true},
		{"DTSTART", "20260110T100000Z", "20260110T150000Z", false},
		{"DTEND", "20260111T235959Z", "20260112T000000Z", true}, // a DATE is its day
		{"DTEND", "20260112T000000Z", "20260113T000000Z", false},
		{"RDATE", "20260201T103000Z", "20260201T103001Z", true},
		{"RDATE", "20260201T110000Z", "20260201T120000Z", false},
		{"EXDATE", "20260302T100000Z", "20260302T100001Z", true},
		{"EXDATE", "20260303T100000Z", "", false},
		{"SUMMARY", "", "", false},
		{"TRIGGER", "", "", false},
	} {
		got, err := tc.PropertyOverlaps(comp.Props.Get(c.prop), rng(t, c.a, c.b))
		if err != nil || got != c.want {
			t.Errorf("%s [%s, %s): got %v %v, want %v", c.prop, c.a, c.b, got, err, c.want)
		}
	}
	if at, allDay, err := tc.Resolve(comp.Props.Get("DTSTART")); err != nil || allDay || !at.Equal(ut(t, "20260110T150000Z")) {
		t.Errorf("resolve DTSTART = %v %v %v", at, allDay, err)
	}
	if at, allDay, err := tc.Resolve(comp.Props.Get("DTEND")); err != nil || !allDay || !at.Equal(ut(t, "20260111T000000Z")) {
		t.Errorf("resolve DTEND = %v %v %v", at, allDay, err)
	}
}

// load decodes a testdata file.
func load(t testing.TB, name string) *ical.Calendar {
	t.Helper()
	cal, err := decode(sample(t, name))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return cal
}

// anyOverlaps reports whether a component named name of cal overlaps tr.
func anyOverlaps(t *testing.T, cal *ical.Calendar, name string, tr Range) bool {
	t.Helper()
	tc := NewContext(cal, nil)
	for _, c := range cal.Children {
		if c.Name != name {
			continue
		}
		ok, err := tc.ComponentOverlaps(c, tr)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			return true
		}
	}
	return false
}

// TestRFC4791AppendixB checks what the examples of RFC 4791 7.8 and 7.10
// imply for the Appendix B resources.
func TestRFC4791AppendixB(t *testing.T) {
	// 7.8.1–7.8.3: the VEVENTs in [2006-01-04, 2006-01-05) are abcd2
	// (through its override, 14:00 EST) and abcd3.
	jan4 := rng(t, "20060104T000000Z", "20060105T000000Z")
	for file, want := range map[string]bool{"rfc4791/abcd1.ics": false, "rfc4791/abcd2.ics": true, "rfc4791/abcd3.ics": true} {
		if got := anyOverlaps(t, load(t, file), "VEVENT", jan4); got != want {
			t.Errorf("7.8.1 %s: %v", file, got)
		}
	}
	abcd2 := load(t, "rfc4791/abcd2.ics")
	tc := NewContext(abcd2, nil)
	if ok, _ := tc.ComponentOverlaps(abcd2.Children[1], jan4); ok {
		t.Error("abcd2's master matched 2006-01-04, whose instance is overridden")
	}
	// 7.8.3 expand [2006-01-03, 2006-01-05): abcd2 has its master's
	// instance on the 3rd and the override on the 4th.
	var got []string
	err := tc.Instances(abcd2.Children[1], rng(t, "20060103T000000Z", "20060105T000000Z"), func(in Instance) bool {
		got = append(got, in.Start.Format("20060102T150405Z")+" rid "+in.RecurrenceID.Format("20060102T150405Z")+" "+in.Comp.Props.Get("SUMMARY").Value)
		return true
	})
	if want := "20060103T170000Z rid 20060103T170000Z Event #2|20060104T190000Z rid 20060104T170000Z Event #2 bis"; err != nil || strings.Join(got, "|") != want {
		t.Errorf("7.8.3 abcd2: %v %q", err, got)
	}
	// 7.8.4: the VFREEBUSY of abcd8 overlaps 2006-01-02.
	if !anyOverlaps(t, load(t, "rfc4791/abcd8.ics"), "VFREEBUSY", rng(t, "20060102T000000Z", "20060103T000000Z")) {
		t.Error("7.8.4 abcd8")
	}
	// 7.8.5: a VALARM in [2006-01-06T10:00Z, 2006-01-07T10:00Z): the
	// abcd5 of the 7.8.5 response (DUE 12:00 EST, RELATED=END -10M →
	// 16:50Z) matches. abcd4 does not; nor does Appendix B's abcd5, whose
	// DATE DUE and RELATED=START trigger fires 2006-01-05T23:50 (floating,
	// read in UTC).
	alarmRange := rng(t, "20060106T100000Z", "20060107T100000Z")
	for file, want := range map[string]bool{"time/rfc4791-7.8.5-abcd5.ics": true, "rfc4791/abcd4.ics": false, "rfc4791/abcd5.ics": false} {
		cal := load(t, file)
		todo := firstComp(cal, "VTODO")
		ok, err := NewContext(cal, nil).AlarmOverlaps(todo, todo.Children[0], alarmRange)
		if err != nil || ok != want {
			t.Errorf("7.8.5 %s: %v %v", file, ok, err)
		}
	}
	cal := load(t, "rfc4791/abcd5.ics")
	todo := firstComp(cal, "VTODO")
	if ok, _ := NewContext(cal, nil).AlarmOverlaps(todo, todo.Children[0], rng(t, "20060105T235000Z", "20060105T235001Z")); !ok {
		t.Error("abcd5: a RELATED=START trigger without DTSTART counts from DUE")
	}
	// VTODO rows on abcd6 (DUE and COMPLETED: the DUE row) and abcd7.
	for _, c := range []struct {
		file string
		tr   Range
		want bool
	}{
		{"rfc4791/abcd6.ics", rng(t, "20051224T000000Z", "20051225T000000Z"), true},
		{"rfc4791/abcd6.ics", rng(t, "20051225T000000Z", "20051226T000000Z"), false},
		{"rfc4791/abcd6.ics", rng(t, "20051223T000000Z", "20051223T235959Z"), false},
		{"rfc4791/abcd7.ics", rng(t, "20051231T000000Z", "20060101T000000Z"), true},
		{"rfc4791/abcd4.ics", rng(t, "20060101T000000Z", "20060104T000000Z"), true},
	} {
		if got := anyOverlaps(t, load(t, c.file), "VTODO", c.tr); got != c.want {
			t.Errorf("%s %v: %v", c.file, c.tr, got)
		}
	}
	// 7.10: the busy time in [2006-01-04T14:00Z, 2006-01-05T22:00Z) from
	// the events: abcd2 (override on the 4th, master on the 5th), abcd3.
	fb := rng(t, "20060104T140000Z", "20060105T220000Z")
	var busy []string
	for _, f := range []string{"rfc4791/abcd1.ics", "rfc4791/abcd2.ics", "rfc4791/abcd3.ics"} {
		cal := load(t, f)
		seen := map[string]bool{}
		tc := NewContext(cal, nil)
		for _, c := range cal.Children {
			if c.Name != "VEVENT" {
				continue
			}
			_ = tc.Instances(c, fb, func(in Instance) bool {
				s := in.Start.Format("20060102T150405Z") + "/" + in.End.Format("20060102T150405Z")
				if !seen[s] {
					seen[s] = true
					busy = append(busy, s)
				}
				return true
			})
		}
	}
	if want := "20060104T190000Z/20060104T200000Z 20060105T170000Z/20060105T180000Z 20060104T150000Z/20060104T160000Z"; strings.Join(busy, " ") != want {
		t.Errorf("7.10 busy: %v", busy)
	}
}

// TestOutlookRecurring evaluates an Outlook export: Windows TZID with a
// VTIMEZONE from 1601, EXDATE, an override, an alarm.
func TestOutlookRecurring(t *testing.T) {
	cal := load(t, "time/outlook-recurring.ics")
	got := strings.Join(instStarts(t, cal, "VEVENT", nil, rng(t, "20260301T000000Z", "20260401T000000Z")), " ")
	want := "20260302T090000Z/20260302T100000Z 20260309T090000Z/20260309T100000Z 20260324T130000Z/20260324T140000Z* 20260330T080000Z/20260330T090000Z"
	if got != want {
		t.Errorf("instances:\ngot  %s\nwant %s", got, want)
	}
	tc := NewContext(cal, nil)
	master := cal.Children[1]
	for _, c := range []struct {
		a    string
		want bool
	}{
		{"20260330T074500Z", true},
		{"20260316T084500Z", false}, // EXDATE
		{"20260323T084500Z", false}, // overridden, and the override has no alarm
		{"20460319T084500Z", true},  // a Monday in 2046, CET
		{"20460326T074500Z", true},  // the next, CEST since the 25th
		{"20460326T084500Z", false},
	} {
		a := ut(t, c.a)
		ok, err := tc.AlarmOverlaps(master, master.Children[0], Range{a, a.Add(time.Second)})
		if err != nil || ok != c.want {
			t.Errorf("alarm at %s: %v %v", c.a, ok, err)
		}
	}
}
