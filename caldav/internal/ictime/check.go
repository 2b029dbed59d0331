package ictime

import (
	"time"

	"github.com/emersion/go-ical"
)

// What PUT asks of the engine to refuse an object that queries could not
// answer for (RFC 4791 5.3.2.1): each reader the queries use, run on its
// own so that the caller can name the value that fails, and the limits
// the engine can answer for.

// Floating times and DATEs are read in a zone chosen at query time, from
// UTC-12 to UTC+14: ValueBounds gives what they may mean in every one.
const (
	maxEastOffset = 14 * time.Hour
	maxWestOffset = 12 * time.Hour
)

// IsDateTimeProp reports the properties whose default value type is
// DATE-TIME (dateTimeProps).
func IsDateTimeProp(name string) bool { return dateTimeProps[name] }

// ParseDuration reads a DURATION value (RFC 5545 3.3.6) as the engine
// does, as an exact length: a day counts 24 hours.
func ParseDuration(s string) (time.Duration, error) {
	d, err := parseICalDuration(s)
	return d.approx(), err
}

// CheckRule reads a RECUR value (RFC 5545 3.3.10) as the engine does.
// zeroInterval reports INTERVAL=0, which RFC 5545 does not allow and the
// engine reads as 1 (old writers mean that).
func CheckRule(s string) (zeroInterval bool, err error) {
	r, err := parseRecur(s)
	if err != nil {
		return false, err
	}
	return r.zeroInterval, nil
}

// CheckAlarm reads the TRIGGER, REPEAT and DURATION of a VALARM as the
// alarm time-range test does (RFC 5545 3.8.6.2, 3.8.6.3).
func (tc *Context) CheckAlarm(alarm *ical.Component) error {
	_, _, err := tc.parseTrigger(alarm)
	return err
}

// ValueBounds reads the DATE or DATE-TIME value s of property p and
// returns the earliest and latest instants it can name: the instant
// itself when it is in UTC or has a zone, else its wall clock read in
// every zone from UTC+14 to UTC-12.
func (tc *Context) ValueBounds(p *ical.Prop, s string) (lo, hi time.Time, err error) {
	v, err := tc.value(p, s)
	if err != nil {
		return time.Time{}, time.Time{}, err
	}
	if !v.kind.fixed() {
		return v.wall.Add(-maxEastOffset), v.wall.Add(maxWestOffset), nil
	}
	return v.instant(), v.instant(), nil
}

// CountInstances walks the recurrence set of master comp as a query may,
// with a budget of its own (maxObjectWork): all of it when it is finite
// (COUNT rules cannot skip ahead), up to MaxInstances+1 starts, else far
// enough that every rule has found its first instance. n is the number of
// starts seen; err is ErrTooComplex (wrapped) when the walk needs more
// than the budget. Use a NewSpanContext, so that n is an upper bound in
// every floating zone.
func (tc *Context) CountInstances(comp *ical.Component) (n int, err error) {
	ci, err := tc.info(comp)
	if err != nil || !ci.recurring() {
		return 0, err
	}
	g := ci.group
	tc.prepare(g)
	tc.workLeft, tc.workSet = maxObjectWork, true // each set on its own
	err = tc.eachStart(g, time.Time{}, time.Time{}, func(origStart) bool {
		n++
		return !g.infinite && n <= MaxInstances
	})
	return n, err
}
