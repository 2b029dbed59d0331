package backend_test

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// The SQL side of addressbook-query and addressbook-multiget on large
// address books. carddav's BenchmarkAddressbookQuery measures the whole
// REPORT; these measure the statements alone and log their plans:
//
//	go test ./backend -run '^$' -bench 'QueryCards|MultigetCards' -benchtime 20x -v

var benchSyllables = strings.Fields("ka to mi ra ne so lu vi de po ga ri mo ze ta bu fe li no sa ku pe yo ha we ji da ro ma ti")

// benchFamily is card i's family name: three syllables, so that a
// surname, or part of one, picks out a handful of cards among thousands.
func benchFamily(i int) string {
	r := rand.New(rand.NewPCG(uint64(i), 99))
	var b strings.Builder
	for range 3 {
		b.WriteString(benchSyllables[r.IntN(len(benchSyllables))])
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// benchCardBook imports n cards, with their index, into a fresh address
// book.
func benchCardBook(b *testing.B, n int) (*backend.Store, backend.Collection) {
	b.Helper()
	ctx := b.Context()
	s := backendtest.New(b)
	p, err := s.CreatePrincipal(ctx, backend.Principal{Name: "bench"}, "$argon2id$bench",
		[]backend.Collection{{Kind: backend.KindAddressBook, Slug: "book"}})
	if err != nil {
		b.Fatal(err)
	}
	book, err := s.GetCollection(ctx, p.ID, backend.KindAddressBook, "book")
	if err != nil {
		b.Fatal(err)
	}
	given := []string{"Anna", "Ben", "Chloé", "Dmitri", "Eva", "Fatima", "Gustav", "Hana", "Ivo", "Jürgen"}
	for start := 0; start < n; start += 10000 {
		batch := make([]backend.ObjectWrite, 0, 10000)
		for i := start; i < min(n, start+10000); i++ {
			g, f := given[i%len(given)], benchFamily(i)
			uid := fmt.Sprintf("bench-%06d", i)
			mail := strings.ToLower(g) + "." + strings.ToLower(f) + "@example.org"
			data := fmt.Sprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:%s\r\nFN:%s %s\r\nN:%s;%s;;;\r\nEMAIL;TYPE=INTERNET,HOME:%s\r\n"+
				"EMAIL;TYPE=INTERNET,WORK:%s.%d@work.example\r\nTEL;TYPE=CELL:+49 170 %07d\r\nEND:VCARD\r\n", uid, g, f, f, g, mail, strings.ToLower(f), i, i)
			up := strings.ToUpper
			batch = append(batch, backend.ObjectWrite{Name: uid + ".vcf", UID: uid, Data: []byte(data), Component: "VCARD",
				ContentType: "text/vcard; charset=utf-8", CardValues: []backend.CardValue{
					{Prop: "UID", Folded: up(uid)}, {Prop: "FN", Folded: up(g + " " + f)},
					{Prop: "N", Folded: up(f + ";" + g + ";;;")}, {Prop: "N", Folded: up(f)}, {Prop: "N", Folded: up(g)},
					{Prop: "EMAIL", Folded: up(mail)}, {Prop: "EMAIL", Folded: up(fmt.Sprintf("%s.%d@work.example", strings.ToLower(f), i))},
					{Prop: "TEL", Folded: fmt.Sprintf("+49 170 %07d", i)},
				}})
		}
		if _, err := s.ImportObjects(ctx, book.ID, batch); err != nil {
			b.Fatal(err)
		}
	}
	if _, err := s.Pool().Exec(ctx, "VACUUM ANALYZE"); err != nil {
		b.Fatal(err)
	}
	return s, book
}

func BenchmarkQueryCards(b *testing.B) {
	ctx := b.Context()
	for _, n := range []int{5000, 50000} {
		s, book := benchCardBook(b, n)
		// What a user types: part of a surname, part of an address.
		needle := strings.ToUpper(benchFamily(1234)[1:6])
		for _, tc := range []struct {
			name string
			cond backend.CardCond
		}{
			{"FN-contains", backend.CardCond{Match: backend.CardContains, Prop: "FN", Text: needle}},
			{"EMAIL-contains", backend.CardCond{Match: backend.CardContains, Prop: "EMAIL", Text: needle + "@EXAMPLE"}},
		} {
			q := backend.CardQuery{CollectionID: book.ID, Filter: &tc.cond, WithData: true}
			plan, err := s.ExplainQueryCards(ctx, q)
			if err != nil {
				b.Fatal(err)
			}
			b.Run(fmt.Sprintf("cards=%d/%s", n, tc.name), func(b *testing.B) {
				var found int
				for b.Loop() {
					found = 0
					if err := s.QueryCards(ctx, q, func(backend.Object, bool) error { found++; return nil }); err != nil {
						b.Fatal(err)
					}
				}
				b.ReportMetric(float64(found), "candidates")
				b.Logf("%s %q: %d candidates\n%s", tc.name, tc.cond.Text, found, plan)
			})
		}
		b.Run(fmt.Sprintf("cards=%d/multiget-100", n), func(b *testing.B) {
			names := make([]string, 100)
			for i := range names {
				names[i] = fmt.Sprintf("bench-%06d.vcf", i*(n/100))
			}
			for b.Loop() {
				got := 0
				if err := s.GetObjectsByName(ctx, book.ID, names, true, func(backend.Object) error { got++; return nil }); err != nil || got != 100 {
					b.Fatalf("multiget: %d, %v", got, err)
				}
			}
		})
	}
}
