package caldav

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// calendarQuery is a parsed CALDAV:calendar-query REPORT body (RFC 4791
// 7.8, 9.5; RFC 7809 6.1).
type calendarQuery struct {
	// Props are the properties asked for besides calendar-data: a
	// PropfindProp list of names, allprop (with any DAV:include) or
	// propname. A body without any of the three is read as allprop, as
	// PROPFIND reads an empty body (RFC 4918 9.1).
	Props *dav.Propfind
	// Data is the CALDAV:calendar-data element inside DAV:prop; nil when
	// calendar-data is not requested.
	Data *calendarDataRequest
	// Filter is the top-level comp-filter, always named VCALENDAR.
	Filter *compFilter
	// Timezone resolves floating times and dates (RFC 4791 7.3, 9.8):
	// from <C:timezone-id> (RFC 7809 6.2), or from the TZID (or
	// X-LIC-LOCATION) of the VTIMEZONE in <C:timezone> when the time
	// engine's LookupTZID knows it (IANA, Windows and vendor-prefixed
	// IANA names). nil means the collection's calendar-timezone, or
	// UTC, applies — or, when TimezoneCal is set, that only the
	// VTIMEZONE itself describes the zone, which ictime.NewContext cannot
	// take yet.
	Timezone *time.Location
	// TimezoneCal is the VCALENDAR of <C:timezone>, holding exactly one
	// VTIMEZONE; nil when the request has none.
	TimezoneCal *ical.Calendar
	// Limit is <C:limit><C:nresults> (a CalendarServer extension that
	// RFC 6352 8.6 standardised for CardDAV): the most results the
	// client wants, the answer being cut with a 507 when more match; 0
	// when not given.
	Limit int
}

// calendarMultiget is a parsed CALDAV:calendar-multiget REPORT body
// (RFC 4791 7.9, 9.10).
type calendarMultiget struct {
	Props *dav.Propfind // as in calendarQuery
	Data  *calendarDataRequest
	// Hrefs are the DAV:href values in request order, with the white
	// space around them trimmed and otherwise as sent (still
	// percent-encoded, absolute or not, duplicates kept).
	Hrefs []string
}

// freeBusyQuery is a parsed CALDAV:free-busy-query REPORT body (RFC 4791
// 7.10, 9.11): its one time-range, with a start and an end.
type freeBusyQuery struct {
	Range TimeRange
}

// parseCalendarQuery parses a calendar-query REPORT body. Everything is
// checked here, before a response is started. Errors are *dav.Error:
//   - 400 for malformed XML, another root element, no filter or a second
//     one, a filter the DTD of RFC 4791 9.7 forbids, a time-range that is
//     not in UTC or ends before it starts;
//   - 403 valid-filter, supported-filter, supported-collation (RFC 4791
//     7.8) for filters, see parseFilter;
//   - 403 supported-calendar-data for calendar-data other than
//     text/calendar 2.0;
//   - 403 valid-calendar-data for a timezone that is not an iCalendar
//     object with exactly one VTIMEZONE, 403 valid-timezone for an
//     unknown timezone-id (RFC 7809 3.1.6).
//
// Elements pgdav does not know outside the filter are ignored (RFC 4918
// 17).
func parseCalendarQuery(body []byte) (*calendarQuery, error) {
	d, err := reportRoot(body, "calendar-query")
	if err != nil {
		return nil, err
	}
	q := &calendarQuery{}
	var props propsReader
	var filters, zones int
	err = dav.ReadDocument(d, func(t xml.StartElement) error {
		if handled, err := props.read(d, t); handled {
			return err
		}
		switch t.Name {
		case dav.CalDAVName("filter"):
			filters++
			if filters > 1 {
				return badRequest("calendar-query holds more than one filter (RFC 4791 9.5)")
			}
			f, err := parseFilter(d, t)
			q.Filter = f
			return err
		case dav.CalDAVName("timezone"):
			zones++
			text, err := dav.ReadText(d, t)
			if err != nil {
				return err
			}
			q.TimezoneCal, q.Timezone, err = parseQueryTimezone(text)
			return err
		case dav.CalDAVName("timezone-id"):
			zones++
			text, err := dav.ReadText(d, t)
			if err != nil {
				return err
			}
			q.Timezone, err = parseTimezoneID(text)
			return err
		case dav.CalDAVName("limit"):
			n, err := parseLimit(d)
			q.Limit = n
			return err
		}
		return dav.Skip(d)
	})
	if err != nil {
		return nil, err
	}
	switch {
	case q.Filter == nil:
		return nil, badRequest("calendar-query has no filter; RFC 4791 9.5 requires one (<C:filter><C:comp-filter name=\"VCALENDAR\"/></C:filter> matches everything)")
	case zones > 1:
		return nil, badRequest("calendar-query holds more than one timezone or timezone-id")
	}
	q.Props, q.Data, err = props.result("calendar-query")
	return q, err
}

