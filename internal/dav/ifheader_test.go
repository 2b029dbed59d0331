package dav

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

func TestParseIf(t *testing.T) {
	t.Parallel()
	etag := func(not bool, e string) IfCondition { return IfCondition{Not: not, ETag: e} }
	token := func(not bool, s string) IfCondition { return IfCondition{Not: not, StateToken: s} }
	for _, tc := range []struct {
		in   string
		want []IfList // nil: a 400
	}{
		// RFC 4918 10.4.6 to 10.4.10.
		{`(<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2> ["I am an ETag"]) (["I am another ETag"])`, []IfList{
			{Conditions: []IfCondition{token(false, "urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2"), etag(false, "I am an ETag")}},
			{Conditions: []IfCondition{etag(false, "I am another ETag")}},
		}},
		{`(Not <urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2> <urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092>)`, []IfList{
			{Conditions: []IfCondition{token(true, "urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2"), token(false, "urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092")}},
		}},
		{`(<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2>) (Not <DAV:no-lock>)`, []IfList{
			{Conditions: []IfCondition{token(false, "urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2")}},
			{Conditions: []IfCondition{token(true, "DAV:no-lock")}},
		}},
		{`</resource1> (<urn:uuid:181d4fae> [W/"A weak ETag"]) (["strong ETag"])`, []IfList{
			{Resource: "/resource1", Conditions: []IfCondition{token(false, "urn:uuid:181d4fae"), etag(false, "A weak ETag")}},
			{Resource: "/resource1", Conditions: []IfCondition{etag(false, "strong ETag")}},
		}},
		{`<http://www.example.com/specs/> (<urn:uuid:181d4fae>) <http://x/y.ics> (["e"])`, []IfList{
			{Resource: "http://www.example.com/specs/", Conditions: []IfCondition{token(false, "urn:uuid:181d4fae")}},
			{Resource: "http://x/y.ics", Conditions: []IfCondition{etag(false, "e")}},
		}},
		{`(["a]b>c" ])`, []IfList{{Conditions: []IfCondition{etag(false, "a]b>c")}}}},
		{"\t( not[abc] NOT<t:1>)  ", []IfList{{Conditions: []IfCondition{etag(true, "abc"), token(true, "t:1")}}}},
		{`(["x"]) <a> (["y"])`, []IfList{{Conditions: []IfCondition{etag(false, "x")}}, {Resource: "a", Conditions: []IfCondition{etag(false, "y")}}}},
		{`([""])`, []IfList{{Conditions: []IfCondition{etag(false, "")}}}},

		{`(`, nil}, {`()`, nil}, {`<a>`, nil}, {`<a> <b> (["x"])`, nil}, {`(["x"]) <a>`, nil},
		{`(["x")`, nil}, {`([x`, nil}, {`(<x)`, nil}, {`(<>)`, nil}, {`<> (["x"])`, nil}, {`(Not)`, nil},
		{`(x)`, nil}, {`["x"]`, nil}, {`(["x"] junk)`, nil}, {`([a b])`, nil}, {`([])`, nil}, {`(Nope <a>)`, nil},
	} {
		ih, err := ParseIf(tc.in)
		if tc.want == nil {
			var de *Error
			if !errors.As(err, &de) || de.Status != 400 {
				t.Errorf("ParseIf(%q) = %v, %v; want a 400", tc.in, ih, err)
			}
			continue
		}
		if err != nil || ih == nil || !reflect.DeepEqual(ih.Lists, tc.want) {
			t.Errorf("ParseIf(%q) = %+v, %v; want %+v", tc.in, ih, err, tc.want)
		}
	}
	for _, blank := range []string{"", "  \t"} {
		if ih, err := ParseIf(blank); ih != nil || err != nil {
			t.Errorf("ParseIf(%q) = %v, %v; want nothing", blank, ih, err)
		}
	}
	if _, err := ParseIf("(" + strings.Repeat("<a:b> ", maxIfConditions+1) + ")"); err == nil {
		t.Error("no bound on conditions")
	}
}

func TestIfListHolds(t *testing.T) {
	t.Parallel()
	obj := backend.State{Exists: true, ETag: "e1"}
	coll := backend.State{Exists: true}
	for _, tc := range []struct {
		header string
		state  backend.State
		want   bool
	}{
		{`(["e1"])`, obj, true},
		{`([W/"e1"])`, obj, true}, // weak comparison (RFC 4918 10.4.4)
		{`(["e2"])`, obj, false},
		{`(Not ["e2"])`, obj, true},
		{`(Not ["e1"])`, obj, false},
		{`(["e1"])`, coll, false}, // a collection has no entity tag
		{`(Not ["e1"])`, coll, true},
		{`([""])`, coll, false},
		{`(["e1"])`, backend.State{}, false}, // unmapped: no state at all
		{`(Not ["e1"])`, backend.State{}, true},
		{`(<urn:uuid:1>)`, obj, false}, // no locks: no token matches
		{`(<DAV:no-lock>)`, obj, false},
		{`(Not <urn:uuid:1>)`, obj, true},
		{`(Not <DAV:no-lock>)`, backend.State{}, true},
		{`(["e1"] <urn:uuid:1>)`, obj, false}, // a conjunction
		{`(["e1"] Not <urn:uuid:1>)`, obj, true},
	} {
		ih, err := ParseIf(tc.header)
		if err != nil {
			t.Fatal(err)
		}
		if got := ih.Lists[0].Holds(tc.state); got != tc.want {
			t.Errorf("%s on %+v = %v, want %v", tc.header, tc.state, got, tc.want)
		}
	}
}

func FuzzParseIf(f *testing.F) {
	for _, s := range []string{
		`(<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2> ["I am an ETag"]) (["I am another ETag"])`,
		`(Not <urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2> <urn:uuid:58f202ac-22cf-11d1-b12d-002035b29092>)`,
		`</resource1> (<urn:uuid:181d4fae> [W/"A weak ETag"]) (["strong ETag"])`,
		`<http://www.example.com/specs/> (<urn:uuid:181d4fae>) (Not <DAV:no-lock>)`,
		`(["a]b>c" ]) ( not[abc] NOT<t:1>)`, `(`, `<a>`, `([`, `(Not`, "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		ih, err := ParseIf(v)
		if err != nil {
			var de *Error
			if !errors.As(err, &de) || de.Status != 400 {
				t.Fatalf("error %v is not a 400 *Error", err)
			}
			return
		}
		if ih == nil {
			if strings.TrimSpace(v) != "" {
				t.Fatalf("%q parsed as no header", v)
			}
			return
		}
		n := 0
		for _, l := range ih.Lists {
			if len(l.Conditions) == 0 {
				t.Fatalf("%q: an empty list", v)
			}
			n += len(l.Conditions)
			l.Holds(backend.State{Exists: true, ETag: "x"})
		}
		if n > maxIfConditions {
			t.Fatalf("%q: %d conditions", v, n)
		}
		// The canonical form reads back as the same header.
		again, err := ParseIf(ih.String())
		if err != nil || !reflect.DeepEqual(again, ih) {
			t.Fatalf("%q -> %q -> %+v, %v; want %+v", v, ih.String(), again, err, ih)
		}
	})
}
