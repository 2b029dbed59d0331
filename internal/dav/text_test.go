package dav

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func TestTrimText(t *testing.T) {
	t.Parallel()
	invalid := func(format string, args ...any) *Error {
		return NewError(http.StatusForbidden, CalDAVName("valid-calendar-data"), format, args...)
	}
	for _, tc := range []struct {
		name, body, want string
		first            int
		message          string // a part of the refusal; "" for none
	}{
		{"as is", "BEGIN:X\r\nEND:X\r\n", "BEGIN:X\r\nEND:X", 1, ""},
		{"byte order mark", "\uFEFFBEGIN:X\nEND:X", "BEGIN:X\nEND:X", 1, ""},
		{"blank lines first", "\r\n\n  BEGIN:X\nEND:X \n\t\n", "BEGIN:X\nEND:X", 3, ""},
		{"not UTF-8", "BEGIN:X\n\xff", "", 0, "not valid UTF-8 (byte 8); RULE"},
		{"NUL", "BEGIN:X\n\x00", "", 0, "NUL byte (byte 8)"},
		{"empty", "", "", 0, "the body is empty"},
		{"only white space and a byte order mark", "\uFEFF \r\n\t", "", 0, "the body is empty"},
	} {
		got, first, err := TrimText([]byte(tc.body), "RULE", invalid)
		if tc.message != "" {
			de, ok := err.(*Error)
			if !ok || de.Status != http.StatusForbidden || !strings.Contains(de.Message, tc.message) {
				t.Errorf("%s: %v, want a 403 saying %q", tc.name, err, tc.message)
			}
			continue
		}
		if err != nil || string(got) != tc.want || first != tc.first {
			t.Errorf("%s: %q, line %d, %v; want %q, line %d", tc.name, got, first, err, tc.want, tc.first)
		}
	}
}

func TestOtherCharset(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		contentType, want string
		other             bool
	}{
		{"text/calendar", "", false},
		{"text/calendar; charset=utf-8", "", false},
		{`text/vcard; charset="UTF-8"`, "", false},
		{"text/calendar; charset=US-ASCII; component=vevent", "", false},
		{"text/calendar; charset=iso-8859-1", "iso-8859-1", true},
		{"text/vcard; charset=utf-8; charset=windows-1252", "windows-1252", true},
	} {
		_, params := ParseMediaType(tc.contentType)
		if got, other := OtherCharset(params); got != tc.want || other != tc.other {
			t.Errorf("%s: %q, %v; want %q, %v", tc.contentType, got, other, tc.want, tc.other)
		}
	}
}

func TestPrecondition(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		space string
		want  string // the condition's namespace
	}{
		{NSCalDAV, "urn:ietf:params:xml:ns:caldav"},
		{NSCardDAV, "urn:ietf:params:xml:ns:carddav"},
	} {
		e := Precondition(tc.space, "valid-data", "bad %s", "thing")
		if e.Status != http.StatusForbidden || e.Condition != (xml.Name{Space: tc.want, Local: "valid-data"}) || e.Message != "bad thing" {
			t.Errorf("%s: %d %v %q", tc.space, e.Status, e.Condition, e.Message)
		}
	}
}

// TestMessageOf: a DAV error quoted in another message gives its client
// message and never its internal cause; other errors give their text.
func TestMessageOf(t *testing.T) {
	t.Parallel()
	cause := errors.New("pq: relation objects does not exist")
	for _, tc := range []struct {
		err  error
		want string
	}{
		{&Error{Status: http.StatusForbidden, Message: "bad thing", Err: cause}, "bad thing"},
		{fmt.Errorf("reading: %w", &Error{Status: http.StatusForbidden, Message: "wrapped", Err: cause}), "wrapped"},
		{errors.New("ical: malformed line"), "ical: malformed line"},
	} {
		if got := MessageOf(tc.err); got != tc.want {
			t.Errorf("MessageOf(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
