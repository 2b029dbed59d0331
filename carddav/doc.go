// Package carddav holds pgdav's CardDAV (RFC 6352) semantics: vCard
// validation and index extraction for PUT and, as the protocol issues
// land, addressbook-query filters, multiget, address-data and the
// handlers for address-book homes, address books and cards.
//
// Cards are stored exactly as the client sent them, in vCard 3.0 (RFC
// 2426) or 4.0 (RFC 6350); parsing serves validation and indexing only.
//
// It may import internal/dav, backend and go-vcard; never pgx, caldav or
// internal/server.
package carddav
