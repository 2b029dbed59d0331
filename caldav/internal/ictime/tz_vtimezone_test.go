package ictime

import (
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// TestVTimezoneCalendar: the VTIMEZONE written for a zone name gives,
// read back by the time engine's own VTIMEZONE reader, the offsets of
// the zone database at every onset and every day from 1970 to the end
// of what it claims (a yearly rule: any year; listed onsets only:
// vtzListYears ahead). Zones: both hemispheres, rules changed in the
// past (US 2007, Moscow 2011/2014), daylight saving time abolished (São
// Paulo 2019), none at all, irregular (Casablanca), odd offsets.
func TestVTimezoneCalendar(t *testing.T) {
	t.Parallel()
	const year = 2026
	for _, tc := range []struct {
		id    string
		rrule bool // a yearly rule is expected
	}{
		{"America/New_York", true},
		{"Europe/Berlin", true},
		{"Australia/Sydney", true},
		{"Pacific/Auckland", true},
		{"Australia/Lord_Howe", true}, // half-hour daylight saving
		{"Europe/Moscow", false},
		{"America/Sao_Paulo", false},
		{"Asia/Tokyo", false},
		{"Asia/Kolkata", false},
		{"Asia/Kathmandu", false},
		{"UTC", false},
		{"Africa/Casablanca", false},
	} {
		t.Run(tc.id, func(t *testing.T) {
			t.Parallel()
			loc := LookupTZID(tc.id)
			if loc == nil {
				t.Fatalf("no zone %s", tc.id)
			}
			text := VTimezoneCalendar(tc.id, loc, year)
			// caldav's TestTimezoneForIDZones checks the text as a
			// calendar-timezone value.
			cal, err := decode([]byte(text))
			if err != nil || len(cal.Children) != 1 {
				t.Fatalf("written zone unreadable: %v\n%s", err, text)
			}
			comp := cal.Children[0]
			if err := CheckVTimezone(comp); err != nil {
				t.Fatalf("written zone refused: %v\n%s", err, text)
			}
			if got := strings.Contains(text, "RRULE:"); got != tc.rrule {
				t.Errorf("RRULE written: %v, want %v\n%s", got, tc.rrule, text)
			}
			if got := LookupTZID(comp.Props.Get(ical.PropTimezoneID).Value); got == nil || got.String() != loc.String() {
				t.Errorf("the written zone resolves to %v, want %v", got, loc)
			}
			z := readVTimezone(comp)
			if z == nil {
				t.Fatalf("the time engine cannot read the written zone\n%s", text)
			}
			start := time.Date(vtzFirstYear, 1, 1, 12, 0, 0, 0, time.UTC)
			end := time.Date(year+vtzListYears, 1, 1, 0, 0, 0, 0, time.UTC)
			if tc.rrule {
				end = time.Date(year+60, 1, 1, 0, 0, 0, 0, time.UTC)
			}
			check := func(at time.Time) bool {
				t.Helper()
				_, want := at.In(loc).Zone()
				if got := z.offset(at); got != want {
					t.Errorf("offset at %s: %d, want %d", at.Format(time.RFC3339), got, want)
					return false
				}
				return true
			}
			failures := 0
			for _, o := range zoneOnsets(loc, start, end) {
				for _, d := range []time.Duration{-time.Second, 0, time.Second} {
					if !check(o.at.Add(d)) {
						failures++
					}
				}
				if failures > 5 {
					t.Fatalf("the written zone:\n%s", text)
				}
			}
			for at := start; at.Before(end); at = at.AddDate(0, 0, 1) {
				if !check(at) {
					failures++
				}
				if failures > 5 {
					t.Fatalf("the written zone:\n%s", text)
				}
			}
		})
	}
}

func TestFormatUTCOffset(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		sec  int
		want string
	}{
		{0, "+0000"}, {3600, "+0100"}, {-18000, "-0500"}, {19800, "+0530"}, {20700, "+0545"}, {-2670, "-004430"},
	} {
		if got := formatUTCOffset(tc.sec); got != tc.want {
			t.Errorf("formatUTCOffset(%d) = %q, want %q", tc.sec, got, tc.want)
		}
		if back, err := parseUTCOffset(tc.want); err != nil || back != tc.sec {
			t.Errorf("parseUTCOffset(%q) = %d, %v", tc.want, back, err)
		}
	}
}
