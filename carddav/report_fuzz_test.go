package carddav

import (
	"bytes"
	"errors"
	"testing"

	"github.com/pgdav/pgdav/internal/dav"
)

// FuzzParseReport feeds REPORT bodies to the parsers (docs/architecture.md
// "Fuzzing the trust boundary"): no panic, every refusal a *dav.Error, and
// an accepted filter can be planned and evaluated.
func FuzzParseReport(f *testing.F) {
	f.Add([]byte(query(`<C:filter test="allof"><C:prop-filter name="EMAIL" test="allof"><C:param-filter name="TYPE"><C:text-match match-type="equals">work</C:text-match></C:param-filter><C:text-match collation="i;octet" negate-condition="yes">x</C:text-match></C:prop-filter></C:filter><C:limit><C:nresults>3</C:nresults></C:limit>`)))
	f.Add([]byte(query(`<C:filter><C:prop-filter name="FN"><C:is-not-defined/></C:prop-filter></C:filter>`)))
	f.Add([]byte(`<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><C:address-data version="4.0"><C:prop name="EMAIL" novalue="yes"/></C:address-data></D:prop><D:href>/a</D:href></C:addressbook-multiget>`))
	f.Add([]byte(`<x/>`))
	card := parseVCard(crlf(sample(f, "apple-card.vcf")))
	f.Fuzz(func(t *testing.T, body []byte) {
		var de *dav.Error
		q, err := parseQuery(body)
		if err != nil && !errors.As(err, &de) {
			t.Fatalf("parseQuery: %T %v", err, err)
		}
		if err == nil {
			match := q.filter.matches(card)
			cond, exact := plan(&q.filter)
			pre := evalCond(cond, cardValues(card))
			if match && !pre {
				t.Fatal("the pre-filter drops a match")
			}
			if exact && pre != match {
				t.Fatal("a plan said to be exact keeps a card the matcher refuses")
			}
		}
		if _, err := parseMultiget(body); err != nil && !errors.As(err, &de) {
			t.Fatalf("parseMultiget: %T %v", err, err)
		}
	})
}

// FuzzCardReading feeds card data to the reading the REPORTs do: parsing,
// index extraction, selection and conversion must not panic, and a
// conversion must be readable again with the same UID.
func FuzzCardReading(f *testing.F) {
	for _, name := range []string{"apple-card.vcf", "apple-group.vcf", "davx5-card.vcf", "thunderbird-card.vcf", "vcard4-group.vcf", "evolution-card.vcf"} {
		f.Add(crlf(sample(f, name)))
	}
	f.Add([]byte("BEGIN:VCARD\r\nVERSION:3.0\r\nUID:x\r\nBDAY;X-APPLE-OMIT-YEAR=1604:1604-04-12\r\nPHOTO;ENCODING=b;TYPE=:\r\nX-A;B=\"\":\r\nEND:VCARD\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		c := parseVCard(data)
		_ = cardValues(c)
		uid := ""
		for _, l := range c.lines {
			if l.name == "UID" && uid == "" {
				uid = l.value
			}
		}
		for _, v := range []string{"3.0", "4.0"} {
			out := renderAddressData(&addressDataRequest{version: v, props: []propSelector{{name: "FN"}, {name: "EMAIL", noValue: true}}}, data, nil)
			back := parseVCard([]byte(out))
			got := ""
			for _, l := range back.lines {
				if l.name == "UID" && got == "" {
					got = l.value
				}
			}
			if c.version != v && uid != "" && !bytes.Contains(data, []byte{0}) && got != uid {
				t.Fatalf("UID %q became %q in %s:\n%s", uid, got, v, out)
			}
		}
	})
}
