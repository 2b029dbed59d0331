package caldav

import (
	"fmt"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/ictext"
)

// matches evaluates the filter exactly against a decoded calendar object
// (RFC 4791 9.7); f is the top-level comp-filter (VCALENDAR) and tc was
// made for cal.
//
// A comp-filter matches when some component of its name among the
// children of the enclosing component passes all its tests: its
// time-range (tc.ComponentOverlaps, or tc.AlarmOverlaps for a VALARM
// inside its parent), its prop-filters and its nested comp-filters; with
// is-not-defined, when there is no such component. A prop-filter
// matches when some property of its name passes its time-range
// (tc.PropertyOverlaps) or text-match and all its param-filters; a
// param-filter when some value of the parameter passes its text-match.
// Text is compared after resolving the escapes of RFC 5545 TEXT values
// (and the ^-escapes of RFC 6868 in parameter values); for the list
// properties CATEGORIES and RESOURCES each value is tested on its own.
//
// Malformed data (an unreadable date, a broken RRULE) makes the
// component concerned fail its time test, and the search goes on: an
// object with one broken instance still matches through another
// component. err is non-nil only when the result is false and such a
// failure may have changed it; the caller logs it and treats the object
// as not matching.
func (f *compFilter) matches(tc *ictime.Context, cal *ical.Calendar) (bool, error) {
	m := matcher{tc: tc}
	ok := m.comp(f, []*ical.Component{cal.Component}, nil)
	if ok {
		return true, nil
	}
	return false, m.err
}

// matcher holds the state of one evaluation: the first error met.
type matcher struct {
	tc  *ictime.Context
	err error
}

func (m *matcher) fail(c *ical.Component, err error) {
	if m.err == nil {
		m.err = fmt.Errorf("%s: %w", c.Name, err)
	}
}

// comp evaluates comp-filter f against the components in scope, the
// children of parent (the calendar itself at the top).
func (m *matcher) comp(f *compFilter, scope []*ical.Component, parent *ical.Component) bool {
	found := false
	for _, c := range scope {
		if c.Name != f.Name {
			continue
		}
		found = true
		if f.IsNotDefined {
			return false
		}
		if m.compTests(f, c, parent) {
			return true
		}
	}
	return f.IsNotDefined && !found
}

// compTests reports whether component c passes all tests of f.
func (m *matcher) compTests(f *compFilter, c, parent *ical.Component) bool {
	if f.TimeRange != nil {
		var ok bool
		var err error
		if c.Name == ical.CompAlarm && parent != nil {
			ok, err = m.tc.AlarmOverlaps(parent, c, *f.TimeRange)
		} else {
			ok, err = m.tc.ComponentOverlaps(c, *f.TimeRange)
		}
		if err != nil {
			m.fail(c, err)
			return false
		}
		if !ok {
			return false
		}
	}
	for _, pf := range f.Props {
		if !m.prop(pf, c) {
			return false
		}
	}
	for _, cf := range f.Comps {
		if !m.comp(cf, c.Children, c) {
			return false
		}
	}
	return true
}

// prop evaluates prop-filter f against the properties of component c.
func (m *matcher) prop(f *propFilter, c *ical.Component) bool {
	props := c.Props.Values(f.Name)
	if f.IsNotDefined {
		return len(props) == 0
	}
	if len(props) == 0 && f.TimeRange != nil {
		// RFC 4791 9.9: a time-range on DTEND (DUE) of a component
		// with DURATION instead tests the effective DTEND (DUE).
		if p := m.effectiveEnd(f.Name, c); p != nil {
			props = []ical.Prop{*p}
		}
	}
	for i := range props {
		if m.propTests(f, c, &props[i]) {
			return true
		}
	}
	return false
}

