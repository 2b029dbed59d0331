package ictime

import (
	"runtime"
	"testing"
	"time"

	"github.com/pgdav/pgdav/caldav/internal/ictime/ictimetest"
)

// TestHugePeriods: a period with tens of millions of candidates (every
// second of the year) costs its days, not its candidates, and BYSETPOS
// picks the right ones by index.
func TestHugePeriods(t *testing.T) {
	for _, tt := range []struct {
		setpos string
		want   []string // the instances in 2027
	}{
		{"-1", []string{"20271231T235959"}},
		{"1", []string{"20270101T000000"}},
		{"-301", []string{"20271231T235459"}},
		{"366,-1,1", []string{"20270101T000000", "20270101T000605", "20271231T235959"}},
	} {
		r, err := parseRecur(ictimetest.EverySecondOfTheYear + ";BYSETPOS=" + tt.setpos)
		if err != nil {
			t.Fatal(err)
		}
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		it := newRecurIter(r, time.Date(1900, 1, 1, 0, 0, 0, 0, time.UTC), false)
		it.seek(time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC))
		var got []time.Time
		for range 10 {
			v, ok, err := it.next()
			if err != nil || !ok {
				t.Fatalf("BYSETPOS=%s: %v %v", tt.setpos, ok, err)
			}
			if v.Year() == 2027 {
				got = append(got, v)
			}
			if v.Year() > 2027 {
				break
			}
		}
		runtime.ReadMemStats(&after)
		if s := fmtTimes(got); s != fmtTimes(parseWalls(t, tt.want)) {
			t.Errorf("BYSETPOS=%s: got %s, want %v", tt.setpos, s, tt.want)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 1<<20 {
			t.Errorf("BYSETPOS=%s: %d bytes allocated", tt.setpos, n)
		}
		if it.budget.spent > 10000 {
			t.Errorf("BYSETPOS=%s: %d units of work", tt.setpos, it.budget.spent)
		}
	}
	// Without BYSETPOS, DTSTART late in the year is found by bisection.
	r, _ := parseRecur(ictimetest.EverySecondOfTheYear)
	it := newRecurIter(r, time.Date(2026, 12, 31, 23, 59, 58, 0, time.UTC), false)
	var got []time.Time
	for range 3 {
		v, _, err := it.next()
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if s := fmtTimes(got); s != "20261231T235958 20261231T235959 20270101T000000" {
		t.Errorf("from the end of 2026: %s", s)
	}
	if it.budget.spent > 1000 {
		t.Errorf("%d units of work", it.budget.spent)
	}
}

func parseWalls(t *testing.T, ss []string) []time.Time {
	t.Helper()
	var out []time.Time
	for _, s := range ss {
		w, _, _, err := parseICalTime(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, w)
	}
	return out
}

// TestVTimezoneRuleBudget: an observance rule that never matches used to
// cost a whole rule budget at each year an object converted (37 s for a
// yearly event of 200 instances); it is dropped when the zone is parsed,
// and every look-up of a rule has a small budget of its own.
func TestVTimezoneRuleBudget(t *testing.T) {
	cal := tcal(t, "BEGIN:VTIMEZONE\nTZID:Z\nBEGIN:STANDARD\nDTSTART:19701025T030000\nRRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\nTZOFFSETFROM:+0200\nTZOFFSETTO:+0100\nEND:STANDARD\n"+
		"BEGIN:DAYLIGHT\nDTSTART:19700329T020000\nRRULE:FREQ=DAILY;BYMONTHDAY=31;BYYEARDAY=60\nTZOFFSETFROM:+0100\nTZOFFSETTO:+0200\nEND:DAYLIGHT\nEND:VTIMEZONE")
	z := parseVTimezone(cal.Children[0])
	if z == nil || len(z.rules) != 1 || z.rules[0].r.freq != freqYearly {
		t.Fatalf("rules kept: %+v", z)
	}
	if off := z.offset(time.Date(2100, 7, 1, 0, 0, 0, 0, time.UTC)); off != 3600 {
		t.Errorf("offset in July 2100: %d", off)
	}
	r, _ := parseRecur("FREQ=DAILY;BYMONTHDAY=31;BYYEARDAY=60")
	it := newRecurIter(r, time.Date(1970, 3, 29, 2, 0, 0, 0, time.UTC), false)
	it.budget.left = maxVTZWork
	if _, ok, err := it.next(); ok || err == nil || it.budget.spent > maxVTZWork+100 {
		t.Errorf("never-matching rule: %v %v after %d units", ok, err, it.budget.spent)
	}
}
