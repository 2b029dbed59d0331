package dav

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/xml"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/pgdav/pgdav/backend"
)

// The sync-collection REPORT (RFC 6578). It is answered here, for every
// collection type alike, on calendars, address books and their homes;
// the types contribute only the rendering of their data property
// (CollectionType.DataProp). The delta comes from the store's change log
// (backend.Store.Changes, backend/README.md): one snapshot, read in
// sequence-number order and streamed.

// reportSyncCollection is the root element of the REPORT.
var reportSyncCollection = DAVName("sync-collection")

// syncReportOn reports whether resources of kind answer sync-collection:
// collections, and the homes (Apple asks the calendar home,
// docs/clients.md "Apple syncs the calendar home"; see syncHome).
func syncReportOn(kind ResourceKind) bool { return kind == KindCollection || kind == KindHome }

// DefaultSyncMaxResults is the most members one sync-collection answer
// carries when the server is not configured otherwise (serve's
// --sync-max-results): a first sync of a larger collection is paged
// (RFC 6578 3.6), each page continuing where the last stopped.
const DefaultSyncMaxResults = 10000

// SyncStore is what sync-collection on a collection needs from the
// store: its change log. Store includes it.
type SyncStore interface {
	Changes(ctx context.Context, q backend.ChangeQuery, fn func(*backend.Change) error) (backend.ChangeSet, error)
}

// syncRequest is a parsed DAV:sync-collection body (RFC 6578 6.1).
type syncRequest struct {
	// token is the DAV:sync-token text, trimmed; "" asks for an initial
	// sync (RFC 6578 3.4).
	token string
	// infinite is DAV:sync-level "infinite" (RFC 6578 3.3); a missing
	// sync-level means 1 (OS X 10.7 sends none: docs/clients.md "Depth
	// and sync-level on sync-collection").
	infinite bool
	// limit is DAV:limit/DAV:nresults (RFC 6578 3.7), 0 when not given.
	limit int
	// props are the children of DAV:prop in request order, each once.
	props []PropertyValue
}

// parseSyncCollection parses a sync-collection body. Errors are *Error
// 400: malformed XML, another root element, a second sync-token,
// sync-level or limit, a sync-level other than 1 and infinite, an
// nresults that is not a positive whole number. Unknown elements are
// ignored (RFC 4918 17); a missing DAV:prop asks for no property, so each
// member comes with an empty propstat.
func parseSyncCollection(body []byte) (*syncRequest, error) {
	d := NewDecoder(bytes.NewReader(body))
	root, ok, err := ReadRoot(d)
	switch {
	case err != nil:
		return nil, err
	case !ok:
		return nil, Errorf(http.StatusBadRequest, "the REPORT body is empty; expected a DAV:sync-collection element")
	}
	if err := CheckRoot(root, reportSyncCollection); err != nil {
		return nil, err
	}
	req := &syncRequest{}
	var seenToken, seenLevel, seenLimit bool
	var seenProps NameSet
	once := func(seen *bool, what string) error {
		if *seen {
			return Errorf(http.StatusBadRequest, "sync-collection holds more than one %s", what)
		}
		*seen = true
		return nil
	}
	err = ReadDocument(d, func(t xml.StartElement) error {
		switch t.Name {
		case DAVName("sync-token"):
			if err := once(&seenToken, "sync-token"); err != nil {
				return err
			}
			v, err := ReadText(d, t)
			req.token = strings.TrimSpace(v)
			return err
		case DAVName("sync-level"):
			if err := once(&seenLevel, "sync-level"); err != nil {
				return err
			}
			v, err := ReadText(d, t)
			if err != nil {
				return err
			}
			switch v = strings.TrimSpace(v); {
			case v == "1":
			case strings.EqualFold(v, "infinite"), strings.EqualFold(v, "infinity"):
				req.infinite = true
			default:
				return Errorf(http.StatusBadRequest, "sync-level %s: want 1 or infinite (RFC 6578 6.3)", QuoteShort(v))
			}
			return nil
		case DAVName("limit"):
			if err := once(&seenLimit, "limit"); err != nil {
				return err
			}
			n, found, err := ReadLimit(d, NSDAV)
			switch {
			case err == nil && !found:
				err = Errorf(http.StatusBadRequest, "limit needs an nresults element (RFC 5323 5.17)")
			case err == nil && n == 0:
				err = Errorf(http.StatusBadRequest, "nresults 0: want a whole number of at least 1 (RFC 5323 5.17)")
			}
			req.limit = n
			return err
		case DAVName("prop"):
			props, err := readProps(d, "")
			for _, pv := range props {
				if seenProps.Add(pv.Name) {
					req.props = append(req.props, pv)
				}
			}
			return err
		}
		return Skip(d)
	})
	if err != nil {
		return nil, err
	}
	return req, nil
}

