package carddav

// The exact evaluation of an addressbook-query filter (RFC 6352 10.5) on
// one card. It decides on every candidate the store's pre-filter (plan.go)
// lets through, and alone on a card addressed directly (Depth 0).

// matches reports whether the card satisfies the filter. A filter without
// prop-filters matches every card (docs/compatibility.md).
func (f *filter) matches(c *vcardData) bool {
	if len(f.props) == 0 {
		return true
	}
	for i := range f.props {
		ok := f.props[i].matches(c)
		if ok != f.allOf {
			return ok // the first true under anyof, the first false under allof
		}
	}
	return f.allOf
}

// matches applies a prop-filter (RFC 6352 10.5.1) to a card. Its tests
// are applied to each instance of the property in turn, and the
// prop-filter matches when one instance passes them (per test="anyof" or
// "allof"): "EMAIL with TYPE=work containing example.com" needs one
// address that is both (docs/compatibility.md).
func (pf *propFilter) matches(c *vcardData) bool {
	found := false
	for i := range c.lines {
		l := &c.lines[i]
		if !pf.selects(l) {
			continue
		}
		found = true
		switch {
		case pf.notDefined:
			return false
		case len(pf.texts)+len(pf.params) == 0:
			return true
		case pf.instanceMatches(l):
			return true
		}
	}
	return pf.notDefined && !found
}

// selects reports whether l is an instance of the prop-filter's property.
func (pf *propFilter) selects(l *vcardLine) bool {
	if l.name != pf.name {
		return false
	}
	return pf.group == "" || upperASCIIEqual(l.group, pf.group)
}

// instanceMatches combines the tests of a prop-filter on one instance.
func (pf *propFilter) instanceMatches(l *vcardLine) bool {
	for i := range pf.texts {
		if ok := pf.texts[i].matchesLine(l); ok != pf.allOf {
			return ok
		}
	}
	for i := range pf.params {
		if ok := pf.params[i].matchesLine(l); ok != pf.allOf {
			return ok
		}
	}
	return pf.allOf
}

// matchesLine applies a text-match to a property value: it matches when
// one of the value's subjects does (see subjects), or, with
// negate-condition, when none does.
func (tm *textMatch) matchesLine(l *vcardLine) bool {
	hit := false
	for _, s := range l.subjects() {
		if tm.match.matches(tm.collation.prepare(s), tm.prepared) {
			hit = true
			break
		}
	}
	return hit != tm.negate
}

// matchesLine applies a param-filter (RFC 6352 10.5.2) to one property
// instance. A text-match tests each of the parameter's values
// (TYPE=work,voice has two); a parameter that is absent fails a
// text-match, negated or not.
func (p *paramFilter) matchesLine(l *vcardLine) bool {
	values, ok := l.param(p.name)
	switch {
	case p.notDefined:
		return !ok
	case p.text == nil || !ok:
		return ok
	}
	hit := false
	for _, v := range values {
		if p.text.match.matches(p.text.collation.prepare(v), p.text.prepared) {
			hit = true
			break
		}
	}
	return hit != p.text.negate
}

// upperASCIIEqual compares a name as written with an upper-case one,
// ignoring ASCII case (vCard names are ASCII).
func upperASCIIEqual(s, upper string) bool {
	return len(s) == len(upper) && asciiUpper(s) == upper
}
