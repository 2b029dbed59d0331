package caldav

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
)

// recurrenceProps define a recurrence set (RFC 5545 3.8.5); an expanded
// instance must not have them (RFC 4791 9.6.5).
var recurrenceProps = []string{ical.PropRecurrenceRule, ical.PropRecurrenceDates, ical.PropExceptionDates, "EXRULE"}

// isRecurrenceType reports the component types that recur (RFC 5545
// 3.8.5: VEVENT, VTODO, VJOURNAL; RFC 4791 4.1 keeps their overrides in
// the same resource).
func isRecurrenceType(name string) bool {
	return name == ical.CompEvent || name == ical.CompToDo || name == ical.CompJournal
}

// isRecurring reports whether c defines a recurrence set of more than
// its own DTSTART.
func isRecurring(c *ical.Component) bool {
	return len(c.Props[ical.PropRecurrenceRule]) > 0 || len(c.Props[ical.PropRecurrenceDates]) > 0 || len(c.Props["EXRULE"]) > 0
}

// isOverride reports whether c overrides an instance (has RECURRENCE-ID).
func isOverride(c *ical.Component) bool {
	return len(c.Props[ical.PropRecurrenceID]) > 0
}

// recurringMaster returns the recurring master among cal's children
// that override c belongs to, nil if there is none (an orphan override,
// RFC 4791 4.1).
func recurringMaster(cal, c *ical.Component) *ical.Component {
	for _, m := range cal.Children {
		if m.Name == c.Name && !isOverride(m) && isRecurring(m) {
			return m
		}
	}
	return nil
}

