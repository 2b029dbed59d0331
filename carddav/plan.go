package carddav

import (
	"github.com/pgdav/pgdav/backend"
)

// indexedProps are the properties whose values the store indexes
// (backend.CardValue): those users search by, and the kind of a card, so
// "all groups" is an index lookup too. Their values are few and short; a
// property outside this set is still searchable, by the exact matcher
// over the whole address book.
var indexedProps = map[string]bool{
	"FN": true, "N": true, "NICKNAME": true, "EMAIL": true, "TEL": true, "ORG": true, "UID": true,
	"KIND": true, "X-ADDRESSBOOKSERVER-KIND": true,
}

// cardValues extracts a card's index: for each instance of an indexed
// property, each of its subjects folded with i;unicode-casemap
// (duplicates dropped). Every instance yields at least its whole value,
// so an indexed property exists exactly when it has a value in the
// index. The result is never nil: a nil slice would leave the card
// unindexed.
func cardValues(c *vcardData) []backend.CardValue {
	out := make([]backend.CardValue, 0, 16)
	seen := make(map[backend.CardValue]bool, 16)
	for i := range c.lines {
		l := &c.lines[i]
		if !indexedProps[l.name] {
			continue
		}
		for _, s := range l.subjects() {
			v := backend.CardValue{Prop: l.name, Folded: foldUnicode(s)}
			if !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	return out
}

// plan turns a filter into the store's pre-filter (backend.CardCond): a
// condition every card the exact matcher accepts satisfies, narrow enough
// to be answered from the index. nil means the index cannot narrow the
// query: every card is a candidate.
//
// Why it never loses a card: the index holds, for every instance of an
// indexed property, foldUnicode of each subject the matcher compares.
// foldUnicode folds character by character (collation.go), so a subject
// that equals, contains, starts or ends with the needle under any of the
// three collations does so after folding both: one leaf per non-negated
// text-match, with the folded needle, whatever its collation. Tests the
// index cannot answer (negated text-matches, param-filters) still need an
// instance of the property, which is an index lookup. A property outside
// indexedProps, or is-not-defined on a grouped name, tells nothing; under
// anyof that makes the whole level unknowable, under allof it is left
// out.
//
// exact says more: an indexed card satisfies the condition exactly when
// the exact matcher accepts the card, so such a card is answered without
// reading it. A filter without prop-filters (every card) is exact too.
func plan(f *filter) (cond *backend.CardCond, exact bool) {
	if len(f.props) == 0 {
		return nil, true
	}
	var conds []backend.CardCond
	exact = true
	for i := range f.props {
		c, ok, ex := planPropFilter(&f.props[i])
		if !ok {
			if !f.allOf {
				return nil, false
			}
			exact = false
			continue
		}
		conds = append(conds, c)
		exact = exact && ex
	}
	return combine(f.allOf, conds), exact
}

// planPropFilter returns a prop-filter's condition; ok=false means none.
// exact says the condition is the prop-filter itself: the whole property,
// no group, no parameter or negated test, text-matches in the collation
// the index folds with (i;unicode-casemap), and, with test="allof", no
// more than one of them, since the index cannot tell whether two values
// that pass different tests belong to one instance (RFC 6352 10.5.1).
func planPropFilter(pf *propFilter) (cond backend.CardCond, ok, exact bool) {
	if !indexedProps[pf.name] {
		return backend.CardCond{}, false, false
	}
	exists := backend.CardCond{Match: backend.CardExists, Prop: pf.name}
	switch {
	case pf.notDefined && pf.group != "":
		// Other groups' instances may exist.
		return backend.CardCond{}, false, false
	case pf.notDefined:
		return backend.CardCond{Match: backend.CardNotExists, Prop: pf.name}, true, true
	case len(pf.texts)+len(pf.params) == 0:
		return exists, true, pf.group == ""
	}
	var leaves []backend.CardCond
	unknown := len(pf.params) > 0
	exact = pf.group == "" && len(pf.params) == 0
	for _, tm := range pf.texts {
		if tm.negate {
			unknown = true
			exact = false
			continue
		}
		exact = exact && tm.collation == unicodeCasemap
		leaves = append(leaves, backend.CardCond{Match: textCond(tm.match), Prop: pf.name, Text: foldUnicode(tm.text)})
	}
	if len(leaves) == 0 || (unknown && !pf.allOf) {
		return exists, true, false
	}
	if pf.allOf && len(leaves) > 1 {
		exact = false
	}
	return *combine(pf.allOf, leaves), true, exact
}

// combine joins conditions with AND or OR; nil for none.
func combine(all bool, conds []backend.CardCond) *backend.CardCond {
	switch len(conds) {
	case 0:
		return nil
	case 1:
		return &conds[0]
	}
	m := backend.CardAny
	if all {
		m = backend.CardAll
	}
	return &backend.CardCond{Match: m, Children: conds}
}

func textCond(m matchType) backend.CardMatch {
	switch m {
	case matchEquals:
		return backend.CardEquals
	case matchStartsWith:
		return backend.CardStartsWith
	case matchEndsWith:
		return backend.CardEndsWith
	}
	return backend.CardContains
}
