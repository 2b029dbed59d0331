package ictime

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"
)

// Range is a CALDAV:time-range (RFC 4791 9.9): [Start, End). A zero
// Start or End is unbounded, as 9.9 allows either attribute to be
// omitted ("-infinity", "+infinity").
type Range struct{ Start, End time.Time }

// overlaps is the core test of RFC 4791 9.9 for a period: start < End
// and end > Start. A period of zero length (start == end; an end before
// the start counts as zero) is an instant, which overlaps when Start <=
// start < End, as the VEVENT table says for DURATION:PT0S and for a
// DATE-TIME DTSTART without end.
func (tr Range) Overlaps(start, end time.Time) bool {
	if !end.After(start) {
		return tr.contains(start)
	}
	return tr.startBefore(end) && tr.endAfter(start)
}

// contains reports Start <= t < End.
func (tr Range) contains(t time.Time) bool { return tr.startAtOrBefore(t) && tr.endAfter(t) }

// The comparisons of the 9.9 tables with unbounded ends.
func (tr Range) startBefore(t time.Time) bool     { return tr.Start.IsZero() || tr.Start.Before(t) }
func (tr Range) startAtOrBefore(t time.Time) bool { return tr.Start.IsZero() || !tr.Start.After(t) }
func (tr Range) endAfter(t time.Time) bool        { return tr.End.IsZero() || tr.End.After(t) }
func (tr Range) endAtOrAfter(t time.Time) bool    { return tr.End.IsZero() || !tr.End.Before(t) }

// Context evaluates times inside one calendar object resource. It
// caches resolved zones, parsed VTIMEZONEs and parsed components, so one
// context serves every test on one resource. It is not safe for
// concurrent use.
type Context struct {
	cal         *ical.Calendar
	floating    tzZone
	spanMode    bool // ObjectSpan: answers must hold for every floating zone
	sawFloating bool // a floating or DATE value was read
	vtimezones  map[string]*ical.Component
	zones       map[string]tzZone
	infos       map[*ical.Component]*compInfo
	errs        map[*ical.Component]error
	grouped     bool
	workLeft    int64 // of maxObjectWork (recur_budget.go)
	workSet     bool
	request     *Work // the request's account, if it has one
}

// NewContext prepares evaluation of cal. floating is the zone for
// floating DATE-TIMEs and DATE values (the collection's
// calendar-timezone, or the query's CALDAV:timezone; nil means UTC).
func NewContext(cal *ical.Calendar, floating *time.Location) *Context {
	if cal == nil {
		cal = ical.NewCalendar()
	}
	tc := &Context{
		cal:        cal,
		floating:   tzUTC,
		vtimezones: map[string]*ical.Component{},
		zones:      map[string]tzZone{},
		infos:      map[*ical.Component]*compInfo{},
		errs:       map[*ical.Component]error{},
	}
	if floating != nil && floating != time.UTC {
		tc.floating = tzLocation{floating}
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		if p := c.Props.Get(ical.PropTimezoneID); p != nil {
			id := strings.TrimSpace(p.Value)
			if _, dup := tc.vtimezones[id]; !dup {
				tc.vtimezones[id] = c
			}
		}
	}
	return tc
}

// value reads one DATE or DATE-TIME value s of property p. The form of
// the value decides (a VALUE parameter that contradicts it is ignored);
// a TZID that neither a VTIMEZONE nor the zone tables know makes the
// value floating.
func (tc *Context) value(p *ical.Prop, s string) (dtValue, error) {
	wall, date, utc, err := parseICalTime(s)
	if err != nil {
		return dtValue{}, valueError(p.Name, "%s %s", p.Name, err)
	}
	switch {
	case date:
		tc.sawFloating = true
		return dtValue{wall, kindDate, tc.floating}, nil
	case utc:
		return dtValue{wall, kindUTC, tzUTC}, nil
	}
	if tzid := p.Params.Get(ical.PropTimezoneID); tzid != "" {
		if z := tc.zoneFor(tzid); z != nil {
			return dtValue{wall, kindZoned, z}, nil
		}
	}
	tc.sawFloating = true
	return dtValue{wall, kindFloating, tc.floating}, nil
}

