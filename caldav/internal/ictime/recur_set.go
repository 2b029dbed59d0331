package ictime

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/emersion/go-ical"
	"github.com/pgdav/pgdav/internal/ictext"
)

// This file builds recurrence sets (RFC 5545 3.8.5): a master's DTSTART,
// RRULE and RDATE instances minus EXDATE (and the deprecated EXRULE),
// with the instances that other components of the same UID override
// (RECURRENCE-ID, RFC 5545 3.8.4.4) taken out and, for RANGE=
// THISANDFUTURE, the later ones moved.

// VTODO rows of the RFC 4791 9.9 table, by the properties present.
const (
	todoStartDuration    = iota + 1 // DTSTART and DURATION, no DUE
	todoStartDue                    // DTSTART and DUE (a DURATION beside DUE is ignored)
	todoStart                       // DTSTART only
	todoDue                         // DUE only (DURATION without DTSTART is ignored)
	todoCompletedCreated            // neither: COMPLETED and CREATED
	todoCompleted                   // COMPLETED only
	todoCreated                     // CREATED only
	todoNothing                     // none of them: every range matches
)

// endRule says how an instance's end follows from its start.
type endRule struct {
	kind  uint8 // endSame, endExact, endDays, endNominal
	exact time.Duration
	days  int
	dur   icalDuration
}

const (
	endSame    = iota // zero length
	endExact          // DTEND or DUE: the same exact duration for every instance (RFC 5545 3.8.5.3)
	endDays           // a DATE DTSTART with a DATE DTEND or DUE, or no end (one day): whole days
	endNominal        // DURATION: the same nominal duration
)

// apply returns the end of an instance starting at the instant start,
// whose wall clock in z is wall.
func (e endRule) apply(start, wall time.Time, z tzZone) time.Time {
	switch e.kind {
	case endExact:
		return start.Add(e.exact)
	case endDays:
		return z.utc(wall.AddDate(0, 0, e.days))
	case endNominal:
		if e.dur.negative() {
			return start
		}
		return addDuration(start, z, e.dur)
	}
	return start
}

// approx bounds the length of an instance, for search windows.
func (e endRule) approx() time.Duration {
	switch e.kind {
	case endExact:
		return e.exact
	case endDays:
		return time.Duration(e.days)*24*time.Hour + 2*time.Hour
	case endNominal:
		return max(0, e.dur.approx()) + 2*time.Hour
	}
	return 0
}

// recurDate is one RDATE value; a PERIOD gives its instance its own end.
type recurDate struct {
	v      dtValue
	at     time.Time
	hasEnd bool
	end    time.Time
}

// compInfo is what the time engine reads from one VEVENT, VTODO,
// VJOURNAL or VFREEBUSY, parsed once per Context.
type compInfo struct {
	comp     *ical.Component
	start    dtValue
	hasStart bool
	allDay   bool
	end      dtValue // DTEND, or DUE for a VTODO
	hasEnd   bool
	dur      icalDuration
	hasDur   bool
	endRule  endRule
	rid      dtValue
	hasRID   bool
	future   bool // RANGE=THISANDFUTURE
	rrules   []*recurRule
	exrules  []*recurRule
	rdates   []recurDate
	exdates  []dtValue
	created  time.Time
	complete time.Time
	todoRow  int
	group    *recurGroup
}

// recurring reports whether the component defines a recurrence set.
func (c *compInfo) recurring() bool {
	return !c.hasRID && c.hasStart && (len(c.rrules) > 0 || len(c.rdates) > 0)
}

// recurGroup is the components of one UID and type in the resource.
type recurGroup struct {
	master    *compInfo
	overrides []*compInfo
	prepared  bool
	byKey     map[int64]*compInfo // overrides by RECURRENCE-ID, in the master's frame
	future    []*compInfo         // THISANDFUTURE overrides, by RECURRENCE-ID
	futureKey []int64
	exKeys    map[int64]bool // EXDATE instants (or days for an all-day master)
	exDays    map[int64]bool // EXDATE;VALUE=DATE against a DATE-TIME master: whole local days
	maxDur    time.Duration
	minShift  time.Duration
	maxShift  time.Duration
	infinite  bool
}

