package dav

import (
	"net/http"

	"github.com/pgdav/pgdav/backend"
)

// delete removes an object (honouring If-Match) or a whole collection
// (RFC 4918 9.6). Homes and principals cannot be deleted over DAV.
func (h *Handler) delete(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	ctx := r.Context()
	switch t.kind {
	case KindObject:
		c, err := h.collection(ctx, p, t.ctype.Kind(), t.slug)
		if err != nil {
			return notFoundError(err)
		}
		if err := h.store.DeleteObject(ctx, c.ID, t.object, Conditions(r)); err != nil {
			return h.writeError(notFoundError(err), t.ctype, p, &c)
		}
	case KindCollection:
		if err := h.store.DeleteCollection(ctx, p.ID, t.ctype.Kind(), t.slug); err != nil {
			return notFoundError(err)
		}
	default:
		return Errorf(http.StatusForbidden, "this resource cannot be deleted")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
