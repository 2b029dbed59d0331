package dav

import (
	"encoding/xml"
	"io"
)

// ParseMkcol parses the body of an extended MKCOL (RFC 5689 §5.1, root
// DAV:mkcol) or of a MKCALENDAR (RFC 4791 §5.3.1, root C:mkcalendar); both
// hold <D:set><D:prop>…</D:prop></D:set>. It returns the root's name and
// the properties to set, in order; a <D:resourcetype> is one of them, with
// the requested types as its Children (DAVx5 and vdirsyncer send one,
// docs/clients.md "MKCOL bodies carry a resourcetype"). An empty body
// yields a zero root and no properties. Errors are *Error: 400 for
// malformed XML or another root element.
func ParseMkcol(r io.Reader) (root xml.Name, props []PropertyValue, err error) {
	d := newPropertyDecoder(r)
	start, ok, err := ReadRoot(d)
	if err != nil {
		return xml.Name{}, nil, err
	}
	if !ok {
		return xml.Name{}, nil, nil
	}
	if err := CheckRoot(start, DAVName("mkcol"), CalDAVName("mkcalendar")); err != nil {
		return xml.Name{}, nil, err
	}
	err = ReadDocument(d, func(t xml.StartElement) error {
		if t.Name != DAVName("set") {
			return Skip(d)
		}
		var err error
		props, err = readSet(d, props, langOf(t, langOf(start, "")))
		return err
	})
	if err != nil {
		return xml.Name{}, nil, err
	}
	return start.Name, props, nil
}

// readSet reads the rest of a <D:set>, appending the values inside its
// <D:prop> elements: PROPPATCH's reading of a set (readPatch).
func readSet(d *xml.Decoder, props []PropertyValue, lang string) ([]PropertyValue, error) {
	ops, err := readPatch(d, nil, false, lang)
	if err != nil {
		return nil, err
	}
	for _, op := range ops {
		props = append(props, op.Prop)
	}
	return props, nil
}
