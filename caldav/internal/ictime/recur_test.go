package ictime

import (
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/teambition/rrule-go"

	"github.com/pgdav/pgdav/caldav/internal/ictime/ictimetest"
)

// instStarts lists the instances of the set of the first component named
// name in cal over tr as "start/end" in UTC, an override marked "*".
func instStarts(t *testing.T, cal *ical.Calendar, name string, floating *time.Location, tr Range) []string {
	t.Helper()
	tc := NewContext(cal, floating)
	var out []string
	err := tc.Instances(firstComp(cal, name), tr, func(in Instance) bool {
		s := in.Start.Format("20060102T150405Z") + "/" + in.End.Format("20060102T150405Z")
		if in.Overridden {
			s += "*"
		}
		out = append(out, s)
		return true
	})
	if err != nil {
		t.Fatalf("instances: %v", err)
	}
	return out
}

// TestRecurrenceSets checks whole recurrence sets (RFC 5545 3.8.5):
// RRULE forms, EXDATE in several forms, RDATE, overrides, zones.
func TestRecurrenceSets(t *testing.T) {
	all := Range{}
	for _, tt := range []struct {
		name  string
		body  string
		float string
		tr    Range
		want  string // space-separated start/end pairs
	}{
		{"daily COUNT", "DTSTART:20260101T100000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3", "", all,
			"20260101T100000Z/20260101T110000Z 20260102T100000Z/20260102T110000Z 20260103T100000Z/20260103T110000Z"},
		{"weekly BYDAY UNTIL", "DTSTART:20260105T100000Z\nRRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20260119T100000Z", "", all,
			"20260105T100000Z/20260105T100000Z 20260107T100000Z/20260107T100000Z 20260112T100000Z/20260112T100000Z 20260114T100000Z/20260114T100000Z 20260119T100000Z/20260119T100000Z"},
		{"monthly last day", "DTSTART:20260131T100000Z\nRRULE:FREQ=MONTHLY;BYMONTHDAY=-1;COUNT=4", "", all,
			"20260131T100000Z/20260131T100000Z 20260228T100000Z/20260228T100000Z 20260331T100000Z/20260331T100000Z 20260430T100000Z/20260430T100000Z"},
		{"monthly on the 31st skips short months", "DTSTART:20260131T100000Z\nRRULE:FREQ=MONTHLY;COUNT=3", "", all,
			"20260131T100000Z/20260131T100000Z 20260331T100000Z/20260331T100000Z 20260531T100000Z/20260531T100000Z"},
		{"yearly leap day, all-day", "DTSTART;VALUE=DATE:20240229\nRRULE:FREQ=YEARLY;COUNT=3", "", all,
			"20240229T000000Z/20240301T000000Z 20280229T000000Z/20280301T000000Z 20320229T000000Z/20320301T000000Z"},
		{"EXDATE same zone and UTC", "DTSTART;TZID=Europe/Berlin:20260105T100000\nRRULE:FREQ=DAILY;COUNT=5\nEXDATE;TZID=Europe/Berlin:20260107T100000\nEXDATE:20260108T090000Z", "", all,
			"20260105T090000Z/20260105T090000Z 20260106T090000Z/20260106T090000Z 20260109T090000Z/20260109T090000Z"},
		{"EXDATE in another zone", "DTSTART;TZID=Europe/Berlin:20260105T100000\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;TZID=America/New_York:20260106T040000", "", all,
			"20260105T090000Z/20260105T090000Z 20260107T090000Z/20260107T090000Z"},
		{"EXDATE DATE on all-day", "DTSTART;VALUE=DATE:20260105\nRRULE:FREQ=DAILY;COUNT=4\nEXDATE;VALUE=DATE:20260106", "", all,
			"20260105T000000Z/20260106T000000Z 20260107T000000Z/20260108T000000Z 20260108T000000Z/20260109T000000Z"},
		{"EXDATE DATE on timed event drops that day", "DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;COUNT=3\nEXDATE;VALUE=DATE:20260106", "", all,
			"20260105T100000Z/20260105T100000Z 20260107T100000Z/20260107T100000Z"},
		{"RDATE DATE-TIME and PERIOD", "DTSTART:20260105T100000Z\nDURATION:PT1H\nRDATE:20260110T100000Z,20260105T100000Z\nRDATE;VALUE=PERIOD:20260112T080000Z/PT3H,20260113T080000Z/20260113T083000Z", "", all,
			"20260105T100000Z/20260105T110000Z 20260110T100000Z/20260110T110000Z 20260112T080000Z/20260112T110000Z 20260113T080000Z/20260113T083000Z"},
		{"RDATE only, before DTSTART", "DTSTART:20260105T100000Z\nRDATE:20260101T100000Z", "", all,
			"20260101T100000Z/20260101T100000Z 20260105T100000Z/20260105T100000Z"},
		{"EXRULE", "DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;COUNT=5\nEXRULE:FREQ=DAILY;INTERVAL=2", "", all,
			"20260106T100000Z/20260106T100000Z 20260108T100000Z/20260108T100000Z"},
		{"range picks", "DTSTART:20260101T100000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY", "", Range{ut(t, "20360101T103000Z"), ut(t, "20360102T100000Z")},
			"20360101T100000Z/20360101T110000Z"},
		{"floating recurring", "DTSTART:20260105T100000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=2", "America/New_York", all,
			"20260105T150000Z/20260105T160000Z 20260112T150000Z/20260112T160000Z"},
		{"DST Berlin, IANA", "DTSTART;TZID=Europe/Berlin:20260323T100000\nDTEND;TZID=Europe/Berlin:20260323T110000\nRRULE:FREQ=WEEKLY;COUNT=2", "", all,
			"20260323T090000Z/20260323T100000Z 20260330T080000Z/20260330T090000Z"},
		{"DST New York, IANA", "DTSTART;TZID=America/New_York:20260302T100000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=2", "", all,
			"20260302T150000Z/20260302T160000Z 20260309T140000Z/20260309T150000Z"},
		{"DST New York, back", "DTSTART;TZID=America/New_York:20261026T100000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;COUNT=2", "", all,
			"20261026T140000Z/20261026T150000Z 20261102T150000Z/20261102T160000Z"},
		{"Windows TZID", "DTSTART;TZID=W. Europe Standard Time:20260323T100000\nRRULE:FREQ=WEEKLY;COUNT=2", "", all,
			"20260323T090000Z/20260323T090000Z 20260330T080000Z/20260330T080000Z"},
		{"Mozilla prefix", "DTSTART;TZID=/mozilla.org/20070129_1/Europe/Berlin:20260323T100000\nRRULE:FREQ=WEEKLY;COUNT=2", "", all,
			"20260323T090000Z/20260323T090000Z 20260330T080000Z/20260330T080000Z"},
		{"nominal DURATION across DST", "DTSTART;TZID=Europe/Berlin:20260328T120000\nDURATION:P1D\nRRULE:FREQ=DAILY;COUNT=1", "", all,
			"20260328T110000Z/20260329T100000Z"},
		{"exact DTEND across DST", "DTSTART;TZID=Europe/Berlin:20260327T120000\nDTEND;TZID=Europe/Berlin:20260328T120000\nRRULE:FREQ=DAILY;COUNT=2", "", all,
			"20260327T110000Z/20260328T110000Z 20260328T110000Z/20260329T110000Z"},
		{"UNTIL in UTC with zoned start", "DTSTART;TZID=America/New_York:20260105T100000\nRRULE:FREQ=DAILY;UNTIL=20260107T150000Z", "", all,
			"20260105T150000Z/20260105T150000Z 20260106T150000Z/20260106T150000Z 20260107T150000Z/20260107T150000Z"},
		{"all-day UNTIL as DATE", "DTSTART;VALUE=DATE:20260105\nRRULE:FREQ=DAILY;UNTIL=20260106", "", all,
			"20260105T000000Z/20260106T000000Z 20260106T000000Z/20260107T000000Z"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var floating *time.Location
			if tt.float != "" {
				floating, _ = time.LoadLocation(tt.float)
			}
			cal := tcal(t, "BEGIN:VEVENT\nUID:x\n"+tt.body+"\nEND:VEVENT")
			got := strings.Join(instStarts(t, cal, "VEVENT", floating, tt.tr), " ")
			if got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// myZone is Europe/Berlin's current rules under a TZID no database
// knows: only the VTIMEZONE can resolve it.
const myZone = ictimetest.MyZone

// TestVTimezone evaluates a VTIMEZONE-only zone, its gap and overlap,
// and checks that the resource's VTIMEZONE wins over the IANA name.
func TestVTimezone(t *testing.T) {
	cal := tcal(t, myZone+"\nBEGIN:VEVENT\nUID:x\nDTSTART;TZID=My Zone:20260323T100000\nRRULE:FREQ=WEEKLY;COUNT=2\nEND:VEVENT")
	got := strings.Join(instStarts(t, cal, "VEVENT", nil, Range{}), " ")
	if want := "20260323T090000Z/20260323T090000Z 20260330T080000Z/20260330T080000Z"; got != want {
		t.Errorf("My Zone: got %s, want %s", got, want)
	}
	ny := tcal(t, `BEGIN:VTIMEZONE
TZID:Eastern Custom
BEGIN:DAYLIGHT
DTSTART:20070311T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU
TZOFFSETFROM:-0500
TZOFFSETTO:-0400
END:DAYLIGHT
BEGIN:STANDARD
DTSTART:20071104T020000
RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU
TZOFFSETFROM:-0400
TZOFFSETTO:-0500
END:STANDARD
END:VTIMEZONE
BEGIN:VEVENT
UID:n
DTSTART;TZID=Eastern Custom:20260302T100000
DURATION:PT1H
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT`)
	got = strings.Join(instStarts(t, ny, "VEVENT", nil, Range{}), " ")
	if want := "20260302T150000Z/20260302T160000Z 20260309T140000Z/20260309T150000Z"; got != want {
		t.Errorf("Eastern Custom: got %s, want %s", got, want)
	}
	tc := NewContext(cal, nil)
	z := tc.zoneFor("My Zone")
	berlin, _ := time.LoadLocation("Europe/Berlin")
	iana := tzLocation{berlin}
	// Wall → UTC agrees with the IANA zone every 7 hours over 40 years,
	// gaps and overlaps included (RFC 5545 3.3.5).
	for w := time.Date(1997, 1, 1, 0, 30, 0, 0, time.UTC); w.Year() < 2037; w = w.Add(7 * time.Hour) {
		if a, b := z.utc(w), iana.utc(w); !a.Equal(b) {
			t.Fatalf("%s: VTIMEZONE %s, IANA %s", w, a, b)
		}
		if a, b := z.wall(w), iana.wall(w); !a.Equal(b) {
			t.Fatalf("wall %s: VTIMEZONE %s, IANA %s", w, a, b)
		}
	}
	for _, zz := range []tzZone{z, iana} {
		// 02:30 on 2026-03-29 does not exist: the offset before the gap.
		if got := zz.utc(time.Date(2026, 3, 29, 2, 30, 0, 0, time.UTC)); !got.Equal(ut(t, "20260329T013000Z")) {
			t.Errorf("gap: %s", got)
		}
		// 02:30 on 2026-10-25 happens twice: the first.
		if got := zz.utc(time.Date(2026, 10, 25, 2, 30, 0, 0, time.UTC)); !got.Equal(ut(t, "20261025T003000Z")) {
			t.Errorf("overlap: %s", got)
		}
	}
	nyLoc, _ := time.LoadLocation("America/New_York")
	// The RFC 5545 3.3.5 examples.
	if got := (tzLocation{nyLoc}).utc(time.Date(2007, 3, 11, 2, 30, 0, 0, time.UTC)); !got.Equal(ut(t, "20070311T073000Z")) {
		t.Errorf("New York gap: %s", got)
	}
	if got := (tzLocation{nyLoc}).utc(time.Date(2007, 11, 4, 1, 30, 0, 0, time.UTC)); !got.Equal(ut(t, "20071104T053000Z")) {
		t.Errorf("New York overlap: %s", got)
	}
	// A VTIMEZONE named like an IANA zone but saying otherwise wins.
	odd := tcal(t, "BEGIN:VTIMEZONE\nTZID:Europe/Berlin\nBEGIN:STANDARD\nDTSTART:19700101T000000\nTZOFFSETFROM:+0500\nTZOFFSETTO:+0500\nEND:STANDARD\nEND:VTIMEZONE\nBEGIN:VEVENT\nUID:y\nDTSTART;TZID=Europe/Berlin:20260701T100000\nEND:VEVENT")
	if got := instStarts(t, odd, "VEVENT", nil, Range{}); len(got) != 1 || !strings.HasPrefix(got[0], "20260701T050000Z") {
		t.Errorf("own VTIMEZONE: %v", got)
	}
}

// TestVTimezoneOutlook reads an Outlook-style VTIMEZONE (observances
// from 1601, Windows TZID) and the RFC 4791 US/Eastern one across the
// 2007 rule change it does not know: the resource's definition is what
// the client meant.
func TestVTimezoneOutlook(t *testing.T) {
	cal := tcal(t, `BEGIN:VTIMEZONE
TZID:Pacific Standard Time
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:-0700
TZOFFSETTO:-0800
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=1SU;BYMONTH=11
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=2SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
BEGIN:VEVENT
UID:o
DTSTART;TZID=Pacific Standard Time:20260305T090000
RRULE:FREQ=WEEKLY;COUNT=2
END:VEVENT`)
	got := strings.Join(instStarts(t, cal, "VEVENT", nil, Range{}), " ")
	if want := "20260305T170000Z/20260305T170000Z 20260312T160000Z/20260312T160000Z"; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}

// TestOverrides follows RECURRENCE-ID (RFC 5545 3.8.4.4): an instance
// moved into or out of the range, an override without master, and
// RANGE=THISANDFUTURE.
func TestOverrides(t *testing.T) {
	const master = "BEGIN:VEVENT\nUID:o\nDTSTART;TZID=Europe/Berlin:20260105T100000\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=5\nEND:VEVENT\n"
	// The 7th moved to the 20th, given in UTC.
	moved := master + "BEGIN:VEVENT\nUID:o\nRECURRENCE-ID:20260107T090000Z\nDTSTART;TZID=Europe/Berlin:20260120T100000\nDURATION:PT2H\nEND:VEVENT"
	cal := tcal(t, moved)
	tc := NewContext(cal, nil)
	m, ov := cal.Children[0], cal.Children[1]
	for _, c := range []struct {
		comp *ical.Component
		a, b string
		want bool
	}{
		{m, "20260107T000000Z", "20260108T000000Z", false}, // moved out of the range
		{ov, "20260107T000000Z", "20260108T000000Z", false},
		{m, "20260120T000000Z", "20260121T000000Z", false}, // moved into the range
		{ov, "20260120T000000Z", "20260121T000000Z", true},
		{ov, "20260120T105959Z", "20260121T000000Z", true}, // its own length, 2 h
		{m, "20260106T000000Z", "20260107T000000Z", true},
	} {
		got, err := tc.ComponentOverlaps(c.comp, rng(t, c.a, c.b))
		if err != nil || got != c.want {
			t.Errorf("%s [%s, %s): got %v %v, want %v", c.comp.Props.Get("DTSTART").Value, c.a, c.b, got, err, c.want)
		}
	}
	got := strings.Join(instStarts(t, cal, "VEVENT", nil, Range{}), " ")
	want := "20260105T090000Z/20260105T100000Z 20260106T090000Z/20260106T100000Z 20260108T090000Z/20260108T100000Z 20260109T090000Z/20260109T100000Z 20260120T090000Z/20260120T110000Z*"
	if got != want {
		t.Errorf("instances:\ngot  %s\nwant %s", got, want)
	}
	// The same set, asked through the override.
	tc = NewContext(cal, nil)
	var rids []string
	_ = tc.Instances(ov, Range{}, func(in Instance) bool {
		rids = append(rids, in.RecurrenceID.Format("02T15"))
		return true
	})
	if strings.Join(rids, " ") != "05T09 06T09 08T09 09T09 07T09" {
		t.Errorf("recurrence ids %v", rids)
	}

	// Overrides without their master.
	orphan := tcal(t, "BEGIN:VEVENT\nUID:o\nRECURRENCE-ID:20260107T090000Z\nDTSTART:20260107T120000Z\nEND:VEVENT\nBEGIN:VEVENT\nUID:o\nRECURRENCE-ID:20260106T090000Z\nDTSTART:20260106T120000Z\nEND:VEVENT")
	if got := strings.Join(instStarts(t, orphan, "VEVENT", nil, Range{}), " "); got != "20260106T120000Z/20260106T120000Z* 20260107T120000Z/20260107T120000Z*" {
		t.Errorf("orphans: %s", got)
	}

	// THISANDFUTURE from the 7th: two hours later and 30 minutes long.
	future := master + "BEGIN:VEVENT\nUID:o\nRECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20260107T100000\nDTSTART;TZID=Europe/Berlin:20260107T120000\nDURATION:PT30M\nEND:VEVENT"
	cal = tcal(t, future)
	got = strings.Join(instStarts(t, cal, "VEVENT", nil, Range{}), " ")
	want = "20260105T090000Z/20260105T100000Z 20260106T090000Z/20260106T100000Z 20260107T110000Z/20260107T113000Z* 20260108T110000Z/20260108T113000Z 20260109T110000Z/20260109T113000Z"
	if got != want {
		t.Errorf("THISANDFUTURE:\ngot  %s\nwant %s", got, want)
	}
	tc = NewContext(cal, nil)
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"20260108T090000Z", "20260108T100000Z", false},
		{"20260108T112900Z", "20260108T120000Z", true},
		{"20260106T090000Z", "20260106T090001Z", true},
	} {
		if got, err := tc.ComponentOverlaps(cal.Children[0], rng(t, c.a, c.b)); err != nil || got != c.want {
			t.Errorf("THISANDFUTURE [%s, %s): got %v %v", c.a, c.b, got, err)
		}
	}
}

// TestInfiniteRules queries rules without end decades after their start,
// and bounds what an unbounded query may do.
func TestInfiniteRules(t *testing.T) {
	cal := tcal(t, "BEGIN:VEVENT\nUID:i\nDTSTART;TZID=America/New_York:20260106T100000\nDURATION:PT1H\nRRULE:FREQ=WEEKLY;BYDAY=TU\nEND:VEVENT")
	tc := NewContext(cal, nil)
	comp := cal.Children[0]
	// 2056-01-04 is a Tuesday: 10:00 EST = 15:00Z.
	for _, c := range []struct {
		a, b string
		want bool
	}{
		{"20560104T150000Z", "20560104T150001Z", true},
		{"20560105T000000Z", "20560111T000000Z", false},
		{"20560104T160000Z", "20560111T150000Z", false},
		{"20560104T160000Z", "", true},
		{"", "20260106T150000Z", false},
		{"", "20260106T150001Z", true},
	} {
		if got, err := tc.ComponentOverlaps(comp, rng(t, c.a, c.b)); err != nil || got != c.want {
			t.Errorf("[%s, %s): got %v %v, want %v", c.a, c.b, got, err, c.want)
		}
	}
	if got := instStarts(t, cal, "VEVENT", nil, rng(t, "20560101T000000Z", "20560201T000000Z")); len(got) != 4 {
		t.Errorf("January 2056: %v", got)
	}
	err := tc.Instances(comp, rng(t, "20560101T000000Z", ""), func(Instance) bool { return true })
	if err == nil {
		t.Error("instances of an infinite set over an unbounded range: no error")
	}
}

// TestTooComplex refuses rules that would iterate without end before
// reaching the range, instead of hanging: the work they cost is the
// budget (recurBudget), counted, not timed.
func TestTooComplex(t *testing.T) {
	for _, rule := range []string{
		"FREQ=MINUTELY;INTERVAL=120;BYHOUR=1", // every other hour from 00:00, kept only at 01:00: never
		"FREQ=SECONDLY;INTERVAL=7200;BYHOUR=1;BYMONTHDAY=31",
		"FREQ=DAILY;COUNT=10000000",
	} {
		cal := tcal(t, "BEGIN:VEVENT\nUID:c\nDTSTART:20260101T000000Z\nRRULE:"+rule+"\nEND:VEVENT")
		tc := NewContext(cal, nil)
		before := recurWorkDone.Load()
		tr := rng(t, "40000101T000000Z", "40000102T000000Z")
		err := tc.Instances(cal.Children[0], tr, func(Instance) bool { return true })
		if err == nil || !strings.Contains(err.Error(), "too complex") {
			t.Errorf("%s: err %v", rule, err)
		}
		if spent := recurWorkDone.Load() - before; spent > maxRecurWork+1000 {
			t.Errorf("%s: %d units of work, budget %d", rule, spent, maxRecurWork)
		}
		// A filter cannot rule the object out: it matches.
		if ok, err := tc.ComponentOverlaps(cal.Children[0], tr); !ok || err != nil {
			t.Errorf("%s: overlaps %v %v", rule, ok, err)
		}
		if s, e, err := ObjectSpan(cal); err != nil || !e.IsZero() || s.IsZero() {
			t.Errorf("%s: span %v %v %v", rule, s, e, err)
		}
	}
	// Rules that never match end at year 9999 without error when whole
	// months or years can be skipped.
	for _, rule := range []string{"FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=SECONDLY;BYMONTH=2;BYMONTHDAY=30", "FREQ=DAILY;BYMONTH=2;BYMONTHDAY=30"} {
		cal := tcal(t, "BEGIN:VEVENT\nUID:c\nDTSTART:20260101T000000Z\nRRULE:"+rule+"\nEND:VEVENT")
		if got, err := NewContext(cal, nil).ComponentOverlaps(cal.Children[0], rng(t, "20270101T000000Z", "")); err != nil || got {
			t.Errorf("never-matching %s: %v %v", rule, got, err)
		}
	}
}

// TestRecurAgainstRRuleGo compares the rule engine with
// teambition/rrule-go (a port of python-dateutil) on random rules,
// expanded on naive times where the two must agree.
func TestRecurAgainstRRuleGo(t *testing.T) {
	rnd := rand.New(rand.NewSource(1))
	freqs := []string{"YEARLY", "MONTHLY", "WEEKLY", "DAILY", "HOURLY", "MINUTELY"}
	days := []string{"MO", "TU", "WE", "TH", "FR", "SA", "SU"}
	pickInts := func(lo, hi int, signed bool) string {
		n := 1 + rnd.Intn(3)
		var s []string
		for range n {
			v := lo + rnd.Intn(hi-lo+1)
			if signed && rnd.Intn(3) == 0 {
				v = -v
			}
			if !slices.Contains(s, fmt.Sprint(v)) {
				s = append(s, fmt.Sprint(v))
			}
		}
		return strings.Join(s, ",")
	}
	n := 1000
	if testing.Short() {
		n = 150
	}
	for i := range n {
		freq := freqs[rnd.Intn(len(freqs))]
		parts := []string{"FREQ=" + freq, fmt.Sprintf("COUNT=%d", 1+rnd.Intn(40))}
		subDaily := freq == "HOURLY" || freq == "MINUTELY"
		if rnd.Intn(3) == 0 && !subDaily { // rrule-go loops on unreachable sub-daily BYxxx
			parts = append(parts, fmt.Sprintf("INTERVAL=%d", 1+rnd.Intn(4)))
		}
		hasWeekNo := false
		if rnd.Intn(4) == 0 {
			parts = append(parts, "BYMONTH="+pickInts(1, 12, false))
		}
		if freq == "YEARLY" && rnd.Intn(5) == 0 {
			// Not 52 or 53: python-dateutil miscounts the weeks of
			// the previous year for the days of its last week.
			parts = append(parts, "BYWEEKNO="+pickInts(1, 51, true))
			hasWeekNo = true
		}
		if (freq == "YEARLY" || freq == "HOURLY") && rnd.Intn(5) == 0 {
			parts = append(parts, "BYYEARDAY="+pickInts(1, 366, true))
		}
		if freq != "WEEKLY" && rnd.Intn(4) == 0 {
			parts = append(parts, "BYMONTHDAY="+pickInts(1, 31, true))
		}
		if rnd.Intn(3) == 0 {
			// All items with an ordinal or none: python-dateutil (and
			// so rrule-go) intersects plain and numbered weekdays where
			// RFC 5545 takes their union.
			nth := (freq == "MONTHLY" || freq == "YEARLY" && !hasWeekNo) && rnd.Intn(2) == 0
			var s []string
			for range 1 + rnd.Intn(3) {
				d := days[rnd.Intn(7)]
				if nth {
					n := 1 + rnd.Intn(5)
					if freq == "YEARLY" && !strings.Contains(strings.Join(parts, ";"), "BYMONTH=") {
						n = 1 + rnd.Intn(53)
					}
					if rnd.Intn(2) == 0 {
						n = -n
					}
					d = fmt.Sprint(n) + d
				}
				s = append(s, d)
			}
			parts = append(parts, "BYDAY="+strings.Join(s, ","))
		}
		if rnd.Intn(4) == 0 {
			parts = append(parts, "BYHOUR="+pickInts(0, 23, false))
		}
		if rnd.Intn(5) == 0 {
			parts = append(parts, "BYMINUTE="+pickInts(0, 59, false))
		}
		// Not WEEKLY: python-dateutil starts the first week at DTSTART,
		// not at WKST, which changes what BYSETPOS counts (RFC 5545
		// 3.3.10: the set starts at the beginning of the interval).
		if rnd.Intn(4) == 0 && len(parts) > 2 && !subDaily && freq != "WEEKLY" {
			parts = append(parts, "BYSETPOS="+pickInts(1, 5, true))
		}
		if rnd.Intn(4) == 0 {
			parts = append(parts, "WKST="+days[rnd.Intn(7)])
		}
		rule := strings.Join(parts, ";")
		start := time.Date(1995+rnd.Intn(40), time.Month(1+rnd.Intn(12)), 1+rnd.Intn(28), rnd.Intn(24), rnd.Intn(60), 0, 0, time.UTC)

		opt, err := rrule.StrToROption(rule)
		if err != nil {
			t.Fatalf("rrule-go: %s: %v", rule, err)
		}
		opt.Dtstart = start
		horizon := time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
		switch freq { // rrule-go walks every period
		case "HOURLY":
			horizon = start.AddDate(3, 0, 0)
		case "MINUTELY":
			horizon = start.AddDate(0, 2, 0)
		}
		opt.Until = horizon
		ref, err := rrule.NewRRule(*opt)
		if err != nil {
			t.Fatalf("rrule-go: %s: %v", rule, err)
		}
		var want []time.Time
		next := ref.Iterator()
		for {
			v, ok := next()
			if !ok || v.After(horizon) {
				break
			}
			want = append(want, v)
		}

		r, err := parseRecur(rule)
		if err != nil {
			t.Fatalf("%s: %v", rule, err)
		}
		it := newRecurIter(r, start, false)
		var got []time.Time
		for {
			v, ok, err := it.next()
			if err != nil {
				if len(want) == 0 {
					break // rrule-go gave up too
				}
				t.Fatalf("%d %s from %s: %v", i, rule, start, err)
			}
			if !ok || v.After(horizon) {
				break
			}
			got = append(got, v)
		}
		if !slices.EqualFunc(got, want, time.Time.Equal) {
			t.Fatalf("%d %s from %s:\ngot  %v\nwant %v", i, rule, start.Format("20060102T150405"), fmtTimes(got), fmtTimes(want))
		}
	}
}

func fmtTimes(ts []time.Time) string {
	var s []string
	for _, t := range ts {
		s = append(s, t.Format("20060102T150405"))
	}
	return strings.Join(s, " ")
}

// TestRFC5545Examples checks rules from RFC 5545 3.8.5.3.
func TestRFC5545Examples(t *testing.T) {
	for _, tt := range []struct {
		rule, start string
		n           int
		want        string
	}{
		{"FREQ=MONTHLY;BYDAY=FR;BYMONTHDAY=13", "19970902T090000", 5, "19980213T090000 19980313T090000 19981113T090000 19990813T090000 20001013T090000"},
		{"FREQ=YEARLY;INTERVAL=4;BYMONTH=11;BYDAY=TU;BYMONTHDAY=2,3,4,5,6,7,8", "19961105T090000", 3, "19961105T090000 20001107T090000 20041102T090000"},
		{"FREQ=MONTHLY;COUNT=3;BYDAY=TU,WE,TH;BYSETPOS=3", "19970904T090000", 3, "19970904T090000 19971007T090000 19971106T090000"},
		{"FREQ=MONTHLY;BYMONTHDAY=-3", "19970928T090000", 3, "19970928T090000 19971029T090000 19971128T090000"},
		{"FREQ=YEARLY;BYDAY=20MO", "19970519T090000", 3, "19970519T090000 19980518T090000 19990517T090000"},
		{"FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO", "19970512T090000", 3, "19970512T090000 19980511T090000 19990517T090000"},
		{"FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=SU", "19970805T090000", 4, "19970805T090000 19970817T090000 19970819T090000 19970831T090000"},
		{"FREQ=WEEKLY;INTERVAL=2;COUNT=4;BYDAY=TU,SU;WKST=MO", "19970805T090000", 4, "19970805T090000 19970810T090000 19970819T090000 19970824T090000"},
		{"FREQ=MONTHLY;BYMONTHDAY=15,30;COUNT=5", "20070115T090000", 5, "20070115T090000 20070130T090000 20070215T090000 20070315T090000 20070330T090000"},
		{"FREQ=MINUTELY;INTERVAL=20;BYHOUR=9,10,11,12,13,14,15,16", "19970902T090000", 4, "19970902T090000 19970902T092000 19970902T094000 19970902T100000"},
		{"FREQ=YEARLY;BYDAY=TH;BYMONTH=6,7,8", "19970605T090000", 3, "19970605T090000 19970612T090000 19970619T090000"},
	} {
		r, err := parseRecur(tt.rule)
		if err != nil {
			t.Fatal(err)
		}
		start, _, _, _ := parseICalTime(tt.start)
		it := newRecurIter(r, start, false)
		var got []time.Time
		for len(got) < tt.n {
			v, ok, err := it.next()
			if err != nil || !ok {
				break
			}
			got = append(got, v)
		}
		if s := fmtTimes(got); s != tt.want {
			t.Errorf("%s:\ngot  %s\nwant %s", tt.rule, s, tt.want)
		}
	}
}

// TestTZIDLookup covers the TZID fallbacks.
func TestTZIDLookup(t *testing.T) {
	for tzid, want := range map[string]string{
		"Europe/Berlin":                                          "Europe/Berlin",
		"W. Europe Standard Time":                                "Europe/Berlin",
		"Eastern Standard Time":                                  "America/New_York",
		"pacific standard time":                                  "America/Los_Angeles",
		"GMT Standard Time":                                      "Europe/London",
		"Romance Standard Time":                                  "Europe/Paris",
		"Tokyo Standard Time":                                    "Asia/Tokyo",
		"India Standard Time":                                    "Asia/Calcutta",
		"AUS Eastern Standard Time":                              "Australia/Sydney",
		"/mozilla.org/20070129_1/Europe/Berlin":                  "Europe/Berlin",
		"/softwarestudio.org/Olson_20011030_5/America/New_York":  "America/New_York",
		"/citadel.org/20190914_1/America/Argentina/Buenos_Aires": "America/Argentina/Buenos_Aires",
		`"America/Chicago"`:                                      "America/Chicago",
		"Local":                                                  "",
		"../../etc/passwd":                                       "",
		"Nowhere":                                                "",
	} {
		loc := LookupTZID(tzid)
		got := ""
		if loc != nil {
			got = loc.String()
		}
		if got != want {
			t.Errorf("%q: got %q, want %q", tzid, got, want)
		}
	}
	for name, iana := range windowsZones {
		if loadIANA(iana) == nil {
			t.Errorf("windowsZones[%q] = %q does not load", name, iana)
		}
	}
	if len(windowsZones) < 60 {
		t.Errorf("only %d Windows zones", len(windowsZones))
	}
}
