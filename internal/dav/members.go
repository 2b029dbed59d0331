package dav

import (
	"context"
	"encoding/xml"
	"net/http"
	"slices"

	"github.com/pgdav/pgdav/backend"
)

// Answering members. A PROPFIND at Depth 1, sync-collection, and every
// REPORT of caldav and carddav that lists members of a collection write
// their responses through MemberAnswer: the properties a DAV:prop (or
// allprop, propname) asks for, dead properties included, and the type's
// data property, in the client's order. So the protocols differ only in
// how they choose members (their filters) and render their data
// (calendar-data, RFC 4791 9.6; address-data, RFC 6352 10.4).
//
// Each response is written as its row arrives; one member Resource, one
// copy of the row and one property slice serve every row, so a 100 000
// member answer allocates per member only what encoding needs. Dead
// properties are read before the rows, in one query (or come with each
// row, in sync-collection): reading them per row would need a second
// pool connection while the stream holds one, and enough concurrent
// REPORTs would then wait on each other forever.

// DataProp is a collection type's data property as a REPORT asks for it
// with its own element (calendar-data, address-data), parsed by the
// REPORT.
type DataProp struct {
	Name xml.Name
	// Render computes the property of a member object.
	Render func(*Resource) (Prop, error)
	// At is its place among the names the request's Propfind asks for,
	// which do not include it; out of range (-1) puts it last.
	At int
}

// MemberAnswer writes the responses of the members of one collection
// (or of the one object a REPORT names) into a multistatus.
type MemberAnswer struct {
	res      *Resource
	ms       *Multistatus
	pf       *Propfind
	withData bool
	dead     map[int64][]backend.DeadProperty // read up front, by object id
	member   Resource
	obj      backend.Object
	props    []Prop
	count    int
}

// AnswerMembers prepares the answer of a REPORT on res (a collection, or
// the one object the REPORT names): pf asks the properties (nil: none
// but data), data the type's data property (nil: not asked; it needs pf
// to be a DAV:prop request). Nothing is written before the first
// response, so an error returned here can still be the answer.
func (res *Resource) AnswerMembers(w http.ResponseWriter, r *http.Request, pf *Propfind, data *DataProp) (*MemberAnswer, error) {
	pf, err := withDataProp(res.Type, pf, data)
	if err != nil {
		return nil, err
	}
	a := res.newMemberAnswer(pf)
	if err := a.readDead(r.Context()); err != nil {
		return nil, err
	}
	a.ms = NewMultistatus(w, MultistatusOptions{Minimal: PreferMinimal(r)})
	return a, nil
}

// withDataProp is pf asking for data too, at its place.
func withDataProp(ct CollectionType, pf *Propfind, data *DataProp) (*Propfind, error) {
	if pf == nil {
		pf = &Propfind{Kind: PropfindProp}
	}
	if data == nil {
		return pf, nil
	}
	if pf.Kind != PropfindProp {
		return nil, Errorf(http.StatusInternalServerError, "internal server error: a data property outside DAV:prop")
	}
	at := data.At
	if at < 0 || at > len(pf.Props) {
		at = len(pf.Props)
	}
	return &Propfind{
		Kind:  PropfindProp,
		Props: slices.Insert(slices.Clip(pf.Props), at, data.Name),
		data:  map[CollectionType]map[xml.Name]func(*Resource) (Prop, error){ct: {data.Name: data.Render}},
	}, nil
}

// newMemberAnswer is an answer for pf, with no multistatus yet and no
// dead properties read.
func (res *Resource) newMemberAnswer(pf *Propfind) *MemberAnswer {
	a := &MemberAnswer{res: res, pf: pf}
	a.member = Resource{Kind: KindObject, Type: res.Type, Principal: res.Principal, Collection: res.Collection,
		h: res.h, collHref: res.collectionHref(), deadLoaded: true}
	data, _ := res.h.needs(res, pf)
	a.withData = data || len(pf.data[res.Type]) > 0
	return a
}

