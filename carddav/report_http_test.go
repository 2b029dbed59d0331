package carddav_test

// addressbook-query and addressbook-multiget (RFC 6352 8.6, 8.7) through
// the whole stack: real HTTP, authentication, the DAV handler, carddav
// and PostgreSQL. Answers are parsed by namespace (davtest).

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-webdav"
	gocarddav "github.com/emersion/go-webdav/carddav"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav"
	"github.com/pgdav/pgdav/carddav"
	"github.com/pgdav/pgdav/internal/dav"
	"github.com/pgdav/pgdav/internal/davtest"
)

const abBook = "/addressbooks/alice/default/"

// abSample reads a card of carddav/testdata with CRLF line ends, as
// clients send them.
func abSample(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return strings.ReplaceAll(string(b), "\n", "\r\n")
}

// abSamples are the real-world cards of carddav/testdata.
var abSamples = []string{"apple-card.vcf", "apple-group.vcf", "davx5-card.vcf", "evolution-card.vcf", "org-no-fn.vcf",
	"rfc6352-example.vcf", "thunderbird-card.vcf", "vcard4-group.vcf", "vdirsyncer-card.vcf"}

// abQuery is an addressbook-query body asking for getetag.
func abQuery(filter string, extra ...string) string {
	return `<?xml version="1.0" encoding="utf-8"?><C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">` +
		`<D:prop><D:getetag/></D:prop>` + filter + strings.Join(extra, "") + `</C:addressbook-query>`
}

// abTextFilter is a filter with one text-match on one property.
func abTextFilter(prop, attrs, text string) string {
	return `<C:filter><C:prop-filter name="` + prop + `"><C:text-match` + attrs + `>` + text + `</C:text-match></C:prop-filter></C:filter>`
}

// memberHrefs are the hrefs of the responses without a response-level
// status (the cards), sorted.
func memberHrefs(ms *davtest.Multistatus) []string {
	var out []string
	for _, r := range ms.Responses {
		if r.Status == 0 {
			out = append(out, r.Href)
		}
	}
	sort.Strings(out)
	return out
}

func abHrefs(e *davtest.Env, names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = e.Href(abBook + n)
	}
	sort.Strings(out)
	return out
}

// putSamples stores every sample card under its file name.
func putSamples(t *testing.T, e *davtest.Env) map[string]string {
	t.Helper()
	etags := map[string]string{}
	for _, name := range abSamples {
		etags[name] = e.Put(t, "alice", abBook+name, abSample(t, name), davtest.CTCard, "If-None-Match: *")
	}
	return etags
}

func TestCardDAVReportsAdvertised(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	e.Put(t, "alice", abBook+"c.vcf", davtest.Card("adv-1", "Ann"), davtest.CTCard)
	want := []xml.Name{davtest.CRName("addressbook-query"), davtest.CRName("addressbook-multiget")}
	for _, path := range []string{abBook, abBook + "c.vcf"} {
		set, _ := e.PropOf(t, "alice", path, davtest.DName("supported-report-set"))
		var got []xml.Name
		for _, sr := range set.All(davtest.DName("supported-report")) {
			for _, r := range sr.Child(davtest.DName("report")).Children {
				got = append(got, r.Name)
			}
		}
		for _, n := range want {
			if !slices.Contains(got, n) {
				t.Errorf("%s: supported-report-set %v lacks %s", path, got, davtest.NameStr(n))
			}
		}
	}
	coll, status := e.PropOf(t, "alice", abBook, davtest.CRName("supported-collation-set"))
	var names []string
	for _, c := range coll.All(davtest.CRName("supported-collation")) {
		names = append(names, c.Text)
	}
	if status != 200 || !slices.Equal(names, []string{"i;ascii-casemap", "i;octet", "i;unicode-casemap"}) {
		t.Errorf("supported-collation-set = %d %q", status, names)
	}
	data, _ := e.PropOf(t, "alice", abBook, davtest.CRName("supported-address-data"))
	if n := len(data.All(davtest.CRName("address-data-type"))); n != 2 {
		t.Errorf("supported-address-data has %d types, want 3.0 and 4.0", n)
	}
	// Not on the home: 403 supported-report.
	e.Report(t, "alice", "/addressbooks/alice/", "1", abQuery(`<C:filter/>`)).Condition(t, http.StatusForbidden, davtest.DName("supported-report"))
}

