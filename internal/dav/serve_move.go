package dav

import (
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// moveCopy moves or copies one calendar object or vCard to another name
// in one of the user's own collections of the same kind (RFC 4918 9.8,
// 9.9). The object must fit the destination (a VTODO cannot go to an
// events-only calendar), checked with the same validation as a PUT.
// Collections cannot be moved or copied: 403.
func (h *Handler) moveCopy(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	if t.kind != KindObject {
		return Errorf(http.StatusForbidden, "only calendar objects and vCards can be moved or copied")
	}
	overwrite := true
	switch strings.ToUpper(strings.TrimSpace(r.Header.Get("Overwrite"))) {
	case "", "T":
	case "F":
		overwrite = false
	default:
		return Errorf(http.StatusBadRequest, "Overwrite must be T or F")
	}
	dt, err := h.destination(r)
	if err != nil {
		return err
	}
	if dt.kind == KindObject && !mayReach(p, dt) {
		// Adding a member to another user's collection: bind on it
		// (RFC 3744 3.9), named from the Destination alone.
		return needPrivilegesOn(h.collectionHref(dt.ctype, dt.user, dt.slug), DAVName("bind"))
	}
	if dt.kind != KindObject || dt.ctype != t.ctype || !mayReach(p, dt) {
		return Errorf(http.StatusForbidden, "the destination must be a resource in one of your own %s", t.ctype.HomeSegment())
	}
	ctx := r.Context()
	src, err := h.collection(ctx, p, t.ctype.Kind(), t.slug)
	if err != nil {
		return notFoundError(err)
	}
	dst, err := h.store.GetCollection(ctx, p.ID, t.ctype.Kind(), dt.slug)
	if errors.Is(err, backend.ErrNotFound) {
		return Errorf(http.StatusConflict, "destination collection %q does not exist", dt.slug) // RFC 4918 9.8.5
	}
	if err != nil {
		return err
	}
	if src.ID == dst.ID && t.object == dt.object {
		return Errorf(http.StatusForbidden, "source and destination are the same resource") // RFC 4918 9.8.5
	}
	obj, err := h.store.GetObject(ctx, src.ID, t.object, true)
	if err != nil {
		return notFoundError(err)
	}
	if _, err := t.ctype.ValidateObject(obj.Data, obj.ContentType, &dst); err != nil {
		return err
	}
	cond, err := h.conditions(r, t, p, &dt)
	if err != nil {
		return err
	}
	op := h.store.MoveObject
	if r.Method == "COPY" {
		op = h.store.CopyObject
	}
	replaced, err := op(ctx, src.ID, t.object, dst.ID, dt.object, overwrite, cond)
	if err != nil {
		if errors.Is(err, backend.ErrNotFound) {
			return notFoundError(err)
		}
		return h.writeError(err, t.ctype, p, &dst)
	}
	if replaced {
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	w.Header().Set("Location", h.objectHref(t.ctype, p.Name, dst.Slug, dt.object))
	w.WriteHeader(http.StatusCreated)
	return nil
}

// destination resolves the Destination header (RFC 4918 10.3): an
// absolute URL on this server or an absolute path. A URL naming another
// host is answered 502 (RFC 4918 9.9.4).
func (h *Handler) destination(r *http.Request) (target, error) {
	raw := strings.TrimSpace(r.Header.Get("Destination"))
	if raw == "" {
		return target{}, Errorf(http.StatusBadRequest, "the Destination header is missing")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return target{}, &Error{Status: http.StatusBadRequest, Message: "the Destination header is not a URL", Err: err}
	}
	if u.Host != "" && !strings.EqualFold(u.Host, r.Host) {
		return target{}, Errorf(http.StatusBadGateway, "the Destination %s is on another server", u.Host)
	}
	dt, err := h.resolve(u.EscapedPath())
	if err != nil {
		var de *Error
		if errors.As(err, &de) && de.Status == http.StatusNotFound {
			return target{}, Errorf(http.StatusForbidden, "the Destination is outside pgdav's resources")
		}
		return target{}, err
	}
	return dt, nil
}
