package dav

import (
	"encoding/xml"
	"io"
	"net/http"
)

// Bounds on the shape of every XML request body, checked token by token
// as the body is read, before any parser works on it: the size limits
// (maxXMLBody, MaxReportBody) alone do not bound the cost of a body, as
// encoding/xml's element and namespace stacks, and the parsers above
// them, grow with its nesting and its element count (docs/benchmarks.md
// has the figures).
const (
	// MaxXMLDepth bounds element nesting. The deepest body a client sends
	// is a calendar-query filter (about 8 levels); dead property values
	// may nest more, but not this much.
	MaxXMLDepth = 64
	// MaxXMLElements bounds the elements of a REPORT body. A multiget
	// lists one href per member (Thunderbird and vdirsyncer name every
	// member of an address book at once), so it is generous.
	MaxXMLElements = 100_000
	// maxPropertyElements bounds the elements of a PROPFIND, PROPPATCH
	// or MKCOL body, which name properties one by one: clients name a
	// few dozen.
	maxPropertyElements = 20_000
	// MaxXMLAttrs bounds the attributes (namespace declarations
	// included) of one element: duplicates among them are found by
	// comparing them with each other.
	MaxXMLAttrs = 64
)

// limitedTokens is the TokenReader behind NewDecoder: it hands over the
// raw tokens of d (names not yet translated, end tags not yet matched;
// the xml.Decoder built on it does both) and refuses a body whose shape
// passes the bounds above, with a sticky *Error.
type limitedTokens struct {
	d           *xml.Decoder
	maxElements int
	depth       int
	elements    int
	err         error
}

func (l *limitedTokens) Token() (xml.Token, error) {
	if l.err != nil {
		return nil, l.err
	}
	t, err := l.d.RawToken()
	if err != nil {
		if err != io.EOF {
			l.err = err
		}
		return t, err
	}
	switch t := t.(type) {
	case xml.StartElement:
		l.depth++
		l.elements++
		switch {
		case l.depth > MaxXMLDepth:
			l.err = Errorf(http.StatusBadRequest, "the XML body nests elements deeper than %d levels", MaxXMLDepth)
		case l.elements > l.maxElements:
			l.err = Errorf(http.StatusRequestEntityTooLarge, "the XML body holds more than %d elements", l.maxElements)
		case len(t.Attr) > MaxXMLAttrs:
			l.err = Errorf(http.StatusBadRequest, "an element of the XML body has more than %d attributes", MaxXMLAttrs)
		}
		if l.err != nil {
			return nil, l.err
		}
	case xml.EndElement:
		l.depth--
	}
	return t, nil
}

// newLimitedDecoder is NewDecoder with a bound of its own on the elements.
func newLimitedDecoder(r io.Reader, maxElements int) *xml.Decoder {
	d := xml.NewDecoder(r)
	d.CharsetReader = charsetReader
	return xml.NewTokenDecoder(&limitedTokens{d: d, maxElements: maxElements})
}

// newPropertyDecoder reads a PROPFIND, PROPPATCH or MKCOL body.
func newPropertyDecoder(r io.Reader) *xml.Decoder { return newLimitedDecoder(r, maxPropertyElements) }