// The shapes Apple Contacts, Thunderbird and DAVx5 send round-trip byte
// for byte through PUT, GET and the clients' own multigets, and are found
// by the searches a user would type.
func TestCardDAVClientCards(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	etags := putSamples(t, e)
	for _, name := range abSamples {
		r := e.Do(t, "alice", "GET", abBook+name, "").Want(t, http.StatusOK)
		if string(r.Body) != abSample(t, name) || r.Header.Get("ETag") != etags[name] {
			t.Errorf("GET %s: not the bytes sent (ETag %s, want %s)", name, r.Header.Get("ETag"), etags[name])
		}
	}

	// Apple Contacts: multiget without content-type, Brief: t.
	apple := `<?xml version="1.0" encoding="UTF-8"?>
<B:addressbook-multiget xmlns:B="urn:ietf:params:xml:ns:carddav">
  <A:prop xmlns:A="DAV:"><A:getetag/><B:address-data/></A:prop>
  <A:href xmlns:A="DAV:">` + e.Href(abBook+"apple-card.vcf") + `</A:href>
  <A:href xmlns:A="DAV:">` + e.Href(abBook+"apple-group.vcf") + `</A:href>
</B:addressbook-multiget>`
	ms := e.Report(t, "alice", abBook, "", apple, "Brief: t", "Prefer: return=minimal").Multistatus(t)
	for _, name := range []string{"apple-card.vcf", "apple-group.vcf"} {
		r := ms.Response(t, e.Href(abBook+name))
		if got := r.Found(t, davtest.CRName("address-data")).Text; got != abSample(t, name) {
			t.Errorf("Apple multiget of %s: address-data differs from what was PUT:\n%q", name, got)
		}
		if got := r.Found(t, davtest.DName("getetag")).Text; got != etags[name] {
			t.Errorf("Apple multiget of %s: getetag %s, want %s", name, got, etags[name])
		}
	}

	// Thunderbird: every href in one multiget, Depth 1, default namespace
	// for nothing and prefixes for everything.
	var hrefs strings.Builder
	for _, name := range abSamples {
		fmt.Fprintf(&hrefs, "      <d:href>%s</d:href>\n", e.Href(abBook+name))
	}
	tb := `<?xml version="1.0" encoding="utf-8"?>
    <card:addressbook-multiget xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:cs="http://calendarserver.org/ns/" xmlns:d="DAV:">
      <d:prop><d:getetag/><card:address-data/></d:prop>
` + hrefs.String() + `    </card:addressbook-multiget>`
	ms = e.Report(t, "alice", abBook, "1", tb, "User-Agent: Mozilla/5.0 Thunderbird/128.5.2").Multistatus(t)
	if got := memberHrefs(ms); !slices.Equal(got, abHrefs(e, abSamples...)) {
		t.Fatalf("Thunderbird multiget answered %v", got)
	}
	for _, name := range abSamples {
		if got := ms.Response(t, e.Href(abBook+name)).Found(t, davtest.CRName("address-data")).Text; got != abSample(t, name) {
			t.Errorf("Thunderbird multiget of %s: address-data differs from what was PUT", name)
		}
	}

	// DAVx5: Depth 0, vCard 4 asked for. 4.0 cards come as stored, 3.0
	// cards converted.
	davx5 := `<?xml version='1.0' encoding='UTF-8' ?><CARD:addressbook-multiget xmlns="DAV:" xmlns:CARD="urn:ietf:params:xml:ns:carddav"><prop><getcontenttype /><getetag /><CARD:address-data content-type="text/vcard" version="4.0" /></prop><href>` +
		e.Href(abBook+"davx5-card.vcf") + `</href><href>` + e.Href(abBook+"apple-card.vcf") + `</href><href>` + e.Href(abBook+"apple-group.vcf") + `</href></CARD:addressbook-multiget>`
	ms = e.Report(t, "alice", abBook, "0", davx5).Multistatus(t)
	if got := ms.Response(t, e.Href(abBook+"davx5-card.vcf")).Found(t, davtest.CRName("address-data")).Text; got != abSample(t, "davx5-card.vcf") {
		t.Errorf("DAVx5 multiget of a 4.0 card: not as stored:\n%s", got)
	}
	converted := ms.Response(t, e.Href(abBook+"apple-card.vcf")).Found(t, davtest.CRName("address-data")).Text
	for _, want := range []string{"\r\nVERSION:4.0\r\n", "\r\nUID:6E1F0B77-3C1A-4F2E-9B0D-8A7C5E4D3B21\r\n", "\r\nPHOTO:data:image/jpeg;base64,/9j/",
		"\r\nEMAIL;TYPE=work;PREF=1:jane@example.com\r\n", "\r\nitem2.X-ABLabel:_$!<HomePage>!$_\r\n"} {
		if !strings.Contains(converted, want) {
			t.Errorf("Apple's 3.0 card as 4.0 lacks %q:\n%s", want, converted)
		}
	}
	group := ms.Response(t, e.Href(abBook+"apple-group.vcf")).Found(t, davtest.CRName("address-data")).Text
	if !strings.Contains(group, "\r\nKIND:group\r\n") || !strings.Contains(group, "\r\nMEMBER:urn:uuid:6E1F0B77-3C1A-4F2E-9B0D-8A7C5E4D3B21\r\n") {
		t.Errorf("Apple's group as 4.0:\n%s", group)
	}
	if ct := ms.Response(t, e.Href(abBook+"apple-card.vcf")).Found(t, davtest.DName("getcontenttype")).Text; ct != "text/vcard; charset=utf-8" {
		t.Errorf("getcontenttype = %q", ct)
	}

	// What a user types.
	for _, tc := range []struct {
		name, filter string
		want         []string
	}{
		{"name, any case", abTextFilter("FN", "", "jane"), []string{"apple-card.vcf"}},
		{"umlaut typed in lower case", abTextFilter("FN", "", "müller"), []string{"vdirsyncer-card.vcf"}},
		{"umlaut typed decomposed", abTextFilter("FN", "", "Mu\u0308ller"), []string{"vdirsyncer-card.vcf"}},
		{"ß", abTextFilter("N", ` match-type="equals"`, "WEISS"), nil},
		{"family name", abTextFilter("N", ` match-type="equals"`, "mustermann"), []string{"davx5-card.vcf", "thunderbird-card.vcf"}},
		{"nickname", abTextFilter("NICKNAME", ` match-type="equals"`, "JÜRGI"), []string{"evolution-card.vcf"}},
		{"e-mail domain", abTextFilter("EMAIL", ` match-type="ends-with"`, "@EXAMPLE.ORG"), []string{"evolution-card.vcf", "thunderbird-card.vcf", "vdirsyncer-card.vcf"}},
		{"phone digits", abTextFilter("TEL", "", "170 123"), []string{"apple-card.vcf"}},
		{"organisation prefix", abTextFilter("ORG", ` match-type="starts-with"`, "acme"), []string{"org-no-fn.vcf"}},
		{"UID", abTextFilter("UID", ` match-type="equals" collation="i;octet"`, "urn:uuid:0b2d4f6a-8c1e-4a3b-9d5f-7e6a5b4c3d2e"), []string{"davx5-card.vcf"}},
		{"octet is case-sensitive", abTextFilter("FN", ` collation="i;octet"`, "jane"), nil},
		{"ascii-casemap", abTextFilter("FN", ` collation="i;ascii-casemap"`, "JANE DOE"), []string{"apple-card.vcf"}},
		{"grouped property", abTextFilter("X-ABLabel", "", "homepage"), []string{"apple-card.vcf"}},
		{"Apple groups", abTextFilter("X-ADDRESSBOOKSERVER-KIND", ` match-type="equals"`, "group"), []string{"apple-group.vcf"}},
		{"vCard 4 groups", abTextFilter("KIND", ` match-type="equals"`, "group"), []string{"vcard4-group.vcf"}},
		{"groups with a member", abTextFilter("X-ADDRESSBOOKSERVER-MEMBER", "", "6e1f0b77"), []string{"apple-group.vcf"}},
		{"either kind of group", `<C:filter test="anyof"><C:prop-filter name="KIND"><C:text-match match-type="equals">group</C:text-match></C:prop-filter>` +
			`<C:prop-filter name="X-ADDRESSBOOKSERVER-KIND"><C:text-match match-type="equals">group</C:text-match></C:prop-filter></C:filter>`,
			[]string{"apple-group.vcf", "vcard4-group.vcf"}},
		{"allof", `<C:filter test="allof"><C:prop-filter name="FN"><C:text-match>max</C:text-match></C:prop-filter>` +
			`<C:prop-filter name="EMAIL"><C:text-match match-type="ends-with">.net</C:text-match></C:prop-filter></C:filter>`, []string{"davx5-card.vcf"}},
		{"work e-mail", `<C:filter><C:prop-filter name="EMAIL" test="allof"><C:param-filter name="TYPE"><C:text-match match-type="equals">work</C:text-match></C:param-filter>` +
			`<C:text-match>example</C:text-match></C:prop-filter></C:filter>`, []string{"apple-card.vcf", "evolution-card.vcf"}},
		{"no FN", `<C:filter><C:prop-filter name="FN"><C:is-not-defined/></C:prop-filter></C:filter>`, []string{"org-no-fn.vcf"}},
		{"negated", `<C:filter test="allof"><C:prop-filter name="EMAIL"><C:text-match negate-condition="yes">example</C:text-match></C:prop-filter></C:filter>`, nil},
		{"an empty filter matches all", `<C:filter/>`, abSamples},
	} {
		ms := e.Report(t, "alice", abBook, "1", abQuery(tc.filter)).Multistatus(t)
		if got := memberHrefs(ms); !slices.Equal(got, abHrefs(e, tc.want...)) {
			t.Errorf("%s: got %v, want %v", tc.name, got, abHrefs(e, tc.want...))
		}
		for _, r := range ms.Responses {
			if r.Status == 0 && r.PropStatus(davtest.DName("getetag")) != 200 {
				t.Errorf("%s: %s without getetag", tc.name, r.Href)
			}
		}
	}
}

