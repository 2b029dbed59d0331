package dav

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// maxIfResources bounds the distinct other resources an If header may
// name: each costs a lookup.
const maxIfResources = 16

// conditions gathers every precondition of a request on target t —
// If-Match, If-None-Match (RFC 9110 13.1) and If (RFC 4918 10.4) — into
// the one backend.Conditions that the store evaluates in the write's
// transaction, or that a method without a write evaluates itself (GET,
// HEAD). dest is the Destination of a MOVE or COPY, else nil. This is the
// one place where methods read their conditions.
//
// The If header's untagged lists, and the lists tagged with the
// Request-URI or the Destination, become Conditions.If, evaluated on the
// state the write sees. Lists tagged with another resource are evaluated
// here, on its current state: no write depends on it. When one of them
// holds, the header holds and adds no condition; when none does and no
// list is left for the store, the request fails here with 412.
func (h *Handler) conditions(r *http.Request, t target, p backend.Principal, dest *target) (backend.Conditions, error) {
	cond := Conditions(r)
	vals := r.Header.Values("If")
	if len(vals) == 0 {
		return cond, nil
	}
	ih, err := ParseIf(strings.Join(vals, " "))
	if err != nil || ih == nil {
		return cond, err
	}
	var self, dst []IfList
	others := map[string]backend.State{}
	for _, l := range ih.Lists {
		var (
			rt     target
			mapped bool
		)
		if l.Resource != "" {
			rt, mapped = h.ifTarget(r, l.Resource)
		}
		switch {
		case l.Resource == "" || (mapped && sameTarget(rt, t)):
			self = append(self, l)
		case mapped && dest != nil && sameTarget(rt, *dest):
			dst = append(dst, l)
		default:
			st, ok := others[l.Resource]
			if !ok {
				if len(others) == maxIfResources {
					return cond, Errorf(http.StatusBadRequest, "the If header names more than %d resources", maxIfResources)
				}
				if st, err = h.ifState(r.Context(), rt, mapped, p); err != nil {
					return cond, err
				}
				others[l.Resource] = st
			}
			if l.Holds(st) {
				return cond, nil
			}
		}
	}
	if len(self) == 0 && len(dst) == 0 {
		return cond, &Error{Status: http.StatusPreconditionFailed, Message: "no list of the If header holds",
			Err: backend.ErrPreconditionFailed}
	}
	cond.If = func(target, d backend.State) bool {
		for _, l := range self {
			if l.Holds(target) {
				return true
			}
		}
		for _, l := range dst {
			if l.Holds(d) {
				return true
			}
		}
		return false
	}
	return cond, nil
}

// ifTarget resolves a Resource-Tag (an absolute URI or an absolute path,
// RFC 4918 10.4.2) like a Destination; ok is false for a URL that names
// nothing pgdav serves (another host, outside the layout).
func (h *Handler) ifTarget(r *http.Request, tag string) (target, bool) {
	u, err := url.Parse(tag)
	if err != nil || u.Opaque != "" || (u.Host != "" && !strings.EqualFold(u.Host, r.Host)) {
		return target{}, false
	}
	path := u.EscapedPath()
	if !strings.HasPrefix(path, "/") {
		return target{}, false
	}
	t, err := h.resolve(path)
	if err != nil {
		return target{}, false
	}
	return t, true
}

// ifState reads the current state of a resource an If header names. A URL
// that maps to nothing, or to another user's resource, is a resource
// without state (RFC 4918 10.4.4): it reveals nothing.
func (h *Handler) ifState(ctx context.Context, t target, mapped bool, p backend.Principal) (backend.State, error) {
	if !mapped || !mayReach(p, t) {
		return backend.State{}, nil
	}
	res, err := h.load(ctx, t, p)
	var de *Error
	if errors.As(err, &de) && de.Status == http.StatusNotFound {
		return backend.State{}, nil
	}
	if err != nil {
		return backend.State{}, err
	}
	return res.state(), nil
}

// sameTarget reports whether two resolved URLs name the same resource
// (user names match case-insensitively, as in every URL).
func sameTarget(a, b target) bool {
	return a.kind == b.kind && a.kind != KindNone && a.ctype == b.ctype && strings.EqualFold(a.user, b.user) &&
		a.slug == b.slug && a.object == b.object
}

// state is the resource as conditions see it: it exists, and only an
// object has an entity tag.
func (res *Resource) state() backend.State {
	st := backend.State{Exists: true}
	if res.Object != nil {
		st.ETag = res.Object.ETag
	}
	return st
}

// checkRead evaluates a read's conditions on res (RFC 9110 13.1):
// notModified when only If-None-Match fails (GET and HEAD answer 304),
// else a 412 *Error for any failure.
func checkRead(cond backend.Conditions, res *Resource) (notModified bool, err error) {
	inm := cond.IfNoneMatch
	cond.IfNoneMatch = nil
	st := res.state()
	if err := cond.Check(st, backend.State{}); err != nil {
		return false, &Error{Status: http.StatusPreconditionFailed, Message: "the resource's current state does not match If-Match / If", Err: err}
	}
	if inm != nil && (backend.Conditions{IfNoneMatch: inm}).Check(st, backend.State{}) != nil {
		return true, nil
	}
	return false, nil
}
