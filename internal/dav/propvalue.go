package dav

import (
	"encoding/xml"
	"strconv"
	"strings"
)

// PropertyValue is one property element from a request body (PROPPATCH
// set, MKCOL and MKCALENDAR, RFC 4918 §14.18).
type PropertyValue struct {
	Name xml.Name
	// Raw is the whole element re-serialised as self-contained XML: it
	// and each descendant declare the namespace they are in (a default
	// xmlns, xmlns="" for none), attributes in a namespace get a prefix
	// declared on their element, so it can be stored and written back
	// verbatim inside any document (RFC 4918 §4.3: dead properties keep
	// their namespaces). Character data is escaped with EscapeText;
	// comments and processing instructions are dropped.
	Raw string
	// Text is the element's own character data (the text directly inside
	// it, concatenated, not trimmed) — enough for displayname or
	// calendar-color. An escaped CR (&#13;) arrives here as \r.
	Text string
	// Children lists the names of its direct child elements, e.g. the
	// types inside resourcetype or the comps of
	// supported-calendar-component-set.
	Children []xml.Name
	// ChildAttrs holds the attributes of each direct child, parallel to
	// Children (e.g. name="VEVENT" on <C:comp>); namespace declarations
	// are left out.
	ChildAttrs [][]xml.Attr
}

// noDefault stands for "the default namespace of the surrounding document
// is unknown": it cannot be a namespace name (XML has no NUL), so the root
// of a Raw element always declares its own.
const noDefault = "\x00"

// ReadPropertyValue reads the element that start opens (just returned by
// d.Token) through its end tag. Errors are *Error (400 for malformed XML).
// Report parsers use it for elements such as <C:calendar-data> whose
// children and attributes matter.
func ReadPropertyValue(d *xml.Decoder, start xml.StartElement) (PropertyValue, error) {
	if err := checkName(start.Name); err != nil {
		return PropertyValue{}, err
	}
	pv := PropertyValue{Name: start.Name}
	var raw, text strings.Builder
	type open struct{ qname, def string }
	q, def, err := writeRawStart(&raw, start, noDefault)
	if err != nil {
		return PropertyValue{}, err
	}
	stack := []open{{q, def}}
	startOpen := true // the last start tag still lacks its ">"
	for len(stack) > 0 {
		t, err := d.Token()
		if err != nil {
			return PropertyValue{}, XMLError(err)
		}
		switch t := t.(type) {
		case xml.StartElement:
			if startOpen {
				raw.WriteByte('>')
			}
			if len(stack) == 1 {
				pv.Children = append(pv.Children, t.Name)
				pv.ChildAttrs = append(pv.ChildAttrs, plainAttrs(t.Attr))
			}
			q, def, err := writeRawStart(&raw, t, stack[len(stack)-1].def)
			if err != nil {
				return PropertyValue{}, err
			}
			stack = append(stack, open{q, def})
			startOpen = true
		case xml.EndElement:
			top := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if startOpen {
				raw.WriteString("/>")
			} else {
				raw.WriteString("</" + top.qname + ">")
			}
			startOpen = false
		case xml.CharData:
			if len(t) == 0 {
				continue
			}
			if startOpen {
				raw.WriteByte('>')
				startOpen = false
			}
			s := string(t)
			if len(stack) == 1 {
				text.WriteString(s)
			}
			_ = writeEscaped(&raw, s, false)
		}
	}
	pv.Raw = raw.String()
	pv.Text = text.String()
	return pv, nil
}

// writeRawStart writes the start tag of e without its closing ">" and
// returns the qualified name for the end tag and the default namespace in
// scope inside e. The element is unprefixed and declares a default
// namespace whenever its own differs from the one in scope (parentDef);
// only the reserved xml namespace keeps its prefix (Namespaces in XML 1.0
// §3 forbids binding it as the default).
func writeRawStart(b *strings.Builder, e xml.StartElement, parentDef string) (qname, def string, err error) {
	if err := checkName(e.Name); err != nil {
		return "", "", err
	}
	def = parentDef
	b.WriteByte('<')
	if e.Name.Space == xmlURI {
		qname = "xml:" + e.Name.Local
		b.WriteString(qname)
	} else {
		qname = e.Name.Local
		b.WriteString(qname)
		if e.Name.Space != parentDef {
			b.WriteString(` xmlns="`)
			b.WriteString(escapeAttr(e.Name.Space))
			b.WriteByte('"')
			def = e.Name.Space
		}
	}
	var spaces []string // namespaces of attributes; prefix Xi for spaces[i]
	var seen []xml.Name
	for _, a := range e.Attr {
		if isNamespaceDecl(a.Name) {
			continue
		}
		if err := checkName(a.Name); err != nil {
			return "", "", err
		}
		if containsName(seen, a.Name) {
			continue // the same expanded name twice: keep the first
		}
		seen = append(seen, a.Name)
		b.WriteByte(' ')
		switch a.Name.Space {
		case "":
		case xmlURI:
			b.WriteString("xml:")
		default:
			i := indexString(spaces, a.Name.Space)
			if i < 0 {
				i = len(spaces)
				spaces = append(spaces, a.Name.Space)
				b.WriteString(`xmlns:X` + strconv.Itoa(i) + `="` + escapeAttr(a.Name.Space) + `" `)
			}
			b.WriteString("X" + strconv.Itoa(i) + ":")
		}
		b.WriteString(a.Name.Local + `="` + escapeAttr(a.Value) + `"`)
	}
	return qname, def, nil
}

// isNamespaceDecl reports an xmlns or xmlns:p attribute as encoding/xml
// names them.
func isNamespaceDecl(n xml.Name) bool {
	return n.Space == xmlnsPrefix || (n.Space == "" && n.Local == xmlnsPrefix)
}

// plainAttrs returns attrs without namespace declarations, as a new slice.
func plainAttrs(attrs []xml.Attr) []xml.Attr {
	var out []xml.Attr
	for _, a := range attrs {
		if !isNamespaceDecl(a.Name) {
			out = append(out, a)
		}
	}
	return out
}

func indexString(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}