// info returns the parsed form of comp, parsing its whole group of
// components the first time.
func (tc *Context) info(comp *ical.Component) (*compInfo, error) {
	if ci, ok := tc.infos[comp]; ok {
		return ci, tc.errs[comp]
	}
	if !tc.grouped {
		tc.grouped = true
		groups := map[string]*recurGroup{}
		for _, c := range tc.cal.Children {
			switch c.Name {
			case ical.CompEvent, ical.CompToDo, ical.CompJournal:
			default:
				continue
			}
			// UIDs written with other TEXT escapes name one recurrence
			// set, as caldav's own UID checks read them.
			key := c.Name + "\x00"
			if p := c.Props.Get(ical.PropUID); p != nil && strings.TrimSpace(p.Value) != "" {
				key += ictext.Unescape(strings.TrimSpace(p.Value))
			} else {
				key += fmt.Sprintf("%p", c)
			}
			g := groups[key]
			if g == nil {
				g = &recurGroup{}
				groups[key] = g
			}
			tc.addToGroup(g, c)
		}
	}
	if _, ok := tc.infos[comp]; !ok {
		// Not a child of the calendar: a group of its own.
		tc.addToGroup(&recurGroup{}, comp)
	}
	return tc.infos[comp], tc.errs[comp]
}

func (tc *Context) addToGroup(g *recurGroup, c *ical.Component) {
	ci, err := tc.parseComp(c)
	ci.group = g
	tc.infos[c] = ci
	if err != nil {
		tc.errs[c] = err
	}
	switch {
	case ci.hasRID:
		g.overrides = append(g.overrides, ci)
	case g.master == nil:
		g.master = ci
	default:
		// A second master (refused at PUT): its own group.
		ci.group = &recurGroup{master: ci}
	}
}

// parseComp reads the time properties of c. On an error the result is
// still usable, without the faulty property.
func (tc *Context) parseComp(c *ical.Component) (*compInfo, error) {
	ci := &compInfo{comp: c}
	var firstErr error
	note := func(err error) {
		if err != nil && firstErr == nil {
			firstErr = err
		}
	}
	one := func(name string) (dtValue, bool) {
		p := c.Props.Get(name)
		if p == nil {
			return dtValue{}, false
		}
		v, err := tc.value(p, firstValue(p.Value))
		note(err)
		return v, err == nil
	}
	ci.start, ci.hasStart = one(ical.PropDateTimeStart)
	ci.rid, ci.hasRID = one(ical.PropRecurrenceID)
	if ci.hasRID {
		ci.future = strings.EqualFold(c.Props.Get(ical.PropRecurrenceID).Params.Get("RANGE"), "THISANDFUTURE")
		if !ci.hasStart {
			ci.start, ci.hasStart = ci.rid, true
		}
	}
	ci.allDay = ci.hasStart && ci.start.kind == kindDate
	switch c.Name {
	case ical.CompEvent, ical.CompFreeBusy:
		ci.end, ci.hasEnd = one(ical.PropDateTimeEnd)
	case ical.CompToDo:
		ci.end, ci.hasEnd = one(ical.PropDue)
	}
	if c.Name != ical.CompFreeBusy {
		if p := c.Props.Get(ical.PropDuration); p != nil {
			d, err := parseICalDuration(p.Value)
			note(err)
			ci.dur, ci.hasDur = d, err == nil
		}
	}
	if c.Name == ical.CompToDo {
		if v, ok := one(ical.PropCreated); ok {
			ci.created = v.instant()
		}
		if v, ok := one(ical.PropCompleted); ok {
			ci.complete = v.instant()
		}
	}
	if ci.hasStart && c.Name != ical.CompFreeBusy && !ci.hasRID {
		for _, name := range []string{ical.PropRecurrenceRule, "EXRULE"} {
			for _, p := range c.Props.Values(name) {
				r, err := parseRecur(p.Value)
				note(err)
				if err != nil {
					continue
				}
				if name == "EXRULE" {
					ci.exrules = append(ci.exrules, r)
				} else {
					ci.rrules = append(ci.rrules, r)
				}
			}
		}
		for _, p := range c.Props.Values(ical.PropRecurrenceDates) {
			for _, s := range SplitValues(p.Value) {
				rd, err := tc.recurDate(&p, s, ci)
				note(err)
				if err == nil {
					ci.rdates = append(ci.rdates, rd)
				}
			}
		}
		for _, p := range c.Props.Values(ical.PropExceptionDates) {
			for _, s := range SplitValues(p.Value) {
				v, err := tc.value(&p, s)
				note(err)
				if err == nil {
					ci.exdates = append(ci.exdates, v)
				}
			}
		}
	}
	ci.endRule = ci.makeEndRule()
	ci.todoRow = ci.makeTodoRow()
	return ci, firstErr
}

