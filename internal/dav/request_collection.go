package dav

import (
	"context"
	"net/http"

	"github.com/pgdav/pgdav/backend"
)

// Most requests are to a collection or one of its members. Authentication
// reads the principal on every request anyway (internal/server), and
// reading the collection the URL names in the same statement saves each
// such request one round trip to the database: CollectionOf tells the
// authenticator which collection that is, and WithCollection hands what it
// read to the handler.

// CollectionOf returns the owner and key of the collection r's URL names
// or is a member of. ok is false for every other URL.
func (h *Handler) CollectionOf(r *http.Request) (user string, key backend.CollectionKey, ok bool) {
	t, err := h.resolve(r.URL.EscapedPath())
	if err != nil || (t.kind != KindCollection && t.kind != KindObject) {
		return "", backend.CollectionKey{}, false
	}
	return t.user, backend.CollectionKey{Kind: t.ctype.Kind(), Slug: t.slug}, true
}

type collectionKey struct{}

// WithCollection returns a context carrying c, read together with the
// request's credentials; the handler uses it instead of reading c again.
func WithCollection(ctx context.Context, c *backend.Collection) context.Context {
	return context.WithValue(ctx, collectionKey{}, c)
}

// collection returns the collection of kind and slug in p's home: the one
// the request's context carries if it is that one, or else the store's.
// The one carried was read at the start of this request, as a lookup here
// would have been.
func (h *Handler) collection(ctx context.Context, p backend.Principal, kind backend.CollectionKind, slug string) (backend.Collection, error) {
	if c, ok := ctx.Value(collectionKey{}).(*backend.Collection); ok && c != nil &&
		c.PrincipalID == p.ID && c.Kind == kind && c.Slug == slug {
		return *c, nil
	}
	return h.store.GetCollection(ctx, p.ID, kind, slug)
}
