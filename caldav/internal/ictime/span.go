package ictime

import (
	"errors"
	"time"

	"github.com/emersion/go-ical"
)

// floatingSlack widens a span that depends on floating times or DATE
// values, which are read in a zone chosen at query time: 14 h is the
// largest UTC offset, and the rest covers what the zone's daylight-saving
// changes do to exact durations (DTEND−DTSTART applied to every instance,
// THISANDFUTURE moves) computed in that zone.
const floatingSlack = 24 * time.Hour

// spanAcc accumulates a span; unbounded ends are flags.
type spanAcc struct {
	lo, hi       time.Time
	loInf, hiInf bool
	any          bool
}

func (a *spanAcc) add(t time.Time) {
	if !a.any || t.Before(a.lo) {
		a.lo = t
	}
	if !a.any || t.After(a.hi) {
		a.hi = t
	}
	a.any = true
}

// ObjectSpan returns the span of the whole resource for the SQL index:
// from the earliest instance start to the latest instance end over all
// its components, and whatever else RFC 4791 9.9 could match
// (VALARM triggers, also those before their event; a VTODO's CREATED and
// COMPLETED). The span is inclusive at both ends, and the SQL pre-filter
// tests it against the query range closed at both ends too, which finds
// the 9.9 VTODO rows that match a range merely touching them (E >= DUE)
// (backend.QueryCalendarObjects). A zero start is unbounded
// below, a zero end unbounded above (an infinite RRULE; a VTODO with only
// CREATED; one with no date at all, which every range matches). A
// resource with nothing a time-range can match (a VJOURNAL without
// DTSTART) gets an unbounded span too: always a candidate, never wrong.
//
// The span holds for every floating zone: floating times and DATE values
// are read in UTC and the span widened by floatingSlack, and an EXDATE or
// RECURRENCE-ID whose match would depend on the floating zone removes
// nothing. A recurrence too complex to bound (ErrTooComplex) is unbounded
// above. Errors are for malformed values (a DTSTART or RRULE that does
// not parse); a caller that must store the object anyway can store an
// unbounded span.
func ObjectSpan(cal *ical.Calendar) (start, end time.Time, err error) {
	tc := NewSpanContext(cal)
	var acc spanAcc
	for _, c := range cal.Children {
		switch c.Name {
		case ical.CompEvent, ical.CompToDo, ical.CompJournal:
			err = tc.spanComponent(c, &acc)
		case ical.CompFreeBusy:
			err = tc.spanFreeBusy(c, &acc)
		}
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
	}
	if !acc.any {
		return time.Time{}, time.Time{}, nil
	}
	if tc.sawFloating {
		acc.lo, acc.hi = acc.lo.Add(-floatingSlack), acc.hi.Add(floatingSlack)
	}
	if !acc.loInf {
		start = acc.lo
	}
	if !acc.hiInf {
		end = acc.hi
	}
	return start, end, nil
}

// spanComponent adds the instances of one VEVENT, VTODO or VJOURNAL and
// the triggers of its alarms.
func (tc *Context) spanComponent(c *ical.Component, acc *spanAcc) error {
	ci, err := tc.info(c)
	if err != nil {
		return err
	}
	var triggers []alarmTrigger
	for _, a := range c.Children {
		if a.Name != ical.CompAlarm {
			continue
		}
		t, ok, err := tc.parseTrigger(a)
		if err != nil {
			return err
		}
		t.extremesOnly = true
		switch {
		case ok && t.absolute: // once, whatever the instances (RFC 5545 3.8.6.3)
			t.times(occ{}, func(at time.Time) bool { acc.add(at); return true })
		case ok:
			triggers = append(triggers, t)
		}
	}
	add := func(o occ) {
		addOcc(o, acc)
		for _, t := range triggers {
			t.times(o, func(at time.Time) bool { acc.add(at); return true })
		}
	}
	if !ci.recurring() {
		add(ci.ownOcc())
		return nil
	}
	g := ci.group
	tc.prepare(g)
	// Past the last override and RDATE, an infinite set only grows: one
	// instance beyond them gives the lower bound, the upper is open.
	var horizon time.Time
	for _, ov := range g.overrides {
		horizon = laterOf(horizon, ov.rid.instant().Add(28*time.Hour))
	}
	for _, rd := range ci.rdates {
		horizon = laterOf(horizon, rd.at)
	}
	horizon = laterOf(horizon, ci.start.instant())
	err = tc.eachMasterOcc(g, time.Time{}, time.Time{}, func(o occ) bool {
		add(o)
		return !g.infinite || o.rid.Before(horizon)
	})
	if err == nil && !g.infinite {
		return nil
	}
	if err != nil && !errors.Is(err, ErrTooComplex) {
		return err
	}
	// Infinite, or too many instances to walk: open above; below, what
	// was seen, DTSTART and the RDATEs, less a little for the triggers.
	acc.hiInf = true
	acc.add(ci.start.instant())
	for _, rd := range ci.rdates {
		acc.add(rd.at)
	}
	for _, t := range triggers {
		lo, _ := t.offsets(0)
		acc.add(acc.lo.Add(min(0, lo)))
	}
	return nil
}

// addOcc adds what RFC 4791 9.9 can match of one instance.
func addOcc(o occ, acc *spanAcc) {
	c := o.info
	switch c.comp.Name {
	case ical.CompEvent, ical.CompJournal:
		if !c.hasStart {
			return
		}
	case ical.CompToDo:
		switch c.todoRow {
		case todoCreated:
			acc.add(c.created)
			acc.hiInf = true
			return
		case todoNothing:
			acc.add(time.Unix(0, 0))
			acc.loInf, acc.hiInf = true, true
			return
		}
	}
	acc.add(o.start)
	acc.add(o.end)
}

// spanFreeBusy adds a VFREEBUSY: DTSTART to DTEND, or its periods.
func (tc *Context) spanFreeBusy(c *ical.Component, acc *spanAcc) error {
	ci, err := tc.freeBusyInfo(c)
	if err != nil {
		return err
	}
	if ci.hasStart && ci.hasEnd {
		acc.add(ci.start.instant())
		acc.add(ci.end.instant())
		return nil
	}
	periods, err := tc.freeBusyPeriods(c)
	for _, p := range periods {
		acc.add(p[0])
		acc.add(p[1])
	}
	return err
}

// laterOf returns the later of a and b.
func laterOf(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}
