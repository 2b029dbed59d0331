// Package server wires pgdav's HTTP side: the http.Server and its timeouts,
// routing, middleware (panic recovery, request IDs and the access log,
// Basic authentication with a short-lived credential cache and failure
// throttling), the /healthz and /readyz probes, and graceful shutdown.
//
// It may import caldav, carddav, internal/dav and backend; never pgx, and it
// never parses DAV request bodies itself.
package server
