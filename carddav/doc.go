// Package carddav holds pgdav's CardDAV (RFC 6352) semantics: vCard
// validation and index extraction for PUT, and the REPORTs of address
// books and cards: addressbook-query (filter parsing, the index
// pre-filter and the exact matcher, with the three collations) and
// addressbook-multiget, address-data selection and vCard 3.0 ↔ 4.0
// conversion.
//
// Cards are stored exactly as the client sent them, in vCard 3.0 (RFC
// 2426) or 4.0 (RFC 6350); parsing serves validation, indexing, matching
// and conversion only.
//
// A query runs in two steps (STYLE.md G14): plan turns the filter into a
// backend.CardCond over the values cardValues extracted at PUT time, which
// PostgreSQL answers from an index, and filter.matches decides on each
// candidate. The differential test proves the two equal to exact matching
// over every card.
//
// It may import internal/dav, backend and go-vcard; never pgx, caldav or
// internal/server.
package carddav
