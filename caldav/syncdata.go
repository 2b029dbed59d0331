package caldav

import (
	"bytes"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// DataProp reads a CALDAV:calendar-data element of a sync-collection's
// DAV:prop (RFC 6578 3.2 takes any property; RFC 4791 9.6 says what this
// one selects) with the parser of the CalDAV REPORTs, so comp, expand and
// the limits work as in calendar-multiget, and returns its renderer.
// Floating times are taken in the calendar's timezone, as in
// calendar-multiget. Other properties are not the type's: (nil, nil).
func (*Type) DataProp(pv dav.PropertyValue) (func(res *dav.Resource) (dav.Prop, error), error) {
	if pv.Name != dav.CalDAVName("calendar-data") {
		return nil, nil
	}
	d := dav.NewDecoder(bytes.NewReader([]byte(pv.Raw)))
	start, _, err := dav.ReadRoot(d)
	if err != nil {
		return nil, err
	}
	cd, err := parseCalendarDataRequest(d, start)
	if err != nil {
		return nil, err
	}
	// The zone is looked up once per collection, and only when the
	// request transforms the data (calendar-timezone is parsed for it).
	var (
		zoneOf *backend.Collection
		zone   *time.Location
		work   = ictime.NewWork()
	)
	return func(res *dav.Resource) (dav.Prop, error) {
		if !cd.passThrough() && res.Collection != zoneOf {
			zoneOf, zone = res.Collection, floatingZone(res.Collection, nil)
		}
		return dataProp(cd, res.Object, zone, work)
	}, nil
}
