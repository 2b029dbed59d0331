package dav

import (
	"encoding/xml"
	"net/http"
)

// Preconditions returns the constructor of a protocol's precondition
// errors: 403 naming the element cond in namespace space (RFC 4918 16;
// RFC 4791 1.3 and RFC 6352 6.3.2.1 define CalDAV's and CardDAV's), with
// a message for whoever reads the client's log.
func Preconditions(space string) func(cond, format string, args ...any) *Error {
	return func(cond, format string, args ...any) *Error {
		return NewError(http.StatusForbidden, xml.Name{Space: space, Local: cond}, format, args...)
	}
}
