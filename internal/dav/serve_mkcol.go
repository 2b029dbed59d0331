package dav

import (
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// mkcol creates a calendar or an address book in the user's own home:
// MKCALENDAR (RFC 4791 5.3.1) or extended MKCOL (RFC 5689) with an
// optional set of properties, applied all or nothing. A plain MKCOL (no
// body) in a home creates a collection of the home's type
// (docs/compatibility.md).
func (h *Handler) mkcol(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	ctx := r.Context()
	if r.Method == "MKCALENDAR" {
		// RFC 4791 5.3.1: every response, whatever its status.
		w.Header().Set("Cache-Control", "no-cache")
	}
	// RFC 4918 9.3: a body of a type the server does not understand is
	// 415, before anything else is looked at (litmus basic 14).
	if ctype := r.Header.Get("Content-Type"); ctype != "" && r.ContentLength != 0 && !strings.Contains(strings.ToLower(ctype), "xml") {
		return Errorf(http.StatusUnsupportedMediaType, "a %s body must be XML, not %s", r.Method, ctype)
	}
	if t.kind == KindObject || t.kind == KindNone {
		return h.mkcolElsewhere(r, t, p)
	}
	if t.kind != KindCollection {
		return existsError(r.Method, "a resource exists here already")
	}
	ct := t.ctype
	if r.Method == "MKCALENDAR" && ct.CreateMethod() != "MKCALENDAR" {
		return NewError(http.StatusForbidden, CalDAVName("calendar-collection-location-ok"),
			"calendars can only be created in your calendar home (%s)", h.href(true, "calendars", p.Name))
	}
	_, err := h.collection(ctx, p, ct.Kind(), t.slug)
	if err != nil && !errors.Is(err, backend.ErrNotFound) {
		return err
	}
	// The conditions see the URL as the create will (the insert fails on
	// an existing one; then they are evaluated again, below).
	cond, cerr := h.conditions(r, t, p, nil)
	if cerr == nil {
		cerr = cond.Check(backend.State{Exists: err == nil}, backend.State{})
	}
	if cerr != nil {
		return h.writeError(cerr, ct, p, nil)
	}
	if err == nil {
		return existsError(r.Method, "%s exists already", h.collectionHref(ct, p.Name, t.slug))
	}
	root, props, err := ParseMkcol(http.MaxBytesReader(w, r.Body, maxXMLBody))
	if err != nil {
		return err
	}
	wantRoot := DAVName("mkcol")
	if r.Method == "MKCALENDAR" {
		wantRoot = CalDAVName("mkcalendar")
	}
	if root.Local != "" && root != wantRoot {
		return Errorf(http.StatusBadRequest, "a %s body must be a %s element, not %s", r.Method, wantRoot.Local, root.Local)
	}

	ch := &CollectionChange{Creating: true}
	var dead []backend.DeadProperty
	results := make([]Prop, len(props))
	failed, badType := false, false
	for i, pv := range props {
		err := h.mkcolProp(ct, pv, ch, &dead)
		results[i] = Prop{Name: pv.Name, Status: http.StatusOK}
		if err != nil {
			de := AsError(err)
			results[i].Status, results[i].Error = de.Status, conditionXML(de)
			failed = true
			badType = badType || de.Condition == DAVName("valid-resourcetype")
			Logger(ctx).Info("MKCOL property refused", "path", r.URL.Path, "property", pv.Name.Local, "reason", de.Error())
		}
	}
	if failed {
		// Nothing is created, so the properties that were fine were
		// not set either (RFC 5689 5.2, like RFC 4918 9.2.1).
		for i := range results {
			if results[i].Status == http.StatusOK {
				results[i].Status = http.StatusFailedDependency
			}
		}
		if r.Method == "MKCALENDAR" && !badType {
			return h.writeMkcalendarFailure(w, r, results)
		}
		return writeMkcolFailure(w, r.Method, results)
	}
	u := ch.Update
	c := backend.Collection{Kind: ct.Kind(), Slug: t.slug, Components: ch.Components, Order: u.Order}
	for _, f := range []struct {
		dst *string
		src *string
	}{{&c.DisplayName, u.DisplayName}, {&c.Description, u.Description}, {&c.Color, u.Color}, {&c.Timezone, u.Timezone}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	if _, err := h.store.CreateCollection(ctx, p.ID, c, dead); err != nil {
		if errors.Is(err, backend.ErrExists) { // created concurrently
			if cerr := cond.Check(backend.State{Exists: true}, backend.State{}); cerr != nil {
				return h.writeError(cerr, ct, p, nil)
			}
			return existsError(r.Method, "%s exists already", h.collectionHref(ct, p.Name, t.slug))
		}
		if errors.Is(err, backend.ErrInvalid) {
			return &Error{Status: http.StatusForbidden, Err: err,
				Message: "the collection cannot be created: its name must be 1 to 128 bytes of UTF-8 without '/' or control characters, " +
					"and its properties need UTF-8 names and values"}
		}
		return err
	}
	w.Header().Set("Location", h.collectionHref(ct, p.Name, t.slug))
	w.Header().Set("Content-Length", "0")
	w.WriteHeader(http.StatusCreated)
	return nil
}

// mkcolElsewhere answers a MKCOL or MKCALENDAR for a URL where no
// collection can be made: 405 if something is there (RFC 4918 9.3.1), 409
// if its parent collection does not exist, and otherwise 403, with the
// location precondition below a calendar or an address book, which hold
// no collections (RFC 4791 5.3.1, RFC 6352 6.3.1).
func (h *Handler) mkcolElsewhere(r *http.Request, t target, p backend.Principal) error {
	ctx := r.Context()
	ct, slug := t.ctype, t.slug
	switch {
	case t.kind == KindObject:
	case t.parent != nil && t.parent.kind == KindCollection:
		ct, slug = t.parent.ctype, t.parent.slug
	case t.parent != nil && t.parent.kind != KindNone && t.parent.kind != KindObject:
		return Errorf(http.StatusForbidden, "collections can only be created in your homes (%s, %s)",
			h.href(true, "calendars", p.Name), h.href(true, "addressbooks", p.Name))
	default:
		return Errorf(http.StatusConflict, "the parent collection does not exist")
	}
	c, err := h.store.GetCollection(ctx, p.ID, ct.Kind(), slug)
	if errors.Is(err, backend.ErrNotFound) {
		return Errorf(http.StatusConflict, "%s does not exist", h.collectionHref(ct, p.Name, slug))
	}
	if err != nil {
		return err
	}
	if t.kind == KindObject {
		if _, err := h.store.GetObject(ctx, c.ID, t.object, false); err == nil {
			return existsError(r.Method, "a resource exists here already")
		} else if !errors.Is(err, backend.ErrNotFound) {
			return err
		}
	}
	cond := ct.PreconditionName(string(ct.Kind()) + "-collection-location-ok")
	if r.Method == "MKCALENDAR" {
		cond = CalDAVName("calendar-collection-location-ok")
	}
	return NewError(http.StatusForbidden, cond, "collections can only be created directly in your home (%s)", h.homeHref(ct, p.Name))
}

// mkcolProp applies one property of a MKCALENDAR/MKCOL set.
func (h *Handler) mkcolProp(ct CollectionType, pv PropertyValue, ch *CollectionChange, dead *[]backend.DeadProperty) error {
	switch pv.Name {
	case DAVName("resourcetype"):
		// RFC 5689 3.3 DAV:valid-resourcetype: only this home's kind.
		want := []xml.Name{DAVName("collection"), ct.ResourceType()}
		for _, c := range pv.Children {
			if !slices.Contains(want, c) {
				return NewError(http.StatusForbidden, DAVName("valid-resourcetype"),
					"a collection in %s must have resourcetype collection and %s, not %s", ct.HomeSegment(), ct.ResourceType().Local, c.Local)
			}
		}
		if !slices.Contains(pv.Children, ct.ResourceType()) {
			return NewError(http.StatusForbidden, DAVName("valid-resourcetype"),
				"a collection in %s must have resourcetype %s", ct.HomeSegment(), ct.ResourceType().Local)
		}
		return nil
	case DAVName("displayname"):
		v := pv.Text
		ch.Update.DisplayName = &v
		return nil
	}
	handled, err := ct.SetCollectionProp(pv, ch)
	if err != nil || handled {
		return err
	}
	if h.isLiveName(pv.Name) {
		return NewError(http.StatusForbidden, DAVName("cannot-modify-protected-property"), "%s is a protected property", pv.Name.Local)
	}
	*dead = append(*dead, backend.DeadProperty{Namespace: pv.Name.Space, Name: pv.Name.Local, Value: pv.Raw})
	return nil
}

// writeMkcolFailure answers a MKCOL/MKCALENDAR whose properties could not
// all be set: 403 with an mkcol-response (RFC 5689 5.2) or
// mkcalendar-response (RFC 4791 9.3) listing each property's status.
func writeMkcolFailure(w http.ResponseWriter, method string, results []Prop) error {
	root := "D:mkcol-response"
	if method == "MKCALENDAR" {
		root = "C:mkcalendar-response"
	}
	var b strings.Builder
	b.WriteString(xml.Header + "<" + root)
	for _, p := range fixedPrefixes {
		b.WriteString(` xmlns:` + p.Prefix + `="` + p.Space + `"`)
	}
	b.WriteString(">")
	writePropstats(&b, results)
	b.WriteString("</" + root + ">\n")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusForbidden)
	_, err := w.Write([]byte(b.String()))
	return err
}
