package dav

import (
	"context"

	"github.com/pgdav/pgdav/backend"
)

type principalKey struct{}

// WithPrincipal returns a context carrying the authenticated principal.
func WithPrincipal(ctx context.Context, p backend.Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the authenticated principal of a request, if any.
func PrincipalFrom(ctx context.Context) (backend.Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(backend.Principal)
	return p, ok
}
