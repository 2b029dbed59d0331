package ictime

import (
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/emersion/go-ical"
)

// vtimezone is a VTIMEZONE component made usable (RFC 5545 3.6.5): the
// offset in force at an instant is the TZOFFSETTO of the observance
// (STANDARD or DAYLIGHT) with the last onset at or before it. Onsets are
// DTSTART, RDATE and RRULE instances, local times read with TZOFFSETFROM.
// They are computed a year at a time, when asked, so a zone written from
// 1601 (as Outlook does) costs nothing for the years never queried.
type vtimezone struct {
	mu      sync.Mutex // guards years and atYear: a parsed zone is shared
	initial int        // the offset before the first onset
	minYear int
	fixed   []vtzTransition // listed onsets, in order
	rules   []vtzRule       // rules without end
	years   map[int][]vtzTransition
	atYear  map[int]int // offset in force when year y begins
}

type vtzTransition struct {
	at time.Time
	to int
}

// vtzCache shares parsed VTIMEZONEs between resources: clients repeat
// the same definitions in every object, and the onsets computed for a
// year serve them all. Keyed by the definition's content; at most
// maxVTZCache entries are kept, later ones are parsed per context.
var (
	vtzCache     sync.Map // string → *vtimezone
	vtzCacheSize atomic.Int32
)

const maxVTZCache = 1000

// parseVTimezone returns the zone comp defines, from vtzCache when the
// same definition was seen before, or nil if it defines no usable
// observance.
func parseVTimezone(comp *ical.Component) *vtimezone {
	var key strings.Builder
	for _, c := range comp.Children {
		key.WriteString(c.Name)
		for _, name := range []string{ical.PropDateTimeStart, ical.PropTimezoneOffsetFrom, ical.PropTimezoneOffsetTo, ical.PropRecurrenceRule, ical.PropRecurrenceDates} {
			for _, p := range c.Props.Values(name) {
				key.WriteString("\x00" + name + "\x00" + p.Value)
			}
		}
		key.WriteString("\x01")
	}
	if z, ok := vtzCache.Load(key.String()); ok {
		return z.(*vtimezone)
	}
	z := readVTimezone(comp)
	if z != nil && key.Len() < 16<<10 && vtzCacheSize.Add(1) <= maxVTZCache {
		vtzCache.Store(key.String(), z)
	}
	return z
}

// readVTimezone reads comp, or returns nil if it defines no usable
// observance. Observances without DTSTART, TZOFFSETFROM or TZOFFSETTO
// are skipped; an invalid RRULE or RDATE drops only that property, and so
// does a rule finer than DAILY (real zones change at most twice a year).
// Onsets of DTSTART, RDATE and rules with COUNT or UNTIL are listed once
// here (at most maxVTZOnsets); rules without end are evaluated a year at
// a time, when asked.
func readVTimezone(comp *ical.Component) *vtimezone {
	z := &vtimezone{years: map[int][]vtzTransition{}, atYear: map[int]int{}}
	first, any := time.Time{}, false
	for _, c := range comp.Children {
		if c.Name != ical.CompTimezoneStandard && c.Name != ical.CompTimezoneDaylight {
			continue
		}
		ds, fp, tp := c.Props.Get(ical.PropDateTimeStart), c.Props.Get(ical.PropTimezoneOffsetFrom), c.Props.Get(ical.PropTimezoneOffsetTo)
		if ds == nil || fp == nil || tp == nil {
			continue
		}
		start, _, _, err := parseICalTime(ds.Value)
		if err != nil {
			continue
		}
		from, err1 := parseUTCOffset(fp.Value)
		to, err2 := parseUTCOffset(tp.Value)
		if err1 != nil || err2 != nil {
			continue
		}
		shift := time.Duration(from) * time.Second
		add := func(w time.Time) {
			if len(z.fixed) < maxVTZOnsets {
				z.fixed = append(z.fixed, vtzTransition{w.Add(-shift), to})
			}
		}
		add(start)
		for _, p := range c.Props.Values(ical.PropRecurrenceDates) {
			for _, v := range SplitValues(p.Value) {
				v, _, _ = strings.Cut(v, "/")
				if w, _, _, err := parseICalTime(v); err == nil {
					add(w)
				}
			}
		}
		for _, p := range c.Props.Values(ical.PropRecurrenceRule) {
			r, err := parseRecur(p.Value)
			if err != nil || r.freq < freqDaily {
				continue
			}
			rule := vtzRule{r: r, start: start, from: from, to: to}
			if r.infinite() {
				if recursWithin(r, start, maxVTZWork) {
					z.rules = append(z.rules, rule)
				}
				continue
			}
			it := newRecurIter(r, start, false)
			for len(z.fixed) < maxVTZOnsets {
				w, ok, err := it.next()
				if err != nil || !ok || rule.past(w) {
					break
				}
				add(w)
			}
		}
		if onset := start.Add(-shift); !any || onset.Before(first) {
			first, z.initial, z.minYear, any = onset, from, onset.Year(), true
		}
	}
	if !any {
		return nil
	}
	slices.SortFunc(z.fixed, func(a, b vtzTransition) int { return a.at.Compare(b.at) })
	return z
}