// parseCalendarMultiget parses a calendar-multiget REPORT body. Errors
// are *dav.Error: 400 for malformed XML, another root element, no href
// or an empty one; 403 supported-calendar-data as in parseCalendarQuery.
func parseCalendarMultiget(body []byte) (*calendarMultiget, error) {
	d, err := reportRoot(body, "calendar-multiget")
	if err != nil {
		return nil, err
	}
	m := &calendarMultiget{}
	var props propsReader
	err = dav.ReadDocument(d, func(t xml.StartElement) error {
		if handled, err := props.read(d, t); handled {
			return err
		}
		if t.Name != dav.DAVName("href") {
			return dav.Skip(d)
		}
		text, err := dav.ReadText(d, t)
		if err != nil {
			return err
		}
		href := strings.TrimSpace(text)
		if href == "" {
			return badRequest("calendar-multiget holds an empty href")
		}
		m.Hrefs = append(m.Hrefs, href)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(m.Hrefs) == 0 {
		return nil, badRequest("calendar-multiget names no href (RFC 4791 9.10 requires at least one)")
	}
	m.Props, m.Data, err = props.result("calendar-multiget")
	return m, err
}

// parseFreeBusyQuery parses a free-busy-query REPORT body: exactly one
// time-range with both start and end in UTC (RFC 4791 7.10; an open
// range would ask for free-busy time without end). Errors are 400
// *dav.Error.
func parseFreeBusyQuery(body []byte) (*freeBusyQuery, error) {
	d, err := reportRoot(body, "free-busy-query")
	if err != nil {
		return nil, err
	}
	var q *freeBusyQuery
	err = dav.ReadDocument(d, func(t xml.StartElement) error {
		if t.Name != dav.CalDAVName("time-range") {
			return dav.Skip(d)
		}
		if q != nil {
			return badRequest("free-busy-query holds more than one time-range (RFC 4791 7.10 allows one)")
		}
		tr, err := parseTimeRange(t, true)
		if err != nil {
			return err
		}
		q = &freeBusyQuery{Range: tr}
		return dav.Skip(d)
	})
	if err != nil {
		return nil, err
	}
	if q == nil {
		return nil, badRequest("free-busy-query has no time-range (RFC 4791 7.10 requires one with start and end)")
	}
	return q, nil
}

// reportRoot starts decoding body and checks that its root element is
// the CalDAV element local.
func reportRoot(body []byte, local string) (*xml.Decoder, error) {
	d := dav.NewDecoder(bytes.NewReader(body))
	root, ok, err := dav.ReadRoot(d)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, badRequest("the REPORT body is empty; expected a CALDAV:%s element", local)
	}
	return d, dav.CheckRoot(root, dav.CalDAVName(local))
}

// propsReader reads the property request of a calendar-query or
// calendar-multiget (RFC 4791 9.5, 9.10, which take PROPFIND's), with the
// calendar-data element of DAV:prop parsed as it is read (the first one
// counts).
type propsReader struct {
	dav.PropRequest
	data *calendarDataRequest
}

// read handles t if it is one of DAV:prop, allprop, propname and include.
func (r *propsReader) read(d *xml.Decoder, t xml.StartElement) (handled bool, err error) {
	if r.ReadData == nil {
		r.Data = dav.CalDAVName("calendar-data")
		r.ReadData = func(d *xml.Decoder, t xml.StartElement) (err error) {
			r.data, err = parseCalendarDataRequest(d, t)
			return err
		}
	}
	return r.Read(d, t)
}

// result returns the property request and calendar-data, or a 400 for
// more than one of prop, allprop and propname. A body with none of them
// asks for allprop, as an empty PROPFIND does (RFC 4918 9.1).
func (r *propsReader) result(root string) (*dav.Propfind, *calendarDataRequest, error) {
	pf, err := r.Propfind(dav.CalDAVName(root))
	if err != nil || pf.Kind != dav.PropfindProp {
		return pf, nil, err
	}
	return pf, r.data, nil
}

// parseQueryTimezone reads the text of <C:timezone> (RFC 4791 9.8): an
// iCalendar object with exactly one valid VTIMEZONE, checked as
// calendar-timezone is (checkTimezoneObject) but with VERSION required,
// as PUT requires it, else 403
// valid-calendar-data (RFC 4791 7.8). The location is the zone its TZID
// (or X-LIC-LOCATION, which Lightning adds) names, if ictime.LookupTZID knows
// it.
func parseQueryTimezone(text string) (*ical.Calendar, *time.Location, error) {
	cal, tz, err := checkTimezoneObject("timezone", text, false)
	if err != nil {
		return nil, nil, err
	}
	for _, name := range []string{ical.PropTimezoneID, "X-LIC-LOCATION"} {
		if p := tz.Props.Get(name); p != nil {
			if loc := ictime.LookupTZID(p.Value); loc != nil {
				return cal, loc, nil
			}
		}
	}
	return cal, nil, nil
}

// parseTimezoneID reads <C:timezone-id> (RFC 7809 6.2): a time zone
// name ictime.LookupTZID knows (IANA, also Windows names), else 403
// valid-timezone (RFC 7809 3.1.6).
func parseTimezoneID(text string) (*time.Location, error) {
	id := strings.TrimSpace(text)
	if loc := ictime.LookupTZID(id); loc != nil {
		return loc, nil
	}
	return nil, dav.NewError(http.StatusForbidden, dav.CalDAVName("valid-timezone"),
		"timezone-id %s is not a time zone pgdav knows; send the VTIMEZONE in a timezone element instead (RFC 7809 3.1.6)", dav.QuoteShort(id))
}

// parseLimit reads <C:limit><C:nresults>n</C:nresults></C:limit>; a
// limit without nresults asks for no limit.
func parseLimit(d *xml.Decoder) (int, error) {
	n, found, err := dav.ReadLimit(d, dav.NSCalDAV)
	if err == nil && found && n == 0 {
		err = badRequest("nresults 0 is not a positive number")
	}
	return n, err
}

// utcLayout is an iCalendar "date with UTC time" (RFC 5545 3.3.5, form
// #2), which RFC 4791 9.9 requires in time-range and its kin.
const utcLayout = "20060102T150405Z"

// parseTimeRange reads the start and end attributes of a time-range,
// expand, limit-recurrence-set or limit-freebusy-set element. time-range
// may leave one of them out (RFC 4791 9.9: the range is then open at
// that end); the others need both (bothRequired). Errors are 400.
func parseTimeRange(t xml.StartElement, bothRequired bool) (TimeRange, error) {
	return readTimeRange(t, bothRequired, badRequest)
}

// parseFilterTimeRange reads a time-range inside a filter. A value that is
// not "date with UTC time", a range without start and end or one that
// ends before it starts makes the filter invalid: 403 valid-filter (RFC
// 4791 7.8, 9.9), with the message parseTimeRange gives.
func parseFilterTimeRange(t xml.StartElement) (TimeRange, error) {
	return readTimeRange(t, false, invalidFilter)
}

// readTimeRange is parseTimeRange with fail making its errors.
func readTimeRange(t xml.StartElement, bothRequired bool, fail func(string, ...any) error) (TimeRange, error) {
	el := t.Name.Local
	s, hasStart := dav.Attr(t, "start")
	e, hasEnd := dav.Attr(t, "end")
	var tr TimeRange
	switch {
	case bothRequired && (!hasStart || !hasEnd):
		return tr, fail("%s needs both a start and an end attribute (RFC 4791 9.6.5, 9.9)", el)
	case !hasStart && !hasEnd:
		return tr, fail("%s needs a start or an end attribute (RFC 4791 9.9)", el)
	}
	var err error
	if hasStart {
		if tr.Start, err = parseUTCTime(el, "start", s, fail); err != nil {
			return tr, err
		}
	}
	if hasEnd {
		if tr.End, err = parseUTCTime(el, "end", e, fail); err != nil {
			return tr, err
		}
	}
	if hasStart && hasEnd && !tr.End.After(tr.Start) {
		return tr, fail("%s ends (%s) before or when it starts (%s); the end must be later (RFC 4791 9.9)",
			el, tr.End.Format(utcLayout), tr.Start.Format(utcLayout))
	}
	return tr, nil
}

// parseUTCTime parses one attribute of readTimeRange.
func parseUTCTime(el, attrName, v string, fail func(string, ...any) error) (time.Time, error) {
	s := strings.ToUpper(strings.TrimSpace(v))
	ok := len(s) == len(utcLayout) && s[8] == 'T' && s[15] == 'Z'
	for i := 0; ok && i < 15; i++ {
		ok = i == 8 || '0' <= s[i] && s[i] <= '9'
	}
	if ok {
		if t, err := time.Parse(utcLayout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fail("%s %s %s is not a UTC date-time such as 20060104T000000Z (RFC 4791 9.9 requires \"date with UTC time\")",
		el, attrName, dav.QuoteShort(v))
}

// badRequest is a 400 *dav.Error.
func badRequest(format string, args ...any) error {
	return dav.Errorf(http.StatusBadRequest, format, args...)
}
