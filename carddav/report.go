package carddav

import (
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"slices"
	"strconv"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/internal/dav"
)

// Store is what the address book REPORTs read; *backend.Store has it.
type Store interface {
	GetObject(ctx context.Context, collectionID int64, name string, withData bool) (backend.Object, error)
	GetObjectsByName(ctx context.Context, collectionID int64, names []string, withData bool, fn func(backend.Object) error) error
	QueryCards(ctx context.Context, q backend.CardQuery, fn func(o backend.Object, indexed bool) error) error
	IndexCards(ctx context.Context, collectionID int64, cards []backend.CardIndex) (int, error)
}

// Report answers addressbook-query and addressbook-multiget (RFC 6352
// 8.6, 8.7). The body is parsed and checked whole before the first byte
// of the answer, which is then streamed one card at a time.
func (t *Type) Report(w http.ResponseWriter, r *http.Request, res *dav.Resource, root xml.Name, body []byte) error {
	switch root {
	case dav.CardDAVName("addressbook-query"):
		q, err := parseQuery(body)
		if err != nil {
			return err
		}
		return t.query(w, r, res, q)
	case dav.CardDAVName("addressbook-multiget"):
		m, err := parseMultiget(body)
		if err != nil {
			return err
		}
		return t.multiget(w, r, res, m)
	}
	return dav.NewError(http.StatusForbidden, dav.DAVName("supported-report"), "the %s REPORT is not supported here", root.Local)
}

// errEnough stops a query's stream once the limit is passed.
var errEnough = errors.New("carddav: enough results")

// query answers addressbook-query (RFC 6352 8.6). On an address book,
// Depth 1 (the default, and infinity, there being no deeper members)
// searches its cards: the store's index narrows them (plan) and the exact
// matcher decides; Depth 0 names the collection itself, which is no card
// and so matches nothing. On a card, the card is tested alone. At most
// min(nresults, the server's cap) cards are returned; if more match, a
// 507 response for the Request-URI says so (8.6.1).
func (t *Type) query(w http.ResponseWriter, r *http.Request, res *dav.Resource, q *queryRequest) error {
	ctx := r.Context()
	depth, err := dav.ParseDepth(r, dav.Depth1)
	if err != nil {
		return err
	}
	limit := t.maxResults
	if q.limit >= 0 && q.limit < limit {
		limit = q.limit
	}
	out := newResponder(res, q.props, dav.NewMultistatus(w, dav.MultistatusOptions{Minimal: dav.PreferMinimal(r)}))
	heal := &healer{store: t.store, collectionID: res.Collection.ID}
	later := q.props.mayNeedDead()
	var matches []string // with later: the matches, answered after the stream
	truncated := false
	// An exact plan decides an indexed card by the index alone: it is
	// neither read nor parsed unless address-data asks for its bytes.
	// (The card a request names is tested by the matcher: no index chose
	// it.)
	cond, exact := plan(&q.filter)
	consider := func(o backend.Object, indexed, decided bool) error {
		var c *vcardData
		if !decided {
			c = parseVCard(o.Data)
			if !indexed {
				heal.add(&o, c)
			}
			if !q.filter.matches(c) {
				return nil
			}
		}
		if out.count+len(matches) == limit {
			truncated = true
			return errEnough
		}
		if later {
			matches = append(matches, o.Name)
			return nil
		}
		return out.respond(ctx, &o, c)
	}
	switch {
	case res.Kind == dav.KindObject:
		var o backend.Object
		if o, err = t.store.GetObject(ctx, res.Collection.ID, res.Object.Name, true); err == nil {
			err = consider(o, true, false)
		}
	case res.Kind == dav.KindCollection && depth != dav.Depth0:
		err = t.store.QueryCards(ctx, backend.CardQuery{CollectionID: res.Collection.ID, Filter: cond,
			WithData: !exact || q.props.addressData != nil, DataUnlessIndexed: true},
			func(o backend.Object, indexed bool) error { return consider(o, indexed, exact && indexed) })
	}
	if errors.Is(err, errEnough) {
		err = nil
	}
	heal.flush(ctx)
	if err == nil && later {
		err = t.respondByName(ctx, res, matches, out, nil)
	}
	if err == nil {
		var extra []string
		if truncated {
			extra = append(extra, truncatedResponse(res.Href, limit))
		}
		err = out.ms.Close(extra...)
	}
	return dav.Finish(r, out.ms, err)
}