// resolve returns the (first) value of a DTSTART, DTEND, DUE,
// RECURRENCE-ID, EXDATE, RDATE, COMPLETED… property as a UTC instant;
// allDay is true for a DATE, which resolves to its midnight in the
// floating zone. For a PERIOD it returns the start.
func (tc *Context) Resolve(prop *ical.Prop) (t time.Time, allDay bool, err error) {
	s, _, _ := strings.Cut(firstValue(prop.Value), "/")
	v, err := tc.value(prop, s)
	if err != nil {
		return time.Time{}, false, err
	}
	return v.instant(), v.kind == kindDate, nil
}

// ComponentOverlaps implements the RFC 4791 9.9 table for comp's type
// (VEVENT, VTODO, VJOURNAL, VFREEBUSY; any other → false). For a
// recurring master it tests every instance of its recurrence set except
// those another component of the same UID overrides, with
// RANGE=THISANDFUTURE moves applied; for an override, its own instance.
func (tc *Context) ComponentOverlaps(comp *ical.Component, tr Range) (bool, error) {
	switch comp.Name {
	case ical.CompFreeBusy:
		return tc.freeBusyOverlaps(comp, tr)
	case ical.CompEvent, ical.CompToDo, ical.CompJournal:
	default:
		return false, nil
	}
	ci, err := tc.info(comp)
	if err != nil {
		return false, err
	}
	if !ci.recurring() {
		return occMatches(ci.ownOcc(), tr), nil
	}
	found := false
	lo, hi := searchWindow(tr, ci.group, 0, 0)
	err = tc.eachMasterOcc(ci.group, lo, hi, func(o occ) bool {
		found = occMatches(o, tr)
		return !found
	})
	if found || errors.Is(err, ErrTooComplex) {
		// Too costly to decide within the budget: it matches, and the
		// client gets the object to decide (docs/compatibility.md).
		return true, nil
	}
	return false, err
}

// searchWindow returns the starts worth generating to find instances
// overlapping tr (or triggers offset from them by [offLo, offHi]).
func searchWindow(tr Range, g *recurGroup, offLo, offHi time.Duration) (lo, hi time.Time) {
	const slack = 26 * time.Hour
	maxDur := time.Duration(0)
	if g.master != nil {
		maxDur = g.master.endRule.approx()
		for _, rd := range g.master.rdates {
			if rd.hasEnd {
				maxDur = max(maxDur, rd.end.Sub(rd.at))
			}
		}
		for _, ov := range g.overrides {
			if ov.future {
				maxDur = max(maxDur, ov.endRule.approx())
			}
		}
	}
	if !tr.Start.IsZero() {
		lo = tr.Start.Add(-maxDur - max(0, offHi) - slack)
	}
	if !tr.End.IsZero() {
		hi = tr.End.Add(-min(0, offLo) + slack)
	}
	return lo, hi
}

// occMatches applies the RFC 4791 9.9 table of the instance's component.
func occMatches(o occ, tr Range) bool {
	c := o.info
	switch c.comp.Name {
	case ical.CompEvent, ical.CompJournal:
		return c.hasStart && tr.Overlaps(o.start, o.end)
	case ical.CompToDo:
		switch c.todoRow {
		case todoStartDuration:
			return tr.startAtOrBefore(o.end) && (tr.endAfter(o.start) || tr.endAtOrAfter(o.end))
		case todoStartDue:
			return (tr.startBefore(o.end) || tr.startAtOrBefore(o.start)) && (tr.endAfter(o.start) || tr.endAtOrAfter(o.end))
		case todoStart:
			return tr.startAtOrBefore(o.start) && tr.endAfter(o.start)
		case todoDue:
			return tr.startBefore(o.end) && tr.endAtOrAfter(o.end)
		case todoCompletedCreated:
			cr, co := c.created, c.complete
			return (tr.startAtOrBefore(cr) || tr.startAtOrBefore(co)) && (tr.endAtOrAfter(cr) || tr.endAtOrAfter(co))
		case todoCompleted:
			return tr.startAtOrBefore(c.complete) && tr.endAtOrAfter(c.complete)
		case todoCreated:
			return tr.endAfter(c.created)
		case todoNothing:
			return true
		}
	}
	return false
}