// syncTokenPrefix starts every collection token SyncToken makes.
const syncTokenPrefix = "urn:pgdav:sync:"

// syncPageToken is the token of an answer: SyncToken, and, for an answer
// truncated inside a revision (one import records many members under
// one), the name of the last member returned, base64url-encoded so the
// token stays a URI (backend.ChangeSet.After).
func syncPageToken(collectionID, seq int64, after string) string {
	t := SyncToken(collectionID, seq)
	if after != "" {
		t += ":" + base64.RawURLEncoding.EncodeToString([]byte(after))
	}
	return t
}

// parseSyncToken reads a token made by syncPageToken: the collection's
// id, the revision and the name to continue after ("" for none). Only the
// canonical spelling is accepted (no signs, no leading zeros, canonical
// base64url), so each state has one token.
func parseSyncToken(s string) (collectionID, seq int64, after string, ok bool) {
	rest, ok := strings.CutPrefix(s, syncTokenPrefix)
	if !ok {
		return 0, 0, "", false
	}
	idText, rest, ok := strings.Cut(rest, ":")
	if !ok {
		return 0, 0, "", false
	}
	seqText, afterText, paged := strings.Cut(rest, ":")
	id, err1 := strconv.ParseInt(idText, 10, 64)
	seq, err2 := strconv.ParseInt(seqText, 10, 64)
	if err1 != nil || err2 != nil || id <= 0 || seq < 0 ||
		strconv.FormatInt(id, 10) != idText || strconv.FormatInt(seq, 10) != seqText {
		return 0, 0, "", false
	}
	if paged {
		b, err := base64.RawURLEncoding.DecodeString(afterText)
		if err != nil || len(b) == 0 || !utf8.Valid(b) || base64.RawURLEncoding.EncodeToString(b) != afterText {
			return 0, 0, "", false
		}
		after = string(b)
	}
	return id, seq, after, true
}

// invalidSyncToken is the answer to a token pgdav cannot compute a delta
// from (RFC 6578 3.2, DAV:valid-sync-token): 403, or 400 for Thunderbird
// on address books, whose CardDAV code resynchronises on 400 only
// (docs/clients.md "Invalid sync tokens", docs/compatibility.md). The
// body is the same.
func invalidSyncToken(r *http.Request, res *Resource, format string, args ...any) *Error {
	status := http.StatusForbidden
	if res.Type != nil && res.Type.Kind() == backend.KindAddressBook && strings.Contains(r.UserAgent(), "Thunderbird/") {
		status = http.StatusBadRequest
	}
	return NewError(status, DAVName("valid-sync-token"), format+"; synchronise again with an empty sync-token", args...)
}

// syncTokenXML is the DAV:sync-token element that ends every answer
// (RFC 6578 3.2: a direct child of DAV:multistatus, after the responses).
func syncTokenXML(token string) string {
	return "<D:sync-token>" + EscapeText(token) + "</D:sync-token>\n"
}

// syncCollection answers a sync-collection REPORT on res. The Depth
// header is ignored: RFC 6578 3.2 wants 0, but DAVx5 and Evolution send
// 0, Thunderbird and Apple 1, and go-webdav none (docs/clients.md "Depth
// and sync-level on sync-collection").
func (h *Handler) syncCollection(w http.ResponseWriter, r *http.Request, res *Resource, body []byte) error {
	if res.Type == nil || !syncReportOn(res.Kind) {
		// An object (or a place without members): RFC 6578 defines no
		// precondition of its own, so RFC 3253 3.6's applies.
		return NewError(http.StatusForbidden, DAVName("supported-report"),
			"sync-collection is answered on calendars, address books and their homes, not on this resource")
	}
	req, err := parseSyncCollection(body)
	if err != nil {
		return err
	}
	if res.Kind == KindHome {
		return h.syncHome(w, r, res, req)
	}
	return h.syncMembers(w, r, res, req)
}

