// Package caldav holds pgdav's CalDAV (RFC 4791) semantics: which
// calendar components exist and, as the protocol issues land, iCalendar
// validation, index extraction, calendar-query filters, multiget,
// free-busy and calendar-data, and the handlers for calendar homes,
// calendars and calendar objects.
//
// It may import internal/dav, backend and go-ical; never pgx, carddav or
// internal/server.
package caldav