// freeBusyOverlaps is the VFREEBUSY table of RFC 4791 9.9: DTSTART and
// DTEND when both are present (start <= DTEND AND end > DTSTART), else
// each FREEBUSY period, else false.
func (tc *Context) freeBusyOverlaps(comp *ical.Component, tr Range) (bool, error) {
	ci, err := tc.freeBusyInfo(comp)
	if err != nil {
		return false, err
	}
	if ci.hasStart && ci.hasEnd {
		return tr.startAtOrBefore(ci.end.instant()) && tr.endAfter(ci.start.instant()), nil
	}
	periods, err := tc.freeBusyPeriods(comp)
	for _, p := range periods {
		if tr.startBefore(p[1]) && tr.endAfter(p[0]) {
			return true, nil
		}
	}
	return false, err
}

// freeBusyInfo parses a VFREEBUSY's DTSTART and DTEND.
func (tc *Context) freeBusyInfo(comp *ical.Component) (*compInfo, error) {
	if ci, ok := tc.infos[comp]; ok {
		return ci, tc.errs[comp]
	}
	ci, err := tc.parseComp(comp)
	ci.group = &recurGroup{master: ci}
	tc.infos[comp] = ci
	if err != nil {
		tc.errs[comp] = err
	}
	return ci, err
}

// freeBusyPeriods returns the periods of the FREEBUSY properties (RFC
// 5545 3.8.2.6), of every FBTYPE.
func (tc *Context) freeBusyPeriods(comp *ical.Component) ([][2]time.Time, error) {
	var out [][2]time.Time
	var firstErr error
	for _, p := range comp.Props.Values(ical.PropFreeBusy) {
		for _, s := range SplitValues(p.Value) {
			s0, e0, err := tc.Period(&p, s)
			if err != nil {
				if firstErr == nil {
					firstErr = err
				}
				continue
			}
			out = append(out, [2]time.Time{s0, e0})
		}
	}
	return out, firstErr
}

// Period reads a PERIOD value (RFC 5545 3.3.9): start/end or
// start/duration. An end before the start reads as the start.
func (tc *Context) Period(p *ical.Prop, s string) (time.Time, time.Time, error) {
	a, b, ok := strings.Cut(s, "/")
	if !ok {
		return time.Time{}, time.Time{}, valueError(p.Name, "%s %s is not a PERIOD (RFC 5545 3.3.9)", p.Name, quote(s))
	}
	sv, err := tc.value(p, a)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	start := sv.instant()
	var end time.Time
	if b = strings.TrimSpace(b); strings.ContainsAny(b[:min(2, len(b))], "Pp") {
		d, err := parseICalDuration(b)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		end = addDuration(start, sv.zone, d)
	} else {
		ev, err := tc.value(p, b)
		if err != nil {
			return time.Time{}, time.Time{}, err
		}
		end = ev.instant()
	}
	return start, laterOf(start, end), nil
}

// alarmTrigger is a parsed TRIGGER with its REPEAT and DURATION.
type alarmTrigger struct {
	absolute bool
	at       time.Time
	rel      icalDuration
	end      bool // RELATED=END
	repeat   int
	every    icalDuration
	// extremesOnly makes times report only the first and the last
	// repetition, all ObjectSpan needs.
	extremesOnly bool
}

