package dav

import (
	"strings"
)

// ResourceKind is the place of a URL in pgdav's one layout (RFC 4791 and
// 6352 leave the layout to the server; clients discover it):
//
//	/                                    KindRoot
//	/principals/                         KindPrincipals
//	/principals/USER/                    KindPrincipal
//	/calendars/ , /addressbooks/         KindHomes
//	/calendars/USER/                     KindHome
//	/calendars/USER/SLUG/                KindCollection
//	/calendars/USER/SLUG/NAME            KindObject
//
// (address books alike), all below the configured base path.
type ResourceKind int

// The kinds of resource.
const (
	KindNone ResourceKind = iota
	KindRoot
	KindPrincipals
	KindPrincipal
	KindHomes
	KindHome
	KindCollection
	KindObject
)

func (k ResourceKind) String() string {
	return [...]string{"none", "root", "principals", "principal", "homes", "home", "collection", "object"}[k]
}

// isCollection: the kind is a WebDAV collection (its href ends in "/").
func (k ResourceKind) isCollection() bool { return k != KindObject && k != KindNone }

// target is a request URL resolved against the layout, before any lookup.
type target struct {
	kind   ResourceKind
	ctype  CollectionType // homes, collections and objects
	user   string         // decoded user segment
	slug   string         // decoded collection segment
	object string         // decoded object segment
	slash  bool           // the URL ended with "/"
	// parent is, for a URL of kind KindNone, the place of its parent URL
	// (and user is the parent's), so MKCOL can tell 403 from 409.
	parent *target
}

// parseTarget resolves a decoded path (relative to the base path) to a
// target. Unknown shapes have kind KindNone and their parent's place.
func (h *Handler) parseTarget(path string, slash bool) target {
	t := h.parseShape(path, slash)
	if t.kind == KindNone {
		if i := strings.LastIndex(strings.TrimSuffix(path, "/"), "/"); i >= 0 {
			p := h.parseShape(path[:i+1], true)
			t.parent, t.user = &p, p.user
		}
	}
	return t
}

// parseShape places a decoded path by its shape alone.
func (h *Handler) parseShape(path string, slash bool) target {
	seg := SplitPath(path)
	t := target{slash: slash}
	if len(seg) == 0 {
		t.kind = KindRoot
		return t
	}
	if seg[0] == "principals" {
		switch len(seg) {
		case 1:
			t.kind = KindPrincipals
		case 2:
			t.kind, t.user = KindPrincipal, seg[1]
		}
		return t
	}
	ct, ok := h.byHome[seg[0]]
	if !ok {
		return t
	}
	t.ctype = ct
	switch len(seg) {
	case 1:
		t.kind = KindHomes
	case 2:
		t.kind, t.user = KindHome, seg[1]
	case 3:
		t.kind, t.user, t.slug = KindCollection, seg[1], seg[2]
	case 4:
		if !slash {
			t.kind, t.user, t.slug, t.object = KindObject, seg[1], seg[2], seg[3]
		}
	}
	return t
}

// href builds the canonical, percent-encoded href of decoded segments
// below the base path; collections end with "/".
func (h *Handler) href(collection bool, segments ...string) string {
	var b strings.Builder
	b.WriteString(h.base)
	for _, s := range segments {
		b.WriteString("/")
		b.WriteString(EncodePath(s))
	}
	if collection || len(segments) == 0 {
		b.WriteString("/")
	}
	return b.String()
}

func (h *Handler) principalHref(user string) string { return h.href(true, "principals", user) }

func (h *Handler) homeHref(ct CollectionType, user string) string {
	return h.href(true, ct.HomeSegment(), user)
}

func (h *Handler) collectionHref(ct CollectionType, user, slug string) string {
	return h.href(true, ct.HomeSegment(), user, slug)
}

func (h *Handler) objectHref(ct CollectionType, user, slug, name string) string {
	return h.href(false, ct.HomeSegment(), user, slug, name)
}