func TestCardDAVQueryDepthAndErrors(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	e.Put(t, "alice", abBook+"ann.vcf", davtest.Card("d-ann", "Ann Example"), davtest.CTCard)
	e.Put(t, "alice", abBook+"bob.vcf", davtest.Card("d-bob", "Bob Example"), davtest.CTCard)
	ann := abTextFilter("FN", "", "ann")

	// Depth 0 on a card: that card, if it matches.
	if got := memberHrefs(e.Report(t, "alice", abBook+"ann.vcf", "0", abQuery(ann)).Multistatus(t)); !slices.Equal(got, abHrefs(e, "ann.vcf")) {
		t.Errorf("Depth 0 on a matching card: %v", got)
	}
	if got := e.Report(t, "alice", abBook+"bob.vcf", "0", abQuery(ann)).Multistatus(t); len(got.Responses) != 0 {
		t.Errorf("Depth 0 on a card that does not match: %v", got.Hrefs())
	}
	// On the book: Depth 1 and no Depth mean its cards; Depth 0 the
	// book, which is no card.
	for _, depth := range []string{"1", "", "infinity"} {
		if got := memberHrefs(e.Report(t, "alice", abBook, depth, abQuery(ann)).Multistatus(t)); !slices.Equal(got, abHrefs(e, "ann.vcf")) {
			t.Errorf("Depth %q on the book: %v", depth, got)
		}
	}
	if got := e.Report(t, "alice", abBook, "0", abQuery(ann)).Multistatus(t); len(got.Responses) != 0 {
		t.Errorf("Depth 0 on the book: %v", got.Hrefs())
	}

	// Refusals, before any byte of an answer.
	e.Report(t, "alice", abBook, "1", abQuery(`<C:filter><C:prop-filter name="FN">`)).Want(t, http.StatusBadRequest)
	e.Report(t, "alice", abBook, "1", abQuery(abTextFilter("FN", ` collation="i;basic"`, "a"))).
		Condition(t, http.StatusForbidden, davtest.CRName("supported-collation"))
	c := e.Report(t, "alice", abBook, "1", abQuery(`<C:filter><C:prop-filter name="BDAY"><C:time-range start="20000101T000000Z"/></C:prop-filter></C:filter>`)).
		Condition(t, http.StatusForbidden, davtest.CRName("supported-filter"))
	if pf := c.Child(davtest.CRName("prop-filter")); pf == nil {
		t.Error("supported-filter does not name the prop-filter")
	} else if v, _ := pf.Attr(xml.Name{Local: "name"}); v != "BDAY" {
		t.Errorf("supported-filter names %q", v)
	}
	e.Report(t, "alice", abBook, "1", abQuery(abTextFilter("FN", ` match-type="soundex"`, "a"))).Condition(t, http.StatusForbidden, davtest.CRName("supported-filter"))
	e.Report(t, "alice", abBook, "1", strings.Replace(abQuery(ann), `<D:getetag/>`, `<C:address-data content-type="application/vcard+json"/>`, 1)).
		Condition(t, http.StatusForbidden, davtest.CRName("supported-address-data-conversion"))
	e.Report(t, "alice", abBook, "1", strings.Replace(abQuery(ann), `<D:getetag/>`, `<C:address-data version="2.1"/>`, 1)).
		Condition(t, http.StatusForbidden, davtest.CRName("supported-address-data-conversion"))
	e.Report(t, "alice", abBook, "1", `<C:addressbook-query xmlns:C="urn:ietf:params:xml:ns:carddav"><C:filter/><C:limit><C:nresults>many</C:nresults></C:limit></C:addressbook-query>`).
		Want(t, http.StatusBadRequest)
	// Another user's book: refused as a whole.
	e2 := davtest.New(t, davtest.Config{}, "alice", "bob")
	e2.Report(t, "bob", abBook, "1", abQuery(ann)).Want(t, http.StatusForbidden)
}

