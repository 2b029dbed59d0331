package caldav

import (
	"encoding/xml"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// calendarDataRequest is a parsed CALDAV:calendar-data element in the
// DAV:prop of a REPORT (RFC 4791 9.6): which parts of each calendar
// object to return, and how to treat recurrences and free-busy periods.
// The zero value (and nil) asks for the whole object as stored.
type calendarDataRequest struct {
	// comp selects components and properties (RFC 4791 9.6.1-9.6.4);
	// nil selects everything.
	comp *compSelector
	// expand turns recurring components into one component per
	// instance in the range (RFC 4791 9.6.5).
	expand *TimeRange
	// limitRecurrence keeps of the overridden instances only those that
	// bear on the range (RFC 4791 9.6.6).
	limitRecurrence *TimeRange
	// limitFreeBusy keeps of the FREEBUSY periods only those that
	// overlap the range (RFC 4791 9.6.7).
	limitFreeBusy *TimeRange
}

// compSelector is a CALDAV:comp element.
type compSelector struct {
	name     string // upper case
	allProps bool
	props    []propSelector
	allComps bool
	comps    []*compSelector
}

// propSelector is a CALDAV:prop element inside a comp.
type propSelector struct {
	name    string // upper case
	noValue bool
}

// maxSelectorElements bounds the comp and prop elements of one
// calendar-data element; a client names a few dozen at most.
const maxSelectorElements = 1000

// parseCalendarDataRequest reads the CALDAV:calendar-data element whose
// start tag was just read from d, through its end tag. Errors are
// *dav.Error:
//   - 403 supported-calendar-data when content-type is not text/calendar
//     (any parameters) or version is not 2.0 (RFC 4791 7.8, 9.6);
//   - 400 for malformed XML, a comp without name, an outer comp other
//     than VCALENDAR, expand together with limit-recurrence-set, a
//     second comp, expand or limit element, a range without start and
//     end, not in UTC or ending before it starts.
//
// Within comp, allprop wins over prop and allcomp over comp when a
// client sends both (RFC 4791 9.6.1 allows one or the other): nothing
// is lost by returning more. A comp element without any child returns
// its component whole, as RFC 4791's example 7.8.1 does for VTIMEZONE.
// Unknown elements are ignored (RFC 4918 17).
func parseCalendarDataRequest(d *xml.Decoder, start xml.StartElement) (*calendarDataRequest, error) {
	if err := checkCalendarDataType(start); err != nil {
		return nil, err
	}
	cd := &calendarDataRequest{}
	var comps, recur, freebusy int
	elements := 0
	err := dav.ReadChildren(d, func(t xml.StartElement) error {
		switch t.Name {
		case dav.CalDAVName("comp"):
			comps++
			if comps > 1 {
				return badRequest("calendar-data holds more than one comp; RFC 4791 9.6 allows one, for VCALENDAR")
			}
			sel, err := parseCompSelector(d, t, 0, &elements)
			if err != nil {
				return err
			}
			if sel.name != ical.CompCalendar {
				return badRequest("the comp in calendar-data must be VCALENDAR, not %s (RFC 4791 9.6.1)", dav.Clip(sel.name))
			}
			if !sel.whole() {
				cd.comp = sel
			}
			return nil
		case dav.CalDAVName("expand"), dav.CalDAVName("limit-recurrence-set"):
			recur++
			if recur > 1 {
				return badRequest("calendar-data holds more than one of expand and limit-recurrence-set (RFC 4791 9.6)")
			}
			tr, err := parseTimeRange(t, true)
			if err != nil {
				return err
			}
			if t.Name.Local == "expand" {
				cd.expand = &tr
			} else {
				cd.limitRecurrence = &tr
			}
			return dav.Skip(d)
		case dav.CalDAVName("limit-freebusy-set"):
			freebusy++
			if freebusy > 1 {
				return badRequest("calendar-data holds more than one limit-freebusy-set (RFC 4791 9.6)")
			}
			tr, err := parseTimeRange(t, true)
			if err != nil {
				return err
			}
			cd.limitFreeBusy = &tr
			return dav.Skip(d)
		}
		return dav.Skip(d)
	})
	if err != nil {
		return nil, err
	}
	return cd, nil
}

// checkCalendarDataType applies supported-calendar-data to the
// content-type and version attributes (defaults text/calendar and 2.0).
func checkCalendarDataType(start xml.StartElement) error {
	if ct, ok := dav.Attr(start, "content-type"); ok {
		if mt, _ := dav.ParseMediaType(ct); mt != "text/calendar" {
			return precondition(condSupportedData,
				"calendar-data content-type %s is not supported; pgdav returns text/calendar only", dav.QuoteShort(ct))
		}
	}
	if v, ok := dav.Attr(start, "version"); ok && strings.TrimSpace(v) != "2.0" {
		return precondition(condSupportedData, "calendar-data version %s is not supported; pgdav returns iCalendar 2.0 only", dav.QuoteShort(v))
	}
	return nil
}

// parseCompSelector reads a CALDAV:comp element.
func parseCompSelector(d *xml.Decoder, start xml.StartElement, depth int, elements *int) (*compSelector, error) {
	*elements++
	switch {
	case *elements > maxSelectorElements:
		return nil, badRequest("calendar-data names more than %d components and properties", maxSelectorElements)
	case depth >= maxDepth:
		return nil, badRequest("calendar-data nests comp more than %d deep", maxDepth)
	}
	name, ok := dav.Attr(start, "name")
	if !ok || strings.TrimSpace(name) == "" {
		return nil, badRequest("comp in calendar-data has no name attribute (RFC 4791 9.6.1)")
	}
	sel := &compSelector{name: strings.ToUpper(strings.TrimSpace(name))}
	children := 0
	err := dav.ReadChildren(d, func(t xml.StartElement) error {
		switch t.Name {
		case dav.CalDAVName("allprop"):
			children++
			sel.allProps = true
			return dav.Skip(d)
		case dav.CalDAVName("allcomp"):
			children++
			sel.allComps = true
			return dav.Skip(d)
		case dav.CalDAVName("prop"):
			children++
			*elements++
			if *elements > maxSelectorElements {
				return badRequest("calendar-data names more than %d components and properties", maxSelectorElements)
			}
			ps, err := parsePropSelector(t)
			if err != nil {
				return err
			}
			sel.addProp(ps)
			return dav.Skip(d)
		case dav.CalDAVName("comp"):
			children++
			sub, err := parseCompSelector(d, t, depth+1, elements)
			if err != nil {
				return err
			}
			sel.comps = append(sel.comps, sub)
			return nil
		}
		return dav.Skip(d)
	})
	if err != nil {
		return nil, err
	}
	if children == 0 {
		sel.allProps, sel.allComps = true, true
	}
	return sel, nil
}

// parsePropSelector reads the attributes of a CALDAV:prop element.
func parsePropSelector(t xml.StartElement) (propSelector, error) {
	name, ok := dav.Attr(t, "name")
	if !ok || strings.TrimSpace(name) == "" {
		return propSelector{}, badRequest("prop in calendar-data has no name attribute (RFC 4791 9.6.4)")
	}
	ps := propSelector{name: strings.ToUpper(strings.TrimSpace(name))}
	switch v, _ := dav.Attr(t, "novalue"); strings.TrimSpace(v) {
	case "yes":
		ps.noValue = true
	case "no", "":
	default:
		return propSelector{}, badRequest("prop novalue is %s; it must be yes or no (RFC 4791 9.6.4)", dav.QuoteShort(v))
	}
	return ps, nil
}

// addProp adds a prop selector; a name given twice is returned with its
// value if either asks for it.
func (s *compSelector) addProp(ps propSelector) {
	for i := range s.props {
		if s.props[i].name == ps.name {
			s.props[i].noValue = s.props[i].noValue && ps.noValue
			return
		}
	}
	s.props = append(s.props, ps)
}

// whole reports whether the selector returns its component unchanged.
func (s *compSelector) whole() bool {
	if !s.allProps || !s.allComps {
		return false
	}
	for _, c := range s.comps {
		if !c.whole() {
			return false
		}
	}
	return true
}

// child returns the selector for a subcomponent, nil if none names it.
func (s *compSelector) child(name string) *compSelector {
	for _, c := range s.comps {
		if c.name == name {
			return c
		}
	}
	return nil
}

// project returns the parts of c that s selects. c is not changed; the
// result may share unchanged parts with it.
func (s *compSelector) project(c *ical.Component) *ical.Component {
	if s.whole() {
		return c
	}
	out := &ical.Component{Name: c.Name, Props: make(ical.Props)}
	if s.allProps {
		for name, props := range c.Props {
			out.Props[name] = props
		}
	} else {
		for _, ps := range s.props {
			props := c.Props[ps.name]
			if len(props) == 0 {
				continue
			}
			if ps.noValue {
				// RFC 4791 9.6.4: name, parameters and ":" only.
				stripped := make([]ical.Prop, len(props))
				for i, p := range props {
					stripped[i] = ical.Prop{Name: p.Name, Params: p.Params}
				}
				props = stripped
			}
			out.Props[ps.name] = props
		}
	}
	for _, ch := range c.Children {
		if sub := s.child(ch.Name); sub != nil {
			out.Children = append(out.Children, sub.project(ch))
		} else if s.allComps {
			out.Children = append(out.Children, ch)
		}
	}
	return out
}

// passThrough reports whether cd asks for the stored object as it is.
func (cd *calendarDataRequest) passThrough() bool {
	return cd == nil || cd.comp == nil && cd.expand == nil && cd.limitRecurrence == nil && cd.limitFreeBusy == nil
}

// expandOnly reports a request for the whole object expanded, and
// nothing else: what a stored expansion answers.
func (cd *calendarDataRequest) expandOnly() bool {
	return cd != nil && cd.expand != nil && cd.comp == nil && cd.limitRecurrence == nil && cd.limitFreeBusy == nil
}

// render returns the calendar-data to send for a stored calendar object.
// When cd selects the whole object — the common case, and any request
// without comp, expand or limits — it is data itself, unchanged and
// without parsing. Otherwise the object is decoded, transformed and
// encoded anew with CRLF line ends and lines folded at 75 octets:
//   - limit-freebusy-set drops the FREEBUSY periods outside the range;
//   - expand replaces each recurring component by one component per
//     instance that overlaps the range, with RECURRENCE-ID, its own
//     DTSTART and DTEND (or DUE), no RRULE, RDATE, EXRULE or EXDATE, all
//     DATE-TIME values in UTC and no VTIMEZONE; components without
//     recurrence are kept when they overlap the range;
//   - limit-recurrence-set keeps the master and the overridden instances
//     whose current or original time overlaps the range, or which
//     change the range with RANGE=THISANDFUTURE;
//   - comp then keeps the selected components and properties.
//
// DATE values stay DATE values. floating is the zone of floating times
// (the query's timezone or the calendar's; nil for UTC). An error means
// the stored data could not be decoded or its times not computed.
func (cd *calendarDataRequest) render(data []byte, floating *time.Location) (string, error) {
	return cd.renderWith(data, floating, nil)
}

// renderWith is render charging the engine's work to a request's
// budget (nil for none).
func (cd *calendarDataRequest) renderWith(data []byte, floating *time.Location, work *ictime.Work) (string, error) {
	if cd.passThrough() {
		return string(data), nil
	}
	cal, err := decodeCalendar(data)
	if err != nil {
		return "", err
	}
	tc := ictime.NewContext(cal, floating)
	tc.Charge(work)
	root := cal.Component
	changed := false
	if cd.limitFreeBusy != nil {
		root, changed = limitFreeBusySet(tc, root, *cd.limitFreeBusy)
	}
	switch {
	case cd.expand != nil:
		root, err = expandRecurrences(tc, root, *cd.expand, floating)
		changed = true
	case cd.limitRecurrence != nil:
		var limited bool
		root, limited, err = limitRecurrenceSet(tc, root, *cd.limitRecurrence)
		changed = changed || limited
	}
	if err != nil {
		return "", err
	}
	if cd.comp != nil {
		root = cd.comp.project(root)
		changed = true
	}
	if !changed {
		return string(data), nil
	}
	return encodeICalendar(root), nil
}
