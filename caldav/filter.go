package caldav

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/pgdav/pgdav/internal/dav"
)

// compFilter is a CALDAV:comp-filter (RFC 4791 9.7.1). The filter of a
// calendar-query is a compFilter named VCALENDAR.
type compFilter struct {
	Name         string // upper case
	IsNotDefined bool
	TimeRange    *TimeRange
	Props        []*propFilter
	Comps        []*compFilter
}

// propFilter is a CALDAV:prop-filter (RFC 4791 9.7.2).
type propFilter struct {
	Name         string // upper case
	IsNotDefined bool
	TimeRange    *TimeRange
	TextMatch    *textMatch
	Params       []*paramFilter
}

// paramFilter is a CALDAV:param-filter (RFC 4791 9.7.3).
type paramFilter struct {
	Name         string // upper case
	IsNotDefined bool
	TextMatch    *textMatch
}

// textMatch is a CALDAV:text-match (RFC 4791 9.7.5): a substring test
// under Collation (one of supportedCollations), inverted by Negate.
type textMatch struct {
	Text      string
	Collation string
	Negate    bool
}

// Limits on a filter. Components nest at most maxDepth deep in stored
// data (scan.go), so deeper comp-filters cannot match anything; real
// filters have a handful of elements, and every one is evaluated
// against every candidate object.
const (
	maxFilterDepth    = maxDepth
	maxFilterElements = 1000
)

// Precondition names of calendar-query (RFC 4791 7.8).
const (
	condValidFilter     = "valid-filter"
	condSupportedFilter = "supported-filter"
)

// timeRangeComponents may carry a time-range at the second level of a
// filter: the components RFC 4791 9.9 defines overlap for (VALARM only
// inside VEVENT and VTODO, see parentsOf).
var timeRangeComponents = []string{"VEVENT", "VTODO", "VJOURNAL", "VFREEBUSY"}

// parentsOf says where the components of RFC 5545 may stand in a filter:
// under which parent component. Components not listed (X- names, RFC
// 7953's VAVAILABILITY, RFC 9073's VLOCATION…) may stand anywhere below
// VCALENDAR: pgdav matches them by name like any other.
var parentsOf = map[string][]string{
	"VEVENT":    {"VCALENDAR"},
	"VTODO":     {"VCALENDAR"},
	"VJOURNAL":  {"VCALENDAR"},
	"VFREEBUSY": {"VCALENDAR"},
	"VTIMEZONE": {"VCALENDAR"},
	"VALARM":    {"VEVENT", "VTODO"},
	"STANDARD":  {"VTIMEZONE"},
	"DAYLIGHT":  {"VTIMEZONE"},
}

// timeRangeProps are the properties a prop-filter may test with a
// time-range: the seven of RFC 4791 9.9, the other date and time
// properties the time engine reads (RECURRENCE-ID, EXDATE, RDATE,
// FREEBUSY, RFC 9074's ACKNOWLEDGED; a list matches when one value
// does), and any X- property (it matches when it has VALUE=DATE,
// DATE-TIME or PERIOD and such a value in range). For others, such as
// SUMMARY, RFC 4791 7.8 names the filter invalid.
var timeRangeProps = []string{
	"COMPLETED", "CREATED", "DTEND", "DTSTAMP", "DTSTART", "DUE", "LAST-MODIFIED",
	"RECURRENCE-ID", "EXDATE", "RDATE", "FREEBUSY", "ACKNOWLEDGED",
}

// filterParser reads a CALDAV:filter element.
type filterParser struct {
	d        *xml.Decoder
	elements int
}

// parseFilter reads the CALDAV:filter element start just opened (RFC
// 4791 9.7): exactly one comp-filter, named VCALENDAR. Errors are
// *dav.Error: 400 for what the DTD forbids, 403 valid-filter for what
// RFC 4791 7.8 calls an invalid filter (a VEVENT inside a VTODO, a
// time-range on SUMMARY), 403 supported-filter for elements and
// attributes pgdav does not implement, 403 supported-collation.
func parseFilter(d *xml.Decoder, start xml.StartElement) (*compFilter, error) {
	p := &filterParser{d: d}
	var top *compFilter
	err := dav.ReadChildren(d, func(t xml.StartElement) error {
		if t.Name != dav.CalDAVName("comp-filter") {
			return unsupportedFilter(t, "filter")
		}
		if top != nil {
			return badRequest("filter holds more than one comp-filter (RFC 4791 9.7 allows exactly one, for VCALENDAR)")
		}
		f, err := p.compFilter(t, nil, 0)
		top = f
		return err
	})
	if err != nil {
		return nil, err
	}
	if top == nil {
		return nil, badRequest("filter holds no comp-filter (RFC 4791 9.7: it holds one, for VCALENDAR)")
	}
	return top, nil
}

