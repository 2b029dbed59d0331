package dav

import (
	"errors"
	"io"
	"net/http"

	"github.com/pgdav/pgdav/backend"
)

// put stores a calendar object or vCard (RFC 4918 9.7, RFC 4791 5.3.2,
// RFC 6352 6.3.2): the body is validated by the collection type, stored
// verbatim with its conditions checked in the same transaction, and
// answered 201 (created) or 204 (replaced) with the strong ETag — the
// stored bytes are the request body, so the tag describes what the client
// sent (RFC 9110 9.3.4).
func (h *Handler) put(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	if t.kind != KindObject {
		return Errorf(http.StatusMethodNotAllowed, "PUT creates calendar objects and vCards inside a collection")
	}
	ctx := r.Context()
	c, err := h.collection(ctx, p, t.ctype.Kind(), t.slug)
	if errors.Is(err, backend.ErrNotFound) {
		return Errorf(http.StatusConflict, "collection %q does not exist", t.slug) // RFC 4918 9.7.1
	}
	if err != nil {
		return err
	}
	cond, err := h.conditions(r, t, p, nil)
	if err != nil {
		return err
	}
	data, err := readBody(r, h.cfg.MaxResourceSize, t.ctype)
	if err != nil {
		return err
	}
	meta, err := t.ctype.ValidateObject(data, r.Header.Get("Content-Type"), &c)
	if err != nil {
		return err
	}
	obj, created, err := h.store.PutObject(ctx, backend.ObjectWrite{
		CollectionID: c.ID, Name: t.object, Data: data,
		UID: meta.UID, Component: meta.Component, ContentType: meta.ContentType, Span: meta.Span,
		Times: meta.Times, CardValues: meta.CardValues,
	}, cond)
	if err != nil {
		return h.writeError(err, t.ctype, p, &c)
	}
	w.Header().Set("ETag", QuoteETag(obj.ETag))
	if created {
		w.Header().Set("Location", h.objectHref(t.ctype, p.Name, c.Slug, obj.Name))
		w.WriteHeader(http.StatusCreated)
	} else {
		w.WriteHeader(http.StatusNoContent)
	}
	return nil
}

// readBody reads a request body up to max bytes; a larger one fails the
// type's max-resource-size precondition (RFC 4791 5.3.2.1, RFC 6352
// 6.3.2.1).
func readBody(r *http.Request, max int64, ct CollectionType) ([]byte, error) {
	if r.ContentLength > max {
		return nil, NewError(http.StatusForbidden, ct.PreconditionName("max-resource-size"),
			"the body has %d bytes; the limit is %d", r.ContentLength, max)
	}
	data, err := io.ReadAll(io.LimitReader(r.Body, max+1))
	if err != nil {
		return nil, &Error{Status: http.StatusBadRequest, Message: "the request body could not be read to its end", Err: err}
	}
	if int64(len(data)) > max {
		return nil, NewError(http.StatusForbidden, ct.PreconditionName("max-resource-size"),
			"the body is larger than the limit of %d bytes", max)
	}
	return data, nil
}

// writeError maps the backend's write errors to DAV answers: 412 for
// failed conditions, and no-uid-conflict naming the resource that holds
// the UID, or the one a write would replace with another UID (RFC 4791
// 5.3.2.1, RFC 6352 6.3.2.1). c is the collection written to (nil for a
// collection's own DELETE).
func (h *Handler) writeError(err error, ct CollectionType, p backend.Principal, c *backend.Collection) error {
	var uc *backend.UIDConflictError
	switch {
	case errors.As(err, &uc) && c != nil:
		msg := "another resource in this collection has UID " + uc.UID
		if uc.Replaced != "" {
			msg = "the resource has UID " + uc.Replaced + "; it cannot be replaced by one with UID " + uc.UID
		}
		return &Error{
			Status:        http.StatusForbidden,
			Condition:     ct.PreconditionName("no-uid-conflict"),
			ConditionBody: hrefXML(h.objectHref(ct, p.Name, c.Slug, uc.Name)),
			Message:       msg,
			Err:           err,
		}
	case errors.Is(err, backend.ErrPreconditionFailed):
		return &Error{Status: http.StatusPreconditionFailed, Message: "the resource's current state does not match If-Match / If-None-Match / If / Overwrite", Err: err}
	}
	return err
}
