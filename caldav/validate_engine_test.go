package caldav

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/caldav/internal/ictime/ictimetest"
	"github.com/pgdav/pgdav/internal/dav"
)

// engineRanges are the ranges evaluate asks about: the years the test
// objects live in, and one far off.
var engineRanges = []TimeRange{
	{Start: time.Date(2024, 12, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC)},
	{Start: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
	{Start: time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC), End: time.Date(2200, 1, 8, 0, 0, 0, 0, time.UTC)},
}

// evaluate runs everything a query asks of the time engine about one
// stored object — its index span, the time-range of every component,
// alarm and property (RFC 4791 9.9), its instances (expand, 9.6.5),
// limit-recurrence-set (9.6.6) and free-busy (7.10) — over engineRanges,
// in UTC and in a zone with daylight saving time, and returns the first
// error. A recurrence too costly to expand (ictime.ErrTooComplex) is not an
// error here: bounding that work is another matter than reading the
// data.
func evaluate(data []byte) error {
	cal, err := decodeCalendar(data)
	if err != nil {
		return err
	}
	if _, _, err := ictime.ObjectSpan(cal); err != nil {
		return fmt.Errorf("span: %w", err)
	}
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		return err
	}
	first := func(errs ...error) error {
		for _, err := range errs {
			if err != nil && !errors.Is(err, ictime.ErrTooComplex) {
				return err
			}
		}
		return nil
	}
	for _, floating := range []*time.Location{nil, berlin} {
		for _, tr := range engineRanges {
			tc := ictime.NewContext(cal, floating)
			var props func(c *ical.Component) error
			props = func(c *ical.Component) error {
				for _, ps := range c.Props {
					for i := range ps {
						if _, err := tc.PropertyOverlaps(&ps[i], tr); first(err) != nil {
							return fmt.Errorf("%s %s: %w", c.Name, ps[i].Name, err)
						}
					}
				}
				for _, ch := range c.Children {
					if err := props(ch); err != nil {
						return err
					}
				}
				return nil
			}
			if err := props(cal.Component); err != nil {
				return err
			}
			for _, c := range cal.Children {
				_, err := tc.ComponentOverlaps(c, tr)
				n := 0
				err2 := tc.Instances(c, tr, func(ictime.Instance) bool { n++; return n < 5000 })
				if err := first(err, err2); err != nil {
					return fmt.Errorf("%s: %w", c.Name, err)
				}
				for _, a := range c.Children {
					if a.Name != ical.CompAlarm {
						continue
					}
					if _, err := tc.AlarmOverlaps(c, a, tr); first(err) != nil {
						return fmt.Errorf("VALARM in %s: %w", c.Name, err)
					}
				}
			}
			_, err1 := expandRecurrences(tc, cal.Component, tr, floating)
			_, _, err2 := limitRecurrenceSet(tc, cal.Component, tr)
			err3 := collectBusy(tc, cal, tr, map[string][]period{})
			if err := first(err1, err2, err3); err != nil {
				return err
			}
		}
	}
	return nil
}

