package backend

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"
)

// CalendarQuery is the SQL pre-filter of a calendar-query REPORT (RFC 4791
// 7.8): the candidates the exact evaluator then decides on.
type CalendarQuery struct {
	CollectionID int64
	// Components restricts the component type (VEVENT, VTODO, …); nil
	// means any.
	Components []string
	// Range is the time restriction; nil means none.
	Range *TimeRange
	// WithData reads the objects' bytes too (with Range.Decide: of the
	// decided objects too).
	WithData bool
}

// TimeRange keeps the objects whose span overlaps Span (a zero Start or
// End is unbounded) and, with Decide, lets SQL decide some of them.
type TimeRange struct {
	Span
	// Decide, when not nil, lets SQL decide the range exactly for the
	// objects whose stored times are exact over it (ObjectTimes): those
	// that do not match are left out and those that do come with
	// Decided set, and without their bytes unless WithData. The caller
	// asks for it only when the range is the whole filter, on one
	// component type. Objects SQL cannot decide come with their bytes,
	// as candidates.
	Decide *Decision
}

// Decision is how SQL decides a TimeRange.
type Decision struct {
	// Zone names the zone the query reads floating times in
	// (ObjectTimes.Zone); stored times computed in another zone are not
	// used. Empty uses only times that hold in every zone.
	Zone string
	// Expand asks for the stored expansion instead of the bytes of the
	// decided objects whose times are exact over this window too
	// (ObjectTimes.Expansion); those without one come with their bytes.
	// nil: no expansion is wanted.
	Expand *Interval
}

// QueryCalendarObjects calls fn for each object of the collection that
// passes q, streaming rows as they come (in no particular order, see
// ListObjects). The time restriction is one GiST
// index scan on (collection_id, span); an object's span covers every
// instance of its recurrence set, so the pre-filter never drops a match.
func (s *Store) QueryCalendarObjects(ctx context.Context, q CalendarQuery, fn func(Object) error) error {
	var args sqlArgs
	where := `collection_id = ` + args.add(q.CollectionID)
	if q.Components != nil {
		where += ` AND component = ANY(` + args.add(q.Components) + `)`
	}
	if q.Range == nil {
		err := s.streamObjects(ctx, q.WithData, fn, `SELECT `+objectSelect(q.WithData)+` WHERE `+where, args...)
		return streamError(err, "query calendar objects of collection %d", q.CollectionID)
	}
	var lo, hi *time.Time
	if !q.Range.Start.IsZero() {
		lo = &q.Range.Start
	}
	if !q.Range.End.IsZero() {
		hi = &q.Range.End
	}
	start, end := args.add(lo), args.add(hi)
	// Closed at both ends, although CALDAV:time-range is half-open:
	// some RFC 4791 9.9 rows match a range that merely touches the
	// component (a VTODO due exactly at its end), and a wider test
	// only adds candidates for the exact evaluator.
	where += ` AND span && tstzrange(` + start + `::timestamptz, ` + end + `::timestamptz, '[]')`
	d := q.Range.Decide
	if d == nil {
		err := s.streamObjects(ctx, q.WithData, fn, `SELECT `+objectSelect(q.WithData)+` WHERE `+where, args...)
		return streamError(err, "query calendar objects of collection %d", q.CollectionID)
	}
	// decided: the stored instances are exact over the whole query range
	// (half-open, as RFC 4791 9.9 reads it); such an object matches when
	// one of its instances overlaps the range, and needs no reading.
	var expand any // the expand window, NULL for none
	if d.Expand != nil {
		expand = windowRange(*d.Expand)
	}
	withData, window, zone := args.add(q.WithData), args.add(expand), args.add(d.Zone)
	// in_window: a decided object whose times are exact over the expand
	// window too; its stored expansion, if it has one, answers instead of
	// its bytes. The body is looked up only for the rows that need
	// something from it (bodyWhen): a decided object, without WithData
	// and outside an expand window, reads nothing but its row of objects.
	query := `SELECT ` + objectColumns + `,
			CASE WHEN NOT d.decided OR (` + withData + ` AND NOT (d.in_window AND body.expansion IS NOT NULL)) THEN body.data END,
			CASE WHEN d.in_window THEN body.expansion END, d.decided
		FROM objects
			CROSS JOIN LATERAL (SELECT coalesce(instances_within @> tstzrange(` + start + `, ` + end + `, '[)'), false) AND ` +
		zoneMatchSQL(zone) + ` AS decided) d0
			CROSS JOIN LATERAL (SELECT d0.decided,
				d0.decided AND coalesce(instances_within @> ` + window + `::tstzrange, false) AS in_window) d` +
		bodyWhen(`NOT d.decided OR `+withData+` OR d.in_window`) + `
		WHERE ` + where + ` AND (NOT d.decided OR instances && tstzrange(` + start + `, ` + end + `, '[)'))`
	rows, err := s.pool.Query(ctx, query, args...)
	if err == nil {
		err = scanDecided(rows, fn)
	}
	return streamError(err, "query calendar objects of collection %d", q.CollectionID)
}

// scanDecided streams rows of objectColumns, data, expansion and decided
// to fn.
func scanDecided(rows pgx.Rows, fn func(Object) error) error {
	defer rows.Close()
	var (
		expansion []byte
		decided   bool
	)
	sc := newRowScanner(true, &expansion, &decided)
	for rows.Next() {
		o, err := sc.scan(rows)
		if err != nil {
			return err
		}
		o.Expansion, o.Decided = expansion, decided
		if err := fn(o); err != nil {
			return callbackError{err}
		}
	}
	return rows.Err()
}

// GetObjectsByName calls fn for each object of the collection whose name
// is in names (a multiget, RFC 4791 7.9 / RFC 6352 8.7), streaming rows
// from one query on the (collection_id, name) unique index. Names that do
// not exist are simply not returned; the caller reports them.
func (s *Store) GetObjectsByName(ctx context.Context, collectionID int64, names []string, withData bool, fn func(Object) error) error {
	if len(names) == 0 {
		return nil
	}
	err := s.streamObjects(ctx, withData, fn, objectsByNameSQL(withData), collectionID, names)
	return streamError(err, "get objects of collection %d by name", collectionID)
}

// objectsByNameSQL is GetObjectsByName's statement ($1 the collection, $2
// the names): one probe of the (collection_id, name) index per distinct
// name, whatever the planner believes of the collection's size. With
// "name = ANY($2)" and no statistics yet (a calendar uploaded less than a
// minute ago), the planner filters the whole collection by comparing
// every name with the list instead. OFFSET 0 keeps the subquery a probe.
func objectsByNameSQL(withData bool) string {
	return `SELECT o.* FROM (SELECT DISTINCT unnest($2::text[])) AS n (name),
		LATERAL (SELECT ` + objectSelect(withData) + ` WHERE collection_id = $1 AND objects.name = n.name OFFSET 0) AS o`
}
