package dav

import (
	"encoding/xml"
	"errors"
	"net/http"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// addFixtureSeeds adds the bodies of the client fixtures and some
// hand-written edge cases to a fuzz corpus.
func addFixtureSeeds(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "fixtures", "*.http"))
	for _, file := range files {
		f.Add(fixtureBody(f, filepath.Base(file)))
	}
	for _, s := range []string{
		"",
		`<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`,
		`<propertyupdate xmlns="DAV:"><set><prop><x xmlns="" a="1"><y xmlns="urn:y" xml:lang="en">t&#13;</y></x></prop></set><remove><prop><z/></prop></remove></propertyupdate>`,
		`<D:mkcol xmlns:D="DAV:"><D:set><D:prop><D:resourcetype><D:collection/></D:resourcetype></D:prop></D:set></D:mkcol>`,
		`<a:propertyupdate xmlns:a="DAV:"><a:set><a:prop><b:p xmlns:b="urn:b" xmlns:c="urn:c" c:x="1" b:x="2"/></a:prop></a:set></a:propertyupdate>`,
		`<propertyupdate xmlns="DAV:"><set><prop><u:p>x</u:p></prop></set></propertyupdate>`,
	} {
		f.Add(s)
	}
}

func FuzzParsePropfind(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, body string) {
		pf, err := ParsePropfind(strings.NewReader(body))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			return
		}
		// Every requested name can be echoed in a 404 propstat.
		if len(pf.Props) > 0 {
			var b strings.Builder
			props := make([]Prop, len(pf.Props))
			for i, n := range pf.Props {
				props[i] = Prop{Name: n, Status: 404}
			}
			b.WriteString(`<D:prop xmlns:D="DAV:" xmlns:C="` + NSCalDAV + `" xmlns:CR="` + NSCardDAV + `" xmlns:CS="` + NSCalendarServer + `" xmlns:ICAL="` + NSAppleICal + `">`)
			for i := range props {
				writeProp(&b, &props[i])
			}
			b.WriteString(`</D:prop>`)
			var got struct {
				Any []struct{ XMLName xml.Name } `xml:",any"`
			}
			if err := xml.Unmarshal([]byte(b.String()), &got); err != nil {
				t.Fatalf("names %v do not write back: %v\n%s", pf.Props, err, b.String())
			}
			for i, a := range got.Any {
				if a.XMLName != pf.Props[i] {
					t.Fatalf("name %v came back as %v", pf.Props[i], a.XMLName)
				}
			}
		}
	})
}

func FuzzParseProppatch(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, body string) {
		ops, err := ParseProppatch(strings.NewReader(body))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			return
		}
		for _, op := range ops {
			if op.Remove {
				continue
			}
			checkRaw(t, op.Prop)
		}
	})
}

func FuzzParseMkcol(f *testing.F) {
	addFixtureSeeds(f)
	f.Fuzz(func(t *testing.T, body string) {
		_, props, err := ParseMkcol(strings.NewReader(body))
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			return
		}
		for _, p := range props {
			if len(p.Children) != len(p.ChildAttrs) {
				t.Fatalf("%d children, %d attribute lists", len(p.Children), len(p.ChildAttrs))
			}
			checkRaw(t, p)
		}
	})
}

// FuzzDecoder checks the bounded decoder against encoding/xml's own: on
// any body it yields the same tokens until it refuses, refuses only with
// an *Error of 400 or 413 and only for a body past one of its bounds, and
// never lets such a body through.
func FuzzDecoder(f *testing.F) {
	addFixtureSeeds(f)
	for _, s := range []string{
		strings.Repeat("<a>", MaxXMLDepth+1),
		strings.Repeat("<a>", MaxXMLDepth) + strings.Repeat("</a>", MaxXMLDepth),
		"<a" + strings.Repeat(` b=""`, MaxXMLAttrs+1) + "/>",
		`<a xmlns="urn:x"><b:c xmlns:b="urn:b" xml:lang="en">t</b:c></a>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, body string) {
		got := NewDecoder(strings.NewReader(body))
		want := xml.NewDecoder(strings.NewReader(body))
		want.CharsetReader = charsetReader
		depth, elements := 0, 0
		for range 1 << 20 {
			wt, werr := want.Token()
			gt, gerr := got.Token()
			if st, ok := wt.(xml.StartElement); ok {
				depth++
				elements++
				if depth > MaxXMLDepth || elements > MaxXMLElements || len(st.Attr) > MaxXMLAttrs {
					var de *Error
					if !errors.As(gerr, &de) || (de.Status != http.StatusBadRequest && de.Status != http.StatusRequestEntityTooLarge) {
						t.Fatalf("past a bound (depth %d, %d elements, %d attributes): %v, %v", depth, elements, len(st.Attr), gt, gerr)
					}
					return
				}
			}
			if _, ok := wt.(xml.EndElement); ok {
				depth--
			}
			if (werr == nil) != (gerr == nil) {
				t.Fatalf("encoding/xml: %v, %v; bounded: %v, %v", wt, werr, gt, gerr)
			}
			if werr != nil {
				return
			}
			if !reflect.DeepEqual(xml.CopyToken(wt), xml.CopyToken(gt)) {
				t.Fatalf("token %#v, want %#v", gt, wt)
			}
		}
	})
}
