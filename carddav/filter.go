package carddav

import (
	"encoding/xml"
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/internal/dav"
)

// filter is a parsed CARDDAV:filter (RFC 6352 10.5).
type filter struct {
	allOf bool // test="allof"; the default is anyof
	props []propFilter
}

// propFilter is a CARDDAV:prop-filter (RFC 6352 10.5.1).
type propFilter struct {
	name       string // upper case, no group
	group      string // upper case; "" matches any group
	allOf      bool
	notDefined bool
	texts      []textMatch
	params     []paramFilter
}

// paramFilter is a CARDDAV:param-filter (RFC 6352 10.5.2).
type paramFilter struct {
	name       string // upper case
	notDefined bool
	text       *textMatch
}

// textMatch is a CARDDAV:text-match (RFC 6352 10.5.4).
type textMatch struct {
	text      string // as sent
	collation collation
	negate    bool
	match     matchType
	prepared  string // text prepared by the collation
}

// Limits on a filter's size, so that a request cannot make the exact
// matcher or the pre-filter statement arbitrarily large.
const (
	maxPropFilters = 64
	maxTests       = 64 // text-match and param-filter elements per prop-filter
)

// parseFilter reads the content of a CARDDAV:filter element whose start
// tag start was just read. Malformed XML is a 400; anything the server
// does not know in the filter is a 403 with CARDDAV:supported-filter (or
// CARDDAV:supported-collation for an unknown collation), RFC 6352 8.6:
// ignoring an unknown element would silently change which cards match.
func parseFilter(d *xml.Decoder, start xml.StartElement) (filter, error) {
	var f filter
	test, err := testAttr(start, "filter", "")
	if err != nil {
		return f, err
	}
	f.allOf = test
	err = dav.ReadChildren(d, func(e xml.StartElement) error {
		if e.Name != dav.CardDAVName("prop-filter") {
			return unsupportedFilter("", "the filter element %s is not supported", dav.NameForMessage(e.Name))
		}
		if len(f.props) == maxPropFilters {
			return unsupportedFilter("", "a filter may hold at most %d prop-filter elements", maxPropFilters)
		}
		pf, err := parsePropFilter(d, e)
		if err != nil {
			return err
		}
		f.props = append(f.props, pf)
		return nil
	})
	return f, err
}

func parsePropFilter(d *xml.Decoder, start xml.StartElement) (propFilter, error) {
	var pf propFilter
	name, ok := dav.Attr(start, "name")
	if !ok {
		return pf, dav.Errorf(http.StatusBadRequest, "a prop-filter needs a name attribute")
	}
	ref := propFilterXML(name)
	group, prop, ok := splitPropName(name)
	if !ok {
		return pf, unsupportedFilter(ref, "%q is not a vCard property name", name)
	}
	pf.name, pf.group = prop, group
	allOf, err := testAttr(start, "prop-filter", ref)
	if err != nil {
		return pf, err
	}
	pf.allOf = allOf
	err = dav.ReadChildren(d, func(e xml.StartElement) error {
		if len(pf.texts)+len(pf.params) == maxTests {
			return unsupportedFilter(ref, "a prop-filter may hold at most %d tests", maxTests)
		}
		switch e.Name {
		case dav.CardDAVName("is-not-defined"):
			pf.notDefined = true
			return dav.Skip(d)
		case dav.CardDAVName("text-match"):
			tm, err := parseTextMatch(d, e, ref)
			if err != nil {
				return err
			}
			pf.texts = append(pf.texts, tm)
			return nil
		case dav.CardDAVName("param-filter"):
			p, err := parseParamFilter(d, e, ref)
			if err != nil {
				return err
			}
			pf.params = append(pf.params, p)
			return nil
		}
		return unsupportedFilter(ref, "the prop-filter element %s is not supported", dav.NameForMessage(e.Name))
	})
	if err != nil {
		return pf, err
	}
	if pf.notDefined && len(pf.texts)+len(pf.params) > 0 {
		return pf, dav.Errorf(http.StatusBadRequest, "prop-filter %q: is-not-defined cannot be combined with other tests (RFC 6352 10.5.1)", name)
	}
	return pf, nil
}

