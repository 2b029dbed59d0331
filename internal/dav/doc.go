// Package dav is the WebDAV machinery shared by CalDAV and CardDAV: the
// authenticated principal carried in a request's context, and (as the
// protocol issues land) the href codec, request parsing, the property
// registry, the streaming multistatus writer and the DAV error type.
//
// It may import backend; never pgx, iCalendar or vCard code, caldav or
// carddav.
package dav
