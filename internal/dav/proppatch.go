package dav

import (
	"encoding/xml"
	"io"
	"net/http"
)

// PatchOp is one instruction of a PROPPATCH: set a property to a value, or
// remove it. For a remove, Prop has only a Name.
type PatchOp struct {
	Remove bool
	Prop   PropertyValue
}

// ParseProppatch parses a PROPPATCH body (RFC 4918 §9.2, §14.19): the
// set and remove instructions in document order, which is the order they
// must be applied in (§9.2). An empty <D:set><D:prop/></D:set> is allowed
// and yields no operation; a body with no set or remove at all is a 400,
// as are malformed XML and another root element. Unknown elements are
// ignored (§17).
func ParseProppatch(r io.Reader) ([]PatchOp, error) {
	d := newPropertyDecoder(r)
	root, ok, err := ReadRoot(d)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, Errorf(http.StatusBadRequest, "PROPPATCH needs a body")
	}
	if err := CheckRoot(root, DAVName("propertyupdate")); err != nil {
		return nil, err
	}
	var ops []PatchOp
	instructions := 0
	err = ReadDocument(d, func(t xml.StartElement) error {
		if t.Name != DAVName("set") && t.Name != DAVName("remove") {
			return Skip(d)
		}
		instructions++
		var err error
		ops, err = readPatch(d, ops, t.Name.Local == "remove", langOf(t, langOf(root, "")))
		return err
	})
	if err != nil {
		return nil, err
	}
	if instructions == 0 {
		return nil, Errorf(http.StatusBadRequest, "propertyupdate holds no set or remove")
	}
	return ops, nil
}

// readPatch reads the rest of a <D:set> or <D:remove>, appending one
// operation per property inside its <D:prop> elements. lang is the
// xml:lang in scope (of the set or an ancestor).
func readPatch(d *xml.Decoder, ops []PatchOp, remove bool, lang string) ([]PatchOp, error) {
	err := ReadChildren(d, func(t xml.StartElement) error {
		switch {
		case t.Name != DAVName("prop"):
			return Skip(d)
		case remove:
			names, err := ReadNames(d)
			for _, n := range names {
				ops = append(ops, PatchOp{Remove: true, Prop: PropertyValue{Name: n}})
			}
			return err
		}
		props, err := readProps(d, langOf(t, lang))
		for _, p := range props {
			ops = append(ops, PatchOp{Prop: p})
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return ops, nil
}

// readProps reads the rest of a <D:prop> whose children are property
// values. A property without an xml:lang of its own gets lang, the one
// in scope: RFC 4918 4.3 has the language of a property value kept with
// it, and an inherited one belongs to it as much as its own (4.4).
func readProps(d *xml.Decoder, lang string) ([]PropertyValue, error) {
	var props []PropertyValue
	err := ReadChildren(d, func(t xml.StartElement) error {
		if l := langOf(t, ""); l == "" && lang != "" {
			t.Attr = append(t.Attr[:len(t.Attr):len(t.Attr)], xml.Attr{Name: xml.Name{Space: xmlURI, Local: "lang"}, Value: lang})
		}
		pv, err := ReadPropertyValue(d, t)
		props = append(props, pv)
		return err
	})
	if err != nil {
		return nil, err
	}
	return props, nil
}

// langOf returns the xml:lang of e, or inherited if it has none (XML 1.0
// 2.12: the attribute applies to the element and everything inside it).
func langOf(e xml.StartElement, inherited string) string {
	for _, a := range e.Attr {
		if a.Name.Space == xmlURI && a.Name.Local == "lang" {
			return a.Value
		}
	}
	return inherited
}