// truncatedResponse is the response for the Request-URI that marks an
// answer cut at limit results (RFC 6352 8.6.1, RFC 5323 5.17): status 507
// with DAV:number-of-matches-within-limits.
func truncatedResponse(href string, limit int) string {
	return dav.TruncatedResponse(href, "more cards match; only the first "+strconv.Itoa(limit)+" are returned")
}

// multiget answers addressbook-multiget (RFC 6352 8.7) with one query for
// every member named, streamed. Each distinct card is answered once,
// under its canonical href, however often and however spelled (encoded or
// not, absolute URL or path) the client named it; a name with no card is
// a response-level 404; an href outside the request's collection (or
// card) gets 404, or 403 for another user's resources, and never their
// data. The Depth header is ignored: DAVx5 sends 0, Thunderbird 1.
func (t *Type) multiget(w http.ResponseWriter, r *http.Request, res *dav.Resource, m *multigetRequest) error {
	ctx := r.Context()
	type refusal struct {
		href   string
		status int
	}
	var (
		names   []string
		wanted  = make(map[string]bool, len(m.hrefs))
		refused []refusal
		seen    = map[string]bool{}
	)
	for _, href := range m.hrefs {
		name, status := res.MemberName(href)
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
	out := newResponder(res, m.props, dav.NewMultistatus(w, dav.MultistatusOptions{Minimal: dav.PreferMinimal(r)}))
	var err error
	if m.props.mayNeedDead() {
		err = t.respondByName(ctx, res, names, out, wanted)
	} else {
		err = t.store.GetObjectsByName(ctx, res.Collection.ID, names, m.props.addressData != nil, func(o backend.Object) error {
			delete(wanted, o.Name)
			return out.respond(ctx, &o, nil)
		})
	}
	for _, name := range names {
		if err != nil {
			break
		}
		if wanted[name] {
			err = out.ms.StatusResponse(res.MemberHref(name), http.StatusNotFound)
		}
	}
	for _, ref := range refused {
		if err != nil {
			break
		}
		err = out.ms.StatusResponse(ref.href, ref.status)
	}
	if err == nil {
		err = out.ms.Close()
	}
	return dav.Finish(r, out.ms, err)
}

// canonicalHref writes an href the request named in pgdav's one encoding,
// or as sent when it cannot be decoded.
func canonicalHref(href string) string {
	path, _, err := dav.DecodeHref(href)
	if err != nil {
		return href
	}
	return dav.EncodePath(path)
}

// respondByName answers the cards named, a batch at a time: each batch is
// read whole before its responses are written, so that computing them
// (dead properties are read from the store per card) never needs a
// second connection while a query holds one, which under load could take
// the pool's last connection and wait forever. Names found are deleted
// from wanted, when given.
func (t *Type) respondByName(ctx context.Context, res *dav.Resource, names []string, out *responder, wanted map[string]bool) error {
	const batch = 64
	objs := make([]backend.Object, 0, batch)
	for start := 0; start < len(names); start += batch {
		objs = objs[:0]
		err := t.store.GetObjectsByName(ctx, res.Collection.ID, names[start:min(start+batch, len(names))], out.props.addressData != nil,
			func(o backend.Object) error {
				objs = append(objs, o)
				return nil
			})
		if err != nil {
			return err
		}
		for i := range objs {
			delete(wanted, objs[i].Name)
			if err := out.respond(ctx, &objs[i], nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// objectLiveProps are the properties internal/dav computes for an object
// without reading the store. A REPORT asking for any other (or for
// allprop or propname) may need the cards' dead properties, and answers
// after its query (respondByName).
var objectLiveProps = map[xml.Name]bool{
	dav.DAVName("getetag"): true, dav.DAVName("getcontenttype"): true, dav.DAVName("getcontentlength"): true,
	dav.DAVName("getlastmodified"): true, dav.DAVName("creationdate"): true, dav.DAVName("resourcetype"): true,
	dav.DAVName("owner"): true, dav.DAVName("current-user-principal"): true, dav.DAVName("current-user-privilege-set"): true,
	dav.DAVName("principal-collection-set"): true, dav.DAVName("supported-report-set"): true,
}

// mayNeedDead reports whether answering needs reads from the store per
// card (dead properties).
func (p *reportProps) mayNeedDead() bool {
	if p.pf == nil {
		return false
	}
	if p.pf.Kind != dav.PropfindProp {
		return true
	}
	for _, n := range p.pf.Props {
		if !objectLiveProps[n] {
			return true
		}
	}
	return false
}

// responder writes the response of each card a REPORT returns.
type responder struct {
	res    *dav.Resource
	props  reportProps
	ms     *dav.Multistatus
	member *dav.Resource // reused for every card
	// obj and buf are the storage reused for every card: the row is
	// copied, so the caller's does not escape.
	obj backend.Object
	buf []dav.Prop
	// at is where address-data goes among the props (-1: at the end).
	at    int
	count int // responses written
}

func newResponder(res *dav.Resource, props reportProps, ms *dav.Multistatus) *responder {
	rp := &responder{res: res, props: props, ms: ms, at: -1}
	for i, n := range props.order {
		if n == dav.CardDAVName("address-data") {
			rp.at = i
		}
	}
	return rp
}

// respond writes the response for card o (with its data when address-data
// was asked for; c is the data parsed, or nil).
func (rp *responder) respond(ctx context.Context, o *backend.Object, c *vcardData) error {
	rp.obj = *o
	if rp.member == nil {
		rp.member = rp.res.Member(&rp.obj)
	} else {
		rp.member.SetObject(&rp.obj)
	}
	m := rp.member
	props := rp.buf[:0]
	if rp.props.pf != nil {
		var err error
		if props, err = rp.res.Handler().AppendProps(ctx, props, m, rp.props.pf); err != nil {
			return err
		}
	}
	if ad := rp.props.addressData; ad != nil {
		p := addressDataProp(ad, o.Data, c)
		if rp.at >= 0 && rp.at <= len(props) {
			props = slices.Insert(props, rp.at, p)
		} else {
			props = append(props, p)
		}
	}
	rp.count++
	rp.buf = props
	return rp.ms.Response(m.Href, props)
}

// healer indexes the cards a query found unindexed (backend.QueryCards),
// so that the next query finds them in the index. It writes after the
// query's stream has ended (not while its connection is held), at most
// maxHeal cards per query. Failing to is only logged: the answer does not
// depend on it.
type healer struct {
	store        Store
	collectionID int64
	pending      []backend.CardIndex
}

// maxHeal bounds the cards one query indexes, and so the memory their
// values take until the stream ends; later queries index the rest.
const maxHeal = 2000

func (h *healer) add(o *backend.Object, c *vcardData) {
	if len(h.pending) < maxHeal {
		h.pending = append(h.pending, backend.CardIndex{ObjectID: o.ID, ETag: o.ETag, Values: cardValues(c)})
	}
}

func (h *healer) flush(ctx context.Context) {
	for len(h.pending) > 0 {
		n := min(len(h.pending), 500)
		if _, err := h.store.IndexCards(ctx, h.collectionID, h.pending[:n]); err != nil {
			if ctx.Err() == nil {
				dav.Logger(ctx).Warn("indexing cards failed", "collection", h.collectionID, "err", err)
			}
			break
		}
		h.pending = h.pending[n:]
	}
	h.pending = nil
}
