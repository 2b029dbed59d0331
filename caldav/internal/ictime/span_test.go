package ictime

import (
	"errors"
	"fmt"
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
)

// spanZones are the floating zones the span must hold for: the extremes
// of UTC offsets, half-hour and 45-minute zones, both hemispheres.
var spanZones = []string{"", "Europe/Berlin", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu"}

// genTimeObject writes a random calendar object resource: zones, floating
// times and dates, durations, rules with COUNT, UNTIL or none, EXDATEs
// in several forms, overrides moving instances (some THISANDFUTURE) and
// alarms up to a week before.
func genTimeObject(rnd *rand.Rand) string {
	var b strings.Builder
	form := rnd.Intn(6)
	start := time.Date(2020+rnd.Intn(10), time.Month(1+rnd.Intn(12)), 1+rnd.Intn(28), rnd.Intn(24), 15*rnd.Intn(4), 0, 0, time.UTC)
	zones := []string{"Europe/Berlin", "America/New_York", "My Zone", "W. Europe Standard Time"}
	zone := zones[rnd.Intn(len(zones))]
	// dt writes a DATE-TIME (or DATE) property in this object's form, or
	// with other=true in a random other form.
	dt := func(name string, t time.Time, other bool) string {
		f := form
		if other {
			f = rnd.Intn(5)
		}
		switch f {
		case 0:
			return name + ":" + t.Format("20060102T150405") + "Z"
		case 1, 2:
			return name + ";TZID=" + zone + ":" + t.Format("20060102T150405")
		case 3:
			return name + ":" + t.Format("20060102T150405")
		default:
			return name + ";VALUE=DATE:" + t.Format("20060102")
		}
	}
	if form == 5 {
		form = 4 // DATE
	}
	if zone == "My Zone" {
		b.WriteString(myZone + "\n")
	}
	kind := []string{"VEVENT", "VEVENT", "VEVENT", "VTODO", "VJOURNAL"}[rnd.Intn(5)]
	uid := fmt.Sprintf("UID:%d", rnd.Int63())
	b.WriteString("BEGIN:" + kind + "\n" + uid + "\n")
	dur := time.Duration(rnd.Intn(6)) * time.Duration([]int64{0, 900, 3600, 86400, 7 * 86400}[rnd.Intn(5)]) * time.Second
	hasStart := kind != "VTODO" || rnd.Intn(4) > 0
	if hasStart {
		b.WriteString(dt("DTSTART", start, false) + "\n")
	}
	switch rnd.Intn(3) {
	case 0:
		if kind == "VEVENT" {
			b.WriteString(dt("DTEND", start.Add(dur), false) + "\n")
		} else if kind == "VTODO" {
			b.WriteString(dt("DUE", start.Add(dur), false) + "\n")
		}
	case 1:
		if hasStart && kind != "VJOURNAL" {
			b.WriteString(fmt.Sprintf("DURATION:PT%dS\n", int(dur.Seconds())))
		}
	}
	if kind == "VTODO" && rnd.Intn(3) == 0 {
		b.WriteString("COMPLETED:" + start.Add(time.Duration(rnd.Intn(1000))*time.Hour).Format("20060102T150405Z") + "\n")
	}
	if kind == "VTODO" && rnd.Intn(3) == 0 {
		b.WriteString("CREATED:" + start.Add(-time.Duration(rnd.Intn(1000))*time.Hour).Format("20060102T150405Z") + "\n")
	}
	step := 24 * time.Hour
	recurring := hasStart && rnd.Intn(3) > 0
	if recurring {
		rules := []string{
			fmt.Sprintf("FREQ=DAILY;COUNT=%d", 1+rnd.Intn(20)),
			fmt.Sprintf("FREQ=DAILY;INTERVAL=%d;UNTIL=%s", 1+rnd.Intn(3), start.AddDate(0, 0, rnd.Intn(60)).Format("20060102T150405Z")),
			"FREQ=WEEKLY;BYDAY=MO,WE,FR",
			"FREQ=MONTHLY;BYMONTHDAY=-1",
			fmt.Sprintf("FREQ=YEARLY;COUNT=%d", 1+rnd.Intn(5)),
			"FREQ=WEEKLY;INTERVAL=2",
			fmt.Sprintf("FREQ=HOURLY;INTERVAL=5;COUNT=%d", 1+rnd.Intn(50)),
		}
		r := rnd.Intn(len(rules))
		if r == 2 || r == 5 {
			step = 7 * 24 * time.Hour
		}
		b.WriteString("RRULE:" + rules[r] + "\n")
		for range rnd.Intn(3) {
			b.WriteString(dt("EXDATE", start.Add(time.Duration(rnd.Intn(5))*step), rnd.Intn(2) == 0) + "\n")
		}
		if rnd.Intn(4) == 0 {
			b.WriteString(dt("RDATE", start.Add(-time.Duration(rnd.Intn(500))*time.Hour), rnd.Intn(2) == 0) + "\n")
		}
	}
	for range rnd.Intn(3) {
		b.WriteString("BEGIN:VALARM\nACTION:DISPLAY\n")
		switch rnd.Intn(5) {
		case 0:
			b.WriteString("TRIGGER:-P1W\n")
		case 1:
			b.WriteString("TRIGGER;RELATED=END:PT5M\n")
		case 2:
			b.WriteString("TRIGGER;VALUE=DATE-TIME:" + start.Add(-time.Duration(rnd.Intn(400))*time.Hour).Format("20060102T150405Z") + "\n")
		case 3:
			b.WriteString("TRIGGER:-PT15M\nREPEAT:3\nDURATION:PT1H\n")
		default:
			b.WriteString("TRIGGER:P2D\n")
		}
		b.WriteString("END:VALARM\n")
	}
	b.WriteString("END:" + kind + "\n")
	if recurring {
		for range rnd.Intn(3) {
			rid := start.Add(time.Duration(rnd.Intn(6)) * step)
			b.WriteString("BEGIN:" + kind + "\n" + uid + "\n")
			p := dt("RECURRENCE-ID", rid, rnd.Intn(4) == 0)
			if rnd.Intn(3) == 0 {
				p = strings.Replace(p, "RECURRENCE-ID", "RECURRENCE-ID;RANGE=THISANDFUTURE", 1)
			}
			b.WriteString(p + "\n")
			b.WriteString(dt("DTSTART", rid.Add(time.Duration(rnd.Intn(200)-100)*time.Hour), false) + "\n")
			if rnd.Intn(2) == 0 && kind == "VEVENT" {
				b.WriteString("DURATION:PT2H\n")
			}
			if rnd.Intn(2) == 0 {
				b.WriteString("BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-P6D\nEND:VALARM\n")
			}
			b.WriteString("END:" + kind + "\n")
		}
	}
	return b.String()
}

// inSpan reports whether the range tr, closed at both ends, meets the
// inclusive span [s, e] (zero ends unbounded): the SQL pre-filter's test,
// span && tstzrange(S, E, '[]').
func inSpan(tr Range, s, e time.Time) bool {
	return (s.IsZero() || tr.End.IsZero() || !tr.End.Before(s)) && (e.IsZero() || tr.Start.IsZero() || !tr.Start.After(e))
}

// randomRange returns a range around t: seconds to months long, now and
// then open at one end.
func randomRange(rnd *rand.Rand, t time.Time) Range {
	a := t.Add(time.Duration(rnd.Int63n(int64(800*24*time.Hour))) - 400*24*time.Hour).Truncate(time.Minute)
	if rnd.Intn(3) == 0 {
		a = t.Add(time.Duration(rnd.Intn(200)-100) * time.Hour)
	}
	l := []time.Duration{time.Second, time.Minute, time.Hour, 24 * time.Hour, 31 * 24 * time.Hour}[rnd.Intn(5)]
	tr := Range{a, a.Add(time.Duration(1+rnd.Intn(3)) * l)}
	switch rnd.Intn(12) {
	case 0:
		tr.Start = time.Time{}
	case 1:
		tr.End = time.Time{}
	}
	return tr
}

// checkSpanHolds fails if some component or alarm of cal matches a range
// that misses ObjectSpan(cal), for any of the floating zones.
func checkSpanHolds(t *testing.T, cal *ical.Calendar, body string, ranges []Range) (matches int) {
	t.Helper()
	s, e, err := ObjectSpan(cal)
	if err != nil {
		return 0 // malformed: the caller stores an unbounded span
	}
	for _, zn := range spanZones {
		var loc *time.Location
		if zn != "" {
			loc, _ = time.LoadLocation(zn)
		}
		tc := NewContext(cal, loc)
		for _, tr := range ranges {
			for _, c := range cal.Children {
				ok, err := tc.ComponentOverlaps(c, tr)
				if err != nil && !errors.Is(err, ErrTooComplex) {
					t.Fatalf("ComponentOverlaps: %v", err)
				}
				if ok {
					matches++
				}
				if ok && !inSpan(tr, s, e) {
					t.Fatalf("%s matches %v in %q but the span is [%v, %v]\n%s", c.Name, tr, zn, s, e, body)
				}
				for _, a := range c.Children {
					if a.Name != "VALARM" {
						continue
					}
					ok, err := tc.AlarmOverlaps(c, a, tr)
					if err != nil && !errors.Is(err, ErrTooComplex) {
						t.Fatalf("AlarmOverlaps: %v", err)
					}
					if ok {
						matches++
					}
					if ok && !inSpan(tr, s, e) {
						t.Fatalf("alarm of %s matches %v in %q but the span is [%v, %v]\n%s", c.Name, tr, zn, s, e, body)
					}
				}
			}
		}
	}
	return matches
}

// TestObjectSpanProperty: whenever the exact evaluator matches a range,
// the range meets the stored span, in every floating zone.
func TestObjectSpanProperty(t *testing.T) {
	rnd := rand.New(rand.NewSource(7))
	matches, n := 0, 600
	if testing.Short() {
		n = 100
	}
	for range n {
		body := genTimeObject(rnd)
		cal := tcal(t, body)
		s, e, err := ObjectSpan(cal)
		if err != nil {
			t.Fatalf("ObjectSpan: %v\n%s", err, body)
		}
		var ranges []Range
		for i := range 40 {
			center := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
			switch {
			case i%2 == 0 && !s.IsZero():
				center = s
			case i%2 == 1 && !e.IsZero():
				center = e
			}
			ranges = append(ranges, randomRange(rnd, center))
		}
		matches += checkSpanHolds(t, cal, body, ranges)
	}
	if matches < n*10 {
		t.Errorf("only %d matches: the ranges miss the objects", matches)
	}
	t.Logf("%d matching (range, zone, component) triples checked", matches)
}

// TestObjectSpan checks spans of simple objects exactly.
func TestObjectSpan(t *testing.T) {
	for _, tt := range []struct {
		name, body string
		start, end string
	}{
		{"event", "BEGIN:VEVENT\nUID:a\nDTSTART:20260110T100000Z\nDURATION:PT1H\nEND:VEVENT", "20260110T100000Z", "20260110T110000Z"},
		{"alarm a week before", "BEGIN:VEVENT\nUID:a\nDTSTART:20260110T100000Z\nDURATION:PT1H\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-P1W\nEND:VALARM\nEND:VEVENT", "20260103T100000Z", "20260110T110000Z"},
		{"finite rule", "BEGIN:VEVENT\nUID:a\nDTSTART:20260110T100000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT", "20260110T100000Z", "20260112T110000Z"},
		{"last instance moved", "BEGIN:VEVENT\nUID:a\nDTSTART:20260110T100000Z\nDURATION:PT1H\nRRULE:FREQ=DAILY;COUNT=3\nEND:VEVENT\nBEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20260112T100000Z\nDTSTART:20260101T100000Z\nEND:VEVENT", "20260101T100000Z", "20260111T110000Z"},
		{"infinite rule", "BEGIN:VEVENT\nUID:a\nDTSTART:20260110T100000Z\nRRULE:FREQ=WEEKLY\nEND:VEVENT", "20260110T100000Z", ""},
		{"floating", "BEGIN:VEVENT\nUID:a\nDTSTART:20260110T100000\nEND:VEVENT", "20260109T100000Z", "20260111T100000Z"},
		{"todo without dates", "BEGIN:VTODO\nUID:a\nEND:VTODO", "", ""},
		{"todo due", "BEGIN:VTODO\nUID:a\nDUE:20260110T100000Z\nEND:VTODO", "20260110T100000Z", "20260110T100000Z"},
		{"todo created", "BEGIN:VTODO\nUID:a\nCREATED:20260110T100000Z\nEND:VTODO", "20260110T100000Z", ""},
		{"freebusy periods", "BEGIN:VFREEBUSY\nUID:a\nFREEBUSY:20260110T100000Z/PT1H,20260101T100000Z/PT1H\nEND:VFREEBUSY", "20260101T100000Z", "20260110T110000Z"},
		{"journal without date", "BEGIN:VJOURNAL\nUID:a\nEND:VJOURNAL", "", ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, e, err := ObjectSpan(tcal(t, tt.body))
			if err != nil || !s.Equal(ut(t, tt.start)) || !e.Equal(ut(t, tt.end)) {
				t.Errorf("got [%v, %v] %v, want [%s, %s]", s, e, err, tt.start, tt.end)
			}
		})
	}
	if _, _, err := ObjectSpan(tcal(t, "BEGIN:VEVENT\nUID:a\nDTSTART:2026-01-10\nEND:VEVENT")); err == nil {
		t.Error("malformed DTSTART: no error")
	}
}