// maxVTZOnsets bounds the listed onsets of one VTIMEZONE: the whole
// history of a real zone has a few hundred.
const maxVTZOnsets = 5000

// maxVTZWork bounds one look-up of an observance rule without end (a
// year's onsets cost a real rule some 200 units): a rule that never
// matches costs that, not maxRecurWork, at each of the years an object
// converts.
const maxVTZWork = 20000

// recursWithin reports whether rule r from start has two instances
// within the work budget: an observance rule that never matches has no
// onsets, and is not looked up again for every year.
func recursWithin(r *recurRule, start time.Time, budget int64) bool {
	it := newRecurIter(r, start, false)
	it.budget.left = budget
	for range 2 {
		if _, ok, err := it.next(); !ok || err != nil {
			return false
		}
	}
	return true
}

// vtzRule is an observance rule without end.
type vtzRule struct {
	r        *recurRule
	start    time.Time // naive local DTSTART of the observance
	from, to int
}

// past reports whether the local onset w is after the rule's UNTIL
// (UTC, as RFC 5545 3.6.5 requires, or local).
func (v vtzRule) past(w time.Time) bool {
	if !v.r.hasUntil {
		return false
	}
	if v.r.untilUTC {
		return w.Add(-time.Duration(v.from) * time.Second).After(v.r.until)
	}
	return w.After(v.r.until)
}

func (z *vtimezone) utc(w time.Time) time.Time { return utcFromWall(z, w) }

func (z *vtimezone) wall(t time.Time) time.Time {
	return t.UTC().Add(time.Duration(z.offset(t)) * time.Second)
}

func (z *vtimezone) offset(t time.Time) int {
	t = t.UTC()
	y := t.Year()
	if y < z.minYear {
		return z.initial
	}
	y = min(y, MaxYear)
	z.mu.Lock()
	defer z.mu.Unlock()
	off := z.offsetAtYear(y)
	for _, tr := range z.transitions(y) {
		if tr.at.After(t) {
			break
		}
		off = tr.to
	}
	return off
}

// offsetAtYear returns the offset in force when year y begins: that of
// the last onset before it.
func (z *vtimezone) offsetAtYear(y int) int {
	if v, ok := z.atYear[y]; ok {
		return v
	}
	jan1 := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	var last time.Time
	off, found := z.initial, false
	if i, _ := slices.BinarySearchFunc(z.fixed, jan1, func(a vtzTransition, t time.Time) int { return a.at.Compare(t) }); i > 0 {
		last, off, found = z.fixed[i-1].at, z.fixed[i-1].to, true
	}
	for _, v := range z.rules {
		shift := time.Duration(v.from) * time.Second
		if !v.start.Add(-shift).Before(jan1) {
			continue
		}
		// The period before the one holding Jan 1 of y-1 is where the
		// iterator starts: an instance before y is among the first.
		it := newRecurIter(v.r, v.start, false)
		it.budget.left = maxVTZWork
		it.seek(jan1.AddDate(-2, 0, 0))
		var at time.Time
		for {
			w, ok, err := it.next()
			if err != nil || !ok {
				break
			}
			a := w.Add(-shift)
			if !a.Before(jan1) {
				break
			}
			at = a
		}
		if !at.IsZero() && (!found || at.After(last)) {
			last, off, found = at, v.to, true
		}
	}
	if len(z.atYear) < 1000 {
		z.atYear[y] = off
	}
	return off
}