// firstValue returns the first of a comma-separated list of values.
func firstValue(s string) string {
	v, _, _ := strings.Cut(s, ",")
	return v
}

// recurDate reads one RDATE value, which may be a PERIOD (start/end or
// start/duration). A DATE value against a DATE-TIME DTSTART means that
// day at DTSTART's time of day (a lenient reading of invalid data).
func (tc *Context) recurDate(p *ical.Prop, s string, ci *compInfo) (recurDate, error) {
	first, rest, isPeriod := strings.Cut(s, "/")
	v, err := tc.value(p, first)
	if err != nil {
		return recurDate{}, err
	}
	if v.kind == kindDate && !ci.allDay {
		sw := ci.start.wall
		v = dtValue{wall: v.wall.Add(time.Duration(sw.Hour())*time.Hour + time.Duration(sw.Minute())*time.Minute + time.Duration(sw.Second())*time.Second), kind: ci.start.kind, zone: ci.start.zone}
	}
	rd := recurDate{v: v, at: v.instant()}
	if isPeriod {
		if strings.HasPrefix(strings.TrimSpace(rest), "P") || strings.HasPrefix(strings.TrimSpace(rest), "+P") || strings.HasPrefix(strings.TrimSpace(rest), "-P") {
			d, err := parseICalDuration(rest)
			if err != nil {
				return recurDate{}, err
			}
			rd.end = addDuration(rd.at, v.zone, d)
		} else {
			e, err := tc.value(p, rest)
			if err != nil {
				return recurDate{}, err
			}
			rd.end = e.instant()
		}
		rd.hasEnd = true
		if rd.end.Before(rd.at) {
			rd.end = rd.at
		}
	}
	return rd, nil
}

// makeEndRule applies RFC 4791 9.9 and RFC 5545 3.6.1/3.8.5.3 to find how
// long each instance lasts.
func (c *compInfo) makeEndRule() endRule {
	if !c.hasStart {
		return endRule{}
	}
	switch {
	case c.hasEnd:
		if c.allDay && c.end.kind == kindDate {
			return endRule{kind: endDays, days: max(0, int(dayNumber(c.end.wall)-dayNumber(c.start.wall)))}
		}
		return endRule{kind: endExact, exact: max(0, c.end.instant().Sub(c.start.instant()))}
	case c.hasDur && c.comp.Name != ical.CompJournal:
		return endRule{kind: endNominal, dur: c.dur}
	case c.allDay && (c.comp.Name == ical.CompEvent || c.comp.Name == ical.CompJournal):
		return endRule{kind: endDays, days: 1} // a DATE lasts the day (RFC 5545 3.6.1)
	}
	return endRule{}
}

// makeTodoRow picks the row of the RFC 4791 9.9 VTODO table.
func (c *compInfo) makeTodoRow() int {
	if c.comp.Name != ical.CompToDo {
		return 0
	}
	cr, co := !c.created.IsZero(), !c.complete.IsZero()
	switch {
	case c.hasStart && c.hasEnd:
		return todoStartDue
	case c.hasStart && c.hasDur:
		return todoStartDuration
	case c.hasStart:
		return todoStart
	case c.hasEnd:
		return todoDue
	case cr && co:
		return todoCompletedCreated
	case co:
		return todoCompleted
	case cr:
		return todoCreated
	}
	return todoNothing
}

