package caldav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/internal/dav"
)

// sample reads a testdata file; they are stored with LF line endings.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// crlf turns LF line endings into the CRLF that clients send.
func crlf(b []byte) []byte { return bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")) }

// variants are the same body as clients and tools deliver it.
var variants = []struct {
	name string
	of   func([]byte) []byte
}{
	{"crlf", crlf},
	{"lf", func(b []byte) []byte { return b }},
	{"bom", func(b []byte) []byte { return append([]byte("\uFEFF"), crlf(b)...) }},
	{"no-final-newline", func(b []byte) []byte { return bytes.TrimRight(crlf(b), "\r\n") }},
	{"blank-lines-around", func(b []byte) []byte { return append([]byte("\r\n\r\n"), append(crlf(b), "\r\n \r\n"...)...) }},
}

func TestValidateObjectClients(t *testing.T) {
	t.Parallel()
	all := Components()
	for _, tc := range []struct {
		file, contentType string
		allowed           []string
		uid, comp         string
	}{
		{"apple-macos-event.ics", "text/calendar", DefaultComponents(), "9A0D5B5C-3F4E-4C1B-9E2A-1D7F0C8B6A21", "VEVENT"},
		{"apple-recurring-override.ics", "text/calendar", []string{"VEVENT"}, "0C7E2B1D-6A55-4F0E-8E6B-2B1F3A9C7D40", "VEVENT"},
		{"apple-reminder.ics", "text/calendar", []string{"VTODO"}, "7F3B2A10-5C4D-4E6F-8A9B-0C1D2E3F4A5B", "VTODO"},
		{"thunderbird-event.ics", "text/calendar; charset=utf-8", DefaultComponents(), "a1b2c3d4-0000-4000-8000-00000000000a@pgdav.test", "VEVENT"},
		{"thunderbird-recurring.ics", "text/calendar; charset=utf-8", DefaultComponents(), "b7e1c2d3-1111-4000-8000-00000000000b@pgdav.test", "VEVENT"},
		{"davx5-event.ics", "text/calendar; charset=UTF-8", all, "davx5-test@pgdav.test", "VEVENT"},
		{"davx5-task.ics", "text/calendar;charset=utf-8", all, "3a6f8c2e-7b1d-4e9a-9c0f-5d2b8e1a7c34", "VTODO"},
		{"evolution-event.ics", `text/calendar; charset="utf-8"`, DefaultComponents(), "4e3f1c0a8b9d2e7f6a5b4c3d2e1f0a9b8c7d6e5f", "VEVENT"},
		{"vdirsyncer-allday.ics", "text/calendar", DefaultComponents(), "conf+2025.vdirsyncer-test", "VEVENT"},
		{"journal.ics", "text/calendar", []string{"VJOURNAL"}, "19970901T130000Z-123405@example.com", "VJOURNAL"},
		{"rfc4791/abcd1.ics", "text/calendar", all, "74855313FA803DA593CD579A@example.com", "VEVENT"},
		{"rfc4791/abcd2.ics", "text/calendar", all, "00959BC664CA650E933C892C@example.com", "VEVENT"},
		{"rfc4791/abcd3.ics", "text/calendar", all, "DC6C50A017428C5216A2F1CD@example.com", "VEVENT"},
		{"rfc4791/abcd4.ics", "text/calendar", all, "DDDEEB7915FA61233B861457@example.com", "VTODO"},
		{"rfc4791/abcd5.ics", "text/calendar", all, "E10BA47467C5C69BB74E8720@example.com", "VTODO"},
		{"rfc4791/abcd6.ics", "text/calendar", all, "E10BA47467C5C69BB74E8722@example.com", "VTODO"},
		{"rfc4791/abcd7.ics", "text/calendar", all, "E10BA47467C5C69BB74E8725@example.com", "VTODO"},
		{"rfc4791/abcd8.ics", "", []string{"vfreebusy"}, "76ef34-54a3d2@example.com", "VFREEBUSY"},
	} {
		body := sample(t, tc.file)
		for _, v := range variants {
			t.Run(tc.file+"/"+v.name, func(t *testing.T) {
				data := v.of(body)
				orig := bytes.Clone(data)
				got, err := ValidateObject(data, tc.contentType, tc.allowed)
				if err != nil {
					t.Fatalf("ValidateObject: %v", err)
				}
				if want := (ObjectInfo{UID: tc.uid, Component: tc.comp}); got != want {
					t.Errorf("got %+v, want %+v", got, want)
				}
				if !bytes.Equal(data, orig) {
					t.Error("ValidateObject changed its input")
				}
			})
		}
	}
}

// ics joins lines with CRLF, as clients send them.
func ics(lines ...string) []byte { return []byte(strings.Join(lines, "\r\n") + "\r\n") }

// event is a minimal valid calendar object around the given VEVENT lines.
func event(lines ...string) []byte {
	return ics(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//test//EN", "BEGIN:VEVENT"}, lines...),
		"END:VEVENT", "END:VCALENDAR")...)
}

