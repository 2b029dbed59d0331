package carddav

import (
	"bytes"
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/internal/dav"
)

// reportProps is what a REPORT asks of each resource it returns (RFC 6352
// 8.6, 8.7: DAV:allprop, DAV:propname or DAV:prop).
type reportProps struct {
	// pf asks for every property but address-data, for
	// (*dav.Handler).Props; nil when nothing but address-data is asked.
	pf *dav.Propfind
	// order lists a DAV:prop request's names as asked, address-data
	// included, so the answer keeps the client's order.
	order []xml.Name
	// addressData is the address-data request, nil when not asked.
	addressData *addressDataRequest
}

// addressDataRequest is a CARDDAV:address-data element in a REPORT's
// DAV:prop (RFC 6352 10.4).
type addressDataRequest struct {
	// version is the vCard version asked for with the version attribute,
	// or "" for none: then each card comes as stored, in its own version
	// (docs/compatibility.md).
	version string
	// props selects the properties to return (CARDDAV:prop); nil means
	// all of them (no CARDDAV:prop, or CARDDAV:allprop).
	props []propSelector
}

// propSelector is a CARDDAV:prop inside address-data (RFC 6352 10.4.2).
type propSelector struct {
	name    string // upper case
	group   string // upper case; "" selects any group
	noValue bool
}

// queryRequest is a parsed addressbook-query body (RFC 6352 8.6).
type queryRequest struct {
	props  reportProps
	filter filter
	// limit is CARDDAV:nresults (RFC 6352 8.6.1), or -1 for none.
	limit int
}

// multigetRequest is a parsed addressbook-multiget body (RFC 6352 8.7).
type multigetRequest struct {
	props reportProps
	hrefs []string
}

// parseQuery parses an addressbook-query body. A missing filter matches
// every card (docs/compatibility.md); unknown elements outside the filter
// are ignored (RFC 4918 17).
func parseQuery(body []byte) (*queryRequest, error) {
	q := &queryRequest{limit: -1}
	var seenFilter, seenLimit bool
	err := parseReport(body, &q.props, func(d *xml.Decoder, e xml.StartElement) error {
		switch e.Name {
		case dav.CardDAVName("filter"):
			if seenFilter {
				return dav.Errorf(http.StatusBadRequest, "addressbook-query holds more than one filter")
			}
			seenFilter = true
			f, err := parseFilter(d, e)
			q.filter = f
			return err
		case dav.CardDAVName("limit"):
			if seenLimit {
				return dav.Errorf(http.StatusBadRequest, "addressbook-query holds more than one limit")
			}
			seenLimit = true
			n, err := parseLimit(d)
			q.limit = n
			return err
		}
		return dav.Skip(d)
	})
	if err != nil {
		return nil, err
	}
	return q, nil
}

// parseMultiget parses an addressbook-multiget body.
func parseMultiget(body []byte) (*multigetRequest, error) {
	m := &multigetRequest{}
	err := parseReport(body, &m.props, func(d *xml.Decoder, e xml.StartElement) error {
		if e.Name != dav.DAVName("href") {
			return dav.Skip(d)
		}
		h, err := dav.ReadText(d, e)
		if err != nil {
			return err
		}
		m.hrefs = append(m.hrefs, strings.TrimSpace(h))
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// parseReport reads a REPORT body: the root element (already checked by
// the handler), its DAV:prop, DAV:allprop or DAV:propname into props, and
// hands every other child element to other, which must read it through
// its end tag. A body with none of the three asks for no property.
func parseReport(body []byte, props *reportProps, other func(*xml.Decoder, xml.StartElement) error) error {
	d := dav.NewDecoder(bytes.NewReader(body))
	root, _, err := dav.ReadRoot(d)
	if err != nil {
		return err
	}
	pr := dav.PropRequest{
		Data: dav.CardDAVName("address-data"),
		ReadData: func(d *xml.Decoder, e xml.StartElement) error {
			pv, err := dav.ReadPropertyValue(d, e)
			if err == nil {
				props.addressData, err = parseAddressData(e, pv)
			}
			return err
		},
	}
	err = dav.ReadDocument(d, func(e xml.StartElement) error {
		if handled, err := pr.Read(d, e); handled {
			return err
		}
		return other(d, e)
	})
	if err != nil {
		return err
	}
	pf, err := pr.Propfind(root.Name)
	switch {
	case err != nil:
		return err
	case !pr.Given():
	case pf.Kind != dav.PropfindProp:
		props.pf = pf
	default:
		// address-data is rendered here, every other property by Props.
		props.order = pr.Names()
		if len(pf.Props) > 0 {
			props.pf = pf
		}
	}
	return nil
}

// parseAddressData reads an address-data request (RFC 6352 10.4). A media
// type or version other than vCard 3.0 and 4.0 fails the
// CARDDAV:supported-address-data precondition of RFC 6352 8.6 and 8.7.
func parseAddressData(e xml.StartElement, pv dav.PropertyValue) (*addressDataRequest, error) {
	req := &addressDataRequest{}
	if ct, ok := dav.Attr(e, "content-type"); ok && strings.TrimSpace(ct) != "" {
		mt, params := dav.ParseMediaType(ct)
		switch mt {
		case "text/vcard", "text/x-vcard":
		case "text/directory":
			req.version = "3.0"
		default:
			// RFC 6352 5.1.1: the cards cannot be converted to the
			// requested media type.
			return nil, dav.NewError(http.StatusForbidden, dav.CardDAVName("supported-address-data-conversion"),
				"address-data of type %s is not supported; ask for text/vcard, version 3.0 or 4.0", dav.QuoteShort(mt))
		}
		if v := params["version"]; len(v) > 0 {
			req.version = strings.TrimSpace(v[0])
		}
	}
	if v, ok := dav.Attr(e, "version"); ok {
		req.version = strings.TrimSpace(v)
	}
	if req.version != "" && req.version != "3.0" && req.version != "4.0" {
		return nil, dav.NewError(http.StatusForbidden, dav.CardDAVName("supported-address-data-conversion"),
			"vCard version %s is not supported; ask for 3.0 or 4.0", dav.QuoteShort(req.version))
	}
	for i, n := range pv.Children {
		switch n {
		case dav.CardDAVName("allprop"):
			req.props = nil
			return req, nil
		case dav.CardDAVName("prop"):
			name, _ := dav.AttrIn(pv.ChildAttrs[i], n.Space, "name")
			v, _ := dav.AttrIn(pv.ChildAttrs[i], n.Space, "novalue")
			noValue := strings.EqualFold(strings.TrimSpace(v), "yes")
			group, prop, ok := splitPropName(name)
			if !ok {
				return nil, dav.Errorf(http.StatusBadRequest, "address-data: %q is not a vCard property name", name)
			}
			req.props = append(req.props, propSelector{name: prop, group: group, noValue: noValue})
		}
	}
	return req, nil
}

// parseLimit reads the content of CARDDAV:limit (RFC 6352 10.6), which
// needs an nresults.
func parseLimit(d *xml.Decoder) (int, error) {
	n, found, err := dav.ReadLimit(d, dav.NSCardDAV)
	if err == nil && !found {
		err = dav.Errorf(http.StatusBadRequest, "limit needs an nresults element (RFC 6352 10.6)")
	}
	return n, err
}
