package dav

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pgdav/pgdav/backend"
)

// liveTables holds, per resource kind, the live properties in the order
// allprop and propname list them, and an index by name.
type liveTables struct {
	byKind map[ResourceKind]liveTable // kinds without a collection type
	byType map[typeKindKey]liveTable  // homes, collections, objects of a type
	names  map[xml.Name]bool          // every live property name of any kind
}

type typeKindKey struct {
	ct   CollectionType
	kind ResourceKind
}

type liveTable struct {
	list  []LiveProp
	index map[xml.Name]int
}

func newLiveTable(props ...[]LiveProp) liveTable {
	t := liveTable{index: map[xml.Name]int{}}
	for _, ps := range props {
		for _, p := range ps {
			if _, dup := t.index[p.Name]; dup {
				continue
			}
			t.index[p.Name] = len(t.list)
			t.list = append(t.list, p)
		}
	}
	return t
}

func (t liveTable) get(name xml.Name) (LiveProp, bool) {
	i, ok := t.index[name]
	if !ok {
		return LiveProp{}, false
	}
	return t.list[i], true
}

// liveFor returns the live property table of a resource.
func (h *Handler) liveFor(res *Resource) liveTable {
	if res.Type != nil {
		return h.live.byType[typeKindKey{res.Type, res.Kind}]
	}
	return h.live.byKind[res.Kind]
}

// isLiveName reports whether any resource kind has a live property name,
// so PROPPATCH can refuse to store a dead copy of, say, getetag.
func (h *Handler) isLiveName(n xml.Name) bool { return h.live.names[n] }

// mayBeDead reports whether a property that is not live on a resource may
// be stored there as a dead property. DAV: names that are live on some
// kind (getetag, resourcetype…) never are; any other name is, even one
// live on another kind (calendar-color on an address book), so PROPPATCH
// stores it and PROPFIND must look for it.
func (h *Handler) mayBeDead(n xml.Name) bool { return n.Space != NSDAV || !h.isLiveName(n) }