// occ is one instance, as the engine works with it.
type occ struct {
	start, end time.Time
	wall       time.Time // the start's wall clock in zone
	zone       tzZone
	rid        time.Time
	info       *compInfo // the component whose properties the instance has
	allDay     bool
	overridden bool
}

// ownOcc returns the single instance of a non-recurring component or an
// override. VTODOs without DTSTART get the times their 9.9 row uses.
func (c *compInfo) ownOcc() occ {
	o := occ{info: c, overridden: c.hasRID, allDay: c.allDay}
	if c.hasRID {
		o.rid = c.rid.instant()
	}
	if c.hasStart {
		o.start, o.wall, o.zone = c.start.instant(), c.start.wall, c.start.zone
		o.end = c.endRule.apply(o.start, o.wall, o.zone)
		return o
	}
	switch c.todoRow {
	case todoDue:
		o.start = c.end.instant()
		o.end, o.wall, o.zone = o.start, c.end.wall, c.end.zone
	case todoCompletedCreated:
		o.start, o.end = c.created, c.complete
		if o.end.Before(o.start) {
			o.start, o.end = o.end, o.start
		}
	case todoCompleted:
		o.start, o.end = c.complete, c.complete
	case todoCreated:
		o.start, o.end = c.created, c.created
	}
	if o.zone == nil {
		o.zone = tzUTC
		o.wall = o.start
	}
	return o
}

// prepare computes what iterating the group's master needs.
func (tc *Context) prepare(g *recurGroup) {
	if g.prepared {
		return
	}
	g.prepared = true
	m := g.master
	g.byKey = map[int64]*compInfo{}
	g.exKeys = map[int64]bool{}
	g.exDays = map[int64]bool{}
	g.maxDur = m.endRule.approx()
	for _, r := range m.rrules {
		g.infinite = g.infinite || r.infinite()
	}
	for _, rd := range m.rdates {
		if rd.hasEnd {
			g.maxDur = max(g.maxDur, rd.end.Sub(rd.at))
		}
	}
	slices.SortFunc(m.rdates, func(a, b recurDate) int { return a.at.Compare(b.at) })
	for _, v := range m.exdates {
		if v.kind == kindDate && !m.allDay {
			g.exDays[dayNumber(v.wall)] = true
		} else if k, ok := tc.key(m, v); ok {
			g.exKeys[k] = true
		}
	}
	for _, ov := range g.overrides {
		k, ok := tc.key(m, ov.rid)
		if ok {
			g.byKey[k] = ov
		}
		if ov.future {
			g.future = append(g.future, ov)
			g.futureKey = append(g.futureKey, k)
			shift := ov.start.instant().Sub(ov.rid.instant())
			if tc.spanMode {
				shift += time.Duration(sign(shift)) * 28 * time.Hour
			}
			g.minShift, g.maxShift = min(g.minShift, shift), max(g.maxShift, shift)
			g.maxDur = max(g.maxDur, ov.endRule.approx())
		}
	}
	// THISANDFUTURE overrides in the order of their RECURRENCE-ID.
	idx := make([]int, len(g.future))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return g.future[a].rid.instant().Compare(g.future[b].rid.instant()) })
	fs, fk := make([]*compInfo, len(idx)), make([]int64, len(idx))
	for i, j := range idx {
		fs[i], fk[i] = g.future[j], g.futureKey[j]
	}
	g.future, g.futureKey = fs, fk
}

func sign(d time.Duration) int {
	if d < 0 {
		return -1
	}
	return 1
}

// key returns the identity of the instance v names in the frame of
// master m: its instant, or its day for an all-day master. EXDATE and
// RECURRENCE-ID given in another zone or in UTC thus match (RFC 5545
// 3.8.5.1). For ObjectSpan, a value whose meaning depends on the floating
// zone in another way than the master's does not match: the span must
// hold for every floating zone, and an instance kept is always safe.
func (tc *Context) key(m *compInfo, v dtValue) (int64, bool) {
	if tc.spanMode && v.kind.fixed() != m.start.kind.fixed() {
		return 0, false
	}
	if m.allDay {
		if v.kind.fixed() {
			return dayNumber(tc.floating.wall(v.instant())), true
		}
		return dayNumber(v.wall), true
	}
	return v.instant().Unix(), true
}