// todoObject is a minimal VTODO object around the given lines.
func todoObject(lines ...string) []byte {
	return ics(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VTODO"}, lines...), "END:VTODO", "END:VCALENDAR")...)
}

// freeBusyObject is a minimal VFREEBUSY object around the given lines.
func freeBusyObject(lines ...string) []byte {
	return ics(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VFREEBUSY", "UID:fb"}, lines...), "END:VFREEBUSY", "END:VCALENDAR")...)
}

// unevaluable are objects the query engine cannot answer for, each with
// a substring of the refusal that names the property and the reason, and
// how the engine fails on it when such an object is stored anyway (by an
// older pgdav): with an error (the object is left out of every
// time-range answer), or by reading it other than as written.
var unevaluable = []struct {
	name, message string
	data          []byte
	misread       func(t *testing.T, data []byte) // nil: evaluate fails
}{
	// The cases of issue 15.
	{"BYDAY with a bare ordinal", `VEVENT: RRULE "FREQ=MONTHLY;BYDAY=+1,3MO": BYDAY: +1 is not a weekday`,
		event("UID:u", "DTSTART:20250106T100000Z", "RRULE:FREQ=MONTHLY;BYDAY=+1,3MO"), nil},
	{"unknown FREQ", "RRULE \"FREQ=FORTNIGHTLY\": unknown FREQ FORTNIGHTLY",
		event("UID:u", "DTSTART:20250106T100000Z", "RRULE:FREQ=FORTNIGHTLY"), nil},
	{"INTERVAL=0", `VEVENT: RRULE "FREQ=WEEKLY;INTERVAL=0": INTERVAL must be a positive integer`,
		event("UID:u", "DTSTART:20250106T100000Z", "RRULE:FREQ=WEEKLY;INTERVAL=0"), misreadInterval0},
	{"DATE with dashes", `VEVENT: DTSTART "2025-01-05" is not an iCalendar DATE or DATE-TIME`,
		event("UID:u", "DTSTART:2025-01-05"), nil},
	{"hour 25", `DTSTART "20250105T250000Z" is not`, event("UID:u", "DTSTART:20250105T250000Z"), nil},
	{"month 13", `DTSTART "20251305T100000" is not`,
		event("UID:u", "DTSTART;TZID=Europe/Berlin:20251305T100000"), nil},
	{"DURATION P1X", `VEVENT: DURATION "P1X" is not an iCalendar DURATION`,
		event("UID:u", "DTSTART:20250105T100000Z", "DURATION:P1X"), nil},
	{"DTEND tomorrow", `VEVENT: DTEND "tomorrow" is not`, event("UID:u", "DTSTART:20250105T100000Z", "DTEND:tomorrow"), nil},
	{"recurring VTODO with DUE and no DTSTART", "VTODO: RRULE without DTSTART",
		todoObject("UID:u", "DUE:20250105T100000Z", "RRULE:FREQ=DAILY;COUNT=10"), misreadNoStart},

	// Every other value the engine reads.
	{"bad UNTIL", "UNTIL is not a DATE or DATE-TIME", event("UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=DAILY;UNTIL=2025-02-01"), nil},
	{"BYMONTH 13", "BYMONTH: 13 is out of range", event("UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=YEARLY;BYMONTH=13"), nil},
	{"RRULE without FREQ", "FREQ is missing", event("UID:u", "DTSTART:20250105T100000Z", "RRULE:COUNT=3"), nil},
	{"bad EXRULE", `VEVENT: EXRULE RRULE "FREQ=SOMETIMES"`, event("UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=DAILY;COUNT=5", "EXRULE:FREQ=SOMETIMES"), nil},
	{"RDATE without DTSTART", "VEVENT: RDATE without DTSTART", event("UID:u", "RDATE:20250105T100000Z"), misreadNoStart},
	{"bad EXDATE in a list", `VEVENT: EXDATE "20250107T10:00" is not`,
		event("UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=DAILY;COUNT=5", "EXDATE:20250106T100000Z,20250107T10:00"), nil},
	{"bad RDATE period", `VEVENT: RDATE "P1X" is not an iCalendar DURATION`,
		event("UID:u", "DTSTART:20250105T100000Z", "RDATE;VALUE=PERIOD:20250110T100000Z/P1X"), nil},
	{"RDATE period without end", "RDATE \"20250110T100000Z\" is not a PERIOD",
		event("UID:u", "DTSTART:20250105T100000Z", "RDATE;VALUE=PERIOD:20250110T100000Z"), nil},
	{"bad RECURRENCE-ID", `VEVENT: RECURRENCE-ID "2025-01-06" is not`,
		event("UID:u", "RECURRENCE-ID:2025-01-06", "DTSTART:20250106T110000Z"), nil},
	{"bad value after a period spanning 1970", `VEVENT: RDATE "soon" is not a PERIOD`,
		event("UID:u", "DTSTART:19691230T000000Z", "RDATE;VALUE=PERIOD:19691231T000000Z/19700102T000000Z,soon"), nil},
	{"second DTSTART value", `DTSTART "soon" is not`, event("UID:u", "DTSTART:20250105T100000Z,soon"), nil},
	{"bad DUE", `VTODO: DUE "20250231T100000Z" is not`, todoObject("UID:u", "DTSTART:20250201T100000Z", "DUE:20250231T100000Z"), nil},
	{"bad COMPLETED", `VTODO: COMPLETED "yesterday" is not`, todoObject("UID:u", "COMPLETED:yesterday"), nil},
	{"bad CREATED", `VTODO: CREATED "0" is not`, todoObject("UID:u", "CREATED:0"), nil},
	{"bad DTSTAMP", `VEVENT: DTSTAMP "20250105 100000" is not`, event("UID:u", "DTSTAMP:20250105 100000", "DTSTART:20250105T100000Z"), nil},
	{"bad LAST-MODIFIED", `LAST-MODIFIED "2025-01-05T10:00:00Z" is not`, event("UID:u", "LAST-MODIFIED:2025-01-05T10:00:00Z", "DTSTART:20250105T100000Z"), nil},
	{"X- property typed DATE-TIME", `VEVENT: X-ACME-WHEN "never" is not`, event("UID:u", "DTSTART:20250105T100000Z", "X-ACME-WHEN;VALUE=DATE-TIME:never"), nil},
	{"bad TRIGGER", `VALARM in VEVENT: TRIGGER "-15M" is not an iCalendar DURATION`,
		event("UID:u", "DTSTART:20250105T100000Z", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-15M", "END:VALARM"), nil},
	{"bad absolute TRIGGER", `VALARM in VEVENT: TRIGGER "20250105T09:45:00Z" is not`,
		event("UID:u", "DTSTART:20250105T100000Z", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER;VALUE=DATE-TIME:20250105T09:45:00Z", "END:VALARM"), nil},
	{"bad REPEAT", `VALARM in VEVENT: REPEAT "twice" is not a count`,
		event("UID:u", "DTSTART:20250105T100000Z", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "REPEAT:twice", "DURATION:PT5M", "END:VALARM"), nil},
	{"bad alarm DURATION", `VALARM in VEVENT: DURATION "5M" is not`,
		event("UID:u", "DTSTART:20250105T100000Z", "BEGIN:VALARM", "ACTION:DISPLAY", "TRIGGER:-PT15M", "REPEAT:2", "DURATION:5M", "END:VALARM"), nil},
	{"bad VFREEBUSY DTSTART", `VFREEBUSY: DTSTART "today" is not`, freeBusyObject("DTSTART:today", "DTEND:20250106T000000Z"), nil},
	{"bad FREEBUSY", `VFREEBUSY: FREEBUSY "later" is not`,
		freeBusyObject("FREEBUSY:20250105T100000Z/later"), nil},
	{"FREEBUSY not in UTC", `VFREEBUSY: FREEBUSY "20250105T100000/PT1H" is not a PERIOD in UTC`,
		freeBusyObject("FREEBUSY:20250105T100000/PT1H"), misreadFreeBusy},
	{"bad DTSTART in a VTIMEZONE", `STANDARD in VTIMEZONE: DTSTART "1601-01-01" is not`,
		ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VTIMEZONE", "TZID:X", "BEGIN:STANDARD", "DTSTART:1601-01-01", "TZOFFSETFROM:+0100", "TZOFFSETTO:+0100", "END:STANDARD", "END:VTIMEZONE",
			"BEGIN:VEVENT", "UID:u", "DTSTART;TZID=X:20250105T100000", "END:VEVENT", "END:VCALENDAR"), nil},

	// Control characters (RFC 5545 3.1): GET would answer the byte, a
	// REPORT (XML 1.0) something else.
	{"control character in a value", "line 7: SUMMARY holds the control character U+0001", event("UID:u", "DTSTART:20250105T100000Z", "SUMMARY:a\x01b"), misreadControl},
	{"escape in a parameter", "line 6: ATTENDEE holds the control character U+001B", event("UID:u", "ATTENDEE;CN=\x1b[31mEve:mailto:eve@example.com", "DTSTART:20250105T100000Z"), misreadControl},
	{"lone CR inside a value", "line 6: DESCRIPTION holds the control character U+000D", event("UID:u", "DESCRIPTION:one\rtwo", "DTSTART:20250105T100000Z"), grammarOnly},
	{"DEL", "line 6: LOCATION holds the control character U+007F", event("UID:u", "LOCATION:x\x7f", "DTSTART:20250105T100000Z"), grammarOnly},
	{"control character in a folded line", "line 7: DESCRIPTION holds the control character U+0007", event("UID:u", "DESCRIPTION:one", " two\x07", "DTSTART:20250105T100000Z"), misreadControl},
}

// misreadInterval0: the engine reads INTERVAL=0 as 1, a guess.
func misreadInterval0(t *testing.T, data []byte) {
	t.Helper()
	if n := countInstances(t, data); n == 0 {
		t.Errorf("INTERVAL=0: %d instances; the engine reads it as INTERVAL=1", n)
	}
}

// misreadNoStart: without DTSTART the engine drops the recurrence: one
// instance (a VTODO's DUE) or none, never the series written.
func misreadNoStart(t *testing.T, data []byte) {
	t.Helper()
	if n := countInstances(t, data); n > 1 {
		t.Errorf("%d instances; without DTSTART the engine reads at most one", n)
	}
}

// misreadFreeBusy: a FREEBUSY period not in UTC matches a time-range but
// free-busy leaves it out.
func misreadFreeBusy(t *testing.T, data []byte) {
	t.Helper()
	cal, err := decodeCalendar(data)
	if err != nil {
		t.Fatal(err)
	}
	tc := ictime.NewContext(cal, nil)
	tr := engineRanges[0]
	ok, err := tc.ComponentOverlaps(cal.Children[0], tr)
	busy := map[string][]period{}
	if err2 := collectBusy(tc, cal, tr, busy); !ok || err != nil || err2 != nil || len(busy) != 0 {
		t.Errorf("time-range %v, %v; free-busy %v, %v; want a match and no busy time", ok, err, busy, err2)
	}
}

// misreadControl: the calendar-data of a REPORT is XML, which has no
// way to carry the character: the answer differs from the stored bytes.
func misreadControl(t *testing.T, data []byte) {
	t.Helper()
	if !strings.Contains(dav.EscapeText(string(data)), "\uFFFD") {
		t.Errorf("the REPORT text keeps the control character")
	}
}

// grammarOnly: XML carries a lone CR (as &#13;) and DEL, and the engine
// reads them; they are refused because RFC 5545 3.1 allows them in no
// value, and a client that splits lines at any CR would read another
// object.
func grammarOnly(t *testing.T, data []byte) {
	t.Helper()
	if err := evaluate(data); err != nil {
		t.Errorf("the engine fails: %v", err)
	}
}

// countInstances counts the instances of the first component in
// engineRanges[1].
func countInstances(t *testing.T, data []byte) int {
	t.Helper()
	cal, err := decodeCalendar(data)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	if err := ictime.NewContext(cal, nil).Instances(cal.Children[0], engineRanges[1], func(ictime.Instance) bool { n++; return true }); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestValidateObjectEvaluable: what the query engine cannot evaluate is
// refused at PUT with valid-calendar-data naming the property and the
// reason (issue 15 item 1), and each such object really fails or
// misleads the engine when stored anyway.
func TestValidateObjectEvaluable(t *testing.T) {
	t.Parallel()
	for _, tc := range unevaluable {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			info, err := ValidateObject(tc.data, "text/calendar", Components())
			checkError(t, info, err, dav.CalDAVName(condValidData), tc.message)
			if tc.misread != nil {
				tc.misread(t, tc.data)
				return
			}
			if err := evaluate(tc.data); err == nil {
				t.Errorf("the engine evaluates it without error; PUT need not refuse it")
			} else {
				t.Logf("engine: %v", err)
			}
		})
	}
}

// accepted are objects at the edges that PUT takes: the engine must
// evaluate each without error.
var accepted = []struct {
	name string
	data []byte
}{
	// RFC 7809: a TZID the server knows needs no VTIMEZONE, and an
	// unknown one reads as floating time rather than failing.
	{"IANA TZID without VTIMEZONE", event("UID:u", "DTSTART;TZID=America/New_York:20250105T100000", "RRULE:FREQ=WEEKLY;COUNT=4")},
	{"unknown TZID without VTIMEZONE", event("UID:u", "DTSTART;TZID=Mars/Olympus_Mons:20250105T100000", "DTEND;TZID=Mars/Olympus_Mons:20250105T110000")},
	{"DATE without VALUE=DATE", event("UID:u", "DTSTART:20250105", "DTEND:20250106")},
	{"leap second", event("UID:u", "DTSTART:20161231T235960Z")},
	{"lower-case t and z", event("UID:u", "DTSTART:20250105t100000z")},
	{"HTAB in a value", event("UID:u", "DTSTART:20250105T100000Z", "SUMMARY:a\tb")},
	{"VALUE=DATE contradicting the value", event("UID:u", "DTSTART;VALUE=DATE:20250105T100000Z")},
	{"weeks with days", event("UID:u", "DTSTART:20250105T100000Z", "DURATION:P1W2D")},
	{"DURATION with a bare T", event("UID:u", "DTSTART:20250105T100000Z", "DURATION:P1DT")},
	{"empty EXDATE item", event("UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=DAILY;COUNT=3", "EXDATE:20250106T100000Z,")},
	{"RRULE X- part and RSCALE", event("UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=MONTHLY;RSCALE=GREGORIAN;SKIP=OMIT;X-NAME=1")},
	{"BYDAY ordinal outside MONTHLY", event("UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=WEEKLY;BYDAY=1MO;COUNT=3")},
	{"override with RRULE", ics("BEGIN:VCALENDAR", "VERSION:2.0",
		"BEGIN:VEVENT", "UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=DAILY;COUNT=5", "END:VEVENT",
		"BEGIN:VEVENT", "UID:u", "RECURRENCE-ID:20250106T100000Z", "DTSTART:20250106T120000Z", "RRULE:FREQ=DAILY;COUNT=5", "END:VEVENT", "END:VCALENDAR")},
	{"override with a broken RRULE, which is ignored", ics("BEGIN:VCALENDAR", "VERSION:2.0",
		"BEGIN:VEVENT", "UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=DAILY;COUNT=5", "END:VEVENT",
		"BEGIN:VEVENT", "UID:u", "RECURRENCE-ID:20250106T100000Z", "DTSTART:20250106T120000Z", "RRULE:FREQ=FORTNIGHTLY", "END:VEVENT", "END:VCALENDAR")},
	{"VEVENT without DTSTART", event("UID:u", "SUMMARY:someday")},
	{"EXDATE without DTSTART", event("UID:u", "EXDATE:20250105T100000Z")},
	{"VTODO with only DUE", todoObject("UID:u", "DUE:20250105T100000Z")},
	{"empty FREEBUSY period", freeBusyObject("FREEBUSY:20250105T100000Z/20250105T100000Z")},
	{"FREEBUSY in UTC", freeBusyObject("FREEBUSY;FBTYPE=BUSY:20250105T100000Z/PT1H,20250106T100000Z/20250106T110000Z")},
	{"infinite SECONDLY rule", event("UID:u", "DTSTART:20250105T100000Z", "RRULE:FREQ=SECONDLY;BYSECOND=0;BYMINUTE=0;BYHOUR=9")},
}

// TestEngineEvaluatesAccepted: everything PUT accepts among the edge
// cases and the clients' samples, the engine evaluates without error.
func TestEngineEvaluatesAccepted(t *testing.T) {
	t.Parallel()
	var cases []struct {
		name string
		data []byte
	}
	cases = append(cases, accepted...)
	for _, f := range clientSamples(t) {
		cases = append(cases, struct {
			name string
			data []byte
		}{f, crlf(sample(t, f))})
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if _, err := ValidateObject(tc.data, "", Components()); err != nil {
				t.Fatalf("ValidateObject: %v", err)
			}
			if err := evaluate(tc.data); err != nil {
				t.Errorf("accepted, but the engine fails: %v", err)
			}
		})
	}
}

// clientSamples lists the calendar objects of testdata.
func clientSamples(t *testing.T) []string {
	t.Helper()
	out := []string{"apple-macos-event.ics", "apple-recurring-override.ics", "apple-reminder.ics", "thunderbird-event.ics",
		"thunderbird-recurring.ics", "davx5-event.ics", "davx5-task.ics", "evolution-event.ics", "vdirsyncer-allday.ics", "journal.ics"}
	for i := 1; i <= 8; i++ {
		out = append(out, fmt.Sprintf("rfc4791/abcd%d.ics", i))
	}
	return out
}

// TestValidatedObjectsEvaluate is the property behind PUT's check: for
// random objects and random damage done to them, ValidateObject
// accepting implies that the engine evaluates without error. The
// counts keep the test from passing vacuously.
func TestValidatedObjectsEvaluate(t *testing.T) {
	t.Parallel()
	rnd := rand.New(rand.NewSource(15))
	okCount, refused := 0, 0
	for i := range 1500 {
		body := ictimetest.Object(rnd)
		if i%3 > 0 {
			body = damage(rnd, body)
		}
		data := []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n" + strings.ReplaceAll(body, "\n", "\r\n") + "END:VCALENDAR\r\n")
		if _, err := ValidateObject(data, "", Components()); err != nil {
			refused++
			continue
		}
		okCount++
		if err := evaluate(data); err != nil {
			t.Fatalf("accepted, but the engine fails: %v\n%s", err, data)
		}
	}
	t.Logf("%d accepted, %d refused", okCount, refused)
	if okCount < 300 || refused < 200 {
		t.Errorf("%d accepted, %d refused: the generator no longer tests both sides", okCount, refused)
	}
}

// damage changes one random byte of a time value, or a rule part, the
// way hand-edited or buggy data differs from the grammar.
func damage(rnd *rand.Rand, body string) string {
	lines := strings.Split(body, "\n")
	for range 8 {
		i := rnd.Intn(len(lines))
		name, value, ok := strings.Cut(lines[i], ":")
		if !ok || value == "" || strings.HasPrefix(name, "BEGIN") || strings.HasPrefix(name, "END") || strings.HasPrefix(name, "UID") {
			continue
		}
		b := []byte(value)
		switch rnd.Intn(4) {
		case 0:
			b[rnd.Intn(len(b))] = "0123456789TZ-:+,;=/PDHMSWX"[rnd.Intn(26)]
		case 1:
			j := rnd.Intn(len(b))
			b = append(b[:j], b[j+1:]...)
		case 2:
			parts := []string{";INTERVAL=0", ";BYDAY=+1,3MO", ";FREQ=FORTNIGHTLY", ";BYMONTH=13", ";COUNT=2", ";BYSETPOS=-1", ",20250101T100000Z"}
			b = append(b, parts[rnd.Intn(len(parts))]...)
		default:
			j := rnd.Intn(len(b) + 1)
			b = append(b[:j], append([]byte{"\x01\x7f\r5"[rnd.Intn(4)]}, b[j:]...)...)
		}
		lines[i] = name + ":" + string(b)
		return strings.Join(lines, "\n")
	}
	return body
}

// TestDurationReadOnce: every reader of DURATION uses the engine's
// parser, which PUT checks. go-ical's, used before by limit-recurrence-set
// and by the DTEND time-range of an event with DURATION, refuses forms
// PUT accepts (a bare trailing T), so the first failed the whole REPORT
// and the second matched nothing.
func TestDurationReadOnce(t *testing.T) {
	t.Parallel()
	data := ics("BEGIN:VCALENDAR", "VERSION:2.0",
		"BEGIN:VEVENT", "UID:d", "DTSTART:20250105T100000Z", "DURATION:P1DT", "RRULE:FREQ=DAILY;COUNT=3", "END:VEVENT",
		"BEGIN:VEVENT", "UID:d", "RECURRENCE-ID:20250106T100000Z", "DTSTART:20250201T120000Z", "DURATION:PT1H", "END:VEVENT",
		"END:VCALENDAR")
	if _, err := ValidateObject(data, "", Components()); err != nil {
		t.Fatal(err)
	}
	cal, err := decodeCalendar(data)
	if err != nil {
		t.Fatal(err)
	}
	// The override moved away; its original time, for the master's
	// length (RFC 4791 9.6.6), still overlaps.
	tr := TimeRange{Start: time.Date(2025, 1, 6, 20, 0, 0, 0, time.UTC), End: time.Date(2025, 1, 6, 21, 0, 0, 0, time.UTC)}
	out, _, err := limitRecurrenceSet(ictime.NewContext(cal, nil), cal.Component, tr)
	if err != nil {
		t.Fatalf("limit-recurrence-set: %v", err)
	}
	if len(out.Children) != 2 {
		t.Errorf("limit-recurrence-set kept %d components, want the master and the override (its original instance lasts until the 7th)", len(out.Children))
	}
	ok, err := matchOne(t, `<C:comp-filter name="VEVENT"><C:prop-filter name="DTEND">`+
		`<C:time-range start="20250106T000000Z" end="20250106T120000Z"/></C:prop-filter></C:comp-filter>`, data)
	if !ok || err != nil {
		t.Errorf("DTEND time-range on DTSTART+DURATION: %v, %v; want a match (the master ends on the 6th at 10:00)", ok, err)
	}
}
