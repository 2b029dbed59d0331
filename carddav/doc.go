// Package carddav is pgdav's CardDAV (RFC 6352) plugin: the
// dav.CollectionType of address books (Type, made by NewType), which
// internal/dav's engine calls wherever RFC 6352 differs from WebDAV:
// vCard validation and index extraction for PUT, the live properties of
// address books, and the REPORTs addressbook-query (filter parsing, the
// index pre-filter and the exact matcher, with the three collations) and
// addressbook-multiget, whose members are answered through the engine's
// MemberAnswer; address-data selection and vCard 3.0 ↔ 4.0 conversion.
// docs/architecture.md shows the whole path.
//
// Cards are stored exactly as the client sent them, in vCard 3.0 (RFC
// 2426) or 4.0 (RFC 6350); parsing serves validation, indexing, matching
// and conversion only.
//
// A query runs in two steps (docs/architecture.md "Indexed pre-filter,
// exact decision"): plan turns the filter into a backend.CardCond over
// the values cardValues extracted at PUT time, which PostgreSQL answers
// from an index, and filter.matches decides on each candidate. The
// differential test proves the two equal to exact matching over every
// card.
//
// It may import internal/dav, backend and go-vcard; never pgx, caldav or
// internal/server (integration/layering_test.go).
package carddav
