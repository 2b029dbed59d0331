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
	var parsed *vcardData // the card being answered, when the matcher parsed it
	a, err := res.AnswerMembers(w, r, q.props.pf, addressData(&q.props, &parsed))
	if err != nil {
		return err
	}
	heal := &healer{store: t.store, collectionID: res.Collection.ID}
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
		if a.Count() == limit {
			truncated = true
			return errEnough
		}
		parsed = c
		return a.Object(ctx, &o)
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
	var extra []string
	if truncated {
		extra = append(extra, truncatedResponse(res.Href, limit))
	}
	return a.Finish(r, err, extra...)
}

// truncatedResponse is the response for the Request-URI that marks an
// answer cut at limit results (RFC 6352 8.6.1, RFC 5323 5.17): status 507
// with DAV:number-of-matches-within-limits.
func truncatedResponse(href string, limit int) string {
	return dav.TruncatedResponse(href, "more cards match; only the first "+strconv.Itoa(limit)+" are returned")
}

// multiget answers addressbook-multiget (RFC 6352 8.7) with the engine's
// multiget (dav.MemberAnswer.Multiget): one query for every member
// named, streamed, each distinct card once under its canonical href. The
// Depth header is ignored: DAVx5 sends 0, Thunderbird 1.
func (t *Type) multiget(w http.ResponseWriter, r *http.Request, res *dav.Resource, m *multigetRequest) error {
	a, err := res.AnswerMembers(w, r, m.props.pf, addressData(&m.props, nil))
	if err != nil {
		return err
	}
	return a.Multiget(r, m.hrefs)
}

// addressData is the address-data a REPORT asks for (RFC 6352 10.4), at
// its place among the properties asked; nil when not asked. *parsed,
// when parsed is not nil, is the card being answered already parsed, or
// nil.
func addressData(p *reportProps, parsed **vcardData) *dav.DataProp {
	ad := p.addressData
	if ad == nil {
		return nil
	}
	name := dav.CardDAVName("address-data")
	return &dav.DataProp{Name: name, At: slices.Index(p.order, name), Render: func(m *dav.Resource) (dav.Prop, error) {
		var c *vcardData
		if parsed != nil {
			c = *parsed
		}
		return addressDataProp(ad, m.Object.Data, c), nil
	}}
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
