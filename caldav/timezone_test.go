package caldav

import (
	"testing"
)

func TestValidateTimezone(t *testing.T) {
	t.Parallel()
	const berlin = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y\r\nBEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\n" +
		"BEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\nEND:VCALENDAR\r\n"
	for _, tc := range []struct {
		name string
		in   string
		ok   bool
	}{
		{"one VTIMEZONE", berlin, true},
		{"empty clears", "", true},
		{"no VTIMEZONE", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", false},
		{"not iCalendar", "hello", false},
		{"parameter to end of line (go-ical panics on it)", "X;A=b", false},
	} {
		if err := validateTimezone(tc.in); (err == nil) != tc.ok {
			t.Errorf("%s: validateTimezone = %v", tc.name, err)
		}
	}
}
