package dav

import (
	"bytes"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"strings"
)

// DAV:principal-property-search (RFC 3744 9.4): Thunderbird sends it to
// find the principal of a calendar home when it has none, and
// principal-search-property-set advertises it.
var reportPrincipalPropertySearch = DAVName("principal-property-search")

// searchableProps are the principal properties principal-search-property-set
// lists (RFC 3744 9.5): each is a live property of every principal and can
// be searched. Any other live property of a principal can be searched too
// (Thunderbird matches calendar-home-set), unlisted.
var searchableProps = []struct {
	name        xml.Name
	description string
}{
	{DAVName("displayname"), "Display name"},
	{CalDAVName("calendar-user-address-set"), "Calendar user address"},
}

// principalSearchPropertySet lists the principal properties a client may
// search on (RFC 3744 9.5).
func principalSearchPropertySet(w http.ResponseWriter, r *http.Request) error {
	if r.Header.Get("Depth") != "" && r.Header.Get("Depth") != "0" {
		return Errorf(http.StatusBadRequest, "principal-search-property-set needs Depth: 0 (RFC 3744 9.5)")
	}
	var b strings.Builder
	b.WriteString(xml.Header + `<D:principal-search-property-set`)
	for _, p := range fixedPrefixes {
		b.WriteString(` xmlns:` + p.Prefix + `="` + p.Space + `"`)
	}
	b.WriteString(`>`)
	for _, p := range searchableProps {
		b.WriteString(`<D:principal-search-property><D:prop>` + emptyElement(p.name) + `</D:prop><D:description xml:lang="en">` +
			EscapeText(p.description) + `</D:description></D:principal-search-property>`)
	}
	b.WriteString("</D:principal-search-property-set>\n")
	w.Header().Set("Content-Type", "application/xml; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, err := io.WriteString(w, b.String())
	return err
}

// propertySearch is one DAV:property-search: the properties whose value
// must contain match.
type propertySearch struct {
	props []xml.Name
	match string
}

type principalSearch struct {
	anyOf      bool // test="anyof"; allof is the default
	searches   []propertySearch
	pf         *Propfind
	applyToSet bool
}

func parsePrincipalSearch(body []byte) (*principalSearch, error) {
	d := NewDecoder(bytes.NewReader(body))
	root, _, err := ReadRoot(d)
	if err != nil {
		return nil, err
	}
	q := &principalSearch{pf: &Propfind{Kind: PropfindProp}}
	if test, ok := Attr(root, "test"); ok {
		switch test {
		case "anyof":
			q.anyOf = true
		case "allof":
		default:
			return nil, Errorf(http.StatusBadRequest, "principal-property-search: test %s, want allof or anyof", QuoteShort(test))
		}
	}
	var seen NameSet
	err = ReadDocument(d, func(t xml.StartElement) error {
		switch t.Name {
		case DAVName("property-search"):
			var s propertySearch
			if err := ReadChildren(d, func(t xml.StartElement) error {
				switch t.Name {
				case DAVName("prop"):
					names, err := ReadNames(d)
					s.props = append(s.props, names...)
					return err
				case DAVName("match"):
					pv, err := ReadPropertyValue(d, t)
					s.match = pv.Text
					return err
				}
				return Skip(d)
			}); err != nil {
				return err
			}
			q.searches = append(q.searches, s)
			return nil
		case DAVName("prop"):
			names, err := ReadNames(d)
			for _, n := range names {
				if seen.Add(n) {
					q.pf.Props = append(q.pf.Props, n)
				}
			}
			return err
		case DAVName("apply-to-principal-collection-set"):
			q.applyToSet = true
		}
		return Skip(d)
	})
	if err != nil {
		return nil, err
	}
	if len(q.searches) == 0 {
		return nil, Errorf(http.StatusBadRequest, "principal-property-search holds no property-search (RFC 3744 9.4)")
	}
	return q, nil
}

// principalPropertySearch answers DAV:principal-property-search (RFC 3744
// 9.4) on the principal collection, a principal, or with
// apply-to-principal-collection-set anywhere. A user sees only their own
// principal, so the answer holds it if it matches, and nothing otherwise.
// Matching is a caseless substring match of each property's text (for
// href-valued properties, of any of its hrefs).
func (h *Handler) principalPropertySearch(w http.ResponseWriter, r *http.Request, res *Resource, body []byte) error {
	q, err := parsePrincipalSearch(body)
	if err != nil {
		return err
	}
	if res.Kind != KindPrincipals && res.Kind != KindPrincipal && !q.applyToSet {
		return NewError(http.StatusForbidden, DAVName("supported-report"),
			"principal-property-search is answered on principals and the principal collection")
	}
	ctx := r.Context()
	me := &Resource{Kind: KindPrincipal, Href: h.principalHref(res.Principal.Name), Principal: res.Principal, h: h}
	ms := NewMultistatus(w, MultistatusOptions{Minimal: PreferMinimal(r)})
	if h.principalMatches(me, q) {
		err = h.propfindResponse(ctx, ms, me, q.pf)
	}
	if err == nil {
		err = ms.Close()
	}
	return finish(ctx, ms, err)
}

func (h *Handler) principalMatches(p *Resource, q *principalSearch) bool {
	live := h.liveFor(p)
	for _, s := range q.searches {
		match := strings.ToLower(s.match)
		ok := false
		for _, n := range s.props {
			lp, found := live.get(n)
			if !found {
				continue
			}
			v, has := lp.Value(p)
			if !has {
				continue
			}
			for _, text := range valueTexts(v) {
				if strings.Contains(strings.ToLower(text), match) {
					ok = true
				}
			}
		}
		if ok && q.anyOf {
			return true
		}
		if !ok && !q.anyOf {
			return false
		}
	}
	return !q.anyOf
}

// valueTexts returns the texts a live property value is matched on: the
// content of each <D:href>, or the unescaped text of a plain value.
func valueTexts(inner string) []string {
	if m := innerHrefRe.FindAllStringSubmatch(inner, -1); m != nil {
		out := make([]string, len(m))
		for i, s := range m {
			out[i] = html.UnescapeString(s[1])
		}
		return out
	}
	return []string{html.UnescapeString(inner)}
}
