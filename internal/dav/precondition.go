package dav

import (
	"encoding/xml"
	"errors"
	"net/http"
)

// Precondition returns a 403 naming the element cond in namespace space
// (RFC 4918 16; RFC 4791 1.3 and RFC 6352 6.3.2.1 define CalDAV's and
// CardDAV's), with a message for whoever reads the client's log. Each
// protocol binds its namespace and its conditions in functions of its
// own; being declared functions that pass format on, they and their
// callers stay under go vet's printf check, which a func value would
// escape.
func Precondition(space, cond, format string, args ...any) *Error {
	return NewError(http.StatusForbidden, xml.Name{Space: space, Local: cond}, format, args...)
}

// MessageOf returns the text of err to quote in a message for the client:
// a DAV error's Message, never its internal cause; any other error's own
// text, which for the parsers whose errors callers quote (go-ical,
// go-vcard, the time engine) describes the client's data.
func MessageOf(err error) string {
	var de *Error
	if errors.As(err, &de) {
		return de.Message
	}
	return err.Error()
}
