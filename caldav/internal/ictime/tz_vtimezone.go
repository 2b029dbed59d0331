package ictime

import (
	"strconv"
	"strings"
	"time"
)

// The span of a VTIMEZONE written from the zone database (RFC 7809 5.2:
// setting calendar-timezone-id sets calendar-timezone to that zone).
const (
	vtzFirstYear = 1970 // the earliest onset written; iCalendar data rarely reaches further back
	vtzRuleYears = 15   // years from now a yearly rule must hold to be written as an RRULE
	vtzListYears = 30   // without such a rule, onsets are listed this far ahead
)

// zoneOnset is one change of a zone's offset (or name, or daylight flag).
type zoneOnset struct {
	at       time.Time // the instant, UTC
	from, to int       // offsets, seconds east of UTC
	name     string    // the abbreviation after the change
	dst      bool
}

// wall is the onset's local time before it, as an observance's DTSTART
// and RDATE give it (RFC 5545 3.6.5: read with TZOFFSETFROM).
func (o zoneOnset) wall() time.Time { return o.at.Add(time.Duration(o.from) * time.Second) }

// zoneOnsets lists the onsets of loc at or after from and before to.
func zoneOnsets(loc *time.Location, from, to time.Time) []zoneOnset {
	var out []zoneOnset
	t := from.In(loc)
	for range 10000 { // a real zone has a few hundred onsets in all
		_, end := t.ZoneBounds()
		if end.IsZero() {
			break
		}
		if !end.After(t) {
			// Where the zone comes from the rule string of the zone
			// file, ZoneBounds reports an end at the close of the year
			// and returns it again from there: step to the next year.
			end = time.Date(t.UTC().Year()+1, 1, 1, 0, 0, 0, 0, time.UTC)
		}
		if !end.Before(to) {
			break
		}
		name0, off0 := t.Zone()
		n := end.In(loc)
		if name, off := n.Zone(); name != name0 || off != off0 || n.IsDST() != t.IsDST() {
			out = append(out, zoneOnset{at: end.UTC(), from: off0, to: off, name: name, dst: n.IsDST()})
		}
		t = n
	}
	return out
}

// VTimezoneCalendar writes the calendar-timezone value for the zone loc
// under the name id: a VCALENDAR with one VTIMEZONE whose observances
// give loc's offsets from vtzFirstYear on. When the zone follows the same
// yearly rule in each of the vtzRuleYears years from year, the rule is
// written as RRULEs starting in year and the onsets before it are
// listed; otherwise the onsets are listed up to vtzListYears ahead, the
// last offset holding after them. pgdav itself reads such a zone by its
// TZID (LookupTZID); the observances are for clients that do not.
func VTimezoneCalendar(id string, loc *time.Location, year int) string {
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\r\n") }
	line("BEGIN:VCALENDAR")
	line("VERSION:2.0")
	line("PRODID:-//pgdav//calendar-timezone-id//EN")
	line("BEGIN:VTIMEZONE")
	line("TZID:" + escapeTextValue(id))
	observance := func(dst bool, start time.Time, from, to int, name string, rdates []time.Time, rrule string) {
		kind := "STANDARD"
		if dst {
			kind = "DAYLIGHT"
		}
		line("BEGIN:" + kind)
		line("DTSTART:" + start.Format(floatingLayout))
		if rrule != "" {
			line("RRULE:" + rrule)
		}
		for _, r := range rdates {
			line("RDATE:" + r.Format(floatingLayout))
		}
		line("TZOFFSETFROM:" + formatUTCOffset(from))
		line("TZOFFSETTO:" + formatUTCOffset(to))
		if name != "" {
			line("TZNAME:" + escapeTextValue(name))
		}
		line("END:" + kind)
	}
	first := time.Date(vtzFirstYear, 1, 1, 0, 0, 0, 0, time.UTC)
	t0 := first.In(loc)
	name0, off0 := t0.Zone()
	observance(t0.IsDST(), first, off0, off0, name0, nil, "")

	rules := yearlyRules(loc, year)
	listEnd := time.Date(year+vtzListYears, 1, 1, 0, 0, 0, 0, time.UTC)
	if rules != nil {
		// The rule's first onset is the first of year: the list ends
		// before it.
		listEnd = rules[0].at
		for _, r := range rules[1:] {
			listEnd = minTime(listEnd, r.at)
		}
	}
	// Listed onsets, one observance per kind of change, in order of
	// first occurrence.
	type kind struct {
		dst      bool
		from, to int
		name     string
	}
	var kinds []kind
	walls := map[kind][]time.Time{}
	for _, o := range zoneOnsets(loc, first, listEnd) {
		k := kind{o.dst, o.from, o.to, o.name}
		if _, ok := walls[k]; !ok {
			kinds = append(kinds, k)
		}
		walls[k] = append(walls[k], o.wall())
	}
	for _, k := range kinds {
		w := walls[k]
		observance(k.dst, w[0], k.from, k.to, k.name, w[1:], "")
	}
	for _, r := range rules {
		observance(r.dst, r.wall(), r.from, r.to, r.name, nil, r.rrule)
	}
	line("END:VTIMEZONE")
	line("END:VCALENDAR")
	return b.String()
}

