package carddav

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/internal/dav"
)

func TestFoldUnicode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"abc XYZ 09@.", "ABC XYZ 09@."},
		{"łukasz", "ŁUKASZ"},
		{"Müller", "MU\u0308LLER"},       // decomposed: the diacritic follows its letter
		{"Mu\u0308ller", "MU\u0308LLER"}, // the same, sent decomposed
		{"ﬁona", "FIONA"},                // compatibility ligature
		{"Ｊｏｈｎ", "JOHN"},                 // fullwidth
		{"ǆ", "DZ\u030C"},                // titlecase ǅ, then its decomposition, then titlecase again
		{"ß", "ß"},                       // no simple titlecase mapping (RFC 5051 uses UnicodeData only)
		{"Ⅻ", "XII"},
		{"ᾳ", "Α\u0399"}, // the ypogegrammeni, a combining mark, titlecases to capital iota
		{"김", "\u1100\u1175\u11B7"},
		{"", ""},
	} {
		if got := foldUnicode(tc.in); got != tc.want {
			t.Errorf("foldUnicode(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if got := foldUnicode(foldUnicode(tc.in)); got != foldUnicode(tc.in) {
			t.Errorf("foldUnicode is not idempotent on %q", tc.in)
		}
	}
	// Character by character: folding a concatenation is concatenating
	// the folds, which plan.go relies on.
	pool := append(append([]string{"a", "é", "e\u0301", "\u0301", "ǅ", "ﬁ", "ᾳ", "\u0345", "İ", "ı", "K", "Ａ"}, genGiven...), genFamily...)
	for _, a := range pool {
		for _, b := range pool {
			if foldUnicode(a+b) != foldUnicode(a)+foldUnicode(b) {
				t.Errorf("foldUnicode(%q+%q) is not the concatenation of the folds", a, b)
			}
		}
	}
}

func TestCollations(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		coll            string
		match           string
		subject, needle string
		want            bool
	}{
		{"i;unicode-casemap", "contains", "Łukasz Nowak", "łUK", true},
		{"i;unicode-casemap", "equals", "Müller", "MÜLLER", true},
		{"i;unicode-casemap", "equals", "Müller", "Mu\u0308ller", true}, // composed and decomposed are one
		{"i;unicode-casemap", "contains", "Müller", "u", true},          // ü contains u (RFC 5051 1)
		{"i;unicode-casemap", "equals", "Müller", "Muller", false},
		{"i;unicode-casemap", "starts-with", "ﬁona", "FI", true},
		{"i;unicode-casemap", "ends-with", "anna@EXAMPLE.org", "example.ORG", true},
		{"i;ascii-casemap", "equals", "anna@EXAMPLE.org", "ANNA@example.ORG", true},
		{"i;ascii-casemap", "contains", "Łukasz", "ł", false}, // only a-z fold
		{"i;ascii-casemap", "contains", "Łukasz", "Ł", true},
		{"i;octet", "contains", "Anna", "anna", false},
		{"i;octet", "starts-with", "Anna", "An", true},
		{"I;OCTET", "equals", "x", "x", true}, // collation names ignore case
	} {
		c, ok := parseCollation(tc.coll)
		m, ok2 := parseMatchType(tc.match)
		if !ok || !ok2 {
			t.Fatalf("%s %s: not parsed", tc.coll, tc.match)
		}
		if got := m.matches(c.prepare(tc.subject), c.prepare(tc.needle)); got != tc.want {
			t.Errorf("%s %s(%q, %q) = %v, want %v", tc.coll, tc.match, tc.subject, tc.needle, got, tc.want)
		}
	}
}

// query wraps a filter in an addressbook-query body.
func query(filter string) string {
	return `<?xml version="1.0" encoding="utf-8"?><C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">` +
		`<D:prop><D:getetag/><C:address-data/></D:prop>` + filter + `</C:addressbook-query>`
}

