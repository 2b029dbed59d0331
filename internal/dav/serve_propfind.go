package dav

import (
	"context"
	"encoding/xml"
	"net/http"

	"github.com/pgdav/pgdav/backend"
)

// propfind answers PROPFIND (RFC 4918 9.1) with a streamed multistatus:
// the target first, then, for Depth 1 on a collection, one response per
// member as the rows arrive from the database.
func (h *Handler) propfind(w http.ResponseWriter, r *http.Request, t target, p backend.Principal) error {
	// RFC 4918 says a missing Depth means infinity; clients that omit it
	// want the collection and its members, and infinity is refused anyway
	// (docs/compatibility.md).
	depth, err := ParseDepth(r, Depth1)
	if err != nil {
		return err
	}
	if depth == DepthInfinity {
		return NewError(http.StatusForbidden, DAVName("propfind-finite-depth"), "Depth: infinity is not supported; use 0 or 1")
	}
	pf, err := ParsePropfind(http.MaxBytesReader(w, r.Body, maxXMLBody))
	if err != nil {
		return err
	}
	if err := h.prepareData(pf); err != nil {
		return err
	}
	ctx := r.Context()
	res, err := h.load(ctx, t, p)
	if err != nil {
		return err
	}
	if data, _ := h.needs(res, pf); data && res.Kind == KindObject {
		// load reads no object data; calendar-data and address-data
		// need it at Depth 0 as they do for members at Depth 1.
		o, err := h.store.GetObject(ctx, res.Collection.ID, res.Object.Name, true)
		if err != nil {
			return notFoundError(err)
		}
		res.Object = &o
	}
	w.Header().Set("DAV", DAVHeader)
	ms := NewMultistatus(w, MultistatusOptions{Minimal: PreferMinimal(r)})
	err = h.propfindResponse(ctx, ms, res, pf)
	switch {
	case err != nil || depth != Depth1:
	case res.Kind == KindCollection:
		err = h.propfindObjects(ctx, ms, res, pf)
	default:
		err = h.members(ctx, res, pf, func(m *Resource) error { return h.propfindResponse(ctx, ms, m, pf) })
	}
	if err == nil {
		err = ms.Close()
	}
	return finish(ctx, ms, err)
}

// propfindObjects answers the members of a collection (Depth 1), each
// as its row arrives from the store (members.go).
func (h *Handler) propfindObjects(ctx context.Context, ms *Multistatus, res *Resource, pf *Propfind) error {
	a := res.newMemberAnswer(pf)
	if err := a.readDead(ctx); err != nil {
		return err
	}
	a.ms = ms
	return h.store.ListObjects(ctx, res.Collection.ID, a.withData, func(o backend.Object) error { return a.Object(ctx, &o) })
}

// finish ends a streamed answer: before the first byte an error can still
// become a proper error response; after it, the only honest signal is a
// broken connection (docs/architecture.md "Streamed answers"), never a
// well-formed truncated answer.
func finish(ctx context.Context, ms *Multistatus, err error) error {
	if err == nil || !ms.Written() {
		return err
	}
	Logger(ctx).Error("multistatus aborted mid-stream", "err", err)
	panic(http.ErrAbortHandler)
}

func (h *Handler) propfindResponse(ctx context.Context, ms *Multistatus, res *Resource, pf *Propfind) error {
	props, err := h.Props(ctx, res, pf)
	if err != nil {
		return err
	}
	return ms.Response(res.Href, props)
}

// Props computes the properties a PROPFIND (or a REPORT with a prop
// element, parsed into a Propfind) asks of res.
func (h *Handler) Props(ctx context.Context, res *Resource, pf *Propfind) ([]Prop, error) {
	return h.appendProps(ctx, nil, res, pf)
}

