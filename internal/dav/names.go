package dav

import "encoding/xml"

// XML namespaces of the properties and elements pgdav speaks.
const (
	NSDAV            = "DAV:"
	NSCalDAV         = "urn:ietf:params:xml:ns:caldav"  // RFC 4791
	NSCardDAV        = "urn:ietf:params:xml:ns:carddav" // RFC 6352
	NSCalendarServer = "http://calendarserver.org/ns/"  // getctag and Apple extensions
	NSAppleICal      = "http://apple.com/ns/ical/"      // calendar-color, calendar-order
	// NSPgdav is pgdav's own namespace, for what no RFC defines: the
	// message of an error body (error.go). A URN like the sync tokens'.
	NSPgdav = "urn:pgdav:ns"
)

// Prefixes the multistatus writer declares once on its root element, so
// live properties can be written as "D:href" and so on. Any other namespace
// is declared on the element that uses it.
var fixedPrefixes = []struct{ Prefix, Space string }{
	{"D", NSDAV},
	{"C", NSCalDAV},
	{"CR", NSCardDAV},
	{"CS", NSCalendarServer},
	{"ICAL", NSAppleICal},
}

// prefixOf returns the fixed prefix of a namespace, or "".
func prefixOf(space string) string {
	for _, p := range fixedPrefixes {
		if p.Space == space {
			return p.Prefix
		}
	}
	return ""
}

// Name constructors for the namespaces above.
func DAVName(local string) xml.Name     { return xml.Name{Space: NSDAV, Local: local} }
func CalDAVName(local string) xml.Name  { return xml.Name{Space: NSCalDAV, Local: local} }
func CardDAVName(local string) xml.Name { return xml.Name{Space: NSCardDAV, Local: local} }
func CSName(local string) xml.Name      { return xml.Name{Space: NSCalendarServer, Local: local} }
func ICalName(local string) xml.Name    { return xml.Name{Space: NSAppleICal, Local: local} }
