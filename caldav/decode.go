package caldav

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"unicode/utf8"

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
	data = bytes.TrimPrefix(data, utf8BOM) // RFC 3629 6: a BOM is not part of the text
	if !utf8.Valid(data) {
		return nil, invalidData("the body is not valid UTF-8 (byte %d); iCalendar is UTF-8 (RFC 5545 3.1.4)", dav.InvalidUTF8At(data))
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, invalidData("the body contains a NUL byte (byte %d); RFC 5545 3.1 allows no control characters but tab", i)
	}
	// go-ical reads a whitespace-only line after END:VCALENDAR as a
	// continuation of it ("END:VCALENDAR " then does not match), so the
	// parse copy is trimmed; leading line breaks still count for messages.
	data = bytes.TrimRight(data, " \t\r\n")
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	first := 1 + bytes.Count(data[:len(data)-len(trimmed)], []byte{'\n'})
	if len(trimmed) == 0 {
		return nil, invalidData("the body is empty")
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