// TestValidateObjectLiberal covers what clients send that RFC 5545 or
// RFC 4791 frown upon, and pgdav accepts (docs/compatibility.md).
func TestValidateObjectLiberal(t *testing.T) {
	t.Parallel()
	simple := event("UID:liberal-1", "DTSTAMP:20250301T120000Z", "DTSTART:20250301T120000Z")
	for _, tc := range []struct {
		name        string
		data        []byte
		contentType string
		uid         string
	}{
		{"content type absent", simple, "", "liberal-1"},
		{"charset quoted upper case", simple, `text/calendar; charset="UTF-8"`, "liberal-1"},
		{"charset us-ascii", simple, "text/calendar; charset=us-ascii", "liberal-1"},
		{"component and method params", simple, "text/calendar; component=VEVENT; charset=utf-8", "liberal-1"},
		{"media type upper case", simple, "Text/Calendar;Charset=UTF-8", "liberal-1"},
		{"stray semicolons", simple, "text/calendar;; charset=utf-8;", "liberal-1"},
		{"octet-stream that parses", simple, "application/octet-stream", "liberal-1"},
		{"text/plain that parses", simple, "text/plain; charset=utf-8", "liberal-1"},
		{"no PRODID", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:p", "END:VEVENT", "END:VCALENDAR"), "", "p"},
		{"lower-case names", ics("begin:vcalendar", "version:2.0", "begin:vevent", "uid:lower", "summary:x", "end:vevent", "end:vcalendar"), "", "lower"},
		{"folded with tab", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:fol", "\tded", "SUMMARY:a", "\tb", "END:VEVENT", "END:VCALENDAR"), "", "folded"},
		{"UID folded right after the colon", event("UID:", " split-uid"), "", "split-uid"},
		{"X- properties and components everywhere", ics("BEGIN:VCALENDAR", "VERSION:2.0", "X-WR-CALNAME:Work", "BEGIN:X-ACME-META", "X-A:1", "END:X-ACME-META",
			"BEGIN:VEVENT", "UID:x", "X-ACME-FLAG;X-P=\"a;b:c\":yes", "BEGIN:X-ACME-NOTE", "X-B:2", "END:X-ACME-NOTE", "END:VEVENT", "END:VCALENDAR"), "", "x"},
		{"TZID without VTIMEZONE", event("UID:tz", "DTSTART;TZID=Europe/Berlin:20250301T120000"), "", "tz"},
		{"overrides without master", ics("BEGIN:VCALENDAR", "VERSION:2.0",
			"BEGIN:VEVENT", "UID:o", "RECURRENCE-ID:20250301T120000Z", "END:VEVENT",
			"BEGIN:VEVENT", "UID:o", "RECURRENCE-ID:20250308T120000Z", "END:VEVENT", "END:VCALENDAR"), "", "o"},
		{"DTEND and DURATION together", event("UID:d", "DTSTART:20250301T120000Z", "DTEND:20250301T130000Z", "DURATION:PT0S"), "", "d"},
		{"VERSION as min;max", ics("BEGIN:VCALENDAR", "VERSION:1.0;2.0", "BEGIN:VTODO", "UID:t", "END:VTODO", "END:VCALENDAR"), "", "t"},
		{"escaped UID", event(`UID:a\,b\;c`), "", "a,b;c"},
		{"UID with unescaped comma", event("UID:a,b"), "", "a,b"},
		{"non-ASCII text", event("UID:ü-1", "SUMMARY:Grüße 🎉", "LOCATION:東京"), "", "ü-1"},
		{"empty lines inside", []byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n\r\nBEGIN:VEVENT\r\nUID:e\r\n\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), "", "e"},
		{"long parameter value", event("UID:long", "X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-APPLE-MAPKIT-HANDLE="+strings.Repeat("Q", 8000)+":geo:1,2"), "", "long"},
		{"large inline attachment", event("UID:att", "ATTACH;ENCODING=BASE64;VALUE=BINARY:"+fold(strings.Repeat("QUJD", 250000))), "", "att"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got, err := ValidateObject(tc.data, tc.contentType, Components())
			if err != nil {
				t.Fatalf("ValidateObject: %v", err)
			}
			if got.UID != tc.uid {
				t.Errorf("UID = %q, want %q", got.UID, tc.uid)
			}
		})
	}
}

