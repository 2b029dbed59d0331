// Package backend is pgdav's storage: the only package that knows SQL.
//
// It owns the PostgreSQL connection pool (Store), the domain types
// (Principal, Collection, Object, DeadProperty), the sentinel errors callers test with errors.Is,
// password hashing, and the schema migrations. Every exported write method is
// one transaction: its precondition checks, the write and the change-log
// entry commit together or not at all.
//
// It may import the migrations package, pgx and golang.org/x/crypto. It must
// not import net/http, encoding/xml, iCalendar or vCard code, or any DAV
// package: callers translate protocol requests into these calls
// (integration/layering_test.go, docs/architecture.md). Errors that the
// database is away or full are classified by Classify. See README.md in
// this directory for how the schema serves the REPORTs.
package backend
