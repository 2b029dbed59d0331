package dav

import (
	"encoding/xml"
	"io"
	"net/http"
)

// PropfindKind says what a PROPFIND asks for (RFC 4918 §14.20).
type PropfindKind int

// The three forms of a PROPFIND body.
const (
	// PropfindProp asks for the named properties.
	PropfindProp PropfindKind = iota
	// PropfindAllProp asks for all dead properties and the live ones
	// RFC 4918 defines, plus those named in Include (§9.1).
	PropfindAllProp
	// PropfindPropName asks for the names of all properties.
	PropfindPropName
)

// Propfind is a parsed PROPFIND body.
type Propfind struct {
	Kind PropfindKind
	// Props are the requested properties of a PropfindProp request, in
	// order and without duplicates.
	Props []xml.Name
	// Values are the property elements of Props, parallel to it: some
	// carry a request inside (RFC 4791 9.6 calendar-data with comp/prop
	// selection or expand; RFC 6352 10.4 address-data).
	Values []PropertyValue
	// data holds, per collection type, the renderers of the data
	// properties among Values (Handler.prepareData).
	data map[CollectionType]map[xml.Name]func(*Resource) (Prop, error)
	// Include are the extra properties of a PropfindAllProp request
	// (RFC 4918 §14.8).
	Include []xml.Name
}

// ParsePropfind parses a PROPFIND body (RFC 4918 §9.1, §14.20). An empty
// body, or one of only whitespace, means allprop (§9.1). Unknown elements
// are ignored (§17). Errors are *Error: 400 for malformed XML, another
// root element, and a propfind holding more than one, or none, of prop,
// allprop and propname (§14.20 requires exactly one).
func ParsePropfind(r io.Reader) (*Propfind, error) {
	d := newPropertyDecoder(r)
	root, ok, err := ReadRoot(d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return &Propfind{Kind: PropfindAllProp}, nil
	}
	if err := CheckRoot(root, DAVName("propfind")); err != nil {
		return nil, err
	}
	var pr PropRequest
	err = ReadDocument(d, func(t xml.StartElement) error {
		if handled, err := pr.Read(d, t); handled {
			return err
		}
		return Skip(d)
	})
	if err != nil {
		return nil, err
	}
	if !pr.Given() {
		return nil, Errorf(http.StatusBadRequest, "propfind holds none of prop, allprop and propname (RFC 4918 14.20)")
	}
	pf, err := pr.Propfind(root.Name)
	if err != nil {
		return nil, err
	}
	return pf, nil
}