func TestParseQueryErrors(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name   string
		body   string
		status int
		cond   string // "" for none
		inBody string // in the condition's body
	}{
		{"malformed", query(`<C:filter><C:prop-filter name="FN">`), 400, "", ""},
		{"prop-filter without name", query(`<C:filter><C:prop-filter/></C:filter>`), 400, "", ""},
		{"two filters", query(`<C:filter/><C:filter/>`), 400, "", ""},
		{"is-not-defined with a test", query(`<C:filter><C:prop-filter name="FN"><C:is-not-defined/><C:text-match>a</C:text-match></C:prop-filter></C:filter>`), 400, "", ""},
		{"bad nresults", query(`<C:filter/><C:limit><C:nresults>-1</C:nresults></C:limit>`), 400, "", ""},
		{"limit without nresults", query(`<C:filter/><C:limit/>`), 400, "", ""},
		{"element in text-match", query(`<C:filter><C:prop-filter name="FN"><C:text-match><x/></C:text-match></C:prop-filter></C:filter>`), 400, "", ""},
		{"unknown element with a local name that cannot start a name", query(`<C:filter/><X:0 xmlns:X="urn:x"/>`), 400, "", ""},
		{"unknown element with a prefix bound to the empty name", query(`<C:filter/><X:a xmlns:X="urn:x" xmlns:p=""/>`), 400, "", ""},
		{"prop and allprop", strings.Replace(query(`<C:filter/>`), `<D:prop>`, `<D:allprop/><D:prop>`, 1), 400, "", ""},
		{"unknown collation", query(`<C:filter><C:prop-filter name="FN"><C:text-match collation="i;basic">a</C:text-match></C:prop-filter></C:filter>`), 403, "supported-collation", ""},
		{"unknown match-type", query(`<C:filter><C:prop-filter name="FN"><C:text-match match-type="regex">a</C:text-match></C:prop-filter></C:filter>`), 403, "supported-filter", `name="FN"`},
		{"CalDAV time-range", query(`<C:filter><C:prop-filter name="BDAY"><C:time-range start="20000101T000000Z"/></C:prop-filter></C:filter>`), 403, "supported-filter", `name="BDAY"`},
		{"comp-filter", query(`<C:filter><X:comp-filter xmlns:X="urn:ietf:params:xml:ns:caldav" name="VCARD"/></C:filter>`), 403, "supported-filter", ""},
		{"not a property name", query(`<C:filter><C:prop-filter name="F N"/></C:filter>`), 403, "supported-filter", `name="F N"`},
		{"not a parameter name", query(`<C:filter><C:prop-filter name="EMAIL"><C:param-filter name="a=b"/></C:prop-filter></C:filter>`), 403, "supported-filter", `<CR:param-filter name="a=b"/>`},
		{"bad test", query(`<C:filter test="some"/>`), 403, "supported-filter", ""},
		{"bad negate-condition", query(`<C:filter><C:prop-filter name="FN"><C:text-match negate-condition="maybe">a</C:text-match></C:prop-filter></C:filter>`), 403, "supported-filter", ""},
		{"JSON address-data", strings.Replace(query(`<C:filter/>`), `<C:address-data/>`, `<C:address-data content-type="application/vcard+json"/>`, 1), 403, "supported-address-data-conversion", ""},
		{"vCard 2.1", strings.Replace(query(`<C:filter/>`), `<C:address-data/>`, `<C:address-data version="2.1"/>`, 1), 403, "supported-address-data-conversion", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseQuery([]byte(tc.body))
			var de *dav.Error
			if !errors.As(err, &de) {
				t.Fatalf("err = %v, want a *dav.Error", err)
			}
			if de.Status != tc.status || de.Condition.Local != tc.cond {
				t.Fatalf("got %d %q (%s), want %d %q", de.Status, de.Condition.Local, de.Message, tc.status, tc.cond)
			}
			if !strings.Contains(de.ConditionBody, tc.inBody) {
				t.Errorf("condition body %q lacks %q", de.ConditionBody, tc.inBody)
			}
		})
	}
}

