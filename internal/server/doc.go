// Package server is pgdav's HTTP edge: the http.Server and its timeouts,
// routing, middleware (forwarded headers from trusted proxies, panic
// recovery, request IDs and the access log, per-client limits and slow
// client deadlines), Basic authentication with a short-lived credential
// cache and failure throttling, the /healthz and /readyz probes, the
// well-known redirects, and graceful shutdown. Every other path goes,
// authenticated, to internal/dav's engine, with caldav and carddav
// plugged into it (New); Store names every store interface those parts
// declare, so *backend.Store is checked at compile time.
//
// It may import caldav, carddav, internal/dav and backend; never pgx or
// cmd, and it never parses DAV request bodies itself
// (integration/layering_test.go, docs/architecture.md).
package server
