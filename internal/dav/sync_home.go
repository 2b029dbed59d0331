package dav

import (
	"cmp"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"net/http"
	"slices"
	"strconv"

	"github.com/pgdav/pgdav/backend"
)

// syncHome answers sync-collection on a calendar or address book home,
// whose members are collections (Apple's CalendarAgent asks the calendar
// home, clients.md §2 item 7; RFC 6578 3.3 with sync-level 1: the child
// collections are the members, their contents are not reported).
//
// The store keeps no change log of collections, so a home token is a
// digest of the home's state: the id and revision (sync_seq) of every
// collection of the home, read from the database. The answers are
// exact without one:
//   - no token: every collection of the home with the requested
//     properties, and the token of that state (RFC 6578 3.4);
//   - the token of the current state: nothing changed, no response, the
//     same token;
//   - any other token (a collection was created, deleted, or changed in
//     its members or properties since): 403 DAV:valid-sync-token, which
//     RFC 6578 3.2 lets a server answer to any token it no longer
//     serves; the client then syncs the home again without a token and
//     reads each collection's getctag and sync-token to see which ones
//     to sync. A home holds a handful of collections, so that full
//     answer is small, and it can never miss a deleted collection, as an
//     incremental answer without tombstones could.
//
// With sync-level infinite, each collection is reported with 403
// DAV:sync-traversal-supported and no propstat (RFC 6578 3.3): its
// members are synchronised on the collection itself. A DAV:limit smaller
// than the answer cannot be honoured (there is no order to resume in),
// which RFC 6578 3.7 answers with DAV:number-of-matches-within-limits.
func (h *Handler) syncHome(w http.ResponseWriter, r *http.Request, res *Resource, req *syncRequest) error {
	ctx := r.Context()
	p := res.Principal
	cols, err := h.store.ListCollections(ctx, p.ID, res.Type.Kind())
	if err != nil {
		return err
	}
	token := homeSyncToken(p.ID, res.Type.Kind(), cols)
	if req.token != "" && req.token != token {
		return invalidSyncToken(r, res, "the home changed since this sync-token, or it was not issued for this home")
	}
	if req.token != "" {
		cols = nil // nothing changed
	}
	if req.limit > 0 && req.limit < len(cols) {
		return NewError(http.StatusInsufficientStorage, DAVName("number-of-matches-within-limits"),
			"the home has %d collections, more than the %d asked for; a home's answer cannot be split", len(cols), req.limit)
	}
	pf := &Propfind{Kind: PropfindProp}
	for _, pv := range req.props {
		pf.Props = append(pf.Props, pv.Name)
	}
	ms := NewMultistatus(w, MultistatusOptions{Minimal: PreferMinimal(r)})
	var extra []string
	for i := range cols {
		c := &cols[i]
		m := &Resource{Kind: KindCollection, Type: res.Type, Href: h.collectionHref(res.Type, p.Name, c.Slug), Principal: p, Collection: c, h: h}
		if req.infinite {
			extra = append(extra, "<D:response>"+hrefXML(m.Href)+"<D:status>"+statusLine(http.StatusForbidden)+"</D:status>"+
				"<D:error><D:sync-traversal-supported/></D:error></D:response>\n")
			continue
		}
		props, err := h.Props(ctx, m, pf)
		if err == nil {
			err = ms.Response(m.Href, props)
		}
		if err != nil {
			return finish(ctx, ms, err)
		}
	}
	err = ms.Close(append(extra, syncTokenXML(token))...)
	return finish(ctx, ms, err)
}

// homeSyncTokenPrefix starts every home token; parseSyncToken refuses it.
const homeSyncTokenPrefix = syncTokenPrefix + "home:"

// homeSyncToken is the token of a home's state: the owner, the kind and
// a digest of the id and sync_seq of each of its collections. Every node
// computes the same token from the same rows.
func homeSyncToken(principalID int64, kind backend.CollectionKind, cols []backend.Collection) string {
	sorted := slices.Clone(cols)
	slices.SortFunc(sorted, func(a, b backend.Collection) int { return cmp.Compare(a.ID, b.ID) })
	hash := sha256.New()
	var buf [16]byte
	for _, c := range sorted {
		binary.BigEndian.PutUint64(buf[:8], uint64(c.ID))
		binary.BigEndian.PutUint64(buf[8:], uint64(c.SyncSeq))
		hash.Write(buf[:])
	}
	return homeSyncTokenPrefix + strconv.FormatInt(principalID, 10) + ":" + string(kind) + ":" + hex.EncodeToString(hash.Sum(nil)[:12])
}
