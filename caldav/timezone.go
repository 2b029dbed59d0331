package caldav

import (
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// validateTimezone checks a calendar-timezone value (RFC 4791 5.2.2): an
// iCalendar object holding exactly one valid VTIMEZONE. Otherwise the
// CALDAV:valid-calendar-data precondition fails.
func validateTimezone(text string) error {
	if strings.TrimSpace(text) == "" {
		return nil // an empty value clears the property
	}
	_, _, err := checkTimezoneObject("calendar-timezone", text, true)
	return err
}

// checkTimezoneObject checks the text of calendar-timezone (RFC 4791
// 5.2.2) or of a query's <C:timezone> (RFC 4791 9.8): "an iCalendar
// object with exactly one VTIMEZONE component". The object is decoded and
// its VERSION checked by the functions PUT uses (decodeCalendar,
// checkVersion), so what PUT refuses as a VCALENDAR is refused here; the
// one VTIMEZONE must have what RFC 5545 3.6.5 requires of it: a TZID and
// at least one STANDARD or DAYLIGHT, each with a DTSTART, TZOFFSETFROM
// and TZOFFSETTO the time engine can read. Every failure is 403
// valid-calendar-data (RFC 4791 5.3.2.1 for the property, 7.8: "The time
// zone specified in the REPORT request MUST be a valid iCalendar object
// containing a single valid VTIMEZONE component"); what names the element
// in messages.
//
// With versionOptional a VCALENDAR without VERSION passes: DAVx5 (older
// releases) sets calendar-timezone in MKCALENDAR to ical4j's bare
// VCALENDAR around the VTIMEZONE, and refusing it would fail the whole
// MKCALENDAR. A query's timezone, which no known client sends, gets the
// check PUT makes.
func checkTimezoneObject(what, text string, versionOptional bool) (*ical.Calendar, *ical.Component, error) {
	if strings.TrimSpace(text) == "" {
		return nil, nil, invalidData("%s is empty; it must hold an iCalendar object with one VTIMEZONE (RFC 4791 9.8)", what)
	}
	cal, err := decodeCalendar([]byte(text))
	if err != nil {
		return nil, nil, invalidData("%s is not a valid iCalendar object: %s", what, dav.MessageOf(err))
	}
	if !versionOptional || cal.Props.Get(ical.PropVersion) != nil {
		if err := checkVersion(cal); err != nil {
			// PUT answers a VERSION other than 2.0 with
			// supported-calendar-data, a media type it does not take;
			// here RFC 4791 names valid-calendar-data only.
			return nil, nil, invalidData("%s: %s", what, dav.MessageOf(err))
		}
	}
	var tz *ical.Component
	n := 0
	for _, c := range cal.Children {
		if c.Name == ical.CompTimezone {
			tz = c
			n++
		}
	}
	if n != 1 {
		return nil, nil, invalidData("%s must hold exactly one VTIMEZONE, not %d (RFC 4791 9.8)", what, n)
	}
	if err := ictime.CheckVTimezone(tz); err != nil {
		return nil, nil, invalidData("%s: %s", what, dav.MessageOf(err))
	}
	return cal, tz, nil
}

// timezoneID is the calendar-timezone-id of a calendar whose
// calendar-timezone is text (RFC 7809 5.2: the identifier of the same
// zone): the IANA name of the zone its VTIMEZONE's TZID names, or "" when
// no zone table knows the TZID (then there is no identifier to give).
func timezoneID(text string) string {
	if strings.TrimSpace(text) == "" {
		return ""
	}
	if loc := zoneOfCalendarTimezone(text); loc != nil {
		return loc.String()
	}
	return ""
}

// timezoneForID is the calendar-timezone value that setting
// calendar-timezone-id to id stores (RFC 7809 5.2: either property may be
// set, and the other then describes the same zone): a VCALENDAR with the
// VTIMEZONE of the zone ictime.LookupTZID finds for id (IANA, Windows or
// vendor-prefixed names), under its IANA name. An empty id clears both;
// an unknown one is 403 valid-timezone, the precondition RFC 7809 names
// for a time zone identifier the server does not know.
func timezoneForID(id string, now time.Time) (string, error) {
	id = strings.TrimSpace(id)
	if id == "" {
		return "", nil
	}
	loc := ictime.LookupTZID(id)
	if loc == nil {
		return "", dav.NewError(http.StatusForbidden, dav.CalDAVName("valid-timezone"),
			"calendar-timezone-id %s is not a time zone pgdav knows; use an IANA name such as Europe/Berlin, or set calendar-timezone to the VTIMEZONE", dav.QuoteShort(id))
	}
	return ictime.VTimezoneCalendar(loc.String(), loc, now.Year()), nil
}
