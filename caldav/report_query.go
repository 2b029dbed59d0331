package caldav

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// calendarQuery answers CALDAV:calendar-query (RFC 4791 7.8): the members
// of the calendar (Depth 1, or no Depth header) or the one object the
// request names, that match the filter. Candidates come from PostgreSQL
// by component type and indexed span; each is then decided exactly.
func (t *Type) calendarQuery(w http.ResponseWriter, r *http.Request, res *dav.Resource, body []byte) error {
	q, err := parseCalendarQuery(body)
	if err != nil {
		return err
	}
	// A REPORT without Depth on a collection means its members
	// (docs/compatibility.md); Depth 0 on a calendar asks about the
	// collection itself, which is not a calendar object: no match.
	depth, err := dav.ParseDepth(r, dav.Depth1)
	if err != nil {
		return err
	}
	ctx := r.Context()
	floating := floatingZone(res.Collection, q.Timezone)
	// One budget for the engine's work on every object of the answer
	// (filter and calendar-data alike), so a calendar of many costly
	// rules costs no more than a fixed amount.
	work := ictime.NewWork()
	a, err := res.AnswerMembers(w, r, q.Props, calendarData(q.Data, floating, work))
	if err != nil {
		return err
	}
	// <C:limit><C:nresults>, answered as RFC 6352 8.6.1 answers it for
	// CardDAV: only a match beyond the limit shows that the answer is
	// cut, so the stream stops at match Limit+1.
	truncated := false
	emit := func(o backend.Object) error {
		if !o.Decided {
			ok, err := t.matches(ctx, q, &o, floating, work)
			if err != nil || !ok {
				return err
			}
		}
		if q.Limit > 0 && a.Count() == q.Limit {
			truncated = true
			return errEnough
		}
		return a.Object(ctx, &o)
	}
	switch {
	case res.Kind == dav.KindObject:
		o, err := t.store.GetObject(ctx, res.Collection.ID, res.Object.Name, true)
		if err == nil {
			err = emit(o)
		}
		if err != nil {
			return a.Finish(r, err)
		}
	case depth == dav.Depth0:
	default:
		bq, exact := storeQuery(q, res.Collection.ID, floating)
		if exact {
			q.Filter = nil // SQL decided; nothing left to evaluate
		}
		if err := t.store.QueryCalendarObjects(ctx, bq, emit); err != nil && !errors.Is(err, errEnough) {
			return a.Finish(r, err)
		}
	}
	var extra []string
	if truncated {
		extra = append(extra, dav.TruncatedResponse(res.Href,
			"more calendar objects match; only the first "+strconv.Itoa(q.Limit)+" are returned (nresults)"))
	}
	return a.Finish(r, nil, extra...)
}

// errEnough stops a query's stream once its limit is passed.
var errEnough = errors.New("caldav: enough results")

// matches decides one candidate exactly. A stored object always decoded
// when it was written; one that no longer does (or whose recurrence rule
// is beyond evaluation) is logged and left out rather than failing the
// whole answer.
func (t *Type) matches(ctx context.Context, q *calendarQuery, o *backend.Object, floating *time.Location, work *ictime.Work) (bool, error) {
	if q.Filter == nil {
		return true, nil
	}
	cal, err := decodeCalendar(o.Data)
	if err == nil {
		tc := ictime.NewContext(cal, floating)
		tc.Charge(work)
		if q.Timezone == nil && q.TimezoneCal != nil {
			// RFC 4791 9.8: a query's own VTIMEZONE that no zone table
			// knows still defines the floating zone.
			tc.UseFloatingVTimezone(q.TimezoneCal)
		}
		var ok bool
		ok, err = q.Filter.matches(tc, cal)
		if err == nil {
			return ok, nil
		}
	}
	dav.Logger(ctx).Warn("calendar object left out of a query", "object", o.Name, "err", err)
	return false, nil
}

// storeQuery is the query of q's candidates in collection collectionID;
// exact says SQL decides the filter alone, for every row.
func storeQuery(q *calendarQuery, collectionID int64, floating *time.Location) (bq backend.CalendarQuery, exact bool) {
	comps, span, exact := q.Filter.plan()
	bq = backend.CalendarQuery{CollectionID: collectionID, Components: comps, WithData: !exact || q.Data != nil}
	if span == nil {
		return bq, exact
	}
	bq.Range = &backend.TimeRange{Span: backend.Span{Start: span.Start, End: span.End}}
	// SQL decides the objects whose stored times are exact over the
	// range; the others come with their bytes.
	if !q.Filter.timeOnly() {
		return bq, exact
	}
	d := &backend.Decision{}
	// The undecided rows come with their bytes anyway; a decided one
	// needs them only for calendar-data.
	bq.WithData = q.Data != nil
	if q.Timezone != nil || q.TimezoneCal == nil {
		// Otherwise floating times are read in a query's own VTIMEZONE,
		// which no stored zone name matches.
		d.Zone = zoneKey(floating)
	}
	if q.Data.expandOnly() {
		d.Expand = &backend.Interval{Start: q.Data.expand.Start, End: q.Data.expand.End}
	}
	bq.Range.Decide = d
	return bq, exact
}
