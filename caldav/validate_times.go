package caldav

import (
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// checkEvaluable refuses an object that a query could not evaluate: what
// PUT stores, every time-range calendar-query, expand and free-busy query
// must be able to answer (RFC 4791 5.3.2.1 valid-calendar-data: the
// server decides what it can read). It does not judge by rules of its
// own: it runs the time engine's parsers, the functions the queries call
// (PropertyOverlaps, the component parse behind ComponentOverlaps,
// Instances and ObjectSpan, the alarm reader, parsePeriod of free-busy),
// over every value a query can make them read, and fails with the first
// error they report, named by component and property. Objects written
// before are still read as leniently as before; this only keeps new ones
// out.
//
// Where the engine reads data without an error but not as the client
// meant it, the object is refused too: a recurrence without DTSTART
// (whose rule the engine cannot place), INTERVAL=0 (read as 1).
func checkEvaluable(cal *ical.Calendar) error {
	tc := ictime.NewContext(cal, nil)
	// Each property on its own first, so that the message names it.
	if err := checkTimeValues(tc, cal.Component, ""); err != nil {
		return err
	}
	for _, c := range cal.Children {
		var err error
		switch c.Name {
		case ical.CompEvent, ical.CompToDo, ical.CompJournal:
			err = checkRecurrence(tc, c)
		case ical.CompFreeBusy:
			err = checkFreeBusyValues(tc, c)
		}
		if err != nil {
			return err
		}
	}
	// ObjectSpan, the one reader left, meets no error these did not:
	// TestValidatedObjectsEvaluate and FuzzValidateObject hold that.
	return nil
}

// never is an empty time-range: no value overlaps it, so
// PropertyOverlaps reads every value of a property before it answers,
// except a period spanning its instant, which is then read value by
// value.
var never = TimeRange{Start: time.Unix(0, 0).UTC(), End: time.Unix(0, 0).UTC()}

// checkTimeValues checks, in comp and its subcomponents, every value that
// a prop-filter time-range reads (PropertyOverlaps: DATE, DATE-TIME and
// PERIOD values, each value of a list on its own) and every DURATION the
// component parse reads. in names the parent for messages.
func checkTimeValues(tc *ictime.Context, comp *ical.Component, in string) error {
	where := comp.Name
	if in != "" && in != ical.CompCalendar {
		where += " in " + in
	}
	for name, props := range comp.Props {
		for i := range props {
			p := props[i]
			hit, err := tc.PropertyOverlaps(&p, never)
			if err != nil {
				return refuseValue(where, name, err)
			}
			for _, s := range ictime.SplitValues(p.Value) {
				if !hit {
					break // every value read, without an error
				}
				one := p
				one.Value = s
				if _, err := tc.PropertyOverlaps(&one, never); err != nil {
					return refuseValue(where, name, err)
				}
			}
			if name == ical.PropDuration && readsDuration(comp, in) {
				if _, err := ictime.ParseDuration(p.Value); err != nil {
					return refuseValue(where, name, err)
				}
			}
		}
	}
	for _, c := range comp.Children {
		if err := checkTimeValues(tc, c, comp.Name); err != nil {
			return err
		}
	}
	return nil
}

// readsDuration reports whether the engine reads DURATION in comp: in a
// VEVENT, VTODO or VJOURNAL (Times), and in their alarms when REPEAT
// is beside it (CheckAlarm).
func readsDuration(comp *ical.Component, in string) bool {
	switch comp.Name {
	case ical.CompEvent, ical.CompToDo, ical.CompJournal:
		return in == ical.CompCalendar
	case ical.CompAlarm:
		return isRecurrenceType(in) && comp.Props.Get(ical.PropRepeat) != nil
	}
	return false
}

// checkRecurrence applies the component parse of the time engine to a
// VEVENT, VTODO or VJOURNAL (RRULE, EXRULE, RDATE, EXDATE, the times of
// RFC 4791 9.9) and to its alarms' TRIGGER and REPEAT.
func checkRecurrence(tc *ictime.Context, c *ical.Component) error {
	// The rules of a master, as the engine reads them; an override's are
	// ignored (it is one instance).
	rules := []string{ical.PropRecurrenceRule, "EXRULE"}
	if c.Props.Get(ical.PropRecurrenceID) != nil {
		rules = nil
	}
	for _, name := range rules {
		for _, p := range c.Props.Values(name) {
			zeroInterval, err := ictime.CheckRule(p.Value)
			if err != nil {
				return refuseValue(c.Name, name, err)
			}
			if zeroInterval {
				return invalidData("%s: %s %s: INTERVAL must be a positive integer (RFC 5545 3.3.10)", c.Name, name, dav.QuoteShort(p.Value))
			}
		}
	}
	t, err := tc.Times(c)
	if err != nil {
		return invalidData("%s: %s", c.Name, dav.MessageOf(err))
	}
	if !t.HasStart {
		// The engine reads no recurrence without a start (RFC 5545
		// 3.8.2.4: DTSTART is required where RRULE is).
		for _, name := range []string{ical.PropRecurrenceRule, "EXRULE", ical.PropRecurrenceDates} {
			if c.Props.Get(name) != nil {
				return invalidData("%s: %s without DTSTART; a recurrence set counts from DTSTART (RFC 5545 3.8.2.4, 3.8.5)", c.Name, name)
			}
		}
	}
	for _, a := range c.Children {
		if a.Name != ical.CompAlarm {
			continue
		}
		if err := tc.CheckAlarm(a); err != nil {
			return refuseValue("VALARM in "+c.Name, ical.PropTrigger, err)
		}
	}
	return nil
}

// checkFreeBusyValues applies the engine's reading of a VFREEBUSY, and that of
// the free-busy report, which takes FREEBUSY periods only in UTC as RFC
// 5545 3.8.2.6 requires (parsePeriod) and would leave others out
// without a word.
func checkFreeBusyValues(tc *ictime.Context, c *ical.Component) error {
	if _, err := tc.Times(c); err != nil {
		return invalidData("%s: %s", c.Name, dav.MessageOf(err))
	}
	for _, p := range c.Props.Values(ical.PropFreeBusy) {
		for _, v := range strings.Split(p.Value, ",") {
			if strings.TrimSpace(v) == "" {
				continue
			}
			if _, ok := parsePeriod(v); ok {
				continue
			}
			s, e, err := tc.Period(&p, strings.TrimSpace(v))
			if err == nil && !e.After(s) {
				continue // an empty period: busy at no time, for both readers
			}
			return invalidData("%s: FREEBUSY %s is not a PERIOD in UTC (RFC 5545 3.8.2.6, 3.3.9)", c.Name, dav.QuoteShort(v))
		}
	}
	return nil
}

// refuseValue is valid-calendar-data for a value of property name in
// where that the engine cannot read; err is the engine's reason, which
// names the property unless it starts with the quoted value (DURATION)
// or it is an EXRULE (read by the RRULE parser).
func refuseValue(where, name string, err error) error {
	msg := dav.MessageOf(err)
	if strings.HasPrefix(msg, `"`) || name == "EXRULE" {
		msg = name + " " + msg
	}
	return invalidData("%s: %s", where, msg)
}
