package dav

import (
	"net/http"

	"github.com/pgdav/pgdav/backend"
)

// delete removes an object or a whole collection (RFC 4918 9.6), each
// only if the request's conditions hold on it when it is deleted. Homes and principals cannot be deleted over DAV.
func (h *Handler) delete(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	ctx := r.Context()
	switch t.kind {
	case KindObject:
		c, err := h.collection(ctx, p, t.ctype.Kind(), t.slug)
		if err != nil {
			return notFoundError(err)
		}
		cond, err := h.conditions(r, t, p, nil)
		if err != nil {
			return err
		}
		if err := h.store.DeleteObject(ctx, c.ID, t.object, cond); err != nil {
			return h.writeError(notFoundError(err), t.ctype, p, &c)
		}
	case KindCollection:
		cond, err := h.conditions(r, t, p, nil)
		if err != nil {
			return err
		}
		if err := h.store.DeleteCollectionIf(ctx, p.ID, t.ctype.Kind(), t.slug, cond); err != nil {
			return h.writeError(notFoundError(err), t.ctype, p, nil)
		}
	default:
		return Errorf(http.StatusForbidden, "this resource cannot be deleted")
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
