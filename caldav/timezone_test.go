package caldav

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

const (
	berlinVTimezone = "BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n" +
		"BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\n"
	berlinTimezone = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y\r\n" + berlinVTimezone + "END:VCALENDAR\r\n"
)

// badTimezones are VCALENDARs that are no "iCalendar object with exactly
// one VTIMEZONE component" (RFC 4791 5.2.2, 9.8), each with a word its
// refusal must mention.
var badTimezones = []struct{ name, in, msg string }{
	{"no VTIMEZONE", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", "exactly one VTIMEZONE"},
	{"two VTIMEZONEs", strings.Replace(berlinTimezone, "END:VCALENDAR", berlinVTimezone+"END:VCALENDAR", 1), "exactly one VTIMEZONE"},
	{"not iCalendar", "hello", "not a valid iCalendar"},
	{"parameter to end of line (go-ical panics on it)", "X;A=b", "not a valid iCalendar"},
	{"VERSION 1.0", strings.Replace(berlinTimezone, "VERSION:2.0", "VERSION:1.0", 1), "VERSION"},
	{"NUL byte", strings.Replace(berlinTimezone, "PRODID:-//x//y", "PRODID:-//x\x00//y", 1), "NUL"},
	{"VTIMEZONE without TZID", strings.Replace(berlinTimezone, "TZID:Europe/Berlin\r\n", "", 1), "TZID"},
	{"VTIMEZONE without observance", strings.Replace(berlinTimezone,
		"BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n", "", 1), "STANDARD or DAYLIGHT"},
	{"observance without DTSTART", strings.Replace(berlinTimezone, "DTSTART:19701025T030000\r\n", "", 1), "DTSTART"},
	{"observance without TZOFFSETTO", strings.Replace(berlinTimezone, "TZOFFSETTO:+0100\r\n", "", 1), "TZOFFSETTO"},
	{"unreadable TZOFFSETFROM", strings.Replace(berlinTimezone, "TZOFFSETFROM:+0200", "TZOFFSETFROM:two hours", 1), "TZOFFSETFROM"},
	{"unreadable DTSTART", strings.Replace(berlinTimezone, "DTSTART:19701025T030000", "DTSTART:1970-10-25", 1), "DTSTART"},
}

func TestValidateTimezone(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   string
	}{
		{"one VTIMEZONE", berlinTimezone},
		{"empty clears", ""},
		{"DAYLIGHT only, LF line ends", strings.ReplaceAll(strings.ReplaceAll(berlinTimezone, "STANDARD", "DAYLIGHT"), "\r\n", "\n")},
		// What DAVx5 sends in MKCALENDAR (ical4j's Calendar with only the
		// VTIMEZONE): liberal here, see checkTimezoneObject.
		{"no VERSION nor PRODID (DAVx5)", davx5Timezone},
	} {
		if err := validateTimezone(tc.in); err != nil {
			t.Errorf("%s: validateTimezone = %v", tc.name, err)
		}
	}
	for _, tc := range badTimezones {
		wantTimezoneRefused(t, tc.name, validateTimezone(tc.in), tc.msg)
	}
}

// davx5Timezone is calendar-timezone as older DAVx5 releases send it:
// no VERSION, no PRODID.
const davx5Timezone = "BEGIN:VCALENDAR\r\n" + berlinVTimezone + "END:VCALENDAR\r\n"

// TestQueryTimezoneRefusedAsProperty: a query's <C:timezone> is refused
// where calendar-timezone is, with valid-calendar-data (RFC 4791 7.8),
// and also without VERSION, as PUT refuses such a VCALENDAR.
func TestQueryTimezoneRefusedAsProperty(t *testing.T) {
	t.Parallel()
	if _, err := ValidateObject([]byte(strings.Replace(davx5Timezone, "END:VCALENDAR",
		"BEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20060101T000000Z\r\nDTSTART:20060102T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR", 1)), "text/calendar", nil); err == nil ||
		!strings.Contains(dav.MessageOf(err), "VERSION") {
		t.Fatalf("PUT without VERSION: %v", err)
	}
	for _, tc := range append(badTimezones, struct{ name, in, msg string }{"no VERSION", davx5Timezone, "VERSION"}) {
		body := []byte(`<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>` +
			`<C:timezone>` + dav.EscapeText(tc.in) + `</C:timezone></C:calendar-query>`)
		if strings.ContainsRune(tc.in, 0) {
			continue // XML cannot carry a NUL: the body itself is malformed
		}
		_, err := parseCalendarQuery(body)
		wantTimezoneRefused(t, tc.name, err, tc.msg)
	}
}

func wantTimezoneRefused(t *testing.T, name string, err error, msg string) {
	t.Helper()
	de, ok := err.(*dav.Error)
	switch {
	case !ok:
		t.Errorf("%s: error %v, want a *dav.Error", name, err)
	case de.Status != http.StatusForbidden || de.Condition != dav.CalDAVName(condValidData):
		t.Errorf("%s: %d %v, want 403 valid-calendar-data", name, de.Status, de.Condition)
	case !strings.Contains(de.Message, msg):
		t.Errorf("%s: message %q does not mention %q", name, de.Message, msg)
	}
}

// TestTimezoneForIDZones: the calendar-timezone written for a zone name
// (ictime.VTimezoneCalendar) is one that calendar-timezone accepts and
// that resolves to the same zone; ictime's TestVTimezoneCalendar checks
// its offsets.
func TestTimezoneForIDZones(t *testing.T) {
	t.Parallel()
	for _, id := range []string{"America/New_York", "Europe/Berlin", "Australia/Sydney", "Pacific/Auckland", "Australia/Lord_Howe",
		"Europe/Moscow", "America/Sao_Paulo", "Asia/Tokyo", "Asia/Kolkata", "Asia/Kathmandu", "UTC", "Africa/Casablanca"} {
		loc := ictime.LookupTZID(id)
		if loc == nil {
			t.Fatalf("no zone %s", id)
		}
		text := ictime.VTimezoneCalendar(id, loc, 2026)
		if _, _, err := checkTimezoneObject("timezone", text, false); err != nil {
			t.Fatalf("written zone refused: %v\n%s", err, text)
		}
		if got := zoneOfCalendarTimezone(text); got == nil || got.String() != loc.String() {
			t.Errorf("the written zone resolves to %v, want %v", got, loc)
		}
	}
}

// FuzzTimezoneForID: whatever calendar-timezone-id a client sets is
// refused with valid-timezone or stored as a calendar-timezone that
// calendar-timezone accepts and that reads back as the same zone.
func FuzzTimezoneForID(f *testing.F) {
	for _, id := range []string{"Europe/Berlin", " America/New_York ", "W. Europe Standard Time",
		"/mozilla.org/20070129_1/Europe/Berlin", "UTC", "Local", "", "Mars/Olympus", "Etc/GMT+5", "../../etc/passwd"} {
		f.Add(id)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, id string) {
		text, err := timezoneForID(id, now)
		if err != nil {
			var de *dav.Error
			if !errors.As(err, &de) || de.Status != http.StatusForbidden || de.Condition != dav.CalDAVName("valid-timezone") {
				t.Fatalf("error %v", err)
			}
			return
		}
		if text == "" {
			if strings.TrimSpace(id) != "" {
				t.Fatalf("%q cleared the zone", id)
			}
			return
		}
		if err := validateTimezone(text); err != nil {
			t.Fatalf("%q: written zone refused: %v", id, err)
		}
		if got, want := timezoneID(text), ictime.LookupTZID(id).String(); got != want {
			t.Fatalf("%q reads back as %q, want %q", id, got, want)
		}
	})
}
