package dav

import (
	"context"
	"errors"
	"net/http"

	"github.com/pgdav/pgdav/backend"
)

// Resource is a request target resolved against the layout and loaded
// from the store; PROPFIND and REPORT answers are built from it.
type Resource struct {
	Kind       ResourceKind
	Href       string
	Type       CollectionType // homes, collections and objects
	Principal  backend.Principal
	Collection *backend.Collection // collections and objects
	Object     *backend.Object     // objects

	h          *Handler
	collHref   string // collectionHref's, once worked out
	homeToken  string // KindHome: the home's sync-token (RFC 6578 4), loaded with it
	dead       []backend.DeadProperty
	deadLoaded bool
}

// load finds the resource t names, owned by p. A missing collection or
// object is a 404 *Error.
func (h *Handler) load(ctx context.Context, t target, p backend.Principal) (*Resource, error) {
	res := &Resource{Kind: t.kind, Type: t.ctype, Principal: p, h: h}
	switch t.kind {
	case KindRoot:
		res.Href = h.href(true)
	case KindPrincipals:
		res.Href = h.href(true, "principals")
	case KindPrincipal:
		res.Href = h.principalHref(p.Name)
	case KindHomes:
		res.Href = h.href(true, t.ctype.HomeSegment())
	case KindHome:
		res.Href = h.homeHref(t.ctype, p.Name)
		// Apple reads the home's sync-token in its Depth-1 listing and
		// syncs the home with it (docs/clients.md "Apple syncs the
		// calendar home").
		var err error
		if res.homeToken, err = h.homeToken(ctx, p, t.ctype.Kind()); err != nil {
			return nil, err
		}
	case KindCollection, KindObject:
		c, err := h.collection(ctx, p, t.ctype.Kind(), t.slug)
		if err != nil {
			return nil, notFoundError(err)
		}
		res.Collection = &c
		res.Href = h.collectionHref(t.ctype, p.Name, c.Slug)
		if t.kind == KindObject {
			o, err := h.store.GetObject(ctx, c.ID, t.object, false)
			if err != nil {
				return nil, notFoundError(err)
			}
			res.Object = &o
			res.Href = h.objectHref(t.ctype, p.Name, c.Slug, o.Name)
		}
	default:
		return nil, Errorf(http.StatusNotFound, "not found")
	}
	return res, nil
}

// notFoundError turns backend.ErrNotFound into a 404 and passes other
// errors on.
func notFoundError(err error) error {
	if errors.Is(err, backend.ErrNotFound) {
		return &Error{Status: http.StatusNotFound, Message: "not found", Err: err}
	}
	return err
}

// propertyTarget is where the resource's dead properties are stored; ok is
// false for resources that have none (root, the principal collection).
func (res *Resource) propertyTarget() (backend.PropertyTarget, bool) {
	t := backend.PropertyTarget{PrincipalID: res.Principal.ID}
	switch res.Kind {
	case KindPrincipal:
		t.Scope = "principal"
	case KindHome:
		t.Scope = string(res.Type.Kind()) + "-home" // calendar-home, addressbook-home
	case KindCollection:
		t.Scope, t.CollectionID = "collection", res.Collection.ID
	case KindObject:
		t.Scope, t.CollectionID, t.ObjectID = "object", res.Collection.ID, res.Object.ID
	default:
		return t, false
	}
	return t, true
}

// deadProps returns the resource's dead properties, reading them once.
func (res *Resource) deadProps(ctx context.Context) ([]backend.DeadProperty, error) {
	if res.deadLoaded {
		return res.dead, nil
	}
	t, ok := res.propertyTarget()
	if ok {
		var err error
		if res.dead, err = res.h.store.ListProperties(ctx, t); err != nil {
			return nil, err
		}
	}
	res.deadLoaded = true
	return res.dead, nil
}