// syncPropfind is the Propfind of the requested properties, in request
// order, with the renderers of the type's data properties among them
// (CollectionType.DataProp). Errors are the type's (*Error, before any
// output).
func syncPropfind(ct CollectionType, props []PropertyValue) (*Propfind, error) {
	pf := &Propfind{Kind: PropfindProp, Props: make([]xml.Name, 0, len(props))}
	for _, pv := range props {
		render, err := ct.DataProp(pv)
		if err != nil {
			return nil, err
		}
		pf.Props = append(pf.Props, pv.Name)
		if render != nil {
			if pf.data == nil {
				pf.data = map[CollectionType]map[xml.Name]func(*Resource) (Prop, error){ct: {}}
			}
			pf.data[ct][pv.Name] = render
		}
	}
	return pf, nil
}

// syncMembers answers sync-collection on a calendar or address book
// (RFC 6578 3.2-3.7). With an empty token every member comes with the
// requested properties (3.4); with a token, every member created or
// changed since comes with them and every member deleted since as a
// response with its href and a 404 status, no propstat (3.5); each
// member once, in the order of its latest change. sync-level infinite
// is answered as 1: these collections have no child collections (3.3).
//
// An answer holds at most the client's nresults and the server's
// SyncMaxResults members; when more are pending it ends with a 507
// response for the Request-URI (3.6) and a token from which the next
// request continues, without gap or repeat. The token is always the last
// child of the multistatus, and comes from the same database snapshot as
// the members, so it works on any node and after a restart.
func (h *Handler) syncMembers(w http.ResponseWriter, r *http.Request, res *Resource, req *syncRequest) error {
	coll := res.Collection
	q := backend.ChangeQuery{CollectionID: coll.ID, Initial: req.token == ""}
	if !q.Initial {
		id, seq, after, ok := parseSyncToken(req.token)
		if !ok {
			return invalidSyncToken(r, res, "the sync-token was not issued by this server")
		}
		if id != coll.ID {
			return invalidSyncToken(r, res, "the sync-token belongs to another collection")
		}
		q.Since, q.After = seq, after
	}
	pf, err := syncPropfind(res.Type, req.props)
	if err != nil {
		return err
	}
	// Each change comes with its member's dead properties, when asked.
	a := res.newMemberAnswer(pf)
	_, dead := h.needs(res, pf)
	q.WithData, q.WithProperties = a.withData, dead
	q.Limit = h.cfg.SyncMaxResults
	if req.limit > 0 && (q.Limit <= 0 || req.limit < q.Limit) {
		q.Limit = req.limit
	}

	ctx := r.Context()
	ms := NewMultistatus(w, MultistatusOptions{Minimal: PreferMinimal(r)})
	a.ms = ms
	set, err := h.store.Changes(ctx, q, func(c *backend.Change) error {
		if c.Deleted {
			return a.Missing(c.Name)
		}
		return a.object(ctx, &c.Object, c.Properties)
	})
	switch {
	case errors.Is(err, backend.ErrTokenExpired):
		return invalidSyncToken(r, res, "the sync-token is too old: changes it needs were pruned")
	case errors.Is(err, backend.ErrTokenUnknown):
		return invalidSyncToken(r, res, "the sync-token names a state this collection never had")
	case err == nil:
		var extra []string
		if set.Truncated {
			extra = append(extra, truncatedSyncResponse(res.Href, q.Limit))
		}
		err = ms.Close(append(extra, syncTokenXML(syncPageToken(coll.ID, set.Seq, set.After)))...)
	}
	return finish(ctx, ms, err)
}

// truncatedSyncResponse is the response for the Request-URI that marks a
// truncated answer (RFC 6578 3.6): 507 with the
// DAV:number-of-matches-within-limits precondition of RFC 5323 5.17.
func truncatedSyncResponse(href string, limit int) string {
	return TruncatedResponse(href, "more changes are pending: "+strconv.Itoa(limit)+
		" are returned; ask again with the sync-token of this answer")
}
