package backend

import (
	"context"
	"slices"
	"strings"
)

// CardValue is one searchable value of a vCard, as carddav extracts it at
// PUT time: the property's name and a case-folded form of its value (or of
// one component of it). The store keeps them in card_values, the index of
// addressbook-query (RFC 6352 8.6); it never interprets them.
type CardValue struct {
	// Prop is the property name in upper case, without its group.
	Prop string
	// Folded is the value, folded by the caller's collation; a CardCond's
	// Text is compared with it as it is.
	Folded string
}

// CardMatch is what a CardCond tests.
type CardMatch int

// The tests of a CardCond.
const (
	// CardAny holds when any of Children holds (OR).
	CardAny CardMatch = iota
	// CardAll holds when every one of Children holds (AND).
	CardAll
	// CardExists holds when the card has a value of Prop.
	CardExists
	// CardNotExists holds when the card has no value of Prop.
	CardNotExists
	// CardEquals, CardContains, CardStartsWith and CardEndsWith hold when
	// a value of Prop equals, contains, starts or ends with Text.
	CardEquals
	CardContains
	CardStartsWith
	CardEndsWith
)

// CardCond is a condition on a card's values: the pre-filter of an
// addressbook-query. It may keep cards the exact filter then drops, so it
// must never drop one the exact filter would keep; carddav builds it so.
type CardCond struct {
	Match    CardMatch
	Children []CardCond // CardAny and CardAll
	Prop     string     // the leaves
	Text     string     // the four text tests: folded like CardValue.Folded
}

// maxCardCondDepth bounds the nesting of a CardCond (a parsed filter has
// at most three levels).
const maxCardCondDepth = 16

// CardQuery selects candidate cards of an address book.
type CardQuery struct {
	CollectionID int64
	// Filter narrows the candidates; nil selects every card.
	Filter *CardCond
	// WithData reads each card's bytes too.
	WithData bool
	// DataUnlessIndexed, without WithData, reads the bytes of the cards
	// that are not indexed only: for a filter the index decides exactly,
	// those are the only ones the caller has to read.
	DataUnlessIndexed bool
}