// compFilter reads a comp-filter whose parent comp-filter is parent (nil
// at the top).
func (p *filterParser) compFilter(start xml.StartElement, parent *compFilter, depth int) (*compFilter, error) {
	name, err := p.open(start, depth)
	if err != nil {
		return nil, err
	}
	f := &compFilter{Name: name}
	var ranges int
	err = dav.ReadChildren(p.d, func(t xml.StartElement) error {
		if handled, err := p.test(t, &f.IsNotDefined, &f.TimeRange, nil, &ranges); handled {
			return err
		}
		switch t.Name {
		case dav.CalDAVName("prop-filter"):
			pf, err := p.propFilter(t, f, depth+1)
			f.Props = append(f.Props, pf)
			return err
		case dav.CalDAVName("comp-filter"):
			cf, err := p.compFilter(t, f, depth+1)
			f.Comps = append(f.Comps, cf)
			return err
		}
		return unsupportedFilter(t, "comp-filter")
	})
	if err != nil {
		return nil, err
	}
	switch {
	case ranges > 1:
		return nil, badRequest("comp-filter %s holds more than one time-range", dav.Clip(name))
	case f.IsNotDefined && (f.TimeRange != nil || len(f.Props) > 0 || len(f.Comps) > 0):
		return nil, badRequest("comp-filter %s holds is-not-defined and other tests; RFC 4791 9.7.1 allows is-not-defined alone", dav.Clip(name))
	}
	return f, checkCompPlace(f, parent)
}

// checkCompPlace applies RFC 4791 7.8's valid-filter precondition to a
// comp-filter and its place in the filter.
func checkCompPlace(f, parent *compFilter) error {
	if parent == nil {
		if f.Name != "VCALENDAR" {
			return invalidFilter("the filter must start with comp-filter VCALENDAR, not %s (RFC 4791 9.7)", dav.Clip(f.Name))
		}
		if f.TimeRange != nil {
			return invalidFilter("a time-range cannot apply to VCALENDAR; put it in a comp-filter for VEVENT, VTODO, VJOURNAL or VFREEBUSY (RFC 4791 9.9)")
		}
		return nil
	}
	if f.Name == "VCALENDAR" {
		return invalidFilter("comp-filter VCALENDAR inside comp-filter %s; VCALENDAR is only the outermost component", dav.Clip(parent.Name))
	}
	if allowed, known := parentsOf[f.Name]; known && !slices.Contains(allowed, parent.Name) {
		return invalidFilter("comp-filter %s cannot be inside comp-filter %s: %s is only found in %s", f.Name, dav.Clip(parent.Name), f.Name, strings.Join(allowed, " or "))
	}
	if f.TimeRange != nil && !slices.Contains(timeRangeComponents, f.Name) && f.Name != "VALARM" {
		return invalidFilter("a time-range cannot apply to %s; RFC 4791 9.9 defines it for VEVENT, VTODO, VJOURNAL, VFREEBUSY and VALARM", dav.Clip(f.Name))
	}
	return nil
}

// propFilter reads a prop-filter inside comp-filter comp.
func (p *filterParser) propFilter(start xml.StartElement, comp *compFilter, depth int) (*propFilter, error) {
	name, err := p.open(start, depth)
	if err != nil {
		return nil, err
	}
	f := &propFilter{Name: name}
	var tests int
	err = dav.ReadChildren(p.d, func(t xml.StartElement) error {
		if handled, err := p.test(t, &f.IsNotDefined, &f.TimeRange, &f.TextMatch, &tests); handled {
			return err
		}
		if t.Name != dav.CalDAVName("param-filter") {
			return unsupportedFilter(t, "prop-filter")
		}
		pf, err := p.paramFilter(t, depth+1)
		f.Params = append(f.Params, pf)
		return err
	})
	if err != nil {
		return nil, err
	}
	switch {
	case tests > 1:
		return nil, badRequest("prop-filter %s holds more than one time-range or text-match; RFC 4791 9.7.2 allows one", dav.Clip(name))
	case f.IsNotDefined && (tests > 0 || len(f.Params) > 0):
		return nil, badRequest("prop-filter %s holds is-not-defined and other tests; RFC 4791 9.7.2 allows is-not-defined alone", dav.Clip(name))
	case f.TimeRange != nil && !slices.Contains(timeRangeProps, name) && !strings.HasPrefix(name, "X-"):
		return nil, invalidFilter("a time-range cannot apply to property %s of %s; RFC 4791 9.9 defines it for COMPLETED, CREATED, DTEND, DTSTAMP, DTSTART, DUE and LAST-MODIFIED",
			dav.Clip(name), dav.Clip(comp.Name))
	}
	return f, nil
}

