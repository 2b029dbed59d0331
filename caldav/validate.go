package caldav

import (
	"slices"
	"strings"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/internal/dav"
)

// ObjectInfo is what the store indexes about a calendar object resource.
type ObjectInfo struct {
	// UID is the UID shared by the resource's components (RFC 5545
	// 3.8.4.7), text escapes resolved.
	UID string
	// Component is the resource's component type: VEVENT, VTODO,
	// VJOURNAL or VFREEBUSY.
	Component string
}

// Names of the PUT preconditions (RFC 4791 5.3.2.1).
const (
	condSupportedData      = "supported-calendar-data"
	condValidData          = "valid-calendar-data"
	condValidObject        = "valid-calendar-object-resource"
	condSupportedComponent = "supported-calendar-component"
)

// ValidateObject checks a PUT body for a calendar collection that accepts
// the component types in allowed (e.g. []string{"VEVENT", "VTODO"}; empty
// means all, RFC 4791 5.2.3) and returns what to index. contentType is the
// request's Content-Type header value, possibly empty. data is only read:
// the caller stores it verbatim.
//
// Errors are *dav.Error with status 403 naming the first precondition of
// RFC 4791 5.3.2.1 found to fail, and a message saying what to change:
//   - supported-calendar-data: the media type is not text/calendar (or a
//     generic type whose body is not iCalendar), the charset is not UTF-8,
//     or VERSION is not 2.0;
//   - valid-calendar-data: the body is not UTF-8 iCalendar holding exactly
//     one VCALENDAR with a VERSION;
//   - valid-calendar-object-resource: the rules of RFC 4791 4.1 (no
//     METHOD, one component type, one UID, one master, distinct
//     RECURRENCE-IDs);
//   - supported-calendar-component: the component type is not in allowed.
func ValidateObject(data []byte, contentType string, allowed []string) (ObjectInfo, error) {
	info, _, err := validateObject(data, contentType, allowed)
	return info, err
}

// validateObject is ValidateObject that also returns the decoded
// calendar, so the index is computed from the same parse.
func validateObject(data []byte, contentType string, allowed []string) (ObjectInfo, *ical.Calendar, error) {
	kind, err := checkMediaType(contentType)
	if err != nil {
		return ObjectInfo{}, nil, err
	}
	cal, err := decodeCalendar(data)
	if err != nil {
		if kind == bodyGeneric {
			mt, _ := dav.ParseMediaType(contentType)
			return ObjectInfo{}, nil, precondition(condSupportedData,
				"the body, sent as %s, is not iCalendar (%s); send iCalendar as text/calendar", mt, dav.MessageOf(err))
		}
		return ObjectInfo{}, nil, err
	}
	if err := checkVersion(cal); err != nil {
		return ObjectInfo{}, nil, err
	}
	if len(allowed) == 0 {
		allowed = components
	}
	info, err := checkObjectResource(cal, allowed)
	if err != nil {
		return ObjectInfo{}, nil, err
	}
	if err := checkControls(data); err != nil {
		return ObjectInfo{}, nil, err
	}
	if err := checkEvaluable(cal); err != nil {
		return ObjectInfo{}, nil, err
	}
	return info, cal, nil
}

// checkControls refuses control characters other than HTAB (RFC 5545
// 3.1), which decodeCalendar lets through so that objects stored before
// stay readable: XML 1.0 cannot carry them, so calendar-data in a REPORT
// would differ from the bytes GET returns under the same ETag.
func checkControls(data []byte) error {
	i := dav.ControlAt(data)
	if i < 0 {
		return nil
	}
	line, name := dav.ContentLineAt(data, i)
	return invalidData("line %d: %s holds the control character U+%04X; iCalendar allows none but HTAB (RFC 5545 3.1)", line, name, data[i])
}

// checkComponentSupported applies supported-calendar-component (RFC 4791
// 5.3.2.1) and returns the canonical name.
func checkComponentSupported(comp string, allowed []string) (string, error) {
	i := slices.IndexFunc(allowed, func(a string) bool { return strings.EqualFold(a, comp) })
	if i < 0 {
		var names []string
		for _, a := range allowed {
			names = append(names, strings.ToUpper(a))
		}
		return "", precondition(condSupportedComponent,
			"component %s is not supported by this calendar (supports %s)", dav.Clip(comp), strings.Join(names, ", "))
	}
	return strings.ToUpper(allowed[i]), nil
}

// precondition returns a 403 naming a CalDAV precondition (RFC 4791 1.3).
func precondition(cond, format string, args ...any) *dav.Error {
	return dav.Precondition(dav.NSCalDAV, cond, format, args...)
}

// invalidData is precondition(valid-calendar-data, …).
func invalidData(format string, args ...any) *dav.Error {
	return precondition(condValidData, format, args...)
}

// invalidObject is precondition(valid-calendar-object-resource, …).
func invalidObject(format string, args ...any) *dav.Error {
	return precondition(condValidObject, format, args...)
}