// propTests reports whether property p of component c passes all tests
// of f.
func (m *matcher) propTests(f *propFilter, c *ical.Component, p *ical.Prop) bool {
	switch {
	case f.TimeRange != nil:
		ok, err := m.tc.PropertyOverlaps(p, *f.TimeRange)
		if err != nil {
			m.fail(c, fmt.Errorf("%s: %w", p.Name, err))
			return false
		}
		if !ok {
			return false
		}
	case f.TextMatch != nil:
		if !f.TextMatch.matches(propertyTexts(p)) {
			return false
		}
	}
	for _, pf := range f.Params {
		if !pf.matches(p) {
			return false
		}
	}
	return true
}

// effectiveEnd returns the DTEND of a VEVENT or the DUE of a VTODO that
// has DTSTART and DURATION instead, as a UTC DATE-TIME property; nil
// when there is none or it cannot be computed.
func (m *matcher) effectiveEnd(name string, c *ical.Component) *ical.Prop {
	if !(name == ical.PropDateTimeEnd && c.Name == ical.CompEvent || name == ical.PropDue && c.Name == ical.CompToDo) {
		return nil
	}
	start, dur := c.Props.Get(ical.PropDateTimeStart), c.Props.Get(ical.PropDuration)
	if start == nil || dur == nil {
		return nil
	}
	t, _, err := m.tc.Resolve(start)
	if err != nil {
		return nil
	}
	d, err := ictime.ParseDuration(dur.Value) // the engine's reading, which PUT checks
	if err != nil {
		return nil
	}
	p := ical.NewProp(name)
	p.Value = t.Add(d).UTC().Format(utcLayout)
	return p
}

// matches evaluates param-filter f against property p.
func (f *paramFilter) matches(p *ical.Prop) bool {
	values := p.Params.Values(f.Name)
	switch {
	case f.IsNotDefined:
		return len(values) == 0
	case len(values) == 0:
		return false
	case f.TextMatch == nil:
		return true
	}
	texts := make([]string, len(values))
	for i, v := range values {
		texts[i] = unescapeParam(v)
	}
	return f.TextMatch.matches(texts)
}

// matches applies the text-match to the values of a property or
// parameter: it matches when some value contains the text, or with
// negate-condition when none does.
func (tm *textMatch) matches(values []string) bool {
	needle := collationKey(tm.Collation, tm.Text)
	found := false
	for _, v := range values {
		if strings.Contains(collationKey(tm.Collation, v), needle) {
			found = true
			break
		}
	}
	return found != tm.Negate
}

// listProps are the properties whose value is a comma-separated list of
// TEXT values (RFC 5545 3.8.1.2, 3.8.1.10).
var listProps = map[string]bool{ical.PropCategories: true, ical.PropResources: true}

// propertyTexts returns the values a text-match compares: the value
// with TEXT escapes resolved (for TEXT properties and unknown ones,
// whose default type is TEXT, RFC 5545 3.8.8.2), split at unescaped
// commas for list properties; other values as written.
func propertyTexts(p *ical.Prop) []string {
	switch p.ValueType() {
	case ical.ValueText, ical.ValueDefault:
	default:
		return []string{p.Value}
	}
	if !listProps[p.Name] {
		return []string{ictext.Unescape(p.Value)}
	}
	var out []string
	start := 0
	for i := 0; i < len(p.Value); i++ {
		switch p.Value[i] {
		case '\\':
			i++
		case ',':
			out = append(out, ictext.Unescape(p.Value[start:i]))
			start = i + 1
		}
	}
	return append(out, ictext.Unescape(p.Value[start:]))
}

// unescapeParam resolves RFC 6868's escapes in a parameter value: ^n
// (newline), ^^ (^) and ^' ("). Other ^ are kept.
func unescapeParam(s string) string {
	if !strings.Contains(s, "^") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '^' && i+1 < len(s) {
			switch s[i+1] {
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			case '^':
				b.WriteByte('^')
				i++
				continue
			case '\'':
				b.WriteByte('"')
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// utcValue formats t as an iCalendar UTC DATE-TIME value.
func utcValue(t time.Time) string { return t.UTC().Format(utcLayout) }