// paramFilter reads a param-filter.
func (p *filterParser) paramFilter(start xml.StartElement, depth int) (*paramFilter, error) {
	name, err := p.open(start, depth)
	if err != nil {
		return nil, err
	}
	f := &paramFilter{Name: name}
	var tests int
	err = dav.ReadChildren(p.d, func(t xml.StartElement) error {
		if handled, err := p.test(t, &f.IsNotDefined, nil, &f.TextMatch, &tests); handled {
			return err
		}
		return unsupportedFilter(t, "param-filter")
	})
	if err != nil {
		return nil, err
	}
	switch {
	case tests > 1:
		return nil, badRequest("param-filter %s holds more than one text-match; RFC 4791 9.7.3 allows one", dav.Clip(name))
	case f.IsNotDefined && tests > 0:
		return nil, badRequest("param-filter %s holds is-not-defined and text-match; RFC 4791 9.7.3 allows one of them", dav.Clip(name))
	}
	return f, nil
}

// test reads t if it is one of the tests the three filter levels share
// (RFC 4791 9.7.1-9.7.3): is-not-defined, and where the level has them
// (tr, tm not nil) time-range and text-match, which tests counts.
func (p *filterParser) test(t xml.StartElement, notDefined *bool, tr **TimeRange, tm **textMatch, tests *int) (handled bool, err error) {
	switch {
	case t.Name == dav.CalDAVName("is-not-defined"):
		*notDefined = true
		return true, dav.Skip(p.d)
	case t.Name == dav.CalDAVName("time-range") && tr != nil:
		*tests++
		r, err := parseFilterTimeRange(t)
		*tr = &r
		if err != nil {
			return true, err
		}
		return true, dav.Skip(p.d)
	case t.Name == dav.CalDAVName("text-match") && tm != nil:
		*tests++
		*tm, err = p.textMatch(t)
		return true, err
	}
	return false, nil
}

// textMatch reads a text-match. Its text is taken exactly as sent,
// without trimming: RFC 4791's own examples break the tag, not the text,
// to keep white space out of it.
func (p *filterParser) textMatch(start xml.StartElement) (*textMatch, error) {
	coll, present := dav.Attr(start, "collation")
	collation, err := parseCollation(coll, present)
	if err != nil {
		return nil, err
	}
	tm := &textMatch{Collation: collation}
	switch v, _ := dav.Attr(start, "negate-condition"); strings.TrimSpace(v) {
	case "yes":
		tm.Negate = true
	case "no", "":
	default:
		return nil, badRequest("text-match negate-condition is %s; it must be yes or no (RFC 4791 9.7.5)", dav.QuoteShort(v))
	}
	tm.Text, err = dav.ReadMixed(p.d, func(t xml.StartElement) error {
		return badRequest("text-match holds an element (%s); it holds text only", dav.Clip(t.Name.Local))
	})
	if err != nil {
		return nil, err
	}
	return tm, nil
}

// name returns the upper-cased name attribute of a filter element: an
// iCalendar name (RFC 5545 3.1: iana-token or x-name, letters, digits
// and "-"). Any such name is accepted (RFC 4791 7.7 lets a server
// support queries on non-standard names; pgdav matches them by name);
// anything else cannot name a component, property or parameter and is
// answered with supported-filter, naming the element as RFC 4791 7.8
// suggests.
func (p *filterParser) name(start xml.StartElement) (string, error) {
	// The test attribute of draft-daboo-caldav-extensions: anyof
	// would need a different evaluation; allof is what RFC 4791 does.
	if v, ok := dav.Attr(start, "test"); ok && !strings.EqualFold(strings.TrimSpace(v), "allof") {
		return "", dav.NewError(http.StatusForbidden, dav.CalDAVName(condSupportedFilter),
			"%s test=%s is not supported; pgdav requires all tests of a filter to match (allof, RFC 4791 9.7)", start.Name.Local, dav.QuoteShort(v))
	}
	v, ok := dav.Attr(start, "name")
	if !ok {
		return "", badRequest("%s has no name attribute (RFC 4791 9.7)", start.Name.Local)
	}
	name := strings.ToUpper(strings.TrimSpace(v))
	if name == "" || strings.IndexFunc(name, func(r rune) bool {
		return !('A' <= r && r <= 'Z' || '0' <= r && r <= '9' || r == '-')
	}) >= 0 {
		e := dav.NewError(http.StatusForbidden, dav.CalDAVName(condSupportedFilter),
			"%s name %s is not an iCalendar name (letters, digits and '-')", start.Name.Local, dav.QuoteShort(v))
		// RFC 4791 7.8: report the filter element that is not supported.
		e.ConditionBody = "<C:" + start.Name.Local + ` name="` + dav.EscapeText(v) + `"/>`
		return "", e
	}
	return name, nil
}