// origStart is one start of a master's recurrence set, before overrides.
type origStart struct {
	wall time.Time // in the master's zone
	at   time.Time
	rd   *recurDate // the RDATE it comes from, if any
}

// instKey is key for a generated start.
func (g *recurGroup) instKey(o origStart) int64 {
	if g.master.allDay {
		return dayNumber(o.wall)
	}
	return o.at.Unix()
}

// ruleSource yields the starts of one RRULE (or EXRULE) of a master.
type ruleSource struct {
	it        *recurIter
	m         *compInfo
	r         *recurRule
	byInstant bool // compare UNTIL as an instant
	untilAt   time.Time
	untilWall time.Time
	head      origStart
	ok        bool
	err       error
}

func (tc *Context) newRuleSource(m *compInfo, r *recurRule, b *recurBudget) *ruleSource {
	s := &ruleSource{it: newRecurIter(r, m.start.wall, m.allDay), m: m, r: r}
	s.it.budget = b
	if r.hasUntil {
		switch {
		case r.untilDate:
			// UNTIL=20260110 includes that whole day.
			s.untilWall = r.until
			if !m.allDay {
				s.untilWall = r.until.Add(24*time.Hour - time.Second)
			}
		case r.untilUTC && m.start.kind.fixed():
			s.byInstant, s.untilAt = true, r.until
		case r.untilUTC:
			// A floating or all-day master with a UTC UNTIL: compare
			// on the floating wall clock.
			s.untilWall = tc.floating.wall(r.until)
			if tc.spanMode {
				s.untilWall = r.until.Add(14 * time.Hour)
			}
		default:
			s.untilWall = r.until // local time: read in DTSTART's zone
		}
	}
	return s
}

func (s *ruleSource) seek(at time.Time) {
	if !at.IsZero() {
		s.it.seek(s.m.start.zone.wall(at).AddDate(0, 0, -2))
	}
}

func (s *ruleSource) advance() {
	w, ok, err := s.it.next()
	if err != nil || !ok {
		s.ok, s.err = false, err
		return
	}
	at := s.m.start.zone.utc(w)
	if s.r.hasUntil {
		if s.byInstant && at.After(s.untilAt) || !s.byInstant && w.After(s.untilWall) {
			s.ok = false
			return
		}
	}
	s.head, s.ok = origStart{wall: w, at: at}, true
}

// eachStart calls fn with the starts of master m's recurrence set in
// (nearly) increasing order: from no later than the first at or after
// lo (zero: from the beginning) until one after hi (zero: to the end), or
// until fn returns false. EXDATEs and EXRULEs are applied, duplicates
// dropped; overrides are not looked at. It fails with ErrTooComplex
// when the set needs more than its budget (maxRecurWork, shared by its
// rules, one unit for each start besides the rules' own work) before hi.
func (tc *Context) eachStart(g *recurGroup, lo, hi time.Time, fn func(origStart) bool) error {
	m := g.master
	b := tc.budget()
	defer b.close()
	var rules, exrules []*ruleSource
	for _, r := range m.rrules {
		s := tc.newRuleSource(m, r, b)
		s.seek(lo)
		s.advance()
		rules = append(rules, s)
	}
	for _, r := range m.exrules {
		s := tc.newRuleSource(m, r, b)
		s.seek(lo)
		s.advance()
		exrules = append(exrules, s)
	}
	dtstart := origStart{wall: m.start.wall, at: m.start.instant()}
	dtDone := false
	rdAt := 0
	var last time.Time
	for {
		// The smallest head among DTSTART, the rules and the RDATEs.
		var cand origStart
		var from *ruleSource
		have := false
		if !dtDone {
			cand, have = dtstart, true
		}
		if rdAt < len(m.rdates) && (!have || m.rdates[rdAt].at.Before(cand.at)) {
			rd := &m.rdates[rdAt]
			cand, have, from = origStart{wall: m.start.zone.wall(rd.at), at: rd.at, rd: rd}, true, nil
			if rd.v.kind == kindDate || !rd.v.kind.fixed() {
				cand.wall = rd.v.wall
			}
		}
		for _, s := range rules {
			if s.err != nil {
				return s.err
			}
			if s.ok && (!have || s.head.at.Before(cand.at)) {
				cand, have, from = s.head, true, s
			}
		}
		if !have {
			return nil
		}
		switch {
		case from != nil:
			from.advance()
		case cand.rd != nil:
			rdAt++
		default:
			dtDone = true
		}
		if !b.spend(1) {
			return b.err()
		}
		if !hi.IsZero() && cand.at.After(hi.Add(26*time.Hour)) {
			return nil
		}
		if !last.IsZero() && cand.at.Equal(last) {
			continue // RFC 5545 3.8.5.2: duplicates count once
		}
		last = cand.at
		if !lo.IsZero() && cand.at.Before(lo) {
			continue
		}
		if tc.excluded(g, cand, exrules) {
			continue
		}
		if !fn(cand) {
			return nil
		}
	}
}