// QueryCards calls fn for each card of the collection that may satisfy
// q.Filter: every card whose values satisfy it, and every card whose
// values are not known (indexed=false: stored before the index existed, or
// written without values; see IndexCards). Rows are streamed as fn
// consumes them, in no particular order (see ListObjects); an error from
// fn stops the query and is returned as it is.
//
// The filter becomes one statement: set operations on card_values, each
// leaf an index scan inside the collection (the trigram index for text
// tests, (collection_id, prop) for existence), joined to objects by id.
func (s *Store) QueryCards(ctx context.Context, q CardQuery, fn func(o Object, indexed bool) error) error {
	sql, args, err := queryCardsSQL(q)
	if err != nil {
		return err
	}
	err = func() error {
		rows, err := s.pool.Query(ctx, sql, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		var indexed bool
		sc := newRowScanner(true, &indexed)
		for rows.Next() {
			o, err := sc.scan(rows)
			if err != nil {
				return err
			}
			if err := fn(o, indexed); err != nil {
				return callbackError{err}
			}
		}
		return rows.Err()
	}()
	return streamError(err, "query cards of collection %d", q.CollectionID)
}

// queryCardsSQL is the statement of QueryCards. With a filter, the
// candidates' ids come first and each is looked up by primary key: OFFSET
// 0 keeps the planner from turning the lookups into a scan of the whole
// collection, which it does when the tables' statistics are missing or
// stale (right after a bulk import) and which costs ten times more for a
// typical search.
func queryCardsSQL(q CardQuery) (string, []any, error) {
	args := sqlArgs{q.CollectionID} // $1 in every statement below
	// Every row has the data column, NULL where it is not wanted; the
	// body is looked up only where it is (bodyWhen).
	data, body := `NULL::bytea`, ``
	switch {
	case q.WithData:
		data, body = `data`, `
		JOIN object_bodies ON object_id = objects.id`
	case q.DataUnlessIndexed:
		data, body = `body.data`, bodyWhen(`NOT i.indexed`)
	}
	row := objectColumns + `, ` + data + `, i.indexed FROM objects
		CROSS JOIN LATERAL (SELECT NOT EXISTS (SELECT 1 FROM card_unindexed u WHERE u.object_id = objects.id) AS indexed) i` + body
	if q.Filter == nil {
		return `SELECT ` + row + ` WHERE collection_id = $1`, args, nil
	}
	set, err := cardSetSQL(*q.Filter, &args, 0)
	if err != nil {
		return "", nil, err
	}
	return `SELECT o.*
		FROM ((` + set + `) UNION (SELECT object_id FROM card_unindexed WHERE collection_id = $1)) AS c (id)
		CROSS JOIN LATERAL (SELECT ` + row + `
			WHERE objects.id = c.id AND objects.collection_id = $1 OFFSET 0) AS o`, args, nil
}

// cardSetSQL turns c into a SELECT of object ids (placeholder $1 is the
// collection), appending its arguments to args.
func cardSetSQL(c CardCond, args *sqlArgs, depth int) (string, error) {
	if depth > maxCardCondDepth {
		return "", invalidf("card filter nested deeper than %d", maxCardCondDepth)
	}
	switch c.Match {
	case CardAny, CardAll:
		if len(c.Children) == 0 {
			return "", invalidf("card filter: an empty combination")
		}
		if c.Match == CardAll {
			parts := make([]string, len(c.Children))
			for i, ch := range c.Children {
				p, err := cardSetSQL(ch, args, depth+1)
				if err != nil {
					return "", err
				}
				parts[i] = "(" + p + ")"
			}
			return strings.Join(parts, " INTERSECT "), nil
		}
		var parts []string
		for _, g := range groupAnyLeaves(c.Children) {
			var p string
			var err error
			if g.props == nil {
				p, err = cardSetSQL(g.cond, args, depth+1)
			} else {
				p = leafSQL(g.cond, g.props, args)
			}
			if err != nil {
				return "", err
			}
			parts = append(parts, "("+p+")")
		}
		return strings.Join(parts, " UNION "), nil
	case CardExists, CardEquals, CardContains, CardStartsWith, CardEndsWith:
		return leafSQL(c, []string{c.Prop}, args), nil
	case CardNotExists:
		return `SELECT id FROM objects WHERE collection_id = $1 EXCEPT SELECT object_id FROM card_values
			WHERE collection_id = $1 AND prop = ` + args.add(c.Prop), nil
	}
	return "", invalidf("card filter: unknown test %d", c.Match)
}

// leafSQL is the SELECT of the cards with a value of one of props that
// passes the test of c (CardExists or a text test).
func leafSQL(c CardCond, props []string, args *sqlArgs) string {
	arg := args.add
	sql := `SELECT object_id FROM card_values WHERE collection_id = $1 AND `
	if len(props) == 1 {
		sql += `prop = ` + arg(props[0])
	} else {
		sql += `prop = ANY(` + arg(props) + `)`
	}
	if c.Match != CardExists {
		sql += ` AND folded LIKE ` + arg(likePattern(c.Match, c.Text))
	}
	return sql
}

// anyGroup is a child of an OR, or (props set) the leaves of an OR that
// make cond's test on the properties props.
type anyGroup struct {
	cond  CardCond
	props []string
}

// groupAnyLeaves joins the leaves of an OR that make the same test on
// different properties (FN or EMAIL contains "x", the usual search box)
// into one group: one scan of the trigram index and of the rows it finds,
// instead of one per property, which reads the same pages again. The
// union of the leaves' sets is the set of the group. Other children stay as they are.
func groupAnyLeaves(children []CardCond) []anyGroup {
	type key struct {
		m    CardMatch
		text string
	}
	at := map[key]int{} // index in out of the group of a test
	out := make([]anyGroup, 0, len(children))
	for _, ch := range children {
		switch ch.Match {
		case CardExists, CardEquals, CardContains, CardStartsWith, CardEndsWith:
		default:
			out = append(out, anyGroup{cond: ch})
			continue
		}
		k := key{ch.Match, ch.Text}
		if ch.Match == CardExists {
			k.text = "" // Text means nothing to it
		}
		i, ok := at[k]
		if !ok {
			at[k] = len(out)
			out = append(out, anyGroup{cond: ch, props: []string{ch.Prop}})
			continue
		}
		if !slices.Contains(out[i].props, ch.Prop) {
			out[i].props = append(out[i].props, ch.Prop)
		}
	}
	return out
}

// likePattern is the LIKE pattern of a text test; LIKE's escape character
// is the backslash.
func likePattern(m CardMatch, text string) string {
	p := strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(text)
	switch m {
	case CardContains:
		return "%" + p + "%"
	case CardStartsWith:
		return p + "%"
	case CardEndsWith:
		return "%" + p
	}
	return p
}