// parseTrigger reads alarm's TRIGGER, REPEAT and DURATION (RFC 5545
// 3.8.6.2, 3.8.6.3). REPEAT counts only with a DURATION, as the 9.9 table
// says; an absolute trigger fires once whatever the recurrence (3.8.6.3).
func (tc *Context) parseTrigger(alarm *ical.Component) (alarmTrigger, bool, error) {
	p := alarm.Props.Get(ical.PropTrigger)
	if p == nil {
		return alarmTrigger{}, false, nil
	}
	var t alarmTrigger
	v := strings.TrimSpace(p.Value)
	if strings.EqualFold(p.Params.Get("VALUE"), "DATE-TIME") || (v != "" && v[0] >= '0' && v[0] <= '9') {
		dv, err := tc.value(p, v)
		if err != nil {
			return t, false, err
		}
		t.absolute, t.at = true, dv.instant()
	} else {
		d, err := parseICalDuration(v)
		if err != nil {
			return t, false, err
		}
		t.rel = d
		t.end = strings.EqualFold(p.Params.Get("RELATED"), "END")
	}
	if rp, dp := alarm.Props.Get(ical.PropRepeat), alarm.Props.Get(ical.PropDuration); rp != nil && dp != nil {
		n, err1 := strconv.Atoi(strings.TrimSpace(rp.Value))
		d, err2 := parseICalDuration(dp.Value)
		if err1 != nil || n < 0 {
			return t, false, valueError(ical.PropRepeat, "REPEAT %s is not a count (RFC 5545 3.8.6.2)", quote(rp.Value))
		}
		if err2 != nil {
			return t, false, err2
		}
		t.repeat, t.every = min(n, maxAlarmRepeat), d
	}
	return t, true, nil
}

// maxAlarmRepeat bounds REPEAT: real alarms snooze a handful of times.
const maxAlarmRepeat = 100

// offsets bounds trigger − instance start for relative triggers.
func (t alarmTrigger) offsets(maxDur time.Duration) (lo, hi time.Duration) {
	a, b := t.rel.approx(), t.rel.approx()+t.every.approx()*time.Duration(t.repeat)
	lo, hi = min(a, b)-2*time.Hour, max(a, b)+2*time.Hour
	if t.end {
		hi += maxDur
	}
	return lo, hi
}

// anchor returns the instant a relative trigger counts from in instance o
// (RFC 5545 3.8.6.3): its start, or with RELATED=END its end (DTEND, or
// DTSTART+DURATION; DUE for a VTODO). A VTODO without DTSTART counts
// from DUE either way (the RFC 4791 7.8.5 example does); one with neither
// has no relative trigger.
func (t alarmTrigger) anchor(o occ) (time.Time, bool) {
	c := o.info
	if c.comp.Name == ical.CompToDo && !c.hasStart {
		if c.todoRow == todoDue {
			return o.end, true
		}
		return time.Time{}, false
	}
	if !c.hasStart {
		return time.Time{}, false
	}
	if t.end {
		return o.end, true
	}
	return o.start, true
}

// times calls fn with each trigger instant of t for instance o (or, for
// an absolute trigger, the instance is ignored) until fn returns false.
func (t alarmTrigger) times(o occ, fn func(time.Time) bool) {
	base, z := t.at, tzUTC
	if !t.absolute {
		a, ok := t.anchor(o)
		if !ok {
			return
		}
		if o.zone != nil {
			z = o.zone
		}
		base = addDuration(a, z, t.rel)
	}
	for i := 0; i <= t.repeat; i++ {
		if !fn(addDuration(base, z, t.every.times(i))) {
			return
		}
		if t.extremesOnly && i == 0 && t.repeat > 1 {
			i = t.repeat - 1 // the repetitions lie between the first and the last
		}
	}
}

