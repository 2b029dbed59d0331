package dav

import (
	"encoding/xml"
	"net/http"
	"strconv"
	"strings"
)

// The reading kit every request-body parser is built from: PROPFIND,
// PROPPATCH, MKCOL, sync-collection, the principal REPORTs and the CalDAV
// and CardDAV REPORTs. Each function reads from a decoder made by
// NewDecoder, so every body passes its bounds, positioned just after a
// start tag, and reads that element through its end tag. Errors are
// *Error.

// ReadChildren calls fn for each child element of the element whose
// start tag was just read and reads through that element's end tag; fn
// must read the child it is given through its own end tag (Skip,
// ReadText, ReadChildren, ReadPropertyValue). Text between the children
// is ignored. Each child's name is checked before fn sees it: it must
// be namespace-well-formed (checkName, checkNamespaceDecls), so that it
// can be echoed in an answer.
func ReadChildren(d *xml.Decoder, fn func(xml.StartElement) error) error {
	_, err := readContent(d, xml.StartElement{}, fn, false)
	return err
}

// ReadDocument reads the rest of a body whose root ReadRoot returned:
// ReadChildren on the root, then EndDocument.
func ReadDocument(d *xml.Decoder, fn func(xml.StartElement) error) error {
	if err := ReadChildren(d, fn); err != nil {
		return err
	}
	return EndDocument(d)
}

// ReadMixed is ReadChildren for an element of mixed content: it also
// returns the element's own text (the character data directly inside
// it, concatenated, not trimmed).
func ReadMixed(d *xml.Decoder, fn func(xml.StartElement) error) (string, error) {
	return readContent(d, xml.StartElement{}, fn, true)
}

// ReadText reads the rest of start, an element that holds only text,
// and returns the text, not trimmed. A child element is a 400.
func ReadText(d *xml.Decoder, start xml.StartElement) (string, error) {
	return readContent(d, start, nil, true)
}

// readContent is ReadChildren, ReadMixed (keepText) and ReadText (fn
// nil: a child element of start is an error).
func readContent(d *xml.Decoder, start xml.StartElement, fn func(xml.StartElement) error, keepText bool) (string, error) {
	var text strings.Builder
	for {
		t, err := d.Token()
		if err != nil {
			return "", XMLError(err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			if err := checkName(t.Name); err != nil {
				return "", err
			}
			if err := checkNamespaceDecls(t.Attr); err != nil {
				return "", err
			}
			if fn == nil {
				return "", Errorf(http.StatusBadRequest, "%s holds an element (%s); it holds text only",
					NameForMessage(start.Name), NameForMessage(t.Name))
			}
			if err := fn(t); err != nil {
				return "", err
			}
		case xml.CharData:
			if keepText {
				text.Write(t)
			}
		case xml.EndElement:
			return text.String(), nil
		}
	}
}

// Skip reads the rest of the element whose start tag was just read.
func Skip(d *xml.Decoder) error { return XMLError(d.Skip()) }

// ReadNames reads the children of an element such as <D:prop> in
// PROPFIND or REPORT, up to and including its end tag, and returns their
// names in order without duplicates; their content is skipped.
func ReadNames(d *xml.Decoder) ([]xml.Name, error) {
	var names []xml.Name
	var seen NameSet
	err := ReadChildren(d, func(t xml.StartElement) error {
		if seen.Add(t.Name) {
			names = append(names, t.Name)
		}
		return Skip(d)
	})
	if err != nil {
		return nil, err
	}
	return names, nil
}

// Attr returns the attribute local of e. The attributes of DAV, CalDAV
// and CardDAV elements have no namespace; one in the element's own
// namespace (written by clients that prefix everything) is taken too.
// The first one counts.
func Attr(e xml.StartElement, local string) (string, bool) {
	return AttrIn(e.Attr, e.Name.Space, local)
}

// AttrIn is Attr for the attributes of an element in namespace space,
// such as PropertyValue.ChildAttrs.
func AttrIn(attrs []xml.Attr, space, local string) (string, bool) {
	for _, a := range attrs {
		if a.Name.Local == local && (a.Name.Space == "" || a.Name.Space == space) {
			return a.Value, true
		}
	}
	return "", false
}

// MaxNResults bounds the nresults ReadLimit returns; a larger value
// means "no limit" as much as this one does.
const MaxNResults = 1 << 30

// ReadLimit reads the content of a limit element: its nresults child in
// namespace space, a whole number (RFC 5323 5.17 for sync-collection,
// RFC 6352 10.6 for addressbook-query, and CalendarServer's
// calendar-query extension). found is false when the limit holds none;
// of several, the last counts; values above MaxNResults are cut to it.
// Whether 0 or a missing nresults is allowed is the caller's to say.
func ReadLimit(d *xml.Decoder, space string) (n int, found bool, err error) {
	err = ReadChildren(d, func(t xml.StartElement) error {
		if t.Name != (xml.Name{Space: space, Local: "nresults"}) {
			return Skip(d)
		}
		s, err := ReadText(d, t)
		if err != nil {
			return err
		}
		v, err := strconv.ParseUint(strings.TrimSpace(s), 10, 64)
		if err != nil {
			return Errorf(http.StatusBadRequest, "nresults %s is not a whole number", QuoteShort(s))
		}
		n, found = int(min(v, MaxNResults)), true
		return nil
	})
	return n, found, err
}

// CheckRoot reports a 400 unless root is one of want, the root elements
// a body may have.
func CheckRoot(root xml.StartElement, want ...xml.Name) error {
	var names []string
	for _, w := range want {
		if root.Name == w {
			return nil
		}
		names = append(names, NameForMessage(w))
	}
	return Errorf(http.StatusBadRequest, "expected %s, got %s", strings.Join(names, " or "), NameForMessage(root.Name))
}

// NameForMessage formats an element name for a message: DAV:name,
// CALDAV:name, CARDDAV:name or {namespace}name, cut to a readable
// length.
func NameForMessage(n xml.Name) string {
	switch n.Space {
	case "":
		return Clip(n.Local)
	case NSDAV:
		return "DAV:" + Clip(n.Local)
	case NSCalDAV:
		return "CALDAV:" + Clip(n.Local)
	case NSCardDAV:
		return "CARDDAV:" + Clip(n.Local)
	}
	return "{" + Clip(n.Space) + "}" + Clip(n.Local)
}