func TestParseQuery(t *testing.T) {
	t.Parallel()
	// Default namespace (DAVx5, Thunderbird), limits, address-data with a
	// selection; unknown elements outside the filter are ignored.
	body := `<addressbook-query xmlns="urn:ietf:params:xml:ns:carddav" xmlns:d="DAV:">
	  <d:prop><d:getetag/><address-data content-type="text/vcard" version="4.0"><prop name="EMAIL" novalue="yes"/><prop name="item1.TEL"/></address-data><d:getetag/></d:prop>
	  <x:unknown xmlns:x="urn:x"/>
	  <filter test="allof"><prop-filter name="email" test="allof"><param-filter name="type"><text-match match-type="equals">work</text-match></param-filter>
	    <text-match collation="i;octet" negate-condition="yes" match-type="ends-with">.org</text-match></prop-filter></filter>
	  <limit><nresults> 7 </nresults></limit></addressbook-query>`
	q, err := parseQuery([]byte(body))
	if err != nil {
		t.Fatal(err)
	}
	if q.limit != 7 || !q.filter.allOf || len(q.filter.props) != 1 {
		t.Fatalf("parsed %+v", q)
	}
	pf := q.filter.props[0]
	if pf.name != "EMAIL" || !pf.allOf || len(pf.params) != 1 || pf.params[0].name != "TYPE" || pf.params[0].text.text != "work" ||
		len(pf.texts) != 1 || !pf.texts[0].negate || pf.texts[0].match != matchEndsWith || pf.texts[0].collation != octet {
		t.Fatalf("prop-filter %+v", pf)
	}
	ad := q.props.addressData
	if ad == nil || ad.version != "4.0" || len(ad.props) != 2 || !ad.props[0].noValue || ad.props[1] != (propSelector{name: "TEL", group: "ITEM1"}) {
		t.Fatalf("address-data %+v", ad)
	}
	if len(q.props.order) != 2 || q.props.pf == nil || len(q.props.pf.Props) != 1 {
		t.Fatalf("props %+v", q.props)
	}
	// No filter at all: every card.
	q, err = parseQuery([]byte(`<C:addressbook-query xmlns:C="urn:ietf:params:xml:ns:carddav"/>`))
	if err != nil || len(q.filter.props) != 0 || q.limit != -1 || q.props.pf != nil {
		t.Fatalf("empty query: %+v, %v", q, err)
	}
}