// transitions returns the onsets that fall in UTC year y, in order.
func (z *vtimezone) transitions(y int) []vtzTransition {
	if trs, ok := z.years[y]; ok {
		return trs
	}
	jan1, next := time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, 1, 1, 0, 0, 0, 0, time.UTC)
	cmp := func(a vtzTransition, t time.Time) int { return a.at.Compare(t) }
	i, _ := slices.BinarySearchFunc(z.fixed, jan1, cmp)
	j, _ := slices.BinarySearchFunc(z.fixed, next, cmp)
	trs := slices.Clone(z.fixed[i:j])
	for _, v := range z.rules {
		shift := time.Duration(v.from) * time.Second
		if v.start.Add(-shift).After(next) {
			continue
		}
		it := newRecurIter(v.r, v.start, false)
		it.budget.left = maxVTZWork
		it.seek(jan1.AddDate(0, -1, 0))
		for {
			w, ok, err := it.next()
			if err != nil || !ok {
				break
			}
			at := w.Add(-shift)
			if !at.Before(next) {
				break
			}
			if !at.Before(jan1) {
				trs = append(trs, vtzTransition{at, v.to})
			}
		}
	}
	slices.SortFunc(trs, func(a, b vtzTransition) int { return a.at.Compare(b.at) })
	trs = slices.CompactFunc(trs, func(a, b vtzTransition) bool { return a.at.Equal(b.at) })
	if len(z.years) < 1000 {
		z.years[y] = trs
	}
	return trs
}

// CheckVTimezone applies RFC 5545 3.6.5 to a VTIMEZONE: a TZID, at least
// one observance, and in each the three required properties, readable by
// the engine (readVTimezone skips what is not). It is what a
// calendar-timezone or a query's CALDAV:timezone must pass.
func CheckVTimezone(tz *ical.Component) error {
	if p := tz.Props.Get(ical.PropTimezoneID); p == nil || strings.TrimSpace(p.Value) == "" {
		return valueError(ical.PropTimezoneID, "the VTIMEZONE has no TZID (RFC 5545 3.6.5)")
	}
	observances := 0
	for _, c := range tz.Children {
		if c.Name != ical.CompTimezoneStandard && c.Name != ical.CompTimezoneDaylight {
			continue
		}
		observances++
		p := c.Props.Get(ical.PropDateTimeStart)
		if p == nil {
			return valueError(ical.PropDateTimeStart, "a %s of the VTIMEZONE has no DTSTART (RFC 5545 3.6.5)", c.Name)
		}
		if _, _, _, err := parseICalTime(p.Value); err != nil {
			return valueError(ical.PropDateTimeStart, "DTSTART of a %s: %s", c.Name, err)
		}
		for _, name := range []string{ical.PropTimezoneOffsetFrom, ical.PropTimezoneOffsetTo} {
			p := c.Props.Get(name)
			if p == nil {
				return valueError(name, "a %s of the VTIMEZONE has no %s (RFC 5545 3.6.5)", c.Name, name)
			}
			if _, err := parseUTCOffset(p.Value); err != nil {
				return valueError(name, "%s of a %s: %s", name, c.Name, err)
			}
		}
	}
	if observances == 0 {
		return valueError("", "the VTIMEZONE has no STANDARD or DAYLIGHT component (RFC 5545 3.6.5)")
	}
	return nil
}
