package dav

import (
	"context"
	"log/slog"
)

type loggerKey struct{}

// WithLogger returns a context carrying the request-scoped logger (with
// the request ID), which WriteError and handlers log through.
func WithLogger(ctx context.Context, l *slog.Logger) context.Context {
	return context.WithValue(ctx, loggerKey{}, l)
}

// Logger returns the request's logger, or one that discards.
func Logger(ctx context.Context) *slog.Logger {
	if l, ok := ctx.Value(loggerKey{}).(*slog.Logger); ok {
		return l
	}
	return discard
}
