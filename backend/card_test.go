package backend_test

import (
	"errors"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// cardFixture is a user with two address books.
type cardFixture struct {
	fixture
	book, other backend.Collection
}

func newCardFixture(t *testing.T) cardFixture {
	t.Helper()
	ctx := t.Context()
	f := cardFixture{fixture: newFixture(t)}
	var err error
	for _, c := range []*backend.Collection{&f.book, &f.other} {
		slug := "book"
		if c == &f.other {
			slug = "other"
		}
		if *c, err = f.s.CreateCollection(ctx, f.owner.ID, backend.Collection{Kind: backend.KindAddressBook, Slug: slug}, nil); err != nil {
			t.Fatal(err)
		}
	}
	return f
}

// cardWrite is a card write; values are the card's index (nil: none).
func cardWrite(collectionID int64, name, uid, data string, values ...backend.CardValue) backend.ObjectWrite {
	return backend.ObjectWrite{CollectionID: collectionID, Name: name, UID: uid, Data: []byte(data),
		Component: "VCARD", ContentType: "text/vcard; charset=utf-8", CardValues: values}
}

func cv(prop, folded string) backend.CardValue { return backend.CardValue{Prop: prop, Folded: folded} }

// values returns a card's index rows, sorted, and whether it is marked
// unindexed.
func (f cardFixture) values(t *testing.T, collectionID int64, name string) (vals []backend.CardValue, unindexed bool) {
	t.Helper()
	ctx := t.Context()
	rows, err := f.s.Pool().Query(ctx, `SELECT v.prop, v.folded FROM card_values v JOIN objects o ON o.id = v.object_id
		WHERE o.collection_id = $1 AND o.name = $2 AND v.collection_id = o.collection_id ORDER BY 1, 2`, collectionID, name)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var v backend.CardValue
		if err := rows.Scan(&v.Prop, &v.Folded); err != nil {
			t.Fatal(err)
		}
		vals = append(vals, v)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	unindexed = f.count(t, `SELECT count(*) FROM card_unindexed u JOIN objects o ON o.id = u.object_id
		WHERE o.collection_id = $1 AND o.name = $2 AND u.collection_id = o.collection_id`, collectionID, name) == 1
	return vals, unindexed
}

// query returns the names QueryCards yields, sorted, with "!" after
// those it reports unindexed.
func (f cardFixture) query(t *testing.T, collectionID int64, c *backend.CardCond) []string {
	t.Helper()
	var out []string
	err := f.s.QueryCards(t.Context(), backend.CardQuery{CollectionID: collectionID, Filter: c}, func(o backend.Object, indexed bool) error {
		if o.Data != nil {
			t.Errorf("%s: data read without WithData", o.Name)
		}
		if !indexed {
			o.Name += "!"
		}
		out = append(out, o.Name)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(out)
	return out
}

// The index follows every write: PUT with values replaces them in the
// same transaction, a write without values marks the card unindexed
// (trigger), MOVE carries them, COPY and DELETE are handled by the
// schema, and IndexCards indexes only cards unchanged since they were read.
func TestCardValuesFollowWrites(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newCardFixture(t)
	put := func(w backend.ObjectWrite) backend.Object {
		t.Helper()
		o, _, err := f.s.PutObject(ctx, w, backend.Conditions{})
		if err != nil {
			t.Fatal(err)
		}
		return o
	}
	v1 := "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:a\r\nFN:Ann\r\nEND:VCARD\r\n"
	put(cardWrite(f.book.ID, "a.vcf", "a", v1, cv("FN", "ANN"), cv("UID", "A")))
	if vals, un := f.values(t, f.book.ID, "a.vcf"); un || !reflect.DeepEqual(vals, []backend.CardValue{cv("FN", "ANN"), cv("UID", "A")}) {
		t.Fatalf("after PUT: values %v, unindexed %v", vals, un)
	}

	// Replaced, in the same transaction as the new bytes.
	v2 := "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:a\r\nFN:Anna\r\nEND:VCARD\r\n"
	put(cardWrite(f.book.ID, "a.vcf", "a", v2, cv("FN", "ANNA"), cv("UID", "A")))
	if vals, un := f.values(t, f.book.ID, "a.vcf"); un || !reflect.DeepEqual(vals, []backend.CardValue{cv("FN", "ANNA"), cv("UID", "A")}) {
		t.Fatalf("after update: values %v, unindexed %v", vals, un)
	}
	// A failed write leaves them.
	if _, _, err := f.s.PutObject(ctx, cardWrite(f.book.ID, "a.vcf", "a", v1, cv("FN", "ANN")),
		backend.Conditions{IfMatch: tags("stale")}); !errors.Is(err, backend.ErrPreconditionFailed) {
		t.Fatalf("stale If-Match: %v", err)
	}
	if vals, _ := f.values(t, f.book.ID, "a.vcf"); len(vals) != 2 || vals[0].Folded != "ANNA" {
		t.Fatalf("after a failed PUT: %v", vals)
	}

	// New bytes without values: the card is marked and always a candidate.
	v3 := "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:a\r\nFN:Bob\r\nEND:VCARD\r\n"
	o3 := put(cardWrite(f.book.ID, "a.vcf", "a", v3))
	if _, un := f.values(t, f.book.ID, "a.vcf"); !un {
		t.Fatal("a PUT without values left the card marked indexed")
	}
	bob := &backend.CardCond{Match: backend.CardEquals, Prop: "FN", Text: "BOB"}
	if got := f.query(t, f.book.ID, bob); !slices.Equal(got, []string{"a.vcf!"}) {
		t.Fatalf("unindexed card: query = %v", got)
	}
	// IndexCards with values of other bytes does nothing; with the
	// current ETag it indexes.
	n, err := f.s.IndexCards(ctx, f.book.ID, []backend.CardIndex{{ObjectID: o3.ID, ETag: "stale", Values: []backend.CardValue{cv("FN", "X")}}})
	if err != nil || n != 0 {
		t.Fatalf("IndexCards with a stale ETag = %d, %v", n, err)
	}
	n, err = f.s.IndexCards(ctx, f.book.ID, []backend.CardIndex{{ObjectID: o3.ID, ETag: o3.ETag, Values: []backend.CardValue{cv("FN", "BOB"), cv("UID", "A")}}})
	if err != nil || n != 1 {
		t.Fatalf("IndexCards = %d, %v", n, err)
	}
	if vals, un := f.values(t, f.book.ID, "a.vcf"); un || len(vals) != 2 || vals[0] != cv("FN", "BOB") {
		t.Fatalf("after IndexCards: %v, unindexed %v", vals, un)
	}
	if got := f.query(t, f.book.ID, bob); !slices.Equal(got, []string{"a.vcf"}) {
		t.Fatalf("indexed: query = %v", got)
	}
	// Indexing again finds nothing left to do.
	if n, err := f.s.IndexCards(ctx, f.book.ID, []backend.CardIndex{{ObjectID: o3.ID, ETag: o3.ETag, Values: []backend.CardValue{cv("FN", "Y")}}}); err != nil || n != 0 {
		t.Fatalf("IndexCards of an indexed card = %d, %v", n, err)
	}

	// MOVE carries the index to the other book.
	if _, err := f.s.MoveObject(ctx, f.book.ID, "a.vcf", f.other.ID, "m.vcf", false, backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	if vals, un := f.values(t, f.other.ID, "m.vcf"); un || len(vals) != 2 {
		t.Fatalf("after MOVE: %v, unindexed %v", vals, un)
	}
	if got := f.query(t, f.book.ID, bob); len(got) != 0 {
		t.Fatalf("source after MOVE: %v", got)
	}
	if got := f.query(t, f.other.ID, bob); !slices.Equal(got, []string{"m.vcf"}) {
		t.Fatalf("destination after MOVE: %v", got)
	}

	// COPY: the copy has no values yet, so it is a candidate of every
	// query until it is indexed.
	if _, err := f.s.CopyObject(ctx, f.other.ID, "m.vcf", f.book.ID, "c.vcf", false, backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	if got := f.query(t, f.book.ID, &backend.CardCond{Match: backend.CardEquals, Prop: "FN", Text: "NOBODY"}); !slices.Equal(got, []string{"c.vcf!"}) {
		t.Fatalf("after COPY: %v", got)
	}

	// DELETE takes the index with it.
	if err := f.s.DeleteObject(ctx, f.other.ID, "m.vcf", backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	if n := f.count(t, `SELECT count(*) FROM card_values WHERE collection_id = $1`, f.other.ID); n != 0 {
		t.Fatalf("%d values left after DELETE", n)
	}

	// Calendar objects are never marked.
	f.put(t, f.cal.ID, "e.ics", "e", "BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
	if n := f.count(t, `SELECT count(*) FROM card_unindexed WHERE collection_id = $1`, f.cal.ID); n != 0 {
		t.Fatal("a calendar object was marked unindexed")
	}
}

// ImportObjects stores the values of the cards that carry them; the
// others are marked unindexed.
func TestImportCardValues(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newCardFixture(t)
	writes := []backend.ObjectWrite{
		cardWrite(0, "1.vcf", "1", "BEGIN:VCARD\r\nUID:1\r\nEND:VCARD\r\n", cv("UID", "1"), cv("EMAIL", "A@EXAMPLE.ORG")),
		cardWrite(0, "2.vcf", "2", "BEGIN:VCARD\r\nUID:2\r\nEND:VCARD\r\n"),
	}
	if _, err := f.s.ImportObjects(ctx, f.book.ID, writes); err != nil {
		t.Fatal(err)
	}
	if vals, un := f.values(t, f.book.ID, "1.vcf"); un || len(vals) != 2 {
		t.Fatalf("1.vcf: %v, unindexed %v", vals, un)
	}
	if vals, un := f.values(t, f.book.ID, "2.vcf"); !un || len(vals) != 0 {
		t.Fatalf("2.vcf: %v, unindexed %v", vals, un)
	}
	if _, err := f.s.ImportObjects(ctx, f.other.ID, []backend.ObjectWrite{cardWrite(0, "x.vcf", "x", "x", cv("", "X"))}); !errors.Is(err, backend.ErrInvalid) {
		t.Fatalf("a value without a property name: %v", err)
	}
}

// QueryCards turns conditions into set operations on the index.
func TestQueryCards(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newCardFixture(t)
	cards := map[string][]backend.CardValue{
		"ann":  {cv("UID", "ANN"), cv("FN", "ANN SMITH"), cv("EMAIL", "ANN@EXAMPLE.ORG"), cv("EMAIL", "ANN@WORK.TEST")},
		"bob":  {cv("UID", "BOB"), cv("FN", "BOB 100%_SURE"), cv("TEL", "+1 555")},
		"cleo": {cv("UID", "CLEO"), cv("FN", "CLEO"), cv("KIND", "GROUP")},
	}
	for name, vals := range cards {
		if _, _, err := f.s.PutObject(ctx, cardWrite(f.book.ID, name, name, "BEGIN:VCARD\r\nUID:"+name+"\r\nEND:VCARD\r\n", vals...), backend.Conditions{}); err != nil {
			t.Fatal(err)
		}
	}
	// The same values in another book must never show.
	if _, _, err := f.s.PutObject(ctx, cardWrite(f.other.ID, "ann", "ann", "x", cards["ann"]...), backend.Conditions{}); err != nil {
		t.Fatal(err)
	}
	leaf := func(m backend.CardMatch, prop, text string) backend.CardCond {
		return backend.CardCond{Match: m, Prop: prop, Text: text}
	}
	for _, tc := range []struct {
		name string
		cond *backend.CardCond
		want []string
	}{
		{"all", nil, []string{"ann", "bob", "cleo"}},
		{"contains", &backend.CardCond{Match: backend.CardContains, Prop: "FN", Text: "O"}, []string{"bob", "cleo"}},
		{"equals", ptr(leaf(backend.CardEquals, "FN", "CLEO")), []string{"cleo"}},
		{"equals is whole", ptr(leaf(backend.CardEquals, "FN", "ANN")), nil},
		{"starts", ptr(leaf(backend.CardStartsWith, "EMAIL", "ANN@")), []string{"ann"}},
		{"ends", ptr(leaf(backend.CardEndsWith, "EMAIL", ".TEST")), []string{"ann"}},
		{"percent and underscore are literal", ptr(leaf(backend.CardContains, "FN", "%_")), []string{"bob"}},
		{"percent alone", ptr(leaf(backend.CardContains, "FN", "0%S")), nil},
		{"other property", ptr(leaf(backend.CardContains, "EMAIL", "CLEO")), nil},
		{"exists", ptr(leaf(backend.CardExists, "TEL", "")), []string{"bob"}},
		{"not exists", ptr(leaf(backend.CardNotExists, "EMAIL", "")), []string{"bob", "cleo"}},
		{"any", &backend.CardCond{Match: backend.CardAny, Children: []backend.CardCond{leaf(backend.CardExists, "TEL", ""), leaf(backend.CardEquals, "KIND", "GROUP")}}, []string{"bob", "cleo"}},
		{"any, one test on two properties", &backend.CardCond{Match: backend.CardAny, Children: []backend.CardCond{leaf(backend.CardContains, "FN", "CLEO"), leaf(backend.CardContains, "EMAIL", "WORK")}}, []string{"ann", "cleo"}},
		{"any, a property twice", &backend.CardCond{Match: backend.CardAny, Children: []backend.CardCond{leaf(backend.CardContains, "FN", "O"), leaf(backend.CardContains, "FN", "O"), leaf(backend.CardContains, "TEL", "O")}}, []string{"bob", "cleo"}},
		{"any, mixed tests", &backend.CardCond{Match: backend.CardAny, Children: []backend.CardCond{
			leaf(backend.CardStartsWith, "FN", "ANN"), leaf(backend.CardEquals, "FN", "CLEO"), leaf(backend.CardStartsWith, "TEL", "ANN"), leaf(backend.CardEquals, "UID", "BOB"),
		}}, []string{"ann", "bob", "cleo"}},
		{"any, two exists", &backend.CardCond{Match: backend.CardAny, Children: []backend.CardCond{leaf(backend.CardExists, "TEL", "x"), leaf(backend.CardExists, "KIND", "y")}}, []string{"bob", "cleo"}},
		{"all", &backend.CardCond{Match: backend.CardAll, Children: []backend.CardCond{leaf(backend.CardContains, "FN", "N"), leaf(backend.CardNotExists, "TEL", "")}}, []string{"ann"}},
		{"nested", &backend.CardCond{Match: backend.CardAll, Children: []backend.CardCond{
			{Match: backend.CardAny, Children: []backend.CardCond{leaf(backend.CardContains, "FN", "SMITH"), leaf(backend.CardExists, "KIND", "")}},
			leaf(backend.CardNotExists, "TEL", ""),
		}}, []string{"ann", "cleo"}},
	} {
		if got := f.query(t, f.book.ID, tc.cond); !slices.Equal(got, tc.want) {
			t.Errorf("%s: got %v, want %v", tc.name, got, tc.want)
		}
	}
	if err := f.s.QueryCards(ctx, backend.CardQuery{CollectionID: f.book.ID, Filter: &backend.CardCond{Match: backend.CardAll}},
		func(backend.Object, bool) error { return nil }); !errors.Is(err, backend.ErrInvalid) {
		t.Errorf("an empty combination: %v", err)
	}
	// The callback's error comes back as it is.
	stop := errors.New("stop")
	if err := f.s.QueryCards(ctx, backend.CardQuery{CollectionID: f.book.ID, WithData: true}, func(o backend.Object, _ bool) error {
		if o.Data == nil {
			t.Error("WithData without data")
		}
		return stop
	}); err != stop {
		t.Errorf("callback error = %v", err)
	}
}

// An OR of one text test on several properties (the usual search box: FN
// or EMAIL contains) reads card_values once, not once per property.
func TestQueryCardsOneScanPerTest(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newCardFixture(t)
	contains := func(prop string) backend.CardCond {
		return backend.CardCond{Match: backend.CardContains, Prop: prop, Text: "SMITH"}
	}
	plan, err := f.s.ExplainQueryCards(ctx, backend.CardQuery{CollectionID: f.book.ID,
		Filter: &backend.CardCond{Match: backend.CardAny, Children: []backend.CardCond{contains("FN"), contains("EMAIL"), contains("NICKNAME")}}})
	if err != nil {
		t.Fatal(err)
	}
	if n := plan.Count(func(n backend.PlanNode) bool { return n.RelationName == "card_values" }); n != 1 {
		t.Errorf("card_values scanned %d times, want 1:\n%s", n, plan)
	}
}

func ptr[T any](v T) *T { return &v }

// DataUnlessIndexed reads the bytes of the unindexed candidates only, with
// a filter and without; WithData reads them all.
func TestQueryCardsDataUnlessIndexed(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newCardFixture(t)
	indexed := "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:a\r\nFN:Ann\r\nEND:VCARD\r\n"
	unindexed := "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:b\r\nFN:Anna\r\nEND:VCARD\r\n"
	for _, w := range []backend.ObjectWrite{
		cardWrite(f.book.ID, "a.vcf", "a", indexed, cv("FN", "ANN")),
		cardWrite(f.book.ID, "b.vcf", "b", unindexed), // no values: unindexed
	} {
		if _, _, err := f.s.PutObject(ctx, w, backend.Conditions{}); err != nil {
			t.Fatal(err)
		}
	}
	ann := &backend.CardCond{Match: backend.CardContains, Prop: "FN", Text: "ANN"}
	for _, tc := range []struct {
		q    backend.CardQuery
		want map[string]string // name → data read
	}{
		{backend.CardQuery{Filter: ann, DataUnlessIndexed: true}, map[string]string{"a.vcf": "", "b.vcf": unindexed}},
		{backend.CardQuery{DataUnlessIndexed: true}, map[string]string{"a.vcf": "", "b.vcf": unindexed}},
		{backend.CardQuery{Filter: ann, WithData: true, DataUnlessIndexed: true}, map[string]string{"a.vcf": indexed, "b.vcf": unindexed}},
		{backend.CardQuery{Filter: ann}, map[string]string{"a.vcf": "", "b.vcf": ""}},
	} {
		tc.q.CollectionID = f.book.ID
		got := map[string]string{}
		err := f.s.QueryCards(ctx, tc.q, func(o backend.Object, _ bool) error {
			got[o.Name] = string(o.Data)
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%+v: read %q, want %q", tc.q, got, tc.want)
		}
	}
}
