package dav

import (
	"bytes"
	"context"
	"encoding/xml"
	"net/http"
	"regexp"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// Reports Apple sends beyond the CalDAV core (docs/clients.md "Apple's
// principal REPORTs"): DAV:
// expand-property (RFC 3253 3.8), which macOS Calendar sends to the
// principal once after start-up for its delegation lookup, and DAV:
// principal-search-property-set (RFC 3744 9.5), which iOS sends to the
// principal collection. Both must be answered, not refused with a 5xx.
var (
	reportExpandProperty         = DAVName("expand-property")
	reportPrincipalSearchPropSet = DAVName("principal-search-property-set")
)

// principalReport answers the reports above; done is false for any
// other report.
func (h *Handler) principalReport(w http.ResponseWriter, r *http.Request, res *Resource, name xml.Name, body []byte) (done bool, err error) {
	switch name {
	case reportExpandProperty:
		return true, h.expandProperty(w, r, res, body)
	case reportPrincipalSearchPropSet:
		if res.Kind != KindPrincipals && res.Kind != KindPrincipal {
			return true, NewError(http.StatusForbidden, DAVName("supported-report"),
				"principal-search-property-set is answered on principals and the principal collection")
		}
		return true, principalSearchPropertySet(w, r)
	case reportPrincipalPropertySearch:
		return true, h.principalPropertySearch(w, r, res, body)
	}
	return false, nil
}

// expandReq is one DAV:property of an expand-property body.
type expandReq struct {
	name xml.Name
	sub  []expandReq
}

// maxExpandDepth bounds the nesting of DAV:property elements.
const maxExpandDepth = 4

func parseExpandProperty(body []byte) ([]expandReq, error) {
	d := NewDecoder(bytes.NewReader(body))
	if _, _, err := ReadRoot(d); err != nil {
		return nil, err
	}
	reqs, err := readExpand(d, 0)
	if err != nil {
		return nil, err
	}
	return reqs, EndDocument(d)
}

// readExpand reads the DAV:property children of the element just
// started, up to and including its end tag.
func readExpand(d *xml.Decoder, depth int) ([]expandReq, error) {
	var out []expandReq
	err := ReadChildren(d, func(t xml.StartElement) error {
		if t.Name != DAVName("property") {
			return Skip(d)
		}
		if depth >= maxExpandDepth {
			return Errorf(http.StatusBadRequest, "expand-property nests deeper than %d levels", maxExpandDepth)
		}
		// RFC 3253 3.8: namespace defaults to "DAV:".
		q := expandReq{name: xml.Name{Space: NSDAV}}
		q.name.Local, _ = Attr(t, "name")
		if ns, ok := Attr(t, "namespace"); ok {
			q.name.Space = ns
		}
		if err := checkName(q.name); err != nil || q.name.Space == "" {
			return Errorf(http.StatusBadRequest, "expand-property: a DAV:property needs a valid name")
		}
		var err error
		if q.sub, err = readExpand(d, depth+1); err != nil {
			return err
		}
		out = append(out, q)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// expandProperty answers DAV:expand-property (RFC 3253 3.8): the
// requested properties of the resource, where each DAV:href inside a
// property with nested DAV:property elements is replaced by a
// DAV:response holding those properties of the resource it names.
func (h *Handler) expandProperty(w http.ResponseWriter, r *http.Request, res *Resource, body []byte) error {
	ctx := r.Context()
	reqs, err := parseExpandProperty(body)
	if err != nil {
		return err
	}
	props, err := h.expandProps(ctx, res, reqs, 0)
	if err != nil {
		return err
	}
	ms := NewMultistatus(w, MultistatusOptions{Minimal: PreferMinimal(r)})
	err = ms.Response(res.Href, props)
	if err == nil {
		err = ms.Close()
	}
	return finish(ctx, ms, err)
}

var innerHrefRe = regexp.MustCompile(`<D:href>([^<]*)</D:href>`)

var xmlUnescaper = strings.NewReplacer("&amp;", "&", "&lt;", "<", "&gt;", ">", "&quot;", `"`, "&apos;", "'", "&#39;", "'", "&#34;", `"`)

func (h *Handler) expandProps(ctx context.Context, res *Resource, reqs []expandReq, depth int) ([]Prop, error) {
	pf := &Propfind{Kind: PropfindProp}
	var seen NameSet
	byName := make(map[xml.Name]*expandReq, len(reqs))
	for i := range reqs {
		q := &reqs[i]
		if seen.Add(q.name) {
			pf.Props = append(pf.Props, q.name)
		}
		byName[q.name] = q // the last one counts
	}
	props, err := h.Props(ctx, res, pf)
	if err != nil {
		return nil, err
	}
	for i := range props {
		p := &props[i]
		q := byName[p.Name]
		if q == nil || len(q.sub) == 0 || p.Status != http.StatusOK || p.Raw != "" {
			continue
		}
		hrefs := innerHrefRe.FindAllStringSubmatch(p.Inner, -1)
		if len(hrefs) == 0 {
			continue
		}
		var b strings.Builder
		for _, m := range hrefs {
			href := xmlUnescaper.Replace(m[1])
			sub := h.loadHref(ctx, href, res.Principal)
			if sub == nil {
				b.WriteString("<D:response>" + hrefXML(href) + "<D:status>" + statusLine(http.StatusNotFound) + "</D:status></D:response>")
				continue
			}
			subProps, err := h.expandProps(ctx, sub, q.sub, depth+1)
			if err != nil {
				return nil, err
			}
			b.WriteString("<D:response>" + hrefXML(sub.Href))
			writePropstats(&b, subProps)
			b.WriteString("</D:response>")
		}
		p.Inner = b.String()
	}
	return props, nil
}

// loadHref loads the resource an href names, if it is the user's own;
// nil otherwise (another user's, a mailto: address, a missing one).
func (h *Handler) loadHref(ctx context.Context, href string, p backend.Principal) *Resource {
	if !strings.HasPrefix(href, "/") && !strings.HasPrefix(href, "http://") && !strings.HasPrefix(href, "https://") {
		return nil
	}
	t, err := h.resolve(href)
	if err != nil || !mayReach(p, t) {
		return nil
	}
	res, err := h.load(ctx, t, p)
	if err != nil {
		return nil
	}
	return res
}