// yearRule is an onset that recurs every year by rrule.
type yearRule struct {
	zoneOnset // the first, in the rule's first year
	rrule     string
}

// yearlyRules returns the rules loc follows in each of the vtzRuleYears
// years from year: the same onsets every year, each in the same month on
// the same (nth or last) weekday at the same local time, with the same
// offsets. nil when there is no such rule (a zone without daylight
// saving time, or one whose rules change within the span).
func yearlyRules(loc *time.Location, year int) []yearRule {
	var byYear [vtzRuleYears][]zoneOnset
	from := time.Date(year, 1, 1, 0, 0, 0, 0, time.UTC).Add(-14 * time.Hour)
	to := time.Date(year+vtzRuleYears, 1, 1, 0, 0, 0, 0, time.UTC).Add(14 * time.Hour)
	for _, o := range zoneOnsets(loc, from, to) {
		if i := o.wall().Year() - year; i >= 0 && i < vtzRuleYears {
			byYear[i] = append(byYear[i], o)
		}
	}
	n := len(byYear[0])
	if n == 0 || n > 4 {
		return nil
	}
	rules := make([]yearRule, n)
	for j, o := range byYear[0] {
		w := o.wall()
		nth, last := true, true
		for _, onsets := range byYear {
			if len(onsets) != n {
				return nil
			}
			p := onsets[j]
			pw := p.wall()
			if p.from != o.from || p.to != o.to || p.dst != o.dst || p.name != o.name || pw.Month() != w.Month() ||
				pw.Weekday() != w.Weekday() || pw.Hour() != w.Hour() || pw.Minute() != w.Minute() || pw.Second() != w.Second() {
				return nil
			}
			nth = nth && (pw.Day()-1)/7 == (w.Day()-1)/7
			last = last && pw.AddDate(0, 0, 7).Month() != pw.Month()
		}
		day := strings.ToUpper(w.Weekday().String()[:2])
		switch {
		case nth:
			day = strconv.Itoa((w.Day()-1)/7+1) + day
		case last:
			day = "-1" + day
		default:
			return nil
		}
		rules[j] = yearRule{o, "FREQ=YEARLY;BYMONTH=" + strconv.Itoa(int(w.Month())) + ";BYDAY=" + day}
	}
	return rules
}

// floatingLayout is an iCalendar "date with local time" (RFC 5545 3.3.5,
// form #1).
const floatingLayout = "20060102T150405"

// formatUTCOffset writes a UTC-OFFSET value (RFC 5545 3.3.14).
func formatUTCOffset(sec int) string {
	sign := "+"
	if sec < 0 {
		sign, sec = "-", -sec
	}
	s := sign + twoDigits(sec/3600) + twoDigits(sec/60%60)
	if sec%60 != 0 {
		s += twoDigits(sec % 60)
	}
	return s
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// escapeTextValue escapes an iCalendar TEXT value (RFC 5545 3.3.11).
func escapeTextValue(s string) string {
	return strings.NewReplacer(`\`, `\\`, ";", `\;`, ",", `\,`, "\n", `\n`, "\r", "").Replace(s)
}

func minTime(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}
