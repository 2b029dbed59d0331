package backend

import (
	"time"

	"github.com/jackc/pgx/v5/pgtype"
)

// Interval is a period of time: [Start, End), or the instant Start when
// End equals Start. Where an Interval bounds a window, a zero Start is
// unbounded below and a zero End unbounded above.
type Interval struct{ Start, End time.Time }

// ObjectTimes is an exact account of a calendar object's times, stored
// next to its span (migrations/0006) so that SQL alone decides the common
// time-range queries and free-busy for it. The caller computes it; the
// backend only stores and compares the sets.
type ObjectTimes struct {
	// Within is the window in which the sets are exact: every instance
	// that overlaps it is in them. Zero bounds are unbounded.
	Within Interval
	// Instances are the object's instances; a query range [S, E) inside
	// Within matches the object exactly when one of them overlaps it.
	Instances []Interval
	// Busy and Tentative are the object's free-busy periods by type.
	Busy, Tentative []Interval
	// Zone, when not empty, names the zone floating times and DATE values
	// were read in to compute these: they hold only for queries that read
	// them in the same zone (Decision.Zone).
	Zone string
	// Expansion is an opaque rendering the caller works out with the
	// times and reads back from time-range queries (Decision.Expand);
	// it is valid inside Within. nil stores none.
	Expansion []byte
}

type tstzRange = pgtype.Range[pgtype.Timestamptz]

// boundOf is t as a range bound; the zero time is unbounded.
func boundOf(t time.Time) (pgtype.Timestamptz, pgtype.BoundType) {
	if t.IsZero() {
		return pgtype.Timestamptz{}, pgtype.Unbounded
	}
	return pgtype.Timestamptz{Time: t, Valid: true}, pgtype.Inclusive
}

// windowRange is a window as a half-open tstzrange.
func windowRange(w Interval) tstzRange {
	r := tstzRange{Valid: true}
	r.Lower, r.LowerType = boundOf(w.Start)
	r.Upper, r.UpperType = boundOf(w.End)
	if r.UpperType == pgtype.Inclusive {
		r.UpperType = pgtype.Exclusive
	}
	return r
}

// intervalsRange is a set of intervals as a tstzmultirange; PostgreSQL
// merges those that overlap or touch, which keeps the set the same.
func intervalsRange(ivs []Interval) pgtype.Multirange[tstzRange] {
	m := make(pgtype.Multirange[tstzRange], 0, len(ivs))
	for _, iv := range ivs {
		r := tstzRange{
			Lower: pgtype.Timestamptz{Time: iv.Start, Valid: true}, LowerType: pgtype.Inclusive,
			Upper: pgtype.Timestamptz{Time: iv.End, Valid: true}, UpperType: pgtype.Exclusive,
			Valid: true,
		}
		if !iv.End.After(iv.Start) {
			r.Upper, r.UpperType = r.Lower, pgtype.Inclusive // an instant
		}
		m = append(m, r)
	}
	return m
}

// timesValues are the instances, instances_within, busy, tentative,
// expansion and instances_zone columns for t; all NULL when t is nil.
func timesValues(t *ObjectTimes) [6]any {
	if t == nil {
		return [6]any{}
	}
	var zone any // NULL: the times hold in every zone
	if t.Zone != "" {
		zone = t.Zone
	}
	return [6]any{intervalsRange(t.Instances), windowRange(t.Within), intervalsRange(t.Busy), intervalsRange(t.Tentative), t.Expansion, zone}
}

// zoneMatchSQL is the SQL condition that an object's stored times hold in
// the floating zone named by placeholder zone.
func zoneMatchSQL(zone string) string {
	return `(instances_zone IS NULL OR instances_zone = ` + zone + `)`
}

// intervalsOf reads a tstzmultirange of bounded ranges back.
func intervalsOf(m pgtype.Multirange[tstzRange]) []Interval {
	out := make([]Interval, 0, len(m))
	for _, r := range m {
		if r.LowerType == pgtype.Unbounded || r.UpperType == pgtype.Unbounded {
			continue // never stored: every interval is bounded
		}
		out = append(out, Interval{Start: r.Lower.Time, End: r.Upper.Time})
	}
	return out
}
