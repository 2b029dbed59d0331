package caldav

import (
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/internal/dav"
)

// validateTimezone checks a calendar-timezone value (RFC 4791 5.2.2): an
// iCalendar object holding exactly one VTIMEZONE. Otherwise the
// CALDAV:valid-calendar-data precondition fails.
func validateTimezone(text string) error {
	if strings.TrimSpace(text) == "" {
		return nil // an empty value clears the property
	}
	cal, err := decodeCalendar([]byte(text))
	if err != nil {
		return dav.NewError(http.StatusForbidden, dav.CalDAVName("valid-calendar-data"),
			"calendar-timezone is not a valid iCalendar object: %v", dav.AsError(err).Message)
	}
	n := 0
	for _, c := range cal.Children {
		if c.Name == "VTIMEZONE" {
			n++
		}
	}
	if n != 1 {
		return dav.NewError(http.StatusForbidden, dav.CalDAVName("valid-calendar-data"),
			"calendar-timezone must hold exactly one VTIMEZONE, not %d", n)
	}
	return nil
}