func (h *Handler) buildLiveTables() liveTables {
	common := []LiveProp{
		{Name: DAVName("resourcetype"), AllProp: true, Protected: true, Value: h.resourceType},
		{Name: DAVName("current-user-principal"), Protected: true, Value: func(res *Resource) (string, bool) {
			return hrefXML(h.principalHref(res.Principal.Name)), true
		}},
		{Name: DAVName("principal-collection-set"), Protected: true, Value: func(*Resource) (string, bool) {
			return hrefXML(h.href(true, "principals")), true
		}},
		{Name: DAVName("current-user-privilege-set"), Protected: true, Value: h.privileges},
		{Name: DAVName("supported-report-set"), Protected: true, Value: supportedReports},
	}
	owned := []LiveProp{
		{Name: DAVName("owner"), Protected: true, Value: func(res *Resource) (string, bool) {
			return hrefXML(h.principalHref(res.Principal.Name)), true
		}},
	}
	principal := []LiveProp{
		{Name: DAVName("displayname"), AllProp: true, Value: func(res *Resource) (string, bool) {
			name := res.Principal.DisplayName
			if name == "" {
				name = res.Principal.Name
			}
			return EscapeText(name), true
		}},
		{Name: DAVName("principal-URL"), Protected: true, Value: func(res *Resource) (string, bool) {
			return hrefXML(h.principalHref(res.Principal.Name)), true
		}},
		// RFC 4791 6.2.1 and RFC 6352 7.1.1 allow several homes; Apple
		// picks one unpredictably, so there is exactly one of each.
		// RFC 6638 2.4.1: mailto: first, then the principal URL.
		{Name: CalDAVName("calendar-user-address-set"), Protected: true, Value: func(res *Resource) (string, bool) {
			var b strings.Builder
			if res.Principal.Email != "" {
				b.WriteString(hrefXML("mailto:" + res.Principal.Email))
			}
			b.WriteString(hrefXML(h.principalHref(res.Principal.Name)))
			return b.String(), true
		}},
		{Name: CalDAVName("calendar-user-type"), Protected: true, Value: func(*Resource) (string, bool) { return "INDIVIDUAL", true }},
		{Name: DAVName("alternate-URI-set"), Protected: true, Value: func(*Resource) (string, bool) { return "", true }},
		{Name: DAVName("group-membership"), Protected: true, Value: func(*Resource) (string, bool) { return "", true }},
	}
	for _, ct := range h.types {
		principal = append(principal, LiveProp{Name: ct.HomeSetProperty(), Protected: true, Value: func(res *Resource) (string, bool) {
			return hrefXML(h.homeHref(ct, res.Principal.Name)), true
		}})
	}
	collection := []LiveProp{
		{Name: DAVName("displayname"), AllProp: true, Value: func(res *Resource) (string, bool) {
			if res.Collection.DisplayName == "" {
				return "", false
			}
			return EscapeText(res.Collection.DisplayName), true
		}},
		{Name: DAVName("creationdate"), AllProp: true, Protected: true, Value: func(res *Resource) (string, bool) {
			return creationDate(res.Collection.CreatedAt), true
		}},
		{Name: DAVName("getlastmodified"), AllProp: true, Protected: true, Value: func(res *Resource) (string, bool) {
			return httpDate(res.Collection.UpdatedAt), true
		}},
		// RFC 6578 4: changes with every member change; a URI.
		{Name: DAVName("sync-token"), Protected: true, Value: func(res *Resource) (string, bool) {
			return EscapeText(SyncToken(res.Collection.ID, res.Collection.SyncSeq)), true
		}},
		// CalendarServer's ctag: Apple and Thunderbird poll it.
		{Name: CSName("getctag"), Protected: true, Value: func(res *Resource) (string, bool) {
			return EscapeText(ctag(res.Collection)), true
		}},
	}
	object := []LiveProp{
		{Name: DAVName("getetag"), AllProp: true, Protected: true, Value: func(res *Resource) (string, bool) {
			return etagText(res.Object.ETag), true
		}},
		{Name: DAVName("getcontenttype"), AllProp: true, Protected: true, Value: func(res *Resource) (string, bool) {
			return EscapeText(res.Object.ContentType), true
		}},
		{Name: DAVName("getcontentlength"), AllProp: true, Protected: true, Value: func(res *Resource) (string, bool) {
			return strconv.Itoa(res.Object.Size), true
		}},
		{Name: DAVName("getlastmodified"), AllProp: true, Protected: true, Value: func(res *Resource) (string, bool) {
			return httpDate(res.Object.ModifiedAt), true
		}},
		{Name: DAVName("creationdate"), AllProp: true, Protected: true, Value: func(res *Resource) (string, bool) {
			return creationDate(res.Object.CreatedAt), true
		}},
	}

	home := []LiveProp{
		// RFC 6578 4 on the home: the token a home-level sync-collection
		// (sync_home.go) answers to.
		{Name: DAVName("sync-token"), Protected: true, Value: func(res *Resource) (string, bool) {
			return EscapeText(res.homeToken), res.homeToken != ""
		}},
	}
	lt := liveTables{byKind: map[ResourceKind]liveTable{}, byType: map[typeKindKey]liveTable{}, names: map[xml.Name]bool{}}
	lt.byKind[KindRoot] = newLiveTable(common)
	lt.byKind[KindPrincipals] = newLiveTable(common)
	lt.byKind[KindPrincipal] = newLiveTable(common, principal, owned)
	for _, ct := range h.types {
		lt.byType[typeKindKey{ct, KindHomes}] = newLiveTable(common)
		lt.byType[typeKindKey{ct, KindHome}] = newLiveTable(common, owned, home)
		lt.byType[typeKindKey{ct, KindCollection}] = newLiveTable(common, collection, ct.CollectionProps(), owned)
		lt.byType[typeKindKey{ct, KindObject}] = newLiveTable(common, object, ct.ObjectProps(), owned)
	}
	for _, t := range lt.byKind {
		for _, p := range t.list {
			lt.names[p.Name] = true
		}
	}
	for _, t := range lt.byType {
		for _, p := range t.list {
			lt.names[p.Name] = true
		}
	}
	return lt
}

func (h *Handler) resourceType(res *Resource) (string, bool) {
	switch res.Kind {
	case KindObject:
		return "", true // an empty resourcetype: Thunderbird needs it present
	case KindPrincipal:
		return "<D:collection/><D:principal/>", true
	case KindCollection:
		return "<D:collection/>" + emptyElement(res.Type.ResourceType()), true
	}
	return "<D:collection/>", true
}

