package carddav

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// evalCond evaluates a pre-filter on a card's index the way the store's
// statement does (backend/card.go): what the SQL would keep.
func evalCond(c *backend.CardCond, values []backend.CardValue) bool {
	if c == nil {
		return true
	}
	switch c.Match {
	case backend.CardAny:
		for i := range c.Children {
			if evalCond(&c.Children[i], values) {
				return true
			}
		}
		return false
	case backend.CardAll:
		for i := range c.Children {
			if !evalCond(&c.Children[i], values) {
				return false
			}
		}
		return true
	case backend.CardNotExists:
		for _, v := range values {
			if v.Prop == c.Prop {
				return false
			}
		}
		return true
	}
	for _, v := range values {
		if v.Prop != c.Prop {
			continue
		}
		switch c.Match {
		case backend.CardExists:
			return true
		case backend.CardEquals:
			if v.Folded == c.Text {
				return true
			}
		case backend.CardContains:
			if strings.Contains(v.Folded, c.Text) {
				return true
			}
		case backend.CardStartsWith:
			if strings.HasPrefix(v.Folded, c.Text) {
				return true
			}
		case backend.CardEndsWith:
			if strings.HasSuffix(v.Folded, c.Text) {
				return true
			}
		}
	}
	return false
}

// The pre-filter never drops a card the exact matcher keeps: thousands of
// generated queries over a generated address book, evaluated in memory
// (differential_test.go runs the same against PostgreSQL).
func TestPlanNeverDropsAMatch(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(1, 2))
	const nCards, nQueries = 400, 1500
	cards := make([]*vcardData, nCards)
	index := make([][]backend.CardValue, nCards)
	for i := range cards {
		text, _ := genCard(r, i)
		cards[i] = parseVCard([]byte(text))
		index[i] = cardValues(cards[i])
	}
	var narrowed, exactPlans, matches, candidates int
	for range nQueries {
		body := genQuery(r, cards)
		q, err := parseQuery([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		p, planIsExact := plan(&q.filter)
		if p != nil {
			narrowed++
		}
		if planIsExact {
			exactPlans++
		}
		for i, c := range cards {
			exact := q.filter.matches(c)
			pre := evalCond(p, index[i])
			if exact && !pre {
				t.Fatalf("the pre-filter drops a match\nquery: %s\nplan: %+v\ncard:\n%s\nindex: %q", body, p, renderAll(c), index[i])
			}
			if planIsExact && pre && !exact {
				t.Fatalf("a plan said to be exact keeps a card the matcher refuses\nquery: %s\nplan: %+v\ncard:\n%s\nindex: %q", body, p, renderAll(c), index[i])
			}
			if exact {
				matches++
			}
			if pre {
				candidates++
			}
		}
	}
	t.Logf("%d queries, %d narrowed by the index, %d of them exactly; %d matches, %d candidates",
		nQueries, narrowed, exactPlans, matches, candidates)
	if narrowed < nQueries/3 || exactPlans < nQueries/10 || matches == 0 {
		t.Fatalf("generator too weak: %d of %d narrowed, %d exactly, %d matches", narrowed, nQueries, exactPlans, matches)
	}
}

func renderAll(c *vcardData) string {
	var b strings.Builder
	for _, l := range c.lines {
		b.WriteString(l.raw)
	}
	return b.String()
}
