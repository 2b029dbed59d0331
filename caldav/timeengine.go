package caldav

import (
	"errors"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
)

// TimeRange is a CALDAV:time-range (RFC 4791 9.9) as the filter and
// calendar-data parsers read it: the time engine's Range.
type TimeRange = ictime.Range

// engineError is where an error of the time engine (package ictime)
// becomes what a client sees: a value the engine cannot read is
// valid-calendar-data (RFC 4791 5.3.2.1) with the engine's message;
// ErrTooComplex and others pass unchanged.
func engineError(err error) error {
	var ve *ictime.ValueError
	if errors.As(err, &ve) {
		return invalidData("%s", ve.Error())
	}
	return err
}
