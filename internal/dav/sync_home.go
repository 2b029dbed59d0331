package dav

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// HomeSyncStore is what sync-collection on a home and the home's
// sync-token need from the store: the homes' change log. Store includes
// it.
type HomeSyncStore interface {
	HomeChanges(ctx context.Context, q backend.HomeChangeQuery) ([]backend.HomeChange, backend.HomeChangeSet, error)
	HomeSyncState(ctx context.Context, principalID int64, kind backend.CollectionKind) (int64, error)
}

// syncHome answers sync-collection on a calendar or address book home,
// whose members are collections (Apple's CalendarAgent asks the calendar
// home, docs/clients.md "Apple syncs the calendar home"; RFC 6578 3.3 with
// sync-level 1: the child collections are the members, their contents are
// not reported).
//
// The store keeps a change log of each home's collections
// (backend.Store.HomeChanges): a collection changed when it was created,
// when its properties changed or its members did (its own sync-token and
// getctag moved), and a deleted one leaves a tombstone. So, as on a
// collection (RFC 6578 3.4, 3.5):
//   - no token: every collection of the home with the requested
//     properties, and the token of that state;
//   - a token: every collection created or changed since, with the
//     requested properties, and every collection deleted since as a
//     response with its href and a 404 status, no propstat; an unchanged
//     home answers no response and the same token.
//
// Tokens are home revisions in the database, so they work on every node.
// An answer holds at most SyncMaxResults (or nresults) collections and
// is then truncated with a 507 response for the Request-URI and a token
// to continue from (RFC 6578 3.6), as on a collection. With sync-level
// infinite each collection created or changed is reported with 403
// DAV:sync-traversal-supported and no propstat (RFC 6578 3.3): its
// members are synchronised on the collection itself.
func (h *Handler) syncHome(w http.ResponseWriter, r *http.Request, res *Resource, req *syncRequest) error {
	ctx := r.Context()
	p, kind := res.Principal, res.Type.Kind()
	q := backend.HomeChangeQuery{PrincipalID: p.ID, Kind: kind, Initial: req.token == ""}
	if !q.Initial {
		id, k, seq, ok := parseHomeSyncToken(req.token)
		if !ok {
			// Among them the digests pgdav gave homes before it kept
			// their change log: such a client lists the home once.
			return invalidSyncToken(r, res, "the sync-token was not issued by this server for a home")
		}
		if id != p.ID || k != kind {
			return invalidSyncToken(r, res, "the sync-token belongs to another home")
		}
		q.Since = seq
	}
	q.Limit = h.cfg.SyncMaxResults
	if req.limit > 0 && (q.Limit <= 0 || req.limit < q.Limit) {
		q.Limit = req.limit
	}
	changes, set, err := h.store.HomeChanges(ctx, q)
	switch {
	case errors.Is(err, backend.ErrTokenExpired):
		return invalidSyncToken(r, res, "the sync-token is too old: changes it needs were pruned")
	case errors.Is(err, backend.ErrTokenUnknown):
		return invalidSyncToken(r, res, "the sync-token names a state this home never had")
	case err != nil:
		return err
	}
	pf := &Propfind{Kind: PropfindProp}
	for _, pv := range req.props {
		pf.Props = append(pf.Props, pv.Name)
	}
	ms := NewMultistatus(w, MultistatusOptions{Minimal: PreferMinimal(r)})
	var extra []string
	for i := range changes {
		c := &changes[i]
		href := h.collectionHref(res.Type, p.Name, c.Slug)
		switch {
		case c.Deleted:
			err = ms.StatusResponse(href, http.StatusNotFound)
		case req.infinite:
			extra = append(extra, "<D:response>"+hrefXML(href)+"<D:status>"+statusLine(http.StatusForbidden)+"</D:status>"+
				"<D:error><D:sync-traversal-supported/></D:error></D:response>\n")
		default:
			m := &Resource{Kind: KindCollection, Type: res.Type, Href: href, Principal: p, Collection: &c.Collection, h: h}
			var props []Prop
			if props, err = h.Props(ctx, m, pf); err == nil {
				err = ms.Response(href, props)
			}
		}
		if err != nil {
			return finish(ctx, ms, err)
		}
	}
	if set.Truncated {
		extra = append(extra, truncatedSyncResponse(res.Href, q.Limit))
	}
	err = ms.Close(append(extra, syncTokenXML(homeSyncToken(p.ID, kind, set.Seq)))...)
	return finish(ctx, ms, err)
}

// homeToken is the home's DAV:sync-token (RFC 6578 4): the token of its
// current revision.
func (h *Handler) homeToken(ctx context.Context, p backend.Principal, kind backend.CollectionKind) (string, error) {
	seq, err := h.store.HomeSyncState(ctx, p.ID, kind)
	if err != nil {
		return "", err
	}
	return homeSyncToken(p.ID, kind, seq), nil
}

// homeSyncTokenPrefix starts every home token; parseSyncToken refuses it.
const homeSyncTokenPrefix = syncTokenPrefix + "home:"

// homeSyncToken is the token of a home at a revision: the owner, the
// kind and the revision, urn:pgdav:sync:home:<principal>:<kind>:<seq>.
// The digests pgdav gave homes before had 24 hex digits in place of the
// revision, which parseHomeSyncToken never reads as one (not decimal, or
// too large for an int64).
func homeSyncToken(principalID int64, kind backend.CollectionKind, seq int64) string {
	return homeSyncTokenPrefix + strconv.FormatInt(principalID, 10) + ":" + string(kind) + ":" + strconv.FormatInt(seq, 10)
}

// parseHomeSyncToken reads a token made by homeSyncToken; only the
// canonical spelling is accepted, so each state has one token.
func parseHomeSyncToken(s string) (principalID int64, kind backend.CollectionKind, seq int64, ok bool) {
	rest, ok := strings.CutPrefix(s, homeSyncTokenPrefix)
	if !ok {
		return 0, "", 0, false
	}
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return 0, "", 0, false
	}
	id, err1 := strconv.ParseInt(parts[0], 10, 64)
	seq, err2 := strconv.ParseInt(parts[2], 10, 64)
	kind = backend.CollectionKind(parts[1])
	if err1 != nil || err2 != nil || id <= 0 || seq < 0 || (kind != backend.KindCalendar && kind != backend.KindAddressBook) ||
		strconv.FormatInt(id, 10) != parts[0] || strconv.FormatInt(seq, 10) != parts[2] {
		return 0, "", 0, false
	}
	return id, kind, seq, true
}
