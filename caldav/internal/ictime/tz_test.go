package ictime

import (
	"testing"
	"time"
)

// TestFloatingVTimezone reads floating times in a VTIMEZONE given by the
// query (CALDAV:timezone) whose TZID no database knows.
func TestFloatingVTimezone(t *testing.T) {
	cal := tcal(t, "BEGIN:VEVENT\nUID:f\nDTSTART:20260701T100000\nDURATION:PT1H\nEND:VEVENT")
	tc := NewContext(cal, nil)
	if !tc.UseFloatingVTimezone(tcal(t, myZone)) {
		t.Fatal("no VTIMEZONE found")
	}
	got, err := tc.ComponentOverlaps(cal.Children[0], rng(t, "20260701T080000Z", "20260701T080001Z"))
	if err != nil || !got {
		t.Errorf("10:00 in My Zone (CEST) is 08:00Z: %v %v", got, err)
	}
	if NewContext(cal, nil).UseFloatingVTimezone(tcal(t, "BEGIN:VEVENT\nUID:x\nEND:VEVENT")) {
		t.Error("found a VTIMEZONE where there is none")
	}
}

// TestParseValues covers the value parsers' edge cases.
func TestParseValues(t *testing.T) {
	for _, c := range []struct {
		in   string
		want string
		ok   bool
	}{
		{"20260110", "2026-01-10T00:00:00Z", true},
		{"20260110T100000", "2026-01-10T10:00:00Z", true},
		{"20260110t100000z", "2026-01-10T10:00:00Z", true},
		{"19970630T235960Z", "1997-06-30T23:59:59Z", true}, // leap second
		{"20260230", "", false},
		{"2026-01-10", "", false},
		{"20260110T250000", "", false},
		{"", "", false},
	} {
		w, _, _, err := parseICalTime(c.in)
		if (err == nil) != c.ok || (c.ok && w.Format(time.RFC3339) != c.want) {
			t.Errorf("%q: %v %v", c.in, w, err)
		}
	}
	for in, want := range map[string]int64{"PT15M": 900, "-PT15M": -900, "P1D": 86400, "P2W": 14 * 86400, "P1DT2H3M4S": 93784, "+PT1H": 3600, "PT0S": 0} {
		d, err := parseICalDuration(in)
		if err != nil || int64(d.days)*86400+d.secs != want {
			t.Errorf("%q: %+v %v", in, d, err)
		}
	}
	for _, in := range []string{"P", "PT", "1H", "P1H", "PT1D", "P99999999D"} {
		if _, err := parseICalDuration(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	for in, want := range map[string]int{"+0100": 3600, "-0500": -18000, "+053000": 19800, "+01:00": 3600} {
		if got, err := parseUTCOffset(in); err != nil || got != want {
			t.Errorf("%q: %d %v", in, got, err)
		}
	}
	for _, in := range []string{"0100", "+1", "+2500"} {
		if _, err := parseUTCOffset(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
	for _, rule := range []string{"", "COUNT=3", "FREQ=DAILY;FREQ=DAILY", "FREQ=FORTNIGHTLY", "FREQ=DAILY;BYHOUR=24", "FREQ=DAILY;BYDAY=0MO", "FREQ=DAILY;FOO=1", "FREQ=DAILY;RSCALE=HEBREW"} {
		if _, err := parseRecur(rule); err == nil {
			t.Errorf("RRULE %q accepted", rule)
		}
	}
	for _, rule := range []string{"freq=daily;interval=0", "FREQ=DAILY;X-NAME=1;", "FREQ=YEARLY;RSCALE=GREGORIAN;SKIP=OMIT"} {
		if _, err := parseRecur(rule); err != nil {
			t.Errorf("RRULE %q: %v", rule, err)
		}
	}
}

// TestVTimezoneShared evaluates one VTIMEZONE definition from many
// goroutines: parsed zones are shared between resources (vtzCache).
func TestVTimezoneShared(t *testing.T) {
	cal := load(t, "time/outlook-recurring.ics")
	done := make(chan error)
	for i := range 8 {
		go func() {
			var err error
			for y := 2030 + i; y < 2060 && err == nil; y += 3 {
				tc := NewContext(cal, nil)
				a := time.Date(y, 7, 1, 0, 0, 0, 0, time.UTC)
				var ok bool
				ok, err = tc.ComponentOverlaps(cal.Children[1], Range{a, a.AddDate(0, 0, 7)})
				if err == nil && !ok {
					t.Errorf("no Monday in the week of %s", a)
				}
			}
			done <- err
		}()
	}
	for range 8 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
}