// AlarmOverlaps implements RFC 4791 9.9 for a VALARM inside parent: a
// trigger instant t overlaps when Start <= t < End; the triggers are
// those of every instance of parent (the same instances as
// ComponentOverlaps), each with its REPEAT×DURATION repetitions.
func (tc *Context) AlarmOverlaps(parent, alarm *ical.Component, tr Range) (bool, error) {
	ci, err := tc.info(parent)
	if err != nil {
		return false, err
	}
	t, ok, err := tc.parseTrigger(alarm)
	if err != nil || !ok {
		return false, err
	}
	found := false
	check := func(o occ) bool {
		t.times(o, func(at time.Time) bool {
			found = tr.contains(at)
			return !found
		})
		return !found
	}
	if t.absolute || !ci.recurring() {
		check(ci.ownOcc())
		return found, nil
	}
	offLo, offHi := t.offsets(ci.endRule.approx())
	lo, hi := searchWindow(tr, ci.group, offLo, offHi)
	err = tc.eachMasterOcc(ci.group, lo, hi, check)
	if found || errors.Is(err, ErrTooComplex) {
		return true, nil // as ComponentOverlaps
	}
	return false, err
}

// dateTimeProps are the properties whose default value type is DATE-TIME
// (RFC 5545 3.8.2, 3.8.4.4, 3.8.5, 3.8.7; ACKNOWLEDGED from RFC 9074).
var dateTimeProps = map[string]bool{
	"DTSTART": true, "DTEND": true, "DUE": true, "RECURRENCE-ID": true, "EXDATE": true, "RDATE": true,
	"COMPLETED": true, "CREATED": true, "DTSTAMP": true, "LAST-MODIFIED": true, "ACKNOWLEDGED": true,
}

// PropertyOverlaps tests a time-range on a property (RFC 4791 9.7.2, the
// last rule of 9.9): a DATE-TIME value t (resolved with its TZID)
// overlaps when Start <= t < End, a DATE covers its whole day, a PERIOD
// (RDATE, FREEBUSY) overlaps like an event. A multi-valued property
// overlaps when one of its values does. Properties that are not date or
// time values (TRIGGER with a DURATION too) → false.
func (tc *Context) PropertyOverlaps(prop *ical.Prop, tr Range) (bool, error) {
	vt := strings.ToUpper(prop.Params.Get("VALUE"))
	switch {
	case prop.Name == ical.PropFreeBusy || vt == "PERIOD":
		vt = "PERIOD"
	case vt == "DATE" || vt == "DATE-TIME":
	case vt == "" && dateTimeProps[prop.Name]:
	default:
		return false, nil
	}
	for _, s := range SplitValues(prop.Value) {
		if vt == "PERIOD" || strings.Contains(s, "/") {
			a, b, err := tc.Period(prop, s)
			if err != nil {
				return false, err
			}
			if tr.Overlaps(a, b) {
				return true, nil
			}
			continue
		}
		v, err := tc.value(prop, s)
		if err != nil {
			return false, err
		}
		start := v.instant()
		end := start
		if v.kind == kindDate {
			end = v.zone.utc(v.wall.AddDate(0, 0, 1))
		}
		if tr.Overlaps(start, end) {
			return true, nil
		}
	}
	return false, nil
}

// instance is one occurrence of a recurrence set.
type Instance struct {
	// Start and End are UTC. End is the 9.9 effective end: DTEND (DUE),
	// DTSTART+DURATION, +1 day for a DATE VEVENT or VJOURNAL, else
	// Start. VTODOs without DTSTART have the times of their 9.9 row
	// (DUE; CREATED to COMPLETED; …), zero for one with none of them.
	Start, End time.Time
	// RecurrenceID is the UTC value of the instance's RECURRENCE-ID (its
	// original start); zero for a non-recurring component.
	RecurrenceID time.Time
	AllDay       bool            // DTSTART is a DATE
	Comp         *ical.Component // the master, or the overriding component for overridden instances
	Overridden   bool
}

