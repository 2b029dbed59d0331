package caldav

import (
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// The limits a calendar collection advertises (RFC 4791 5.2.6–5.2.9) and
// PUT enforces with their preconditions (5.3.2.1). They are what the time
// engine can answer for: values it can write back as iCalendar (years
// 0001–9999 in UTC; instances end in 9999, ictime.MaxYear) and recurrence
// sets it can walk within its budget (ictime.CountInstances). Attendees
// have their own limit (limits_attendees.go).
var (
	minDateTime = time.Date(1, time.January, 1, 0, 0, 0, 0, time.UTC)
	maxDateTime = time.Date(ictime.MaxYear, time.December, 31, 23, 59, 59, 0, time.UTC)
)

// Names of the limit preconditions (RFC 4791 5.3.2.1).
const (
	condMaxInstances = "max-instances"
	condMinDateTime  = "min-date-time"
	condMaxDateTime  = "max-date-time"
)

// limitProps are the advertised limits as live property values.
func limitProps() []dav.LiveProp {
	value := func(s string) func(*dav.Resource) (string, bool) {
		return func(*dav.Resource) (string, bool) { return s, true }
	}
	return []dav.LiveProp{
		{Name: dav.CalDAVName(condMinDateTime), Protected: true, Value: value(utcValue(minDateTime))},
		{Name: dav.CalDAVName(condMaxDateTime), Protected: true, Value: value(utcValue(maxDateTime))},
		{Name: dav.CalDAVName(condMaxInstances), Protected: true, Value: value(strconv.Itoa(ictime.MaxInstances))},
		{Name: dav.CalDAVName(condMaxAttendees), Protected: true, Value: value(strconv.Itoa(maxAttendeesPerInstance))},
	}
}

// checkLimits refuses what the time engine could not answer for in
// every query: a date outside [minDateTime, maxDateTime], a finite
// recurrence set of more than ictime.MaxInstances instances, and a set
// whose instances cannot be found within the engine's budget (a rule whose
// BYxxx parts never meet, COUNT rules beyond it). What it cannot parse is
// left to the parser's own errors.
func checkLimits(cal *ical.Calendar) error {
	// EXDATEs that depend on the zone remove nothing: counts are upper bounds.
	tc := ictime.NewSpanContext(cal)
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			continue // observance onsets are local rules, not the object's times
		}
		if err := checkDates(tc, c); err != nil {
			return err
		}
	}
	for _, c := range cal.Children {
		if !isRecurrenceType(c.Name) {
			continue
		}
		t, err := tc.Times(c)
		if err != nil {
			continue
		}
		if t.HasStart && t.End.After(maxDateTime) {
			return precondition(condMaxDateTime, "%s %s ends after %s, the latest time this server stores (CALDAV:max-date-time)",
				c.Name, utcValue(t.Start), utcValue(maxDateTime))
		}
		if !t.Recurring {
			continue
		}
		if err := checkRecurrenceCost(tc, c); err != nil {
			return err
		}
	}
	return nil
}

// checkRecurrenceCost walks the set of master c as a query may
// (ictime.CountInstances): a finite set of more than max-instances, or
// one the engine cannot walk within its budget, is refused.
func checkRecurrenceCost(tc *ictime.Context, c *ical.Component) error {
	n, err := tc.CountInstances(c)
	switch {
	case n > ictime.MaxInstances:
		return precondition(condMaxInstances, "the recurrence set of %s has more than %d instances, the most this server stores (CALDAV:max-instances); end it earlier or leave it open-ended",
			c.Name, ictime.MaxInstances)
	case errors.Is(err, ictime.ErrTooComplex):
		return invalidData("the recurrence of %s (%s) costs more than this server evaluates: %s", c.Name, ruleText(c), dav.MessageOf(err))
	}
	return nil
}

// ruleText is the RRULEs of c, for messages.
func ruleText(c *ical.Component) string {
	var rules []string
	for _, p := range c.Props.Values(ical.PropRecurrenceRule) {
		rules = append(rules, dav.QuoteShort(p.Value))
	}
	if len(rules) == 0 {
		return "RDATE"
	}
	return "RRULE " + strings.Join(rules, ", ")
}

// limitDateProps are the properties checkDates reads besides the
// DATE-TIME ones (ictime.IsDateTimeProp).
var limitDateProps = map[string]bool{ical.PropTrigger: true, ical.PropFreeBusy: true, ical.PropRecurrenceRule: true, "EXRULE": true}

// checkDates applies min-date-time and max-date-time to the DATE and
// DATE-TIME values of c and its subcomponents (RFC 4791 5.2.6, 5.2.7).
func checkDates(tc *ictime.Context, c *ical.Component) error {
	for name, props := range c.Props {
		if !ictime.IsDateTimeProp(name) && !limitDateProps[name] {
			continue
		}
		for i := range props {
			p := &props[i]
			for _, s := range dateValues(p) {
				// A floating time or DATE must fit in every zone.
				lo, hi, err := tc.ValueBounds(p, s)
				if err != nil {
					continue
				}
				if lo.Before(minDateTime) {
					return precondition(condMinDateTime, "%s %s is before %s, the earliest time this server stores (CALDAV:min-date-time)",
						name, dav.QuoteShort(s), utcValue(minDateTime))
				}
				if hi.After(maxDateTime) {
					return precondition(condMaxDateTime, "%s %s is after %s, the latest time this server stores (CALDAV:max-date-time)",
						name, dav.QuoteShort(s), utcValue(maxDateTime))
				}
			}
		}
	}
	for _, ch := range c.Children {
		if err := checkDates(tc, ch); err != nil {
			return err
		}
	}
	return nil
}

// dateValues returns the DATE or DATE-TIME texts of p: each value (the
// start and, unless it is a duration, the end of a PERIOD), an absolute
// TRIGGER, a rule's UNTIL.
func dateValues(p *ical.Prop) []string {
	switch p.Name {
	case ical.PropRecurrenceRule, "EXRULE":
		for _, part := range strings.Split(p.Value, ";") {
			if k, v, ok := strings.Cut(part, "="); ok && strings.EqualFold(strings.TrimSpace(k), "UNTIL") {
				return []string{strings.TrimSpace(v)}
			}
		}
		return nil
	case ical.PropTrigger:
		v := strings.TrimSpace(p.Value)
		if !strings.EqualFold(p.Params.Get(ical.ParamValue), "DATE-TIME") && (v == "" || v[0] < '0' || v[0] > '9') {
			return nil // a duration
		}
	}
	var out []string
	for _, s := range ictime.SplitValues(p.Value) {
		a, b, ok := strings.Cut(s, "/")
		out = append(out, a)
		if b = strings.TrimSpace(b); ok && b != "" && !strings.ContainsAny(b[:1], "Pp+-") {
			out = append(out, b)
		}
	}
	return out
}