// privileges is current-user-privilege-set (RFC 3744 5.4). Users own
// everything they can reach; Thunderbird and DAVx5 make a collection
// read-only unless write (or all) is listed.
func (h *Handler) privileges(res *Resource) (string, bool) {
	var names []string
	switch res.Kind {
	case KindRoot, KindPrincipals, KindHomes:
		names = []string{"D:read", "D:read-current-user-privilege-set"}
	default:
		names = []string{"D:all", "D:read", "D:write", "D:write-properties", "D:write-content",
			"D:bind", "D:unbind", "D:read-current-user-privilege-set"}
		if res.Type != nil && res.Type.Kind() == backend.KindCalendar {
			names = append(names, "C:read-free-busy") // RFC 4791 6.1.1
		}
	}
	var b strings.Builder
	for _, n := range names {
		b.WriteString("<D:privilege><" + n + "/></D:privilege>")
	}
	return b.String(), true
}

// supportedReports is supported-report-set (RFC 3253 3.1.5): exactly the
// REPORTs this resource answers: the type's, and sync-collection on
// collections and homes (RFC 6578 3.1; Thunderbird looks for it on the
// calendar, Apple on the calendar home: docs/clients.md "sync-collection
// on collections and homes").
func supportedReports(res *Resource) (string, bool) {
	if res.Type == nil {
		// Root and principals: the reports of principal_reports.go.
		switch res.Kind {
		case KindPrincipal, KindPrincipals:
			return "<D:supported-report><D:report>" + emptyElement(reportExpandProperty) + "</D:report></D:supported-report>" +
				"<D:supported-report><D:report>" + emptyElement(reportPrincipalSearchPropSet) + "</D:report></D:supported-report>" +
				"<D:supported-report><D:report>" + emptyElement(reportPrincipalPropertySearch) + "</D:report></D:supported-report>", true
		}
		return "", true
	}
	var b strings.Builder
	reports := res.Type.Reports(res.Kind)
	for _, n := range reports {
		b.WriteString("<D:supported-report><D:report>" + emptyElement(n) + "</D:report></D:supported-report>")
	}
	if syncReportOn(res.Kind) && !slices.Contains(reports, reportSyncCollection) {
		b.WriteString("<D:supported-report><D:report>" + emptyElement(reportSyncCollection) + "</D:report></D:supported-report>")
	}
	return b.String(), true
}

// SyncToken is the sync-token URI of a collection at a revision (RFC 6578
// 3.2: a URI; Evolution discards tokens without ':' or '/').
func SyncToken(collectionID, seq int64) string {
	return "urn:pgdav:sync:" + strconv.FormatInt(collectionID, 10) + ":" + strconv.FormatInt(seq, 10)
}

func ctag(c *backend.Collection) string {
	return strconv.FormatInt(c.ID, 10) + "-" + strconv.FormatInt(c.SyncSeq, 10)
}

func hrefXML(href string) string { return "<D:href>" + EscapeText(href) + "</D:href>" }

// HrefXML is a <D:href> element holding href.
func HrefXML(href string) string { return hrefXML(href) }

// emptyElement writes <P:local/> for a fixed prefix, or a self-declaring
// element for any other namespace.
func emptyElement(n xml.Name) string {
	if p := prefixOf(n.Space); p != "" {
		return "<" + p + ":" + n.Local + "/>"
	}
	return "<" + n.Local + ` xmlns="` + EscapeText(n.Space) + `"/>`
}

// EmptyElement is emptyElement for collection types.
func EmptyElement(n xml.Name) string { return emptyElement(n) }

// httpDate is the getlastmodified format (RFC 4918 15.7: RFC 1123).
func httpDate(t time.Time) string { return t.UTC().Format(http.TimeFormat) }

// creationDate is the creationdate format (RFC 4918 15.1: RFC 3339).
func creationDate(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// etagText is the content of a getetag element: the quoted entity tag.
// Quotes need no escaping in character data (XML 1.0 §2.4), and the tags
// pgdav makes need none at all, so this is one allocation per member of a
// listing; a tag with anything to escape is escaped as a whole.
func etagText(tag string) string {
	if i, _, _ := nextEscape(tag, false); i >= 0 {
		return EscapeText(QuoteETag(tag))
	}
	return QuoteETag(tag)
}
