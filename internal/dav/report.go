package dav

import (
	"net/http"
)

// Helpers for the REPORT implementations of caldav and carddav.

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
	if !mayReach(res.Principal, t) {
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