// excluded applies EXDATE and EXRULE.
func (tc *Context) excluded(g *recurGroup, o origStart, exrules []*ruleSource) bool {
	if g.exKeys[g.instKey(o)] || (!g.master.allDay && g.exDays[dayNumber(o.wall)]) {
		return true
	}
	for _, s := range exrules {
		for s.ok && s.head.at.Before(o.at) {
			s.advance()
		}
		if s.ok && s.head.at.Equal(o.at) {
			return true
		}
	}
	return false
}

// eachMasterOcc calls fn with the instances of the master of g that no
// other component overrides, THISANDFUTURE shifts applied, for starts
// from about lo to about hi (zero: unbounded); fn checks exactly.
func (tc *Context) eachMasterOcc(g *recurGroup, lo, hi time.Time, fn func(occ) bool) error {
	tc.prepare(g)
	if !lo.IsZero() {
		lo = lo.Add(-g.maxShift)
	}
	if !hi.IsZero() {
		hi = hi.Add(-g.minShift)
	}
	return tc.eachStart(g, lo, hi, func(o origStart) bool {
		key := g.instKey(o)
		if g.byKey[key] != nil {
			return true
		}
		m := g.master
		base := occ{start: o.at, wall: o.wall, zone: m.start.zone, rid: o.at, info: m, allDay: m.allDay}
		if o.rd != nil && o.rd.hasEnd {
			base.end = o.rd.end
		} else {
			base.end = m.endRule.apply(o.at, o.wall, m.start.zone)
		}
		// The THISANDFUTURE override in force: the last one at or
		// before this instance (RFC 5545 3.8.4.4).
		f := -1
		for i, k := range g.futureKey {
			if k < key || tc.spanMode && g.future[i].rid.instant().Add(-28*time.Hour).Before(o.at) {
				f = i
				if tc.spanMode && !fn(tc.shifted(g, base, i)) {
					return false
				}
			}
		}
		if f < 0 || tc.spanMode {
			return fn(base)
		}
		return fn(tc.shifted(g, base, f))
	})
}

// shifted moves a master instance as THISANDFUTURE override i says: by
// the override's move, with the override's length.
func (tc *Context) shifted(g *recurGroup, o occ, i int) occ {
	f := g.future[i]
	if g.master.allDay && f.start.kind == kindDate && f.rid.kind == kindDate {
		o.wall = o.wall.AddDate(0, 0, int(dayNumber(f.start.wall)-dayNumber(f.rid.wall)))
		o.start = o.zone.utc(o.wall)
	} else {
		o.start = o.start.Add(f.start.instant().Sub(f.rid.instant()))
		o.wall = o.zone.wall(o.start)
	}
	fo := f.ownOcc()
	o.end = o.start.Add(fo.end.Sub(fo.start))
	return o
}
