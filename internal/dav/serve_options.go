package dav

import (
	"errors"
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// options answers OPTIONS with 200 (not 204: Thunderbird's re-auth path
// checks for exactly 200), the DAV classes and the methods the resource
// allows (RFC 4918 10.1, 9.1; RFC 9110 9.3.7).
func (h *Handler) options(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	exists := true
	res, err := h.load(r.Context(), t, p)
	if err != nil {
		var de *Error
		if !errors.As(err, &de) || de.Status != http.StatusNotFound {
			return err
		}
		exists = false
	}
	kind := t.kind
	if res != nil {
		kind = res.Kind
	}
	w.Header().Set("DAV", DAVHeader)
	w.Header().Set("Allow", strings.Join(h.allow(kind, exists, t), ", "))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
	return nil
}

// allow lists the methods a resource of kind answers; for a URL with
// nothing there yet, what can create something there.
func (h *Handler) allow(kind ResourceKind, exists bool, t target) []string {
	if !exists {
		switch kind {
		case KindCollection:
			m := []string{"OPTIONS", "MKCOL"}
			if t.ctype != nil && t.ctype.CreateMethod() != "" {
				m = append(m, t.ctype.CreateMethod())
			}
			return m
		case KindObject:
			return []string{"OPTIONS", "PUT"}
		}
		return []string{"OPTIONS"}
	}
	m := []string{"OPTIONS", "GET", "HEAD", "PROPFIND"}
	switch kind {
	case KindPrincipal, KindHome:
		m = append(m, "PROPPATCH")
	case KindCollection:
		m = append(m, "PROPPATCH", "DELETE")
	case KindObject:
		m = append(m, "PROPPATCH", "PUT", "DELETE", "COPY", "MOVE")
	}
	// sync-collection (answered here for every type) on homes and
	// collections, plus each type's own REPORTs.
	if t.ctype != nil && (kind == KindHome || kind == KindCollection || len(t.ctype.Reports(kind)) > 0) {
		m = append(m, "REPORT")
	}
	return m
}