// The matching rules of RFC 6352 10.5, on one card.
func TestFilterMatches(t *testing.T) {
	t.Parallel()
	card := parseVCard([]byte(strings.Join([]string{
		"BEGIN:VCARD", "VERSION:3.0", "UID:m-1", "FN:Jürgen Weiß", "N:Weiß;Jürgen;;;",
		"EMAIL;TYPE=INTERNET,WORK:juergen@work.example", "item1.EMAIL;type=HOME:jw@home.example", "item1.X-ABLabel:private",
		"TEL;CELL:+49 171 1", "NICKNAME:Jürgi,JW", "ORG:Example Corp\\; Sons;Research", "NOTE:line\\none", "END:VCARD", ""}, "\r\n")))
	for _, tc := range []struct {
		filter string
		want   bool
	}{
		{`<C:filter/>`, true},
		{`<C:filter><C:prop-filter name="FN"/></C:filter>`, true},
		{`<C:filter><C:prop-filter name="PHOTO"/></C:filter>`, false},
		{`<C:filter><C:prop-filter name="PHOTO"><C:is-not-defined/></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="FN"><C:is-not-defined/></C:prop-filter></C:filter>`, false},
		{`<C:filter><C:prop-filter name="FN"><C:text-match>JÜRGEN</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="fn"><C:text-match match-type="equals">jürgen weiss</C:text-match></C:prop-filter></C:filter>`, false}, // ß is not SS
		{`<C:filter><C:prop-filter name="N"><C:text-match match-type="equals">weiß</C:text-match></C:prop-filter></C:filter>`, true},           // a component
		{`<C:filter><C:prop-filter name="N"><C:text-match match-type="equals">Weiß;Jürgen;;;</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="ORG"><C:text-match match-type="equals">Example Corp; Sons</C:text-match></C:prop-filter></C:filter>`, true}, // escaped ;
		{`<C:filter><C:prop-filter name="NICKNAME"><C:text-match match-type="equals">jw</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="NOTE"><C:text-match>line&#10;one</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="FN"><C:text-match negate-condition="yes">Jürgen</C:text-match></C:prop-filter></C:filter>`, false},
		{`<C:filter><C:prop-filter name="PHOTO"><C:text-match negate-condition="yes">x</C:text-match></C:prop-filter></C:filter>`, false}, // no instance
		// Grouped properties and groups.
		{`<C:filter><C:prop-filter name="EMAIL"><C:text-match match-type="starts-with">JW@</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="item1.EMAIL"><C:text-match>work</C:text-match></C:prop-filter></C:filter>`, false},
		{`<C:filter><C:prop-filter name="ITEM1.email"><C:text-match>home</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="item2.EMAIL"><C:is-not-defined/></C:prop-filter></C:filter>`, true},
		// Per instance: one address both work and .example.
		{`<C:filter><C:prop-filter name="EMAIL" test="allof"><C:param-filter name="TYPE"><C:text-match match-type="equals">work</C:text-match></C:param-filter><C:text-match>juergen</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="EMAIL" test="allof"><C:param-filter name="TYPE"><C:text-match match-type="equals">home</C:text-match></C:param-filter><C:text-match>juergen</C:text-match></C:prop-filter></C:filter>`, false},
		{`<C:filter><C:prop-filter name="EMAIL" test="anyof"><C:param-filter name="TYPE"><C:text-match match-type="equals">home</C:text-match></C:param-filter><C:text-match>juergen</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="TEL"><C:param-filter name="TYPE"><C:text-match>cell</C:text-match></C:param-filter></C:prop-filter></C:filter>`, true}, // bare token
		{`<C:filter><C:prop-filter name="TEL"><C:param-filter name="PREF"><C:is-not-defined/></C:param-filter></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="TEL"><C:param-filter name="PREF"><C:text-match negate-condition="yes">1</C:text-match></C:param-filter></C:prop-filter></C:filter>`, false},
		{`<C:filter><C:prop-filter name="EMAIL"><C:param-filter name="TYPE"/></C:prop-filter></C:filter>`, true},
		// anyof / allof between prop-filters.
		{`<C:filter test="anyof"><C:prop-filter name="PHOTO"/><C:prop-filter name="FN"/></C:filter>`, true},
		{`<C:filter test="allof"><C:prop-filter name="PHOTO"/><C:prop-filter name="FN"/></C:filter>`, false},
		{`<C:filter test="allof"><C:prop-filter name="TEL"/><C:prop-filter name="FN"/></C:filter>`, true},
		// Collations.
		{`<C:filter><C:prop-filter name="FN"><C:text-match collation="i;octet">jürgen</C:text-match></C:prop-filter></C:filter>`, false},
		{`<C:filter><C:prop-filter name="FN"><C:text-match collation="i;ascii-casemap">JüRGEN</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="FN"><C:text-match collation="i;ascii-casemap">JÜRGEN</C:text-match></C:prop-filter></C:filter>`, false},
		// allof inside a prop-filter holds on one instance: each address
		// passes one test, none both (the index sees both values).
		{`<C:filter><C:prop-filter name="EMAIL" test="allof"><C:text-match>juergen</C:text-match><C:text-match>home</C:text-match></C:prop-filter></C:filter>`, false},
		{`<C:filter><C:prop-filter name="EMAIL" test="anyof"><C:text-match>nobody</C:text-match><C:text-match>home</C:text-match></C:prop-filter></C:filter>`, true},
		{`<C:filter><C:prop-filter name="item2.EMAIL"/></C:filter>`, false},
	} {
		q, err := parseQuery([]byte(query(tc.filter)))
		if err != nil {
			t.Fatalf("%s: %v", tc.filter, err)
		}
		if got := q.filter.matches(card); got != tc.want {
			t.Errorf("%s: %v, want %v", tc.filter, got, tc.want)
		}
		// And the pre-filter keeps every match.
		p, exact := plan(&q.filter)
		pre := evalCond(p, cardValues(card))
		if tc.want && !pre {
			t.Errorf("%s: the pre-filter drops the card", tc.filter)
		}
		// A plan said to be exact answers alone.
		if exact && pre != tc.want {
			t.Errorf("%s: the plan is said to be exact, but keeps the card: %v", tc.filter, pre)
		}
	}
}

func TestParseMultiget(t *testing.T) {
	t.Parallel()
	m, err := parseMultiget([]byte(`<?xml version='1.0' encoding='UTF-8' ?><CARD:addressbook-multiget xmlns="DAV:" xmlns:CARD="urn:ietf:params:xml:ns:carddav"><prop><getcontenttype /><getetag /><CARD:address-data content-type="text/vcard" version="4.0" /></prop><href> /a.vcf
	</href><href>/b%20c.vcf</href></CARD:addressbook-multiget>`))
	if err != nil {
		t.Fatal(err)
	}
	if len(m.hrefs) != 2 || m.hrefs[0] != "/a.vcf" || m.props.addressData.version != "4.0" || len(m.props.pf.Props) != 2 || m.props.order[2].Local != "address-data" {
		t.Fatalf("parsed %+v", m)
	}
	if _, err := parseMultiget([]byte(`<C:addressbook-multiget xmlns:C="urn:ietf:params:xml:ns:carddav"><D:href xmlns:D="DAV:">/x`)); err == nil {
		t.Fatal("truncated body accepted")
	} else if de := dav.AsError(err); de.Status != http.StatusBadRequest {
		t.Fatalf("truncated body: %v", err)
	}
}
