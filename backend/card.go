package backend

import (
	"context"
	"strconv"
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
		for rows.Next() {
			var indexed bool
			o, err := scanObject(rows, q.WithData, &indexed)
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
	args := []any{q.CollectionID}
	if q.Filter == nil {
		return `SELECT ` + objectSelect(q.WithData) + `,
				NOT EXISTS (SELECT 1 FROM card_unindexed u WHERE u.object_id = objects.id)
			FROM objects WHERE collection_id = $1`, args, nil
	}
	set, err := cardSetSQL(*q.Filter, &args, 0)
	if err != nil {
		return "", nil, err
	}
	return `SELECT o.*, NOT EXISTS (SELECT 1 FROM card_unindexed u WHERE u.object_id = o.id)
		FROM ((` + set + `) UNION (SELECT object_id FROM card_unindexed WHERE collection_id = $1)) AS c (id)
		CROSS JOIN LATERAL (SELECT ` + objectSelect(q.WithData) + ` FROM objects
			WHERE objects.id = c.id AND objects.collection_id = $1 OFFSET 0) AS o`, args, nil
}

// cardSetSQL turns c into a SELECT of object ids (placeholder $1 is the
// collection), appending its arguments to args.
func cardSetSQL(c CardCond, args *[]any, depth int) (string, error) {
	if depth > maxCardCondDepth {
		return "", invalidf("card filter nested deeper than %d", maxCardCondDepth)
	}
	arg := func(v any) string {
		*args = append(*args, v)
		return "$" + strconv.Itoa(len(*args))
	}
	const values = `SELECT object_id FROM card_values WHERE collection_id = $1 AND prop = `
	switch c.Match {
	case CardAny, CardAll:
		if len(c.Children) == 0 {
			return "", invalidf("card filter: an empty combination")
		}
		op := " UNION "
		if c.Match == CardAll {
			op = " INTERSECT "
		}
		parts := make([]string, len(c.Children))
		for i, ch := range c.Children {
			p, err := cardSetSQL(ch, args, depth+1)
			if err != nil {
				return "", err
			}
			parts[i] = "(" + p + ")"
		}
		return strings.Join(parts, op), nil
	case CardExists:
		return values + arg(c.Prop), nil
	case CardNotExists:
		return `SELECT id FROM objects WHERE collection_id = $1 EXCEPT ` + values + arg(c.Prop), nil
	case CardEquals, CardContains, CardStartsWith, CardEndsWith:
		return values + arg(c.Prop) + ` AND folded LIKE ` + arg(likePattern(c.Match, c.Text)), nil
	}
	return "", invalidf("card filter: unknown test %d", c.Match)
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
