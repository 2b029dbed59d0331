package dav

import (
	"net/http"
	"strconv"

	"github.com/pgdav/pgdav/backend"
)

// get answers GET and HEAD. An object returns its stored bytes verbatim
// with its strong ETag (RFC 9110 8.8.3) and honours If-None-Match (304) and
// If-Match (412). A collection returns a short HTML listing of its members
// for a person with a browser (docs/compatibility.md: no export format is
// implied; clients never GET collections).
func (h *Handler) get(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	ctx := r.Context()
	res, err := h.load(ctx, t, p)
	if err != nil {
		return err
	}
	if res.Kind != KindObject {
		return h.listing(w, r, res)
	}
	o := res.Object
	etag := QuoteETag(o.ETag)
	if c := ParseETagHeader(r.Header.Get("If-Match")); c != nil && !matches(c, o.ETag) {
		return Errorf(http.StatusPreconditionFailed, "If-Match does not match the current entity tag %s", etag)
	}
	hd := w.Header()
	hd.Set("ETag", etag)
	hd.Set("Last-Modified", httpDate(o.ModifiedAt))
	if c := ParseETagHeader(r.Header.Get("If-None-Match")); c != nil && matches(c, o.ETag) {
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

// matches reports whether an If-Match/If-None-Match set matches a tag
// (strong comparison, RFC 9110 8.8.3.2).
func matches(set *backend.ETagSet, tag string) bool {
	if set.Any {
		return true
	}
	for _, t := range set.Tags {
		if t == tag {
			return true
		}
	}
	return false
}
