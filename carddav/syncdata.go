package carddav

import (
	"bytes"

	"github.com/pgdav/pgdav/internal/dav"
)

// DataProp reads a CARDDAV:address-data element of a sync-collection's
// DAV:prop (RFC 6578 3.2 takes any property; RFC 6352 10.4 says what this
// one selects) with the parser of the CardDAV REPORTs, so a version
// conversion and a property selection work as in addressbook-multiget,
// and returns its renderer. Other properties are not the type's: (nil,
// nil).
func (*Type) DataProp(pv dav.PropertyValue) (func(res *dav.Resource) (dav.Prop, error), error) {
	if pv.Name != dav.CardDAVName("address-data") {
		return nil, nil
	}
	// pv.Raw is the element as sent, re-serialised: its start tag holds
	// the content-type and version attributes parseAddressData reads.
	start, _, err := dav.ReadRoot(dav.NewDecoder(bytes.NewReader([]byte(pv.Raw))))
	if err != nil {
		return nil, err
	}
	req, err := parseAddressData(start, pv)
	if err != nil {
		return nil, err
	}
	return func(res *dav.Resource) (dav.Prop, error) {
		return addressDataProp(req, res.Object.Data, nil), nil
	}, nil
}
