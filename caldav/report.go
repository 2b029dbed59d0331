package caldav

import (
	"context"
	"encoding/xml"
	"fmt"
	"net/http"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// Store is what the CalDAV REPORTs need from the backend.
type Store interface {
	QueryCalendarObjects(ctx context.Context, q backend.CalendarQuery, fn func(backend.Object) error) error
	GetObject(ctx context.Context, collectionID int64, name string, withData bool) (backend.Object, error)
	ListCollections(ctx context.Context, principalID int64, kind backend.CollectionKind) ([]backend.Collection, error)
	FreeBusy(ctx context.Context, collectionID int64, components []string, window backend.Interval, zone string, fn func(backend.Object) error) (backend.BusyTimes, error)
}

// The REPORTs of RFC 4791 section 7.
var (
	reportQuery    = dav.CalDAVName("calendar-query")
	reportMultiget = dav.CalDAVName("calendar-multiget")
	reportFreeBusy = dav.CalDAVName("free-busy-query")
)

// Reports lists the REPORTs each kind of calendar resource answers.
func (*Type) Reports(kind dav.ResourceKind) []xml.Name {
	switch kind {
	case dav.KindCollection:
		return []xml.Name{reportQuery, reportMultiget, reportFreeBusy}
	case dav.KindObject:
		return []xml.Name{reportQuery, reportMultiget}
	case dav.KindHome:
		return []xml.Name{reportFreeBusy}
	}
	return nil
}

// Report answers a CalDAV REPORT. The whole request is parsed and checked
// before the first byte of the answer (docs/architecture.md "Streamed
// answers").
func (t *Type) Report(w http.ResponseWriter, r *http.Request, res *dav.Resource, root xml.Name, body []byte) error {
	switch root {
	case reportQuery:
		return t.calendarQuery(w, r, res, body)
	case reportMultiget:
		return t.calendarMultiget(w, r, res, body)
	case reportFreeBusy:
		return t.freeBusy(w, r, res, body)
	}
	return dav.NewError(http.StatusForbidden, dav.DAVName("supported-report"), "the %s REPORT is not supported", root.Local)
}

// floatingZone is where floating times and DATE values of a calendar are
// taken (RFC 4791 5.2.2, 7.3): the query's timezone when it gave one,
// else the collection's calendar-timezone, else UTC.
func floatingZone(c *backend.Collection, override *time.Location) *time.Location {
	if override != nil {
		return override
	}
	if c == nil || c.Timezone == "" {
		return time.UTC
	}
	if loc := zoneOfCalendarTimezone(c.Timezone); loc != nil {
		return loc
	}
	return time.UTC
}

// zoneOfCalendarTimezone resolves the VTIMEZONE of a calendar-timezone
// value to a location by its TZID (IANA or Windows name).
func zoneOfCalendarTimezone(text string) *time.Location {
	cal, err := decodeCalendar([]byte(text))
	if err != nil {
		return nil
	}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone {
			continue
		}
		if p := c.Props.Get(ical.PropTimezoneID); p != nil {
			if loc := ictime.LookupTZID(p.Value); loc != nil {
				return loc
			}
		}
	}
	return nil
}

// calendarData is the calendar-data a REPORT asks for (RFC 4791 9.6),
// rendered with floating times in floating; nil when cd is nil. It comes
// after the other properties asked.
func calendarData(cd *calendarDataRequest, floating *time.Location, work *ictime.Work) *dav.DataProp {
	if cd == nil {
		return nil
	}
	return &dav.DataProp{Name: dav.CalDAVName("calendar-data"), At: -1, Render: func(m *dav.Resource) (dav.Prop, error) {
		return dataProp(cd, m.Object, floating, work)
	}}
}

// dataProp renders the calendar-data of one object for a REPORT.
// work is the request's engine budget, shared by all its objects.
func dataProp(cd *calendarDataRequest, o *backend.Object, floating *time.Location, work *ictime.Work) (dav.Prop, error) {
	if o.Expansion != nil && cd.expandOnly() {
		// Worked out, and escaped, when the object was written
		// (expansion.go).
		x, err := readExpansion(o.Expansion)
		if err != nil || !x.covers(*cd.expand) {
			return dav.Prop{}, fmt.Errorf("object %q: stored expansion unusable: %w", o.Name, cmpErr(err, errNoExpansion))
		}
		return dav.Prop{Name: dav.CalDAVName("calendar-data"), Status: http.StatusOK, Inner: x.render(*cd.expand)}, nil
	}
	s, err := cd.renderWith(o.Data, floating, work)
	if err != nil {
		return dav.Prop{}, err
	}
	return dav.Prop{Name: dav.CalDAVName("calendar-data"), Status: http.StatusOK, Text: s}, nil
}
