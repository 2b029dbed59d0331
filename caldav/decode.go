package caldav

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-ical"
	"github.com/pgdav/pgdav/internal/dav"
)

// utf8BOM is the byte order mark some Windows tools put before the data.
var utf8BOM = []byte("\uFEFF")

// decodeCalendar parses an iCalendar stream holding exactly one VCALENDAR.
// It is forgiving where clients are (a UTF-8 BOM, blank lines or
// whitespace around the data, LF instead of CRLF, a missing final line
// break, lower-case names, folding with tabs) and never changes data: the
// caller stores the client's bytes verbatim and decodes them again, with
// this function, when it answers a query.
func decodeCalendar(data []byte) (*ical.Calendar, error) {
	trimmed, first, err := dav.TrimText(data, "iCalendar is UTF-8 (RFC 5545 3.1.4)", invalidData)
	if err != nil {
		return nil, err
	}
	if err := scanCalendar(trimmed, first); err != nil {
		return nil, err
	}
	return decodeChecked(trimmed)
}

// decodeChecked runs go-ical's decoder on data that scanCalendar accepted.
// The scan makes its errors and panics unreachable; they are still mapped
// to valid-calendar-data, not to a crash, should a go-ical update add new
// ones.
func decodeChecked(data []byte) (cal *ical.Calendar, err error) {
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, invalidData("not valid iCalendar: %v", r)
		}
	}()
	dec := ical.NewDecoder(bytes.NewReader(data))
	cal, err = dec.Decode()
	if err != nil {
		return nil, invalidData("not valid iCalendar: %s", strings.TrimPrefix(err.Error(), "ical: "))
	}
	if _, err := dec.Decode(); !errors.Is(err, io.EOF) {
		return nil, invalidData("content after END:VCALENDAR; a calendar object resource holds exactly one VCALENDAR")
	}
	return cal, nil
}
