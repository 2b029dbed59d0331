// Package dav is pgdav's WebDAV engine. Handler.ServeHTTP takes an
// authenticated request (the principal in its context, WithPrincipal),
// resolves its URL in the layout (layout.go), decides access in one place
// (access.go: authorize, mayReach) and runs the method: OPTIONS,
// PROPFIND, PROPPATCH, MKCOL and MKCALENDAR, GET, HEAD, PUT, DELETE,
// MOVE, COPY and REPORT (handler.go, serve_*.go). It answers
// sync-collection (RFC 6578, sync.go, sync_home.go) and the principal
// REPORTs (RFC 3253, RFC 3744) itself, for every collection type.
//
// Calendars and address books plug in as CollectionType values
// (collectiontype.go), which caldav and carddav implement and
// internal/server passes to NewHandler; the engine calls them wherever
// RFC 4791 and RFC 6352 differ from WebDAV and hands them the REPORTs
// they declare. They answer members back through MemberAnswer
// (members.go), read bodies with the XML kit (xmlread*.go, decode.go,
// bounded by decode_limits.go), and fail with the one error type, Error
// (error.go), which AsError and WriteError map and write in one place.
// The engine also holds the href codec (href.go), the conditions of
// If-Match, If-None-Match and If (header_conditions.go, evaluated by the
// store in the write's transaction) and the streamed multistatus writer
// (multistatus.go). docs/architecture.md follows requests through it.
//
// It may import backend; never pgx, iCalendar or vCard code, caldav,
// carddav, internal/server or cmd (integration/layering_test.go).
package dav