// open starts a comp-filter, prop-filter or param-filter at depth: it
// bounds the size and depth of the filter and returns the element's name.
func (p *filterParser) open(start xml.StartElement, depth int) (string, error) {
	p.elements++
	switch {
	case p.elements > maxFilterElements:
		return "", badRequest("the filter has more than %d elements", maxFilterElements)
	case depth >= maxFilterDepth:
		return "", badRequest("the filter nests more than %d deep", maxFilterDepth)
	}
	return p.name(start)
}

// unsupportedFilter answers an element pgdav does not know inside a
// filter element with 403 supported-filter. RFC 4918 17 would have
// unknown elements ignored, but a filter with a test left out returns
// what the client asked to exclude.
func unsupportedFilter(t xml.StartElement, in string) error {
	return dav.NewError(http.StatusForbidden, dav.CalDAVName(condSupportedFilter),
		"%s is not supported inside %s", dav.NameForMessage(t.Name), in)
}

// invalidFilter is 403 valid-filter (RFC 4791 7.8).
func invalidFilter(format string, args ...any) error {
	return dav.NewError(http.StatusForbidden, dav.CalDAVName(condValidFilter), format, args...)
}

// plan extracts what the SQL pre-filter can use (see the report
// handler):
//   - components: the calendar component types (VEVENT, VTODO, VJOURNAL,
//     VFREEBUSY) that second-level comp-filters require; nil for any. All
//     second-level filters must match (RFC 4791 9.7.1), so two different
//     types can only be met by no resource: the list then holds both and
//     exact is false, and the exact filter rejects everything.
//   - span: a range a matching object's span must overlap: the hull of
//     the time-ranges of the second-level comp-filters that have one, or
//     of a VALARM comp-filter nested in one (an object's span covers its
//     alarm triggers, ictime.ObjectSpan); nil when there is none. Each of
//     them is a necessary condition, so the hull is one too.
//   - exact: true when the components alone decide: second-level filters
//     on component names only, no time-range, prop-filter or
//     is-not-defined anywhere.
func (f *compFilter) plan() (components []string, span *TimeRange, exact bool) {
	if f.IsNotDefined {
		return nil, nil, false
	}
	exact = f.TimeRange == nil && len(f.Props) == 0
	for _, c := range f.Comps {
		if c.IsNotDefined || c.TimeRange != nil || len(c.Props) > 0 || len(c.Comps) > 0 {
			exact = false
		}
		if c.IsNotDefined {
			continue
		}
		if c.TimeRange != nil {
			span = hull(span, *c.TimeRange)
		} else if tr := alarmRange(c); tr != nil {
			span = hull(span, *tr)
		}
		switch {
		case slices.Contains(components, c.Name):
		case slices.Contains(Components(), c.Name):
			components = append(components, c.Name)
		default:
			exact = false // VTIMEZONE, X- components: no index says where they are
		}
	}
	if len(components) > 1 {
		exact = false
	}
	return components, span, exact
}

// timeOnly reports whether the filter is one time-range on one VEVENT,
// VJOURNAL or VTODO and nothing else: what an object's stored times (objectTimes)
// decide exactly, so SQL answers it for the objects that have them.
func (f *compFilter) timeOnly() bool {
	if f.Name != "VCALENDAR" || f.IsNotDefined || f.TimeRange != nil || len(f.Props) > 0 || len(f.Comps) != 1 {
		return false
	}
	c := f.Comps[0]
	return (c.Name == "VEVENT" || c.Name == "VJOURNAL" || c.Name == "VTODO") && !c.IsNotDefined &&
		c.TimeRange != nil && len(c.Props) == 0 && len(c.Comps) == 0
}

// alarmRange is the time-range of a VALARM comp-filter inside c, if any.
func alarmRange(c *compFilter) *TimeRange {
	for _, a := range c.Comps {
		if a.Name == "VALARM" && !a.IsNotDefined && a.TimeRange != nil {
			return a.TimeRange
		}
	}
	return nil
}

// hull returns the smallest range holding a (nil for none) and b; a zero
// bound is unbounded.
func hull(a *TimeRange, b TimeRange) *TimeRange {
	if a == nil {
		return &b
	}
	h := *a
	if h.Start.IsZero() || b.Start.IsZero() {
		h.Start = time.Time{}
	} else if b.Start.Before(h.Start) {
		h.Start = b.Start
	}
	if h.End.IsZero() || b.End.IsZero() {
		h.End = time.Time{}
	} else if b.End.After(h.End) {
		h.End = b.End
	}
	return &h
}