// fold folds s into 75-octet lines (RFC 5545 3.1).
func fold(s string) string {
	var b strings.Builder
	for len(s) > 74 {
		b.WriteString(s[:74] + "\r\n ")
		s = s[74:]
	}
	b.WriteString(s)
	return b.String()
}

func TestValidateObjectErrors(t *testing.T) {
	t.Parallel()
	good := event("UID:good", "DTSTART:20250301T120000Z")
	const (
		supportedData = "supported-calendar-data"
		validData     = "valid-calendar-data"
		validObject   = "valid-calendar-object-resource"
		supportedComp = "supported-calendar-component"
	)
	for _, tc := range []struct {
		name        string
		data        []byte
		contentType string
		allowed     []string
		cond        string
		message     string // a substring of the message, when it matters
	}{
		// supported-calendar-data (RFC 4791 5.3.2.1)
		{"vCard media type", good, "text/vcard", nil, supportedData, `media type "text/vcard" is not supported`},
		{"XML media type", good, "application/xml", nil, supportedData, ""},
		{"Latin-1", good, "text/calendar; charset=iso-8859-1", nil, supportedData, `charset "iso-8859-1"`},
		{"second charset", good, "text/calendar; charset=utf-8; charset=utf-16", nil, supportedData, ""},
		{"octet-stream not iCalendar", []byte("hello"), "application/octet-stream", nil, supportedData, "sent as application/octet-stream"},
		{"text/plain vCard", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nEND:VCARD\r\n"), "text/plain", nil, supportedData, ""},
		{"vCalendar 1.0", ics("BEGIN:VCALENDAR", "VERSION:1.0", "BEGIN:VEVENT", "UID:v", "END:VEVENT", "END:VCALENDAR"), "", nil, supportedData, "VERSION \"1.0\" is not supported"},

		// valid-calendar-data
		{"empty", nil, "text/calendar", nil, validData, "empty"},
		{"only whitespace", []byte("\r\n \r\n"), "", nil, validData, "empty"},
		{"not UTF-8", event("UID:x", "SUMMARY:Gr\xfc\xdfe"), "", nil, validData, "not valid UTF-8"},
		{"NUL byte", event("UID:x", "SUMMARY:a\x00b"), "", nil, validData, "NUL"},
		{"plain text", []byte("hello world"), "", nil, validData, "line 1"},
		{"a vCard", []byte("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nEND:VCARD\r\n"), "", nil, validData, "expected BEGIN:VCALENDAR, found BEGIN:VCARD"},
		{"bare VEVENT", ics("BEGIN:VEVENT", "UID:x", "END:VEVENT"), "", nil, validData, "expected BEGIN:VCALENDAR"},
		{"two VCALENDARs", append(good, good...), "", nil, validData, "line 9: a second top-level component"},
		{"content after END", append(bytes.Clone(good), "X-AFTER:1\r\n"...), "", nil, validData, "after END:VCALENDAR"},
		{"unterminated", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:x"), "", nil, validData, "BEGIN:VEVENT on line 3 has no END"},
		{"END mismatch", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:x", "END:VTODO", "END:VCALENDAR"), "", nil, validData, "line 5: END:VTODO does not close BEGIN:VEVENT from line 3"},
		{"END without BEGIN", []byte("END:VCALENDAR\r\n"), "", nil, validData, "without a matching BEGIN"},
		{"line without colon", event("UID:x", "SUMMARY"), "", nil, validData, "line 6"},
		{"empty property name", event("UID:x", ":value"), "", nil, validData, "empty"},
		{"parameter running to the end of the line", event("UID:x", "DTSTART;TZID=Europe/Berlin"), "", nil, validData, "no ':' before its value"},
		{"text after a quoted parameter", event("UID:x", `ATTENDEE;CN="A"B:mailto:a@example.com`), "", nil, validData, "after a quoted parameter value"},
		{"unterminated quote", event("UID:x", `ATTENDEE;CN="A:mailto:a@example.com`), "", nil, validData, "no closing"},
		{"quote inside a parameter value", event("UID:x", `ATTENDEE;CN=A"B:mailto:a@example.com`), "", nil, validData, "inside an unquoted"},
		{"parameter without value", event("UID:x", "TEL;CELL:123"), "", nil, validData, "no '=VALUE'"},
		{"parameter with '=' only after the colon", event("UID:x", "X-A;B:c=d"), "", nil, validData, "no '=VALUE'"},
		{"huge parameter value", event("UID:x", "X-A;X-B="+strings.Repeat("b", maxParamValue+1)+":c"), "", nil, validData, "the limit is"},
		{"many long parameter values", event("UID:x", strings.Repeat("X-A;X-B="+strings.Repeat("b", maxParamValue)+":c\r\n", 5)+"X-C:d"), "", nil, validData, "too many long parameter values"},
		{"nested too deep", ics(append(append([]string{"BEGIN:VCALENDAR", "VERSION:2.0"}, strings.Split(strings.Repeat("BEGIN:X-A,", 20), ",")...), "END:VCALENDAR")...), "", nil, validData, "nested more than"},
		{"BEGIN without name", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:", "END:", "END:VCALENDAR"), "", nil, validData, "without a component name"},
		{"no VERSION", ics("BEGIN:VCALENDAR", "PRODID:x", "BEGIN:VEVENT", "UID:x", "END:VEVENT", "END:VCALENDAR"), "", nil, validData, "no VERSION"},
		{"VALARM outside", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VALARM", "ACTION:DISPLAY", "END:VALARM", "END:VCALENDAR"), "", nil, validData, "VALARM must be inside"},
		{"STANDARD outside", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:STANDARD", "END:STANDARD", "END:VCALENDAR"), "", nil, validData, "STANDARD must be inside"},
		{"two different UIDs in one component", event("UID:a", "UID:b"), "", nil, validData, "more than one UID"},
		{"two RECURRENCE-IDs in one component", event("UID:a", "RECURRENCE-ID:20250301T120000Z", "RECURRENCE-ID:20250302T120000Z"), "", nil, validData, "more than one RECURRENCE-ID"},

		// valid-calendar-object-resource (RFC 4791 4.1)
		{"METHOD", ics("BEGIN:VCALENDAR", "VERSION:2.0", "METHOD:REQUEST", "BEGIN:VEVENT", "UID:m", "END:VEVENT", "END:VCALENDAR"), "", nil, validObject, "METHOD:REQUEST"},
		{"only a VTIMEZONE", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VTIMEZONE", "TZID:Europe/Berlin", "END:VTIMEZONE", "END:VCALENDAR"), "", nil, validObject, "no VEVENT, VTODO, VJOURNAL or VFREEBUSY"},
		{"empty VCALENDAR", ics("BEGIN:VCALENDAR", "VERSION:2.0", "END:VCALENDAR"), "", nil, validObject, ""},
		{"only X- components", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:X-FOO", "UID:x", "END:X-FOO", "END:VCALENDAR"), "", nil, validObject, ""},
		{"VEVENT and VTODO", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:a", "END:VEVENT", "BEGIN:VTODO", "UID:a", "END:VTODO", "END:VCALENDAR"), "", nil, validObject, "more than one type (VEVENT, VTODO)"},
		{"RFC 4791 4.1 example: two UIDs", ics("BEGIN:VCALENDAR", "PRODID:-//Example Corp.//CalDAV Client//EN", "VERSION:2.0",
			"BEGIN:VEVENT", "UID:1@example.com", "SUMMARY:One-off Meeting", "DTSTAMP:20041210T183904Z", "DTSTART:20041207T120000Z", "DTEND:20041207T130000Z", "END:VEVENT",
			"BEGIN:VEVENT", "UID:2@example.com", "SUMMARY:Weekly Meeting", "DTSTAMP:20041210T183838Z", "DTSTART:20041206T120000Z", "DTEND:20041206T130000Z", "RRULE:FREQ=WEEKLY", "END:VEVENT",
			"BEGIN:VEVENT", "UID:2@example.com", "SUMMARY:Weekly Meeting", "RECURRENCE-ID:20041213T120000Z", "DTSTAMP:20041210T183838Z", "DTSTART:20041213T130000Z", "DTEND:20041213T140000Z", "END:VEVENT",
			"END:VCALENDAR"), "", nil, validObject, `different UIDs ("1@example.com" and "2@example.com")`},
		{"no UID", event("SUMMARY:x"), "", nil, validObject, "VEVENT has no UID"},
		{"empty UID", event("UID: "), "", nil, validObject, "VEVENT has no UID"},
		{"second component without UID", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:a", "END:VEVENT", "BEGIN:VEVENT", "RECURRENCE-ID:20250301T120000Z", "END:VEVENT", "END:VCALENDAR"), "", nil, validObject, "no UID"},
		{"UID too long", event("UID:" + strings.Repeat("u", maxUID+1)), "", nil, validObject, "at most"},
		{"two masters", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VEVENT", "UID:a", "END:VEVENT", "BEGIN:VEVENT", "UID:a", "END:VEVENT", "END:VCALENDAR"), "", nil, validObject, "two VEVENT components without RECURRENCE-ID"},
		{"same RECURRENCE-ID twice", ics("BEGIN:VCALENDAR", "VERSION:2.0",
			"BEGIN:VEVENT", "UID:a", "RRULE:FREQ=DAILY", "END:VEVENT",
			"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID;TZID=Europe/Berlin:20250301T120000", "END:VEVENT",
			"BEGIN:VEVENT", "UID:a", "RECURRENCE-ID;TZID=europe/berlin:20250301T120000", "END:VEVENT", "END:VCALENDAR"), "", nil, validObject, "RECURRENCE-ID \"20250301T120000\""},

		// supported-calendar-component (RFC 4791 5.3.2.1)
		{"VTODO in an event calendar", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VTODO", "UID:t", "END:VTODO", "END:VCALENDAR"), "", []string{"VEVENT"}, supportedComp,
			"component VTODO is not supported by this calendar (supports VEVENT)"},
		{"VJOURNAL in the default set", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VJOURNAL", "UID:j", "END:VJOURNAL", "END:VCALENDAR"), "", DefaultComponents(), supportedComp,
			"(supports VEVENT, VTODO)"},
		{"VAVAILABILITY", ics("BEGIN:VCALENDAR", "VERSION:2.0", "BEGIN:VAVAILABILITY", "UID:a", "END:VAVAILABILITY", "END:VCALENDAR"), "", nil, supportedComp,
			"component VAVAILABILITY is not supported by this calendar (supports VEVENT, VTODO, VJOURNAL, VFREEBUSY)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			info, err := ValidateObject(tc.data, tc.contentType, tc.allowed)
			checkError(t, info, err, dav.CalDAVName(tc.cond), tc.message)
		})
	}
}

// checkError asserts that err is a 403 *dav.Error with condition cond
// whose message contains message.
func checkError(t *testing.T, info any, err error, cond xml.Name, message string) {
	t.Helper()
	var de *dav.Error
	if !errors.As(err, &de) {
		t.Fatalf("got %+v, %v; want a *dav.Error with %s", info, err, cond.Local)
	}
	if de.Status != http.StatusForbidden || de.Condition != cond {
		t.Errorf("got %d %s (%s), want 403 %s", de.Status, de.Condition.Local, de.Message, cond.Local)
	}
	t.Logf("%d %s: %s", de.Status, de.Condition.Local, de.Message)
	if !strings.Contains(de.Message, message) {
		t.Errorf("message %q does not contain %q", de.Message, message)
	}
}
