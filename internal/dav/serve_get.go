package dav

import (
	"net/http"
	"strconv"

	"github.com/pgdav/pgdav/backend"
)

// get answers GET and HEAD. An object returns its stored bytes verbatim
// with its strong ETag (RFC 9110 8.8.3) and honours If-None-Match (304),
// If-Match and If (412); a collection, which has no entity tag, honours
// them too. A collection returns a short HTML listing of its members
// for a person with a browser (docs/compatibility.md: no export format is
// implied; clients never GET collections).
func (h *Handler) get(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	ctx := r.Context()
	res, err := h.load(ctx, t, p)
	if err != nil {
		return err
	}
	cond, err := h.conditions(r, t, p, nil)
	if err != nil {
		return err
	}
	notModified, err := checkRead(cond, res)
	if err != nil {
		return err
	}
	if res.Kind != KindObject {
		if notModified {
			w.WriteHeader(http.StatusNotModified)
			return nil
		}
		return h.listing(w, r, res)
	}
	o := res.Object
	hd := w.Header()
	hd.Set("ETag", QuoteETag(o.ETag))
	hd.Set("Last-Modified", httpDate(o.ModifiedAt))
	if notModified {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	full, err := h.store.GetObject(ctx, o.CollectionID, o.Name, true)
	if err != nil {
		return notFoundError(err)
	}
	hd.Set("Content-Type", full.ContentType)
	hd.Set("Content-Length", strconv.Itoa(len(full.Data)))
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		_, _ = w.Write(full.Data)
	}
	return nil
}
