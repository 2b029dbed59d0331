package carddav

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"sort"
	"testing"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// bookFixture is an address book in a fresh database, filled with
// generated cards.
type bookFixture struct {
	store  *backend.Store
	book   backend.Collection
	names  []string              // in generation order
	cards  map[string]*vcardData // by object name
	values map[string][]backend.CardValue
	// unindexed are the cards stored without values.
	unindexed map[string]bool
}

// newBookFixture stores n generated cards: most with their values, as a
// PUT stores them, every unindexedEvery-th without (0: none), as a card
// stored before the index existed; a few through PutObject, the rest in
// bulk through ImportObjects.
func newBookFixture(tb testing.TB, seed uint64, n, unindexedEvery int) *bookFixture {
	tb.Helper()
	ctx := tb.Context()
	store := backendtest.New(tb)
	p, err := store.CreatePrincipal(ctx, backend.Principal{Name: "diff"}, "$argon2id$test",
		[]backend.Collection{{Kind: backend.KindAddressBook, Slug: "book"}})
	if err != nil {
		tb.Fatal(err)
	}
	f := &bookFixture{store: store, cards: map[string]*vcardData{}, values: map[string][]backend.CardValue{}, unindexed: map[string]bool{}}
	if f.book, err = store.GetCollection(ctx, p.ID, backend.KindAddressBook, "book"); err != nil {
		tb.Fatal(err)
	}
	typ := NewType(1<<20, 0, store)
	r := rand.New(rand.NewPCG(seed, seed+1))
	var batch []backend.ObjectWrite
	flush := func() {
		if _, err := store.ImportObjects(ctx, f.book.ID, batch); err != nil {
			tb.Fatal(err)
		}
		batch = batch[:0]
	}
	for i := range n {
		text, _ := genCard(r, i)
		meta, err := typ.ValidateObject([]byte(text), "text/vcard", &f.book)
		if err != nil {
			tb.Fatalf("card %d: %v\n%s", i, err, text)
		}
		name := fmt.Sprintf("%05d.vcf", i)
		w := backend.ObjectWrite{Name: name, Data: []byte(text), UID: meta.UID, Component: meta.Component,
			ContentType: meta.ContentType, CardValues: meta.CardValues}
		if unindexedEvery > 0 && i%unindexedEvery == 0 {
			w.CardValues = nil
			f.unindexed[name] = true
		}
		f.names = append(f.names, name)
		f.cards[name] = parseVCard(w.Data)
		f.values[name] = meta.CardValues
		if i%100 == 1 {
			w.CollectionID = f.book.ID
			if _, _, err := store.PutObject(ctx, w, backend.Conditions{}); err != nil {
				tb.Fatal(err)
			}
			continue
		}
		if batch = append(batch, w); len(batch) == 2000 {
			flush()
		}
	}
	flush()
	return f
}

func (f *bookFixture) parsed() []*vcardData {
	out := make([]*vcardData, 0, len(f.names))
	for _, n := range f.names {
		out = append(out, f.cards[n])
	}
	return out
}

// search runs a query the way Report does (plan, QueryCards, the
// exact matcher on the cards the plan does not decide, without reading
// the others) and returns the matches and the candidates, sorted.
func (f *bookFixture) search(tb testing.TB, q *queryRequest) (matches, candidates []string, unindexed int) {
	tb.Helper()
	cond, exact := plan(&q.filter)
	err := f.store.QueryCards(tb.Context(), backend.CardQuery{CollectionID: f.book.ID, Filter: cond, WithData: !exact, DataUnlessIndexed: true},
		func(o backend.Object, indexed bool) error {
			candidates = append(candidates, o.Name)
			if !indexed {
				unindexed++
			}
			if exact && indexed {
				if o.Data != nil {
					tb.Errorf("%s: read, though the plan decides it", o.Name)
				}
				matches = append(matches, o.Name)
				return nil
			}
			if q.filter.matches(parseVCard(o.Data)) {
				matches = append(matches, o.Name)
			}
			return nil
		})
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(matches)
	sort.Strings(candidates)
	return matches, candidates, unindexed
}

// The indexed path returns exactly what exact evaluation over every card
// returns (docs/architecture.md "Indexed pre-filter, exact decision"), for
// generated queries over a generated address book of thousands of cards;
// and PostgreSQL's candidates are exactly those the pre-filter describes.
// Then the unindexed cards are indexed the way a query does it, and the
// answers stay the same.
func TestIndexAgreesWithExactMatching(t *testing.T) {
	t.Parallel()
	const nCards, nQueries = 2000, 250
	f := newBookFixture(t, 7, nCards, 9)
	r := rand.New(rand.NewPCG(11, 12))
	all := f.parsed()
	var narrowed, totalMatches int
	var narrowedCandidates []int
	check := func(body string) {
		t.Helper()
		q, err := parseQuery([]byte(body))
		if err != nil {
			t.Fatalf("%s: %v", body, err)
		}
		var want, wantCandidates []string
		p, _ := plan(&q.filter)
		for _, name := range f.names {
			if q.filter.matches(f.cards[name]) {
				want = append(want, name)
			}
			if f.unindexed[name] || evalCond(p, f.values[name]) {
				wantCandidates = append(wantCandidates, name)
			}
		}
		got, candidates, _ := f.search(t, q)
		if !slices.Equal(got, want) {
			t.Fatalf("query %s\nplan %+v\nindexed path: %d matches, exact: %d\nonly indexed: %v\nonly exact: %v",
				body, p, len(got), len(want), minus(got, want), minus(want, got))
		}
		if !slices.Equal(candidates, wantCandidates) {
			t.Fatalf("query %s\nplan %+v\nSQL candidates differ from the pre-filter's: extra %v, missing %v",
				body, p, minus(candidates, wantCandidates), minus(wantCandidates, candidates))
		}
		if p != nil {
			narrowed++
			narrowedCandidates = append(narrowedCandidates, len(candidates))
		}
		totalMatches += len(want)
	}
	queries := make([]string, nQueries)
	for i := range queries {
		queries[i] = genQuery(r, all)
		check(queries[i])
	}
	slices.Sort(narrowedCandidates)
	median := 0
	if narrowed > 0 {
		median = narrowedCandidates[narrowed/2]
	}
	t.Logf("%d queries over %d cards (%d unindexed): %d matches; %d queries narrowed by the index, to a median of %d candidates",
		nQueries, nCards, len(f.unindexed), totalMatches, narrowed, median)
	if narrowed < nQueries/2 || totalMatches == 0 || median > nCards/4 {
		t.Fatal("the generator does not exercise the index")
	}

	// Index the rest the way query does, then ask again.
	h := &healer{store: f.store, collectionID: f.book.ID}
	ctx := t.Context()
	err := f.store.QueryCards(ctx, backend.CardQuery{CollectionID: f.book.ID, WithData: true}, func(o backend.Object, indexed bool) error {
		if !indexed {
			h.add(&o, parseVCard(o.Data))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	h.flush(ctx)
	clear(f.unindexed)
	for _, body := range queries[:60] {
		check(body)
		q, _ := parseQuery([]byte(body))
		if _, _, un := f.search(t, q); un != 0 {
			t.Fatalf("%d cards still unindexed", un)
		}
	}
}

// minus returns the elements of a not in b (both sorted), at most ten.
func minus(a, b []string) []string {
	var out []string
	for _, x := range a {
		if _, found := slices.BinarySearch(b, x); !found && len(out) < 10 {
			out = append(out, x)
		}
	}
	return out
}