// expandRecurrences applies CALDAV:expand (RFC 4791 9.6.5) to a
// VCALENDAR: every instance of a recurring component that overlaps tr
// becomes a component of its own, with a RECURRENCE-ID (also the first
// instance: RFC 4791 requires it on the others and allows it there) and
// its DATE-TIME values in UTC; VTIMEZONEs go. Components that do not
// recur, orphan overrides and VFREEBUSY stay if they overlap tr; other
// components (X- ones) stay with their times in UTC. An object whose
// expansion over tr would list more than ictime.MaxInstances instances, or
// cost more than the engine's budget, is returned unexpanded.
func expandRecurrences(tc *ictime.Context, cal *ical.Component, tr TimeRange, floating *time.Location) (*ical.Component, error) {
	out := &ical.Component{Name: cal.Name, Props: cal.Props}
	size, sizes := 0, map[*ical.Component]int{}
	keepIfOverlaps := func(c *ical.Component) error {
		ok, err := tc.ComponentOverlaps(c, tr)
		if err != nil {
			return fmt.Errorf("%s: %w", c.Name, engineError(err))
		}
		if ok {
			out.Children = append(out.Children, standalone(tc, c))
		}
		return nil
	}
	for _, c := range cal.Children {
		var err error
		switch {
		case c.Name == ical.CompTimezone:
			continue
		case isRecurrenceType(c.Name) && isOverride(c):
			if recurringMaster(cal, c) == nil {
				err = keepIfOverlaps(c)
			} // else: the master's instances include it
		case isRecurrenceType(c.Name) && isRecurring(c):
			tooBig := false
			err = tc.Instances(c, tr, func(in ictime.Instance) bool {
				if size += instanceSize(sizes, c, in); size > maxExpandBytes {
					tooBig = true
					return false
				}
				out.Children = append(out.Children, instanceComponent(tc, c, in, floating))
				return true
			})
			if tooBig || errors.Is(err, ictime.ErrTooComplex) {
				// More instances than one answer lists, or beyond the
				// budget: the object is answered without expansion, as
				// stored (docs/compatibility.md).
				return cal, nil
			}
			if err != nil {
				err = fmt.Errorf("%s: %w", c.Name, engineError(err))
			}
		case isRecurrenceType(c.Name) || c.Name == ical.CompFreeBusy:
			err = keepIfOverlaps(c)
		default:
			out.Children = append(out.Children, standalone(tc, c))
		}
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// maxExpandBytes bounds the text one expansion of one object may produce
// (about that much again is needed to build it): 10 000 instances of a
// 800-byte event fit, 1 200 copies of a 1 MB one do not.
const maxExpandBytes = 8 << 20

// instanceSize estimates the text of instance in of master, caching the
// size of each source component in sizes.
func instanceSize(sizes map[*ical.Component]int, master *ical.Component, in ictime.Instance) int {
	src := in.Comp
	if src == nil {
		src = master
	}
	n, ok := sizes[src]
	if !ok {
		n = componentSize(src)
		sizes[src] = n
	}
	return n
}

// componentSize is about the length of c encoded, without folding.
func componentSize(c *ical.Component) int {
	n := 2*len(c.Name) + len("BEGIN:\r\nEND:\r\n")
	for name, props := range c.Props {
		for _, p := range props {
			n += len(name) + len(p.Value) + 3
			for k, vs := range p.Params {
				for _, v := range vs {
					n += len(k) + len(v) + 2
				}
			}
		}
	}
	for _, ch := range c.Children {
		n += componentSize(ch)
	}
	return n
}

// instanceComponent builds the component of one instance of master: the
// override when there is one, else master with the instance's start and
// end. The times of an all-day instance are midnights in floating, the
// zone DATE values were resolved in.
func instanceComponent(tc *ictime.Context, master *ical.Component, in ictime.Instance, floating *time.Location) *ical.Component {
	src := in.Comp
	if src == nil {
		src = master
	}
	c := standalone(tc, src)
	if !in.Overridden {
		setTimeProp(c, ical.PropDateTimeStart, in.Start, in.AllDay, floating)
		for _, end := range []string{ical.PropDateTimeEnd, ical.PropDue} {
			if len(c.Props[end]) > 0 {
				setTimeProp(c, end, in.End, in.AllDay, floating)
			}
		}
	}
	if !in.RecurrenceID.IsZero() {
		setTimeProp(c, ical.PropRecurrenceID, in.RecurrenceID, in.AllDay, floating)
	}
	return c
}

// standalone returns a copy of c without recurrence properties and with
// every DATE-TIME that has a TZID, or floats, in UTC (RFC 4791 9.6.5).
func standalone(tc *ictime.Context, c *ical.Component) *ical.Component {
	c = cloneComponent(c)
	for _, name := range recurrenceProps {
		delete(c.Props, name)
	}
	toUTC(tc, c)
	return c
}

// floatingProps are the properties whose DATE-TIME value may float
// (RFC 5545 3.3.5 form #1); others are UTC by definition.
var floatingProps = []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropDue, ical.PropRecurrenceID}

// toUTC rewrites, in c and its subcomponents, the DATE-TIME values with
// a TZID parameter and the floating ones of floatingProps as UTC.
// Values the time engine cannot read, and DATE values, stay as written.
func toUTC(tc *ictime.Context, c *ical.Component) {
	for name, props := range c.Props {
		for i := range props {
			p := &props[i]
			tzid := p.Params.Get(ical.PropTimezoneID) != ""
			floating := !tzid && isFloatingDateTime(p.Value) && slices.Contains(floatingProps, name)
			if !tzid && !floating || strings.ContainsAny(p.Value, ",/") {
				continue
			}
			t, allDay, err := tc.Resolve(p)
			switch {
			case err != nil:
				continue
			case !allDay:
				p.Value = utcValue(t)
			}
			p.Params.Del(ical.PropTimezoneID)
		}
	}
	for _, ch := range c.Children {
		toUTC(tc, ch)
	}
}

// isFloatingDateTime reports a DATE-TIME value without Z: yyyymmddThhmmss.
func isFloatingDateTime(v string) bool {
	return len(v) == len("20060102T150405") && v[8] == 'T'
}

// setTimeProp replaces property name of c with one holding t: a DATE
// when allDay (the day t starts in floating, nil for UTC), else a UTC
// DATE-TIME.
func setTimeProp(c *ical.Component, name string, t time.Time, allDay bool, floating *time.Location) {
	p := ical.NewProp(name)
	if allDay {
		if floating == nil {
			floating = time.UTC
		}
		p.Value = t.In(floating).Format("20060102")
		p.Params.Set(ical.ParamValue, string(ical.ValueDate))
	} else {
		p.Value = utcValue(t)
	}
	c.Props.Set(p)
}

// limitRecurrenceSet applies CALDAV:limit-recurrence-set (RFC 4791
// 9.6.6) to a VCALENDAR: overridden components are kept only if their
// current time overlaps tr, or their original one (RECURRENCE-ID for the
// master's duration), or their RECURRENCE-ID has RANGE=THISANDFUTURE
// and starts before the end of tr. changed reports whether any was
// dropped.
func limitRecurrenceSet(tc *ictime.Context, cal *ical.Component, tr TimeRange) (*ical.Component, bool, error) {
	out := &ical.Component{Name: cal.Name, Props: cal.Props}
	changed := false
	for _, c := range cal.Children {
		if isRecurrenceType(c.Name) && isOverride(c) {
			keep, err := overrideImpacts(tc, cal, c, tr)
			if err != nil {
				return nil, false, fmt.Errorf("%s: %w", c.Name, engineError(err))
			}
			if !keep {
				changed = true
				continue
			}
		}
		out.Children = append(out.Children, c)
	}
	return out, changed, nil
}

// overrideImpacts reports whether override c impacts tr (RFC 4791 7.6).
func overrideImpacts(tc *ictime.Context, cal, c *ical.Component, tr TimeRange) (bool, error) {
	if ok, err := tc.ComponentOverlaps(c, tr); err != nil || ok {
		return ok, err
	}
	rid := c.Props.Get(ical.PropRecurrenceID)
	orig, _, err := tc.Resolve(rid)
	if err != nil {
		return false, err
	}
	if strings.EqualFold(rid.Params.Get("RANGE"), "THISANDFUTURE") && (tr.End.IsZero() || orig.Before(tr.End)) {
		return true, nil
	}
	template := recurringMaster(cal, c)
	if template == nil {
		template = c
	}
	d, err := componentDuration(tc, template)
	if err != nil {
		return false, err
	}
	return tr.Overlaps(orig, orig.Add(d)), nil
}

// componentDuration is how long an instance of c lasts: DTEND or DUE
// minus DTSTART, or DURATION; else a day for a DATE start and nothing
// for a DATE-TIME one (RFC 4791 9.9).
func componentDuration(tc *ictime.Context, c *ical.Component) (time.Duration, error) {
	startProp := c.Props.Get(ical.PropDateTimeStart)
	if startProp == nil {
		return 0, nil
	}
	start, allDay, err := tc.Resolve(startProp)
	if err != nil {
		return 0, err
	}
	for _, name := range []string{ical.PropDateTimeEnd, ical.PropDue} {
		if p := c.Props.Get(name); p != nil {
			end, _, err := tc.Resolve(p)
			if err != nil {
				return 0, err
			}
			return max(end.Sub(start), 0), nil
		}
	}
	if p := c.Props.Get(ical.PropDuration); p != nil {
		d, err := ictime.ParseDuration(p.Value) // the engine's reading, which PUT checks
		return max(d, 0), err
	}
	if allDay {
		return 24 * time.Hour, nil
	}
	return 0, nil
}

// limitFreeBusySet applies CALDAV:limit-freebusy-set (RFC 4791 9.6.7) to
// a VCALENDAR: in VFREEBUSY components, FREEBUSY periods that do not
// overlap tr (tc.PropertyOverlaps, the CALDAV:time-range logic) are
// dropped, and FREEBUSY properties left without a period. Periods are
// kept whole, not clipped. A period the time engine cannot read is
// kept. changed reports whether anything was dropped.
func limitFreeBusySet(tc *ictime.Context, cal *ical.Component, tr TimeRange) (*ical.Component, bool) {
	out := &ical.Component{Name: cal.Name, Props: cal.Props}
	changed := false
	for _, c := range cal.Children {
		if c.Name == ical.CompFreeBusy {
			if limited, ok := limitFreeBusyPeriods(tc, c, tr); ok {
				c, changed = limited, true
			}
		}
		out.Children = append(out.Children, c)
	}
	return out, changed
}

// limitFreeBusyPeriods returns c with the FREEBUSY periods outside tr
// removed; ok is false when none is.
func limitFreeBusyPeriods(tc *ictime.Context, c *ical.Component, tr TimeRange) (*ical.Component, bool) {
	var kept []ical.Prop
	changed := false
	for _, p := range c.Props[ical.PropFreeBusy] {
		var periods []string
		for _, period := range strings.Split(p.Value, ",") {
			one := ical.Prop{Name: p.Name, Params: p.Params, Value: period}
			if ok, err := tc.PropertyOverlaps(&one, tr); err == nil && !ok {
				changed = true
				continue
			}
			periods = append(periods, period)
		}
		if len(periods) == 0 {
			continue
		}
		p.Value = strings.Join(periods, ",")
		kept = append(kept, p)
	}
	if !changed {
		return c, false
	}
	out := &ical.Component{Name: c.Name, Props: make(ical.Props, len(c.Props)), Children: c.Children}
	for name, props := range c.Props {
		out.Props[name] = props
	}
	if len(kept) == 0 {
		delete(out.Props, ical.PropFreeBusy)
	} else {
		out.Props[ical.PropFreeBusy] = kept
	}
	return out, true
}

// cloneComponent returns a deep copy of c.
func cloneComponent(c *ical.Component) *ical.Component {
	out := &ical.Component{Name: c.Name, Props: make(ical.Props, len(c.Props))}
	for name, props := range c.Props {
		cp := make([]ical.Prop, len(props))
		for i, p := range props {
			cp[i] = ical.Prop{Name: p.Name, Value: p.Value, Params: make(ical.Params, len(p.Params))}
			for k, v := range p.Params {
				cp[i].Params[k] = append([]string(nil), v...)
			}
		}
		out.Props[name] = cp
	}
	for _, ch := range c.Children {
		out.Children = append(out.Children, cloneComponent(ch))
	}
	return out
}