func TestCardDAVQueryLimits(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	for i := range 6 {
		e.Put(t, "alice", fmt.Sprintf("%sl%d.vcf", abBook, i), davtest.Card(fmt.Sprintf("lim-%d", i), fmt.Sprintf("Limit %d", i)), davtest.CTCard)
	}
	e.Put(t, "alice", abBook+"other.vcf", davtest.Card("lim-x", "Someone Else"), davtest.CTCard)
	limit := abTextFilter("FN", "", "limit")
	for _, tc := range []struct {
		nresults  string
		n         int
		truncated bool
	}{{"2", 2, true}, {"6", 6, false}, {"10", 6, false}, {"0", 0, true}} {
		ms := e.Report(t, "alice", abBook, "1", abQuery(limit, `<C:limit><C:nresults>`+tc.nresults+`</C:nresults></C:limit>`)).Multistatus(t)
		if got := memberHrefs(ms); len(got) != tc.n {
			t.Errorf("nresults %s: %d cards %v, want %d", tc.nresults, len(got), got, tc.n)
		}
		davtest.WantTruncated(t, ms, e.Href(abBook), tc.truncated)
	}

	// The server's own cap: a handler whose carddav type returns at most 3.
	h := dav.NewHandler(dav.Config{MaxResourceSize: 1 << 20}, e.Store,
		caldav.NewType(1<<20, e.Store), carddav.NewType(1<<20, 3, e.Store))
	for _, tc := range []struct {
		extra     string
		n         int
		truncated bool
	}{{"", 3, true}, {`<C:limit><C:nresults>2</C:nresults></C:limit>`, 2, true}} {
		r := httptest.NewRequest("REPORT", abBook, strings.NewReader(abQuery(limit, tc.extra)))
		r = r.WithContext(dav.WithPrincipal(r.Context(), e.Users["alice"]))
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		resp := &davtest.Resp{Req: "REPORT (cap 3)", Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
		ms := resp.Multistatus(t)
		if got := memberHrefs(ms); len(got) != tc.n {
			t.Errorf("cap 3, %q: %d cards, want %d", tc.extra, len(got), tc.n)
		}
		davtest.WantTruncated(t, ms, abBook, tc.truncated)
	}
}

func TestCardDAVMultiget(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice", "bob")
	e.Put(t, "alice", abBook+"a%20b%40c%2Bd.vcf", davtest.Card("m-1", "Special Name"), davtest.CTCard)
	e.Put(t, "alice", abBook+"x.vcf", davtest.Card("m-2", "Plain"), davtest.CTCard)
	e.Put(t, "bob", "/addressbooks/bob/default/secret.vcf", davtest.Card("m-3", "Bob's Secret"), davtest.CTCard)
	e.Put(t, "alice", "/calendars/alice/default/e.ics", davtest.Event("m-e", "Event"), davtest.CTCal)
	special := e.Href(abBook + "a%20b@c+d.vcf") // the canonical form: @ and + stay literal

	body := func(hrefs ...string) string {
		var b strings.Builder
		b.WriteString(`<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data/></D:prop>`)
		for _, h := range hrefs {
			b.WriteString("<D:href>" + h + "</D:href>")
		}
		b.WriteString(`</C:addressbook-multiget>`)
		return b.String()
	}
	ms := e.Report(t, "alice", abBook, "1", body(
		e.Href(abBook+"a%20b%40c%2Bd.vcf"),          // fully encoded
		e.Href(abBook+"a b@c+d.vcf"),                // unencoded
		e.Href(abBook+"a%20b@c+d.vcf"),              // canonical
		e.HTTP.URL+e.Href(abBook+"x.vcf"),           // absolute URL
		e.Href("/addressbooks/alice/default/x.vcf"), // again
		e.Href(abBook+"missing.vcf"),
		e.Href(abBook+"missing.vcf"),
		e.Href("/addressbooks/bob/default/secret.vcf"),
		e.Href("/calendars/alice/default/e.ics"),
		e.Href("/addressbooks/alice/"),
		"/elsewhere/x.vcf",
	)).Multistatus(t)
	want := map[string]int{
		special:                        200,
		e.Href(abBook + "x.vcf"):       200,
		e.Href(abBook + "missing.vcf"): 404,
		e.Href("/addressbooks/bob/default/secret.vcf"): 403,
		e.Href("/calendars/alice/default/e.ics"):       404,
		e.Href("/addressbooks/alice/"):                 404,
		"/elsewhere/x.vcf":                             404,
	}
	if len(ms.Responses) != len(want) {
		t.Errorf("%d responses for %d distinct resources: %v", len(ms.Responses), len(want), ms.Hrefs())
	}
	for href, status := range want {
		r := ms.Response(t, href)
		switch {
		case status == 200 && (r.Status != 0 || r.PropStatus(davtest.CRName("address-data")) != 200):
			t.Errorf("%s: status %d, address-data %d", href, r.Status, r.PropStatus(davtest.CRName("address-data")))
		case status != 200 && (r.Status != status || len(r.Propstats) != 0):
			t.Errorf("%s: status %d with %d propstats, want %d alone", href, r.Status, len(r.Propstats), status)
		}
	}
	if strings.Contains(string(ms.Raw), "Secret") || strings.Contains(string(ms.Raw), "VEVENT") {
		t.Error("data of a resource outside the address book leaked")
	}

	// On a card: that card only.
	ms = e.Report(t, "alice", abBook+"x.vcf", "0", body(e.Href(abBook+"x.vcf"), special)).Multistatus(t)
	if ms.Response(t, e.Href(abBook+"x.vcf")).Status != 0 || ms.Response(t, special).Status != 404 {
		t.Errorf("multiget on a card:\n%s", ms.Raw)
	}
	// Without address-data, no data is read or sent.
	ms = e.Report(t, "alice", abBook, "1", strings.Replace(body(e.Href(abBook+"x.vcf")), "<C:address-data/>", "", 1)).Multistatus(t)
	if r := ms.Response(t, e.Href(abBook+"x.vcf")); r.PropStatus(davtest.DName("getetag")) != 200 || r.PropStatus(davtest.CRName("address-data")) != 0 {
		t.Errorf("getetag only:\n%s", ms.Raw)
	}
}

// Thousands of hrefs in one multiget (Thunderbird's first sync): one query,
// one streamed answer.
func TestCardDAVMultigetThousands(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	const n = 3000
	book, err := e.Store.GetCollection(t.Context(), e.Users["alice"].ID, backend.KindAddressBook, "default")
	if err != nil {
		t.Fatal(err)
	}
	typ := carddav.NewType(1<<20, 0, e.Store)
	writes := make([]backend.ObjectWrite, n)
	var b strings.Builder
	b.WriteString(`<card:addressbook-multiget xmlns:card="urn:ietf:params:xml:ns:carddav" xmlns:d="DAV:"><d:prop><d:getetag/><card:address-data/></d:prop>`)
	for i := range writes {
		data := davtest.Card(fmt.Sprintf("bulk-%04d", i), fmt.Sprintf("Bulk Card %d", i))
		meta, err := typ.ValidateObject([]byte(data), "text/vcard", &book)
		if err != nil {
			t.Fatal(err)
		}
		name := fmt.Sprintf("bulk-%04d.vcf", i)
		writes[i] = backend.ObjectWrite{Name: name, Data: []byte(data), UID: meta.UID, Component: meta.Component, ContentType: meta.ContentType, CardValues: meta.CardValues}
		fmt.Fprintf(&b, "<d:href>%s</d:href>\n", e.Href(abBook+name))
	}
	if _, err := e.Store.ImportObjects(t.Context(), book.ID, writes); err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		fmt.Fprintf(&b, "<d:href>%s</d:href>\n", e.Href(fmt.Sprintf("%sgone-%d.vcf", abBook, i)))
	}
	b.WriteString(`</card:addressbook-multiget>`)
	ms := e.Report(t, "alice", abBook, "1", b.String()).Multistatus(t)
	found, missing := 0, 0
	for _, r := range ms.Responses {
		switch {
		case r.Status == 404:
			missing++
		case r.Status == 0 && strings.Contains(r.Found(t, davtest.CRName("address-data")).Text, "UID:bulk-"):
			found++
		}
	}
	if found != n || missing != 10 {
		t.Fatalf("%d cards and %d 404s, want %d and 10", found, missing, n)
	}
	// And a search over them uses the index.
	ms = e.Report(t, "alice", abBook, "1", abQuery(abTextFilter("FN", ` match-type="equals"`, "bulk card 1234"))).Multistatus(t)
	if got := memberHrefs(ms); !slices.Equal(got, abHrefs(e, "bulk-1234.vcf")) {
		t.Errorf("search in the bulk book: %v", got)
	}
}

