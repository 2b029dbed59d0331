package carddav

import (
	"encoding/xml"
	"reflect"
	"testing"

	"github.com/pgdav/pgdav/internal/dav"
)

// TestParseReportProps reads the property request of both REPORTs with
// the engine's PropRequest: the order of DAV:prop with address-data in
// its place, the properties Props computes without it, and allprop's
// include (RFC 4918 14.8), which RFC 6352 8.6 and 8.7 take from PROPFIND.
func TestParseReportProps(t *testing.T) {
	t.Parallel()
	etag, data, color := dav.DAVName("getetag"), dav.CardDAVName("address-data"), xml.Name{Space: "urn:x", Local: "color"}
	for _, tc := range []struct {
		name, props string
		kind        dav.PropfindKind
		pf          []xml.Name // Props, or Include for allprop; nil pf when neither is wanted
		order       []xml.Name
		version     string // of address-data; "-" for none
	}{
		{"prop with address-data", `<D:prop><D:getetag/><C:address-data version="4.0"/><X:color xmlns:X="urn:x"/><D:getetag/></D:prop>`,
			dav.PropfindProp, []xml.Name{etag, color}, []xml.Name{etag, data, color}, "4.0"},
		{"address-data alone", `<D:prop><C:address-data/></D:prop>`, dav.PropfindProp, nil, []xml.Name{data}, ""},
		{"allprop with include", `<D:allprop/><D:include><X:color xmlns:X="urn:x"/></D:include>`, dav.PropfindAllProp, []xml.Name{color}, nil, "-"},
		{"propname", `<D:propname/>`, dav.PropfindPropName, nil, nil, "-"},
	} {
		body := []byte(`<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">` + tc.props + `<D:href>/a.vcf</D:href></C:addressbook-multiget>`)
		m, err := parseMultiget(body)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		p := m.props
		var got []xml.Name
		switch {
		case p.pf == nil && tc.pf != nil:
			t.Errorf("%s: no Propfind", tc.name)
			continue
		case p.pf == nil:
		case p.pf.Kind != tc.kind:
			t.Errorf("%s: kind %v, want %v", tc.name, p.pf.Kind, tc.kind)
		case tc.kind == dav.PropfindAllProp:
			got = p.pf.Include
		default:
			got = p.pf.Props
		}
		if !reflect.DeepEqual(got, tc.pf) || !reflect.DeepEqual(p.order, tc.order) {
			t.Errorf("%s: names %v, order %v; want %v, %v", tc.name, got, p.order, tc.pf, tc.order)
		}
		switch {
		case tc.version == "-" && p.addressData != nil:
			t.Errorf("%s: address-data %+v", tc.name, p.addressData)
		case tc.version != "-" && (p.addressData == nil || p.addressData.version != tc.version):
			t.Errorf("%s: address-data %+v, want version %q", tc.name, p.addressData, tc.version)
		}
	}
}

// TestParseQueryQualifiedAttributes: CardDAV's attributes are read
// unqualified or in the CardDAV namespace, as CalDAV's are, for clients
// that prefix everything.
func TestParseQueryQualifiedAttributes(t *testing.T) {
	t.Parallel()
	q, err := parseQuery([]byte(query(`<C:filter C:test="allof"><C:prop-filter C:name="EMAIL"><C:text-match C:match-type="equals">a@example.org</C:text-match></C:prop-filter></C:filter>`)))
	if err != nil {
		t.Fatal(err)
	}
	if len(q.filter.props) != 1 || q.filter.props[0].name != "EMAIL" || !q.filter.allOf || q.filter.props[0].texts[0].match != matchEquals {
		t.Errorf("filter %+v", q.filter)
	}
}
