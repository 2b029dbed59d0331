package caldav

import (
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav/internal/ictime"
)

// maxStoredInstances bounds the instances stored for one object: a
// weekly series over three years is 157, a daily one 1 096.
const maxStoredInstances = 1200

// Where an object has more instances than that (an infinite rule), only
// those near the time it is written are stored: queries about the months
// around now, which is what clients ask, stay decided by SQL; others
// fall back to the exact evaluator.
const (
	storedPast   = 400 * 24 * time.Hour
	storedFuture = 800 * 24 * time.Hour
)

// storedTimes is what ValidateObject stores of cal's times: objectTimes
// and, where it can be worked out ahead, the expansion over its window.
// floating is the zone the calendar reads floating times in
// (floatingZone).
func storedTimes(cal *ical.Calendar, now time.Time, floating *time.Location) *backend.ObjectTimes {
	t := objectTimes(cal, now, floating)
	if t == nil {
		return nil
	}
	if x, err := buildExpansion(cal, TimeRange{Start: t.Within.Start, End: t.Within.End}, floating); err == nil {
		t.Expansion, _ = x.marshal() // nil when it cannot be stored
		if x.floats {
			t.Zone = zoneKey(floating) // an X- component's floating time
		}
	}
	return t
}

// zoneKey names a floating zone for backend.ObjectTimes.Zone: the IANA
// name of a location (ictime.LookupTZID gives only those; "UTC" for time.UTC).
func zoneKey(loc *time.Location) string {
	if loc == nil {
		return time.UTC.String()
	}
	return loc.String()
}

// objectTimes computes the exact times PostgreSQL stores for a calendar
// object (backend.ObjectTimes, migrations/0006): the set of instants each
// instance matches per the RFC 4791 9.9 VEVENT and VJOURNAL tables (and
// the VTODO rows that read the same way, ictime.Context.TodoIsPeriod), and
// for VEVENTs the free-busy periods per the 7.10 table. Those tables say
// "overlaps [S, E)" of one period per instance (a point for an instance
// without duration), so a union of periods answers a pure time-range
// filter exactly.
//
// Floating DATE-TIMEs and DATE values (all-day events) are read in
// floating, the calendar's zone, and the result is marked with it
// (ObjectTimes.Zone): it decides only queries that read floating times in
// that zone, which is every query without a CALDAV:timezone of its own as
// long as the calendar's calendar-timezone is unchanged.
//
// It returns nil whenever the answer could depend on more than the bytes
// and that zone: a VTODO whose 9.9 row is not an overlap of one period, a
// VFREEBUSY, or a recurrence beyond evaluation. nil leaves the decision to
// the exact evaluator, as before this column existed.
func objectTimes(cal *ical.Calendar, now time.Time, floating *time.Location) *backend.ObjectTimes {
	var sets []*ical.Component // one component of each UID's recurrence set
	seen := map[string]bool{}
	for _, c := range cal.Children {
		switch c.Name {
		case ical.CompTimezone:
			continue
		case ical.CompEvent, ical.CompJournal, ical.CompToDo:
		default:
			return nil
		}
		uid := ""
		if p := c.Props.Get(ical.PropUID); p != nil {
			uid = p.Value
		}
		if !seen[uid] {
			seen[uid] = true
			sets = append(sets, c)
		}
	}
	if t := timesWithin(cal, sets, TimeRange{}, floating); t != nil {
		return t
	}
	now = now.UTC().Truncate(24 * time.Hour)
	return timesWithin(cal, sets, TimeRange{Start: now.Add(-storedPast), End: now.Add(storedFuture)}, floating)
}

// timesWithin computes the times of the sets' instances overlapping
// window, or nil when they cannot be evaluated or number more than
// maxStoredInstances.
func timesWithin(cal *ical.Calendar, sets []*ical.Component, window TimeRange, floating *time.Location) *backend.ObjectTimes {
	tc := ictime.NewContext(cal, floating)
	t := &backend.ObjectTimes{Within: backend.Interval{Start: window.Start, End: window.End}}
	n := 0
	for _, c := range sets {
		ok := true
		err := tc.Instances(c, window, func(in ictime.Instance) bool {
			if n++; n > maxStoredInstances {
				ok = false
				return false
			}
			if c.Name == ical.CompToDo && !tc.TodoIsPeriod(in) {
				ok = false
				return false
			}
			iv := backend.Interval{Start: in.Start, End: in.End}
			if !in.End.After(in.Start) {
				iv.End = in.Start // an instant (RFC 4791 9.9: Start <= t < End)
			}
			t.Instances = append(t.Instances, iv)
			if c.Name != ical.CompEvent || !in.End.After(in.Start) {
				return true
			}
			switch eventFBType(in.Comp) {
			case "BUSY":
				t.Busy = append(t.Busy, iv)
			case "BUSY-TENTATIVE":
				t.Tentative = append(t.Tentative, iv)
			}
			return true
		})
		if err != nil || !ok {
			return nil
		}
	}
	if tc.Floats() {
		t.Zone = zoneKey(floating)
	}
	return t
}