func TestCardDAVAddressDataInReports(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	e.Put(t, "alice", abBook+"tb.vcf", abSample(t, "thunderbird-card.vcf"), davtest.CTCard)
	q := `<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>` +
		`<C:address-data content-type="text/vcard" version="3.0"><C:prop name="EMAIL"/><C:prop name="NOTE" novalue="yes"/></C:address-data>` +
		`<D:displayname/></D:prop>` + abTextFilter("EMAIL", "", "erika") + `</C:addressbook-query>`
	answer := e.Report(t, "alice", abBook, "1", q)
	ms := answer.Multistatus(t)
	davtest.Golden(t, "addressbook-query/address-data-projection.xml", answer)
	r := ms.Response(t, e.Href(abBook+"tb.vcf"))
	got := r.Found(t, davtest.CRName("address-data")).Text
	want := "BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL;TYPE=INTERNET,PREF:erika@example.org\r\nNOTE:\r\nUID:e7c1b0a2-5d4f-4e3a-9b8c-7d6e5f4a3b2c\r\nEND:VCARD\r\n"
	if got != want {
		t.Errorf("address-data:\n%q\nwant\n%q", got, want)
	}
	if r.PropStatus(davtest.DName("displayname")) != 404 || r.PropStatus(davtest.DName("getetag")) != 200 {
		t.Errorf("other properties: %s", ms.Raw)
	}
	// The 200 propstat lists getetag before address-data, as asked.
	if ps := r.Propstats[0]; len(ps.Props) != 2 || ps.Props[0].Name != davtest.DName("getetag") || ps.Props[1].Name != davtest.CRName("address-data") {
		t.Errorf("property order:\n%s", ms.Raw)
	}
}

