package main

import (
	"github.com/pgdav/pgdav/internal/server"
)

// addLimits registers the flags that bound slow and hostile clients.
func addLimits(fs *flagSet, l *server.Limits) {
	def := server.DefaultLimits()
	fs.DurationVar(&l.ReadHeaderTimeout, "read-header-timeout", def.ReadHeaderTimeout, "how long a request's headers may take to arrive before the connection is closed")
	fs.fromEnv("read-header-timeout", "PGDAV_READ_HEADER_TIMEOUT")
	fs.DurationVar(&l.ReadTimeout, "read-timeout", def.ReadTimeout, "how long a request's body may take to arrive, from the request's start (0: no limit)")
	fs.fromEnv("read-timeout", "PGDAV_READ_TIMEOUT")
	fs.DurationVar(&l.WriteTimeout, "write-timeout", def.WriteTimeout, "how long one write of an answer may wait for a client that reads nothing (0: no limit)")
	fs.fromEnv("write-timeout", "PGDAV_WRITE_TIMEOUT")
	fs.DurationVar(&l.IdleTimeout, "idle-timeout", def.IdleTimeout, "how long a kept-alive connection may wait for its next request")
	fs.fromEnv("idle-timeout", "PGDAV_IDLE_TIMEOUT")
	fs.IntVar(&l.MaxHeaderBytes, "max-header-bytes", def.MaxHeaderBytes, "largest request header block, in bytes")
	fs.fromEnv("max-header-bytes", "PGDAV_MAX_HEADER_BYTES")
	fs.IntVar(&l.MaxConnsPerClient, "max-conns-per-client", def.MaxConnsPerClient, "most open connections from one address; trusted proxies are exempt (0: no limit)")
	fs.fromEnv("max-conns-per-client", "PGDAV_MAX_CONNS_PER_CLIENT")
	fs.IntVar(&l.MaxRequestsPerClient, "max-requests-per-client", def.MaxRequestsPerClient, "most requests in progress for one client address, the forwarded one behind a trusted proxy (0: no limit)")
	fs.fromEnv("max-requests-per-client", "PGDAV_MAX_REQUESTS_PER_CLIENT")
}

// validateLimits checks the limit flags. The header timeout and size
// cannot be turned off: without them one client can hold connections or
// memory without end.
func validateLimits(l server.Limits) error {
	if l.ReadHeaderTimeout <= 0 {
		return usagef("--read-header-timeout must be positive")
	}
	for name, d := range map[string]int64{"read-timeout": int64(l.ReadTimeout), "write-timeout": int64(l.WriteTimeout), "idle-timeout": int64(l.IdleTimeout)} {
		if d < 0 {
			return usagef("--%s must not be negative", name)
		}
	}
	if l.MaxHeaderBytes < 4096 {
		return usagef("--max-header-bytes %d: want at least 4096", l.MaxHeaderBytes)
	}
	if l.MaxConnsPerClient < 0 || l.MaxRequestsPerClient < 0 {
		return usagef("--max-conns-per-client and --max-requests-per-client must not be negative")
	}
	return nil
}
