package ictime

import "testing"

// benchRange is one month, now-ish.
func benchRange(b *testing.B) Range {
	return Range{ut(b, "20260301T000000Z"), ut(b, "20260401T000000Z")}
}

// BenchmarkOverlapsWeeklyInfinite: a weekly rule without end that
// started ten years ago, in a zone with daylight saving, queried for one
// month now: the rule jumps to the range instead of walking 520 weeks.
func BenchmarkOverlapsWeeklyInfinite(b *testing.B) {
	cal := tcal(b, "BEGIN:VEVENT\nUID:w\nDTSTART;TZID=Europe/Berlin:20160307T100000\nDTEND;TZID=Europe/Berlin:20160307T110000\nRRULE:FREQ=WEEKLY;BYDAY=TH\nEND:VEVENT")
	comp := cal.Children[0]
	tr := benchRange(b)
	for b.Loop() {
		tc := NewContext(cal, nil)
		if ok, err := tc.ComponentOverlaps(comp, tr); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkOverlapsWeeklyInfiniteMiss is the same rule over a month in
// which it has no instance after its end: every instance is looked at.
func BenchmarkOverlapsWeeklyInfiniteMiss(b *testing.B) {
	cal := tcal(b, "BEGIN:VEVENT\nUID:w\nDTSTART;TZID=Europe/Berlin:20160307T100000\nDTEND;TZID=Europe/Berlin:20160307T110000\nRRULE:FREQ=WEEKLY;BYDAY=TH;UNTIL=20260226T090000Z\nEND:VEVENT")
	comp := cal.Children[0]
	tr := benchRange(b)
	for b.Loop() {
		tc := NewContext(cal, nil)
		if ok, err := tc.ComponentOverlaps(comp, tr); ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkOverlapsVTimezone is the weekly rule in an Outlook
// VTIMEZONE written from 1601.
func BenchmarkOverlapsVTimezone(b *testing.B) {
	cal := load(b, "time/outlook-recurring.ics")
	comp := cal.Children[1]
	tr := Range{ut(b, "20360301T000000Z"), ut(b, "20360401T000000Z")}
	for b.Loop() {
		tc := NewContext(cal, nil)
		if ok, err := tc.ComponentOverlaps(comp, tr); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkOverlapsSingle is a non-recurring event.
func BenchmarkOverlapsSingle(b *testing.B) {
	cal := tcal(b, "BEGIN:VEVENT\nUID:s\nDTSTART;TZID=Europe/Berlin:20260310T100000\nDTEND;TZID=Europe/Berlin:20260310T110000\nEND:VEVENT")
	comp := cal.Children[0]
	tr := benchRange(b)
	for b.Loop() {
		tc := NewContext(cal, nil)
		if ok, err := tc.ComponentOverlaps(comp, tr); !ok || err != nil {
			b.Fatal(ok, err)
		}
	}
}

// BenchmarkObjectSpanWeekly is the index span of the weekly rule.
func BenchmarkObjectSpanWeekly(b *testing.B) {
	cal := load(b, "time/outlook-recurring.ics")
	for b.Loop() {
		if _, _, err := ObjectSpan(cal); err != nil {
			b.Fatal(err)
		}
	}
}
