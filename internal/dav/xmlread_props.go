package dav

import (
	"encoding/xml"
	"net/http"
	"slices"
)

// PropRequest reads the property request of a PROPFIND body (RFC 4918
// 14.20) or of a REPORT that takes PROPFIND's (RFC 4791 9.5, 9.10; RFC
// 6352 8.6, 8.7): the DAV:prop, DAV:allprop, DAV:propname and
// DAV:include children of the root, handed to Read one by one.
type PropRequest struct {
	// Data names the protocol's data property (CALDAV:calendar-data,
	// CARDDAV:address-data), whose element carries a request of its
	// own; ReadData reads its first occurrence in DAV:prop, through its
	// end tag, in place of ReadPropertyValue. Zero and nil for PROPFIND,
	// where the collection types read it later (Handler.prepareData).
	Data     xml.Name
	ReadData func(*xml.Decoder, xml.StartElement) error

	prop, allprop, propname bool
	// names and values are DAV:prop's children but the data property;
	// dataAt is its place among them when dataSeen.
	names, include    []xml.Name
	values            []PropertyValue
	seen, seenInclude NameSet
	dataAt            int
	dataSeen          bool
}

// Read reads t, a child of the root, if it is one of the four elements
// above, and reports whether it was. The children of DAV:prop are read
// whole as property values (each name once, the first counts), those of
// DAV:include as names.
func (r *PropRequest) Read(d *xml.Decoder, t xml.StartElement) (handled bool, err error) {
	switch t.Name {
	case DAVName("prop"):
		r.prop = true
		return true, ReadChildren(d, func(t xml.StartElement) error {
			if t.Name == r.Data && r.ReadData != nil && !r.dataSeen {
				r.dataSeen, r.dataAt = true, len(r.names)
				r.seen.Add(t.Name)
				return r.ReadData(d, t)
			}
			pv, err := ReadPropertyValue(d, t)
			if err == nil && r.seen.Add(pv.Name) {
				r.names = append(r.names, pv.Name)
				r.values = append(r.values, pv)
			}
			return err
		})
	case DAVName("include"):
		names, err := ReadNames(d)
		for _, n := range names {
			if r.seenInclude.Add(n) {
				r.include = append(r.include, n)
			}
		}
		return true, err
	case DAVName("allprop"):
		r.allprop = true
	case DAVName("propname"):
		r.propname = true
	default:
		return false, nil
	}
	return true, Skip(d)
}

// Names returns the names in DAV:prop in request order, each once, the
// data property included.
func (r *PropRequest) Names() []xml.Name {
	if !r.dataSeen {
		return r.names
	}
	return slices.Insert(slices.Clone(r.names), r.dataAt, r.Data)
}

// Propfind returns what was read as a PROPFIND request: for DAV:prop the
// names and values in request order but the data property read by
// ReadData,
// for DAV:allprop the DAV:include names with it (RFC 4918 14.8). It is
// allprop too when the body holds none of prop, allprop and propname
// (see Given), and a 400 naming root when it holds more than one (RFC
// 4918 14.20 requires one).
func (r *PropRequest) Propfind(root xml.Name) (*Propfind, error) {
	n := 0
	for _, b := range []bool{r.prop, r.allprop, r.propname} {
		if b {
			n++
		}
	}
	switch {
	case n > 1:
		return nil, Errorf(http.StatusBadRequest, "%s holds more than one of prop, allprop and propname", NameForMessage(root))
	case r.prop:
		return &Propfind{Kind: PropfindProp, Props: r.names, Values: r.values}, nil
	case r.propname:
		return &Propfind{Kind: PropfindPropName}, nil
	}
	return &Propfind{Kind: PropfindAllProp, Include: r.include}, nil
}

// Given reports whether the body holds one of prop, allprop and
// propname.
func (r *PropRequest) Given() bool { return r.prop || r.allprop || r.propname }
