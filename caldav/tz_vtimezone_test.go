package caldav

import (
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/internal/dav"
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
			loc := lookupTZID(tc.id)
			if loc == nil {
				t.Fatalf("no zone %s", tc.id)
			}
			text := vtimezoneCalendar(tc.id, loc, year)
			_, comp, err := checkTimezoneObject("timezone", text, false)
			if err != nil {
				t.Fatalf("written zone refused: %v\n%s", err, text)
			}
			if got := strings.Contains(text, "RRULE:"); got != tc.rrule {
				t.Errorf("RRULE written: %v, want %v\n%s", got, tc.rrule, text)
			}
			if got := zoneOfCalendarTimezone(text); got == nil || got.String() != loc.String() {
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
		if got, want := timezoneID(text), lookupTZID(id).String(); got != want {
			t.Fatalf("%q reads back as %q, want %q", id, got, want)
		}
	})
}