func parseParamFilter(d *xml.Decoder, start xml.StartElement, outer string) (paramFilter, error) {
	var p paramFilter
	name, ok := dav.Attr(start, "name")
	if !ok {
		return p, dav.Errorf(http.StatusBadRequest, "a param-filter needs a name attribute")
	}
	ref := outer + `<CR:param-filter name="` + dav.EscapeText(name) + `"/>`
	if !isVCardName(name) {
		return p, unsupportedFilter(ref, "%q is not a vCard parameter name", name)
	}
	p.name = strings.ToUpper(name)
	err := dav.ReadChildren(d, func(e xml.StartElement) error {
		if p.notDefined || p.text != nil {
			return dav.Errorf(http.StatusBadRequest, "param-filter %q holds more than one test (RFC 6352 10.5.2)", name)
		}
		switch e.Name {
		case dav.CardDAVName("is-not-defined"):
			p.notDefined = true
			return dav.Skip(d)
		case dav.CardDAVName("text-match"):
			tm, err := parseTextMatch(d, e, ref)
			if err != nil {
				return err
			}
			p.text = &tm
			return nil
		}
		return unsupportedFilter(ref, "the param-filter element %s is not supported", dav.NameForMessage(e.Name))
	})
	return p, err
}

func parseTextMatch(d *xml.Decoder, start xml.StartElement, ref string) (textMatch, error) {
	var tm textMatch
	if v, ok := dav.Attr(start, "collation"); ok {
		c, known := parseCollation(v)
		if !known {
			return tm, dav.NewError(http.StatusForbidden, dav.CardDAVName("supported-collation"),
				"collation %q is not supported (supported: %s)", v, strings.Join(collationNames, ", "))
		}
		tm.collation = c
	}
	if v, ok := dav.Attr(start, "negate-condition"); ok {
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "yes":
			tm.negate = true
		case "no":
		default:
			return tm, unsupportedFilter(ref, "negate-condition must be yes or no, not %q", v)
		}
	}
	if v, ok := dav.Attr(start, "match-type"); ok {
		m, known := parseMatchType(v)
		if !known {
			return tm, unsupportedFilter(ref, "match-type %q is not supported (equals, contains, starts-with, ends-with)", v)
		}
		tm.match = m
	}
	text, err := dav.ReadText(d, start)
	if err != nil {
		return tm, err
	}
	tm.text = text
	tm.prepared = tm.collation.prepare(text)
	return tm, nil
}

// testAttr reads the test attribute of filter and prop-filter: true for
// allof, false for anyof (the default).
func testAttr(start xml.StartElement, what, ref string) (bool, error) {
	v, ok := dav.Attr(start, "test")
	if !ok {
		return false, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "anyof":
		return false, nil
	case "allof":
		return true, nil
	}
	return false, unsupportedFilter(ref, "%s test must be anyof or allof, not %q", what, v)
}

// propFilterXML is the supported-filter body element naming a
// prop-filter.
func propFilterXML(name string) string {
	return `<CR:prop-filter name="` + dav.EscapeText(name) + `"/>`
}

// unsupportedFilter is the 403 of RFC 6352 8.6's CARDDAV:supported-filter
// precondition; ref, when not empty, names the offending prop-filter or
// param-filter inside it.
func unsupportedFilter(ref, format string, args ...any) *dav.Error {
	e := dav.NewError(http.StatusForbidden, dav.CardDAVName("supported-filter"), format, args...)
	e.ConditionBody = ref
	return e
}

// splitPropName splits a prop-filter name into an optional group and the
// property name, upper case.
func splitPropName(s string) (group, name string, ok bool) {
	s = strings.TrimSpace(s)
	if g, n, found := strings.Cut(s, "."); found {
		if !isVCardName(g) || !isVCardName(n) {
			return "", "", false
		}
		return strings.ToUpper(g), strings.ToUpper(n), true
	}
	if !isVCardName(s) {
		return "", "", false
	}
	return "", strings.ToUpper(s), true
}

// isVCardName reports whether s is a vCard name: 1*(ALPHA / DIGIT / "-")
// (RFC 6350 3.3).
func isVCardName(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}