// Cards stored before the index existed (or imported without values) are
// found all the same, and the first query that reads them indexes them.
func TestCardDAVQueryIndexesUnindexedCards(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e := davtest.New(t, davtest.Config{}, "alice")
	book, err := e.Store.GetCollection(ctx, e.Users["alice"].ID, backend.KindAddressBook, "default")
	if err != nil {
		t.Fatal(err)
	}
	var writes []backend.ObjectWrite
	for i := range 20 {
		data := davtest.Card(fmt.Sprintf("old-%d", i), fmt.Sprintf("Old Timer %d", i))
		writes = append(writes, backend.ObjectWrite{Name: fmt.Sprintf("old-%d.vcf", i), Data: []byte(data), UID: fmt.Sprintf("old-%d", i),
			Component: "VCARD", ContentType: "text/vcard; charset=utf-8"})
	}
	if _, err := e.Store.ImportObjects(ctx, book.ID, writes); err != nil {
		t.Fatal(err)
	}
	unindexed := func() int {
		n := 0
		err := e.Store.QueryCards(ctx, backend.CardQuery{CollectionID: book.ID}, func(_ backend.Object, indexed bool) error {
			if !indexed {
				n++
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := unindexed(); n != 20 {
		t.Fatalf("%d unindexed before the query, want 20", n)
	}
	for range 2 {
		ms := e.Report(t, "alice", abBook, "1", abQuery(abTextFilter("FN", ` match-type="ends-with"`, "timer 7"))).Multistatus(t)
		if got := memberHrefs(ms); !slices.Equal(got, abHrefs(e, "old-7.vcf")) {
			t.Fatalf("query: %v", got)
		}
	}
	if n := unindexed(); n != 0 {
		t.Fatalf("%d cards still unindexed after a query read them", n)
	}
}

// PUT of vCard 3.0 and 4.0 with the validation RFC 6352 6.3.2.1 asks for,
// and Apple's and vCard 4's group cards, through the whole stack.
func TestCardDAVPutCards(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{MaxResourceSize: 4096}, "alice")
	e.Put(t, "alice", abBook+"taken.vcf", davtest.Card("p-taken", "Taken"), davtest.CTCard)
	for _, tc := range []struct {
		name, body string
		status     int
		cond       string
	}{
		{"vCard 3.0", davtest.Card("p-1", "Three"), 201, ""},
		{"vCard 4.0", davtest.CRLF("BEGIN:VCARD", "VERSION:4.0", "UID:urn:uuid:p-2", "FN:Four", "END:VCARD"), 201, ""},
		{"Apple group", abSample(t, "apple-group.vcf"), 201, ""},
		{"vCard 4 group", abSample(t, "vcard4-group.vcf"), 201, ""},
		{"no UID", davtest.CRLF("BEGIN:VCARD", "VERSION:3.0", "FN:Nobody", "END:VCARD"), 403, "valid-address-data"},
		{"UID taken", davtest.Card("p-taken", "Again"), 403, "no-uid-conflict"},
		{"too large", davtest.Card("p-big", strings.Repeat("x", 5000)), 403, "max-resource-size"},
		{"vCard 2.1", davtest.CRLF("BEGIN:VCARD", "VERSION:2.1", "N:Old;Card", "END:VCARD"), 403, "supported-address-data"},
	} {
		r := e.Do(t, "alice", "PUT", abBook+strings.ReplaceAll(tc.name, " ", "-")+".vcf", tc.body, davtest.CTCard)
		if tc.cond == "" {
			r.Want(t, tc.status)
			if got := e.Do(t, "alice", "GET", abBook+strings.ReplaceAll(tc.name, " ", "-")+".vcf", "").Body; string(got) != tc.body {
				t.Errorf("%s: GET returns other bytes", tc.name)
			}
			continue
		}
		r.Condition(t, tc.status, davtest.CRName(tc.cond))
	}
	ms := e.Report(t, "alice", abBook, "1", abQuery(`<C:filter test="anyof"><C:prop-filter name="KIND"/><C:prop-filter name="X-ADDRESSBOOKSERVER-KIND"/></C:filter>`)).Multistatus(t)
	if got := memberHrefs(ms); !slices.Equal(got, abHrefs(e, "Apple-group.vcf", "vCard-4-group.vcf")) {
		t.Errorf("groups: %v", got)
	}
}

// Dead properties of cards come back in REPORTs too; they are read per
// card, after the query's own rows, so concurrent REPORTs cannot take
// every connection of the pool and wait for one more (the test store has
// four).
func TestCardDAVReportsWithDeadProperties(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	for i := range 3 {
		path := fmt.Sprintf("%sdead-%d.vcf", abBook, i)
		e.Put(t, "alice", path, davtest.Card(fmt.Sprintf("dead-%d", i), fmt.Sprintf("Dead Prop %d", i)), davtest.CTCard)
		e.Do(t, "alice", "PROPPATCH", path, davtest.ProppatchSet(fmt.Sprintf(`<X:color xmlns:X="urn:x">c%d</X:color>`, i)), davtest.CTCard).Want(t, http.StatusMultiStatus)
	}
	prop := `<D:prop><D:getetag/><X:color xmlns:X="urn:x"/><C:address-data/></D:prop>`
	query := `<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">` + prop + abTextFilter("FN", "", "dead prop") + `</C:addressbook-query>`
	multiget := `<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">` + prop +
		`<D:href>` + e.Href(abBook+"dead-0.vcf") + `</D:href><D:href>` + e.Href(abBook+"dead-2.vcf") + `</D:href><D:href>` + e.Href(abBook+"nope.vcf") + `</D:href></C:addressbook-multiget>`
	check := func(ms *davtest.Multistatus, names ...string) {
		t.Helper()
		for _, n := range names {
			r := ms.Response(t, e.Href(abBook+n))
			want := "c" + strings.TrimSuffix(strings.TrimPrefix(n, "dead-"), ".vcf")
			if c := r.Found(t, xml.Name{Space: "urn:x", Local: "color"}); c.Text != want {
				t.Errorf("%s: color %q, want %q", n, c.Text, want)
			}
			if !strings.Contains(r.Found(t, davtest.CRName("address-data")).Text, "FN:Dead Prop") {
				t.Errorf("%s: address-data missing", n)
			}
		}
	}
	check(e.Report(t, "alice", abBook, "1", query).Multistatus(t), "dead-0.vcf", "dead-1.vcf", "dead-2.vcf")
	ms := e.Report(t, "alice", abBook, "1", multiget).Multistatus(t)
	check(ms, "dead-0.vcf", "dead-2.vcf")
	if ms.Response(t, e.Href(abBook+"nope.vcf")).Status != http.StatusNotFound {
		t.Error("missing card not 404")
	}
	ms = e.Report(t, "alice", abBook, "1", abQuery(abTextFilter("FN", "", "dead prop"), `<C:limit><C:nresults>2</C:nresults></C:limit>`)).Multistatus(t)
	if len(memberHrefs(ms)) != 2 {
		t.Errorf("limit with dead properties: %v", memberHrefs(ms))
	}

	done := make(chan struct{})
	go func() {
		defer close(done)
		var wg sync.WaitGroup
		for i := range 16 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				body := query
				if i%2 == 1 {
					body = multiget
				}
				req, _ := http.NewRequest("REPORT", e.HTTP.URL+abBook, strings.NewReader(body))
				req.SetBasicAuth("alice", davtest.Password)
				req.Header.Set("Depth", "1")
				resp, err := e.Client.Do(req)
				if err != nil {
					t.Error(err)
					return
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusMultiStatus {
					t.Errorf("concurrent REPORT: %d", resp.StatusCode)
				}
			}()
		}
		wg.Wait()
	}()
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		e.HTTP.CloseClientConnections() // cancels the stuck requests, so cleanup can end
		t.Fatal("concurrent REPORTs with dead properties did not finish: the pool is exhausted")
	}
}

// go-webdav's CardDAV client, which the integration tests drive pgdav with,
// reads both REPORTs.
func TestCardDAVGoWebDAVClient(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	putSamples(t, e)
	c, err := gocarddav.NewClient(webdav.HTTPClientWithBasicAuth(e.Client, "alice", davtest.Password), e.HTTP.URL)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	objs, err := c.QueryAddressBook(ctx, abBook, &gocarddav.AddressBookQuery{
		DataRequest: gocarddav.AddressDataRequest{Props: []string{"FN", "EMAIL"}},
		PropFilters: []gocarddav.PropFilter{{Name: "EMAIL", TextMatches: []gocarddav.TextMatch{{Text: "EXAMPLE.NET"}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(objs) != 1 || objs[0].Path != abBook+"davx5-card.vcf" || objs[0].Card.PreferredValue("FN") != "Max Mustermann" ||
		objs[0].Card.Value("TEL") != "" || objs[0].ETag == "" {
		t.Fatalf("QueryAddressBook = %+v", objs)
	}
	objs, err = c.MultiGetAddressBook(ctx, abBook, &gocarddav.AddressBookMultiGet{
		Paths: []string{abBook + "apple-card.vcf", abBook + "vcard4-group.vcf"}, DataRequest: gocarddav.AddressDataRequest{AllProp: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]string{}
	for _, o := range objs {
		kinds[o.Path] = o.Card.Value("FN")
	}
	if len(objs) != 2 || kinds[abBook+"apple-card.vcf"] != "Jane Doe" || kinds[abBook+"vcard4-group.vcf"] != "The Doe family" {
		t.Fatalf("MultiGetAddressBook = %v", kinds)
	}
}
