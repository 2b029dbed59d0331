package carddav

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
	"github.com/pgdav/pgdav/internal/dav"
)

// The whole REPORT path on large address books: body parsing, the
// index query, exact matching of the candidates, address-data and the
// streamed multistatus (PostgreSQL through a real connection pool; no
// HTTP server or authentication in between):
//
//	go test ./carddav -run '^$' -bench AddressbookReport -benchtime 20x

// benchSyllables make surnames that pick out a handful of cards.
var benchSyllables = strings.Fields("ka to mi ra ne so lu vi de po ga ri mo ze ta bu fe li no sa ku pe yo ha we ji da ro ma ti")

func benchFamily(i int) string {
	var b strings.Builder
	x := uint64(i)*2654435761 + 12345
	for range 3 {
		b.WriteString(benchSyllables[x%uint64(len(benchSyllables))])
		x = x/uint64(len(benchSyllables)) + x*31 + 7
	}
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

// benchReport is a handler over an address book of n cards, stored with
// their index as PUT stores them.
type benchReport struct {
	h    *dav.Handler
	p    backend.Principal
	book string
}

func newBenchReport(b *testing.B, n int) *benchReport {
	b.Helper()
	ctx := b.Context()
	store := backendtest.New(b)
	p, err := store.CreatePrincipal(ctx, backend.Principal{Name: "bench"}, "$argon2id$bench",
		[]backend.Collection{{Kind: backend.KindAddressBook, Slug: "book"}})
	if err != nil {
		b.Fatal(err)
	}
	book, err := store.GetCollection(ctx, p.ID, backend.KindAddressBook, "book")
	if err != nil {
		b.Fatal(err)
	}
	typ := NewType(1<<20, 0, store)
	given := []string{"Anna", "Ben", "Chloé", "Dmitri", "Eva", "Fatima", "Gustav", "Hana", "Ivo", "Jürgen"}
	for start := 0; start < n; start += 10000 {
		var batch []backend.ObjectWrite
		for i := start; i < min(n, start+10000); i++ {
			g, f := given[i%len(given)], benchFamily(i)
			data := fmt.Sprintf("BEGIN:VCARD\r\nVERSION:3.0\r\nPRODID:-//Apple Inc.//macOS 27.0//EN\r\nUID:bench-%06d\r\nFN:%s %s\r\nN:%s;%s;;;\r\n"+
				"EMAIL;type=INTERNET;type=HOME;type=pref:%s.%s@example.org\r\nitem1.EMAIL;type=INTERNET:%s.%d@work.example\r\nitem1.X-ABLabel:work\r\n"+
				"TEL;type=CELL;type=VOICE;type=pref:+49 170 %07d\r\nORG:Example %d;\r\nNOTE:generated card %d\r\nEND:VCARD\r\n",
				i, g, f, f, g, strings.ToLower(g), strings.ToLower(f), strings.ToLower(f), i, i, i%100, i)
			meta, err := typ.ValidateObject([]byte(data), "text/vcard", &book)
			if err != nil {
				b.Fatal(err)
			}
			batch = append(batch, backend.ObjectWrite{Name: fmt.Sprintf("bench-%06d.vcf", i), Data: []byte(data), UID: meta.UID,
				Component: meta.Component, ContentType: meta.ContentType, CardValues: meta.CardValues})
		}
		if _, err := store.ImportObjects(ctx, book.ID, batch); err != nil {
			b.Fatal(err)
		}
	}
	h := dav.NewHandler(dav.Config{MaxResourceSize: 1 << 20}, store, typ)
	return &benchReport{h: h, p: p, book: "/addressbooks/bench/book/"}
}

func (br *benchReport) do(b *testing.B, depth, body string) *httptest.ResponseRecorder {
	r := httptest.NewRequest("REPORT", br.book, strings.NewReader(body))
	r.Header.Set("Depth", depth)
	r = r.WithContext(dav.WithPrincipal(r.Context(), br.p))
	w := httptest.NewRecorder()
	br.h.ServeHTTP(w, r)
	if w.Code != http.StatusMultiStatus {
		b.Fatalf("REPORT: %d\n%s", w.Code, w.Body)
	}
	return w
}

func BenchmarkAddressbookReport(b *testing.B) {
	for _, n := range []int{5000, 50000} {
		br := newBenchReport(b, n)
		needle := strings.ToLower(benchFamily(1234)[1:6]) // part of a surname, as typed
		for _, tc := range []struct{ name, prop, text string }{
			{"query-FN-contains", "FN", needle},
			{"query-EMAIL-contains", "EMAIL", needle + "@example"},
		} {
			body := `<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop>` +
				`<C:filter><C:prop-filter name="` + tc.prop + `"><C:text-match>` + tc.text + `</C:text-match></C:prop-filter></C:filter></C:addressbook-query>`
			b.Run(fmt.Sprintf("cards=%d/%s", n, tc.name), func(b *testing.B) {
				var matches int
				for b.Loop() {
					matches = strings.Count(br.do(b, "1", body).Body.String(), "<D:response>")
				}
				if matches == 0 {
					b.Fatalf("%s %q matched nothing", tc.prop, tc.text)
				}
				b.ReportMetric(float64(matches), "matches")
			})
		}
		b.Run(fmt.Sprintf("cards=%d/multiget-100", n), func(b *testing.B) {
			var body strings.Builder
			body.WriteString(`<card:addressbook-multiget xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:d="DAV:"><d:prop><d:getetag/><card:address-data/></d:prop>`)
			for i := range 100 {
				fmt.Fprintf(&body, "<d:href>%sbench-%06d.vcf</d:href>", br.book, i*(n/100))
			}
			body.WriteString(`</card:addressbook-multiget>`)
			for b.Loop() {
				if got := strings.Count(br.do(b, "1", body.String()).Body.String(), "<D:response>"); got != 100 {
					b.Fatalf("%d responses", got)
				}
			}
		})
	}
}
