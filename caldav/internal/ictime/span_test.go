package ictime

import (
	"errors"
	"math/rand"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime/ictimetest"
)

// spanZones are the floating zones the span must hold for: the extremes
// of UTC offsets, half-hour and 45-minute zones, both hemispheres.
var spanZones = []string{"", "Europe/Berlin", "America/New_York", "Pacific/Kiritimati", "Etc/GMT+12", "Asia/Kolkata", "Australia/Lord_Howe", "Asia/Kathmandu"}

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
		body := ictimetest.Object(rnd)
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