// instances calls fn, in order of Start, for every instance of the
// recurrence set comp belongs to (the master's instances that are not
// overridden, plus every override of the same UID, with or without a
// master: pass any component of the set) that overlaps tr per RFC 4791
// 9.9 for its type. fn returns false to stop. tr must be bounded above
// when the set is infinite. For a VFREEBUSY the one instance runs from
// DTSTART to DTEND, or over its FREEBUSY periods. Used by expand (RFC
// 4791 9.6.5) and free-busy (7.10). A range holding more than
// MaxInstances instances of the master fails with errTooManyInstances.
func (tc *Context) Instances(comp *ical.Component, tr Range, fn func(Instance) bool) error {
	if comp.Name == ical.CompFreeBusy {
		return tc.freeBusyInstance(comp, tr, fn)
	}
	ci, err := tc.info(comp)
	if err != nil {
		return err
	}
	g := ci.group
	var list []occ
	if m := g.master; m != nil {
		if err := tc.errs[m.comp]; err != nil {
			return err
		}
		if m.recurring() {
			tc.prepare(g)
			if g.infinite && tr.End.IsZero() {
				return fmt.Errorf("%w: an infinite recurrence needs a bounded time range", ErrTooComplex)
			}
			lo, hi := searchWindow(tr, g, 0, 0)
			err := tc.eachMasterOcc(g, lo, hi, func(o occ) bool {
				if occMatches(o, tr) {
					list = append(list, o)
				}
				return len(list) <= MaxInstances
			})
			if err == nil && len(list) > MaxInstances {
				err = errTooManyInstances
			}
			if err != nil {
				return err
			}
		} else if o := m.ownOcc(); occMatches(o, tr) {
			o.rid = time.Time{}
			list = append(list, o)
		}
	}
	for _, ov := range g.overrides {
		if err := tc.errs[ov.comp]; err != nil {
			return err
		}
		if o := ov.ownOcc(); occMatches(o, tr) {
			list = append(list, o)
		}
	}
	slices.SortStableFunc(list, func(a, b occ) int {
		if c := a.start.Compare(b.start); c != 0 {
			return c
		}
		return a.rid.Compare(b.rid)
	})
	for _, o := range list {
		if !fn(Instance{Start: o.start, End: o.end, RecurrenceID: o.rid, AllDay: o.allDay, Comp: o.info.comp, Overridden: o.overridden}) {
			break
		}
	}
	return nil
}

// freeBusyInstance is instances for a VFREEBUSY.
func (tc *Context) freeBusyInstance(comp *ical.Component, tr Range, fn func(Instance) bool) error {
	ok, err := tc.freeBusyOverlaps(comp, tr)
	if err != nil || !ok {
		return err
	}
	ci, _ := tc.freeBusyInfo(comp)
	inst := Instance{Comp: comp}
	if ci.hasStart && ci.hasEnd {
		inst.Start, inst.End = ci.start.instant(), ci.end.instant()
	} else {
		periods, _ := tc.freeBusyPeriods(comp)
		for i, p := range periods {
			if i == 0 || p[0].Before(inst.Start) {
				inst.Start = p[0]
			}
			if i == 0 || p[1].After(inst.End) {
				inst.End = p[1]
			}
		}
	}
	fn(inst)
	return nil
}

// UseFloatingVTimezone makes the first usable VTIMEZONE of tzcal (a
// CALDAV:timezone or calendar-timezone value, RFC 4791 5.2.2, 9.8) the
// zone of floating times and DATE values, for when its TZID is no zone
// LookupTZID knows. Call it before any evaluation: results already
// computed keep the earlier zone. It reports whether tzcal had one.
func (tc *Context) UseFloatingVTimezone(tzcal *ical.Calendar) bool {
	if tzcal == nil {
		return false
	}
	for _, c := range tzcal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		if z := parseVTimezone(c); z != nil {
			tc.floating = z
			return true
		}
	}
	return false
}