// readDead reads the dead properties of every member, if pf may ask for
// some.
func (a *MemberAnswer) readDead(ctx context.Context) error {
	if _, dead := a.res.h.needs(a.res, a.pf); !dead {
		return nil
	}
	var err error
	a.dead, err = a.res.h.store.ListObjectProperties(ctx, a.res.Collection.ID)
	return err
}

// WithData reports whether the members' rows must come with their bytes.
func (a *MemberAnswer) WithData() bool { return a.withData }

// Count is the number of members answered with properties so far.
func (a *MemberAnswer) Count() int { return a.count }

// Object writes the response of member o. The row is copied, so o does
// not escape.
func (a *MemberAnswer) Object(ctx context.Context, o *backend.Object) error {
	return a.object(ctx, o, a.dead[o.ID])
}

// object writes the response of member o, whose dead properties are
// dead.
func (a *MemberAnswer) object(ctx context.Context, o *backend.Object, dead []backend.DeadProperty) error {
	a.obj = *o
	m := &a.member
	m.Object, m.Href, m.dead = &a.obj, m.MemberHref(o.Name), dead
	props, err := a.res.h.appendProps(ctx, a.props[:0], m, a.pf)
	if err != nil {
		return err
	}
	a.props = props
	a.count++
	return a.ms.Response(m.Href, props)
}

// Missing writes the response of a member name that does not exist: a
// response-level 404 (RFC 4918 13, as multiget and sync-collection
// answer it).
func (a *MemberAnswer) Missing(name string) error {
	return a.ms.StatusResponse(a.res.MemberHref(name), http.StatusNotFound)
}

// Finish ends the answer: with err nil, the multistatus is closed with
// the elements in extra after the responses; see finish.
func (a *MemberAnswer) Finish(r *http.Request, err error, extra ...string) error {
	if err == nil {
		err = a.ms.Close(extra...)
	}
	return finish(r.Context(), a.ms, err)
}

// Multiget answers the members hrefs name (RFC 4791 7.9, RFC 6352 8.7),
// read by one indexed query and streamed. Each distinct member is
// answered once, under its canonical href, however often and however
// spelled (encoded or not, absolute URL or path) the client named it; a
// name with no object is a response-level 404; an href outside the
// request's resource gets 404, or 403 for another user's resources, for
// that href alone (RFC 4918 13), and never their data. It then finishes
// the answer.
func (a *MemberAnswer) Multiget(r *http.Request, hrefs []string) error {
	type refusal struct {
		href   string
		status int
	}
	var (
		names   []string
		wanted  = make(map[string]bool, len(hrefs))
		refused []refusal
		seen    = map[string]bool{}
	)
	for _, href := range hrefs {
		name, status := a.res.MemberName(href)
		if status != http.StatusOK {
			h := canonicalHref(href)
			if !seen[h] {
				seen[h] = true
				refused = append(refused, refusal{h, status})
			}
			continue
		}
		if !wanted[name] {
			wanted[name] = true
			names = append(names, name)
		}
	}
	ctx := r.Context()
	var err error
	if len(names) > 0 {
		err = a.res.h.store.GetObjectsByName(ctx, a.res.Collection.ID, names, a.withData, func(o backend.Object) error {
			delete(wanted, o.Name)
			return a.Object(ctx, &o)
		})
	}
	for _, name := range names {
		if err != nil {
			break
		}
		if wanted[name] {
			err = a.Missing(name)
		}
	}
	for _, ref := range refused {
		if err != nil {
			break
		}
		err = a.ms.StatusResponse(ref.href, ref.status)
	}
	return a.Finish(r, err)
}

// canonicalHref writes an href the request named in pgdav's one encoding,
// or as sent when it cannot be decoded.
func canonicalHref(href string) string {
	path, _, err := DecodeHref(href)
	if err != nil {
		return href
	}
	return EncodePath(path)
}