// appendProps is Props appending to out: a listing that passes the same
// storage for every member allocates no slice per member.
func (h *Handler) appendProps(ctx context.Context, out []Prop, res *Resource, pf *Propfind) ([]Prop, error) {
	live := h.liveFor(res)
	switch pf.Kind {
	case PropfindPropName:
		for _, lp := range live.list {
			// Data properties exist with every object, though it was
			// read without its data.
			if _, ok := lp.Value(res); ok || lp.NeedsData {
				out = append(out, Prop{Name: lp.Name, Status: http.StatusOK})
			}
		}
		if res.Kind != KindObject {
			out = append(out, Prop{Name: propContentType, Status: http.StatusOK}, Prop{Name: propContentLength, Status: http.StatusOK})
		}
		dead, err := res.deadProps(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range dead {
			out = append(out, Prop{Name: xml.Name{Space: d.Namespace, Local: d.Name}, Status: http.StatusOK})
		}
	case PropfindAllProp:
		for _, lp := range live.list {
			if !lp.AllProp {
				continue
			}
			if v, ok := lp.Value(res); ok {
				out = append(out, Prop{Name: lp.Name, Status: http.StatusOK, Inner: v})
			}
		}
		for _, n := range []xml.Name{propContentType, propContentLength} {
			if p, ok, err := h.listingProp(ctx, res, n); err != nil {
				return nil, err
			} else if ok {
				out = append(out, p)
			}
		}
		dead, err := res.deadProps(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range dead {
			out = append(out, Prop{Name: xml.Name{Space: d.Namespace, Local: d.Name}, Status: http.StatusOK, Raw: d.Value})
		}
		for _, n := range pf.Include {
			if lp, ok := live.get(n); ok && !lp.AllProp {
				out = append(out, liveValue(lp, res))
			}
		}
	default:
		var dead deadIndex
		var data map[xml.Name]func(*Resource) (Prop, error)
		if res.Kind == KindObject {
			data = pf.data[res.Type]
		}
		for _, n := range pf.Props {
			if render := data[n]; render != nil {
				p, err := render(res)
				if err != nil {
					return nil, err
				}
				out = append(out, p)
				continue
			}
			if lp, ok := live.get(n); ok {
				out = append(out, liveValue(lp, res))
				continue
			}
			if p, ok, err := h.listingProp(ctx, res, n); err != nil {
				return nil, err
			} else if ok {
				out = append(out, p)
				continue
			}
			prop := Prop{Name: n, Status: http.StatusNotFound}
			if h.mayBeDead(n) {
				v, ok, err := dead.lookup(ctx, res, n, len(pf.Props))
				if err != nil {
					return nil, err
				}
				if ok {
					prop = Prop{Name: n, Status: http.StatusOK, Raw: v}
				}
			}
			out = append(out, prop)
		}
	}
	return out, nil
}

// prepareData parses, once per request and before the first byte, the
// data properties a PROPFIND asks for with a request inside (RFC 4791
// 9.6: calendar-data may select components and properties or expand
// recurrences in PROPFIND too), so a bad one is refused whole.
func (h *Handler) prepareData(pf *Propfind) error {
	for _, pv := range pf.Values {
		for _, ct := range h.types {
			render, err := ct.DataProp(pv)
			if err != nil {
				return err
			}
			if render == nil {
				continue
			}
			if pf.data == nil {
				pf.data = map[CollectionType]map[xml.Name]func(*Resource) (Prop, error){}
			}
			if pf.data[ct] == nil {
				pf.data[ct] = map[xml.Name]func(*Resource) (Prop, error){}
			}
			pf.data[ct][pv.Name] = render
		}
	}
	return nil
}

func liveValue(lp LiveProp, res *Resource) Prop {
	v, ok := lp.Value(res)
	if !ok {
		return Prop{Name: lp.Name, Status: http.StatusNotFound}
	}
	return Prop{Name: lp.Name, Status: http.StatusOK, Inner: v}
}

// needs reports what a PROPFIND asks of members that costs extra reads:
// object data, and dead properties.
func (h *Handler) needs(res *Resource, pf *Propfind) (data, dead bool) {
	if pf.Kind != PropfindProp {
		return false, true
	}
	var objects liveTable
	if res.Type != nil {
		objects = h.live.byType[typeKindKey{res.Type, KindObject}]
	}
	for _, n := range pf.Props {
		lp, live := objects.get(n)
		if live && lp.NeedsData {
			data = true
		}
		if !live && h.mayBeDead(n) {
			dead = true
		}
	}
	return data, dead
}

// members calls fn for each member of a collection resource (Depth 1),
// streaming objects from the store.
func (h *Handler) members(ctx context.Context, res *Resource, pf *Propfind, fn func(*Resource) error) error {
	p := res.Principal
	switch res.Kind {
	case KindRoot:
		if err := fn(&Resource{Kind: KindPrincipals, Href: h.href(true, "principals"), Principal: p, h: h}); err != nil {
			return err
		}
		for _, ct := range h.types {
			if err := fn(&Resource{Kind: KindHomes, Type: ct, Href: h.href(true, ct.HomeSegment()), Principal: p, h: h}); err != nil {
				return err
			}
		}
	case KindPrincipals:
		return fn(&Resource{Kind: KindPrincipal, Href: h.principalHref(p.Name), Principal: p, h: h})
	case KindHomes:
		return fn(&Resource{Kind: KindHome, Type: res.Type, Href: h.homeHref(res.Type, p.Name), Principal: p, h: h})
	case KindHome:
		cols, err := h.store.ListCollections(ctx, p.ID, res.Type.Kind())
		if err != nil {
			return err
		}
		for i := range cols {
			c := &cols[i]
			m := &Resource{Kind: KindCollection, Type: res.Type, Href: h.collectionHref(res.Type, p.Name, c.Slug), Principal: p, Collection: c, h: h}
			if err := fn(m); err != nil {
				return err
			}
		}
	case KindCollection:
		// Only the HTML listing comes here; PROPFIND answers objects
		// with propfindObjects.
		withData, withDead := h.needs(res, pf)
		var dead map[int64][]backend.DeadProperty
		if withDead {
			var err error
			if dead, err = h.store.ListObjectProperties(ctx, res.Collection.ID); err != nil {
				return err
			}
		}
		// One Resource reused for every row: a 100 000-member listing
		// allocates per row only what encoding needs.
		// The row is copied into cur, so that o does not escape.
		m := &Resource{Kind: KindObject, Type: res.Type, Principal: p, Collection: res.Collection, h: h, deadLoaded: true,
			collHref: res.collectionHref()}
		var cur backend.Object
		return h.store.ListObjects(ctx, res.Collection.ID, withData, func(o backend.Object) error {
			cur = o
			m.Object = &cur
			m.Href = m.MemberHref(o.Name)
			m.dead = dead[o.ID]
			return fn(m)
		})
	}
	return nil
}
