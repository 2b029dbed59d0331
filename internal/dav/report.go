package dav

import (
	"context"
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// Helpers for the REPORT implementations of caldav and carddav.

// Member returns the resource of object o, a member of the collection
// resource res (or res itself when res is that object).
func (res *Resource) Member(o *backend.Object) *Resource {
	m := &Resource{
		Kind: KindObject, Type: res.Type, Principal: res.Principal, Collection: res.Collection, Object: o,
		h: res.h, collHref: res.collectionHref(),
	}
	m.Href = m.MemberHref(o.Name)
	return m
}

// SetObject points a member resource made by Member at another object,
// so a streaming REPORT can reuse one Resource for every row.
func (res *Resource) SetObject(o *backend.Object) {
	res.Object = o
	res.Href = res.MemberHref(o.Name)
	res.dead, res.deadLoaded = nil, false
}

// MemberName resolves an href from a multiget body (RFC 4791 7.9, RFC 6352
// 8.7) against the request's resource res (a collection, or one object):
// the decoded name of the member it names, or the status to answer for
// that href alone — 403 for another user's resources, 404 for anything
// else outside res, malformed hrefs included. Absolute URLs and encoded or
// unencoded paths are accepted.
func (res *Resource) MemberName(href string) (name string, status int) {
	path, slash, err := DecodeHref(href)
	if err != nil || slash {
		return "", http.StatusNotFound
	}
	rel, ok := res.h.relative(path)
	if !ok {
		return "", http.StatusNotFound
	}
	t := res.h.parseTarget(rel, false)
	if t.user != "" && !strings.EqualFold(t.user, res.Principal.Name) {
		return "", http.StatusForbidden
	}
	if t.kind != KindObject || t.ctype != res.Type || t.slug != res.Collection.Slug {
		return "", http.StatusNotFound
	}
	if res.Kind == KindObject && t.object != res.Object.Name {
		return "", http.StatusNotFound
	}
	return t.object, http.StatusOK
}

// MemberHref is the canonical href of member name of collection res.
func (res *Resource) MemberHref(name string) string {
	return res.collectionHref() + EncodePath(name)
}

// collectionHref is the href of res's collection (res itself, or the
// collection of the object res is), worked out once: a listing of many
// members encodes only each member's name.
func (res *Resource) collectionHref() string {
	if res.collHref == "" {
		res.collHref = res.h.collectionHref(res.Type, res.Principal.Name, res.Collection.Slug)
	}
	return res.collHref
}

// Finish ends a streamed REPORT answer; see finish.
func Finish(r *http.Request, ms *Multistatus, err error) error { return finish(r.Context(), ms, err) }

// MemberProps computes the properties a REPORT asks of many members of
// one collection while a query streams them. Dead properties, when the
// request may ask for some, are read up front in one query: reading them
// per row would need a second pool connection while the stream holds one,
// and enough concurrent REPORTs would then wait on each other forever.
// One Resource is reused for every row.
type MemberProps struct {
	res    *Resource
	pf     *Propfind
	dead   map[int64][]backend.DeadProperty
	member *Resource
	// obj and props are the storage reused for every row: the row is
	// copied, so the caller's does not escape.
	obj   backend.Object
	props []Prop
}

// NewMemberProps prepares computing pf for members of res (a collection,
// or the one object a REPORT names).
func (res *Resource) NewMemberProps(ctx context.Context, pf *Propfind) (*MemberProps, error) {
	mp := &MemberProps{res: res, pf: pf}
	if _, dead := res.h.needs(res, pf); dead {
		var err error
		if mp.dead, err = res.h.store.ListObjectProperties(ctx, res.Collection.ID); err != nil {
			return nil, err
		}
	}
	return mp, nil
}

// For returns the member resource of o and its properties. Both are
// valid until the next call.
func (mp *MemberProps) For(ctx context.Context, o *backend.Object) (*Resource, []Prop, error) {
	mp.obj = *o
	if mp.member == nil {
		mp.member = mp.res.Member(&mp.obj)
	} else {
		mp.member.SetObject(&mp.obj)
	}
	mp.member.dead, mp.member.deadLoaded = mp.dead[o.ID], true
	props, err := mp.res.h.AppendProps(ctx, mp.props[:0], mp.member, mp.pf)
	mp.props = props
	return mp.member, props, err
}
