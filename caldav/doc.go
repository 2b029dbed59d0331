// Package caldav is pgdav's CalDAV (RFC 4791) plugin: the
// dav.CollectionType of calendars (Type, made by NewType). internal/dav
// is the engine — it resolves the URL, decides access, and runs PROPFIND,
// PROPPATCH, MKCALENDAR, PUT, GET, DELETE, MOVE, COPY and sync-collection
// — and calls this package wherever RFC 4791 differs from WebDAV: the
// live properties of calendars and calendar objects, iCalendar validation
// and the values PUT indexes (ValidateObject), and the REPORTs
// calendar-query, calendar-multiget and free-busy-query (Report), with
// calendar-data rendering and expansion. Those REPORTs answer their
// members back through the engine's MemberAnswer, and read the store
// through the small Store interface this package declares.
//
// The request path is server → internal/dav → caldav → back into
// internal/dav (MemberAnswer, errors) → backend; docs/architecture.md
// follows one calendar-query through it.
//
// The iCalendar time engine (RRULE, VTIMEZONE, RFC 4791 §9.9 time math,
// spans) is the package caldav/internal/ictime, which knows nothing of
// dav or backend; timeengine.go is this package's bridge to it.
//
// It may import internal/dav, backend, caldav/internal/ictime and go-ical;
// never pgx, carddav or internal/server (integration/layering_test.go).
package caldav
