package dav

import (
	"encoding/xml"
	"errors"
	"net/http"
	"reflect"
	"strings"
	"testing"
)

// openBody opens body and returns the decoder after its root's start tag.
func openBody(t *testing.T, body string) (*xml.Decoder, xml.StartElement) {
	t.Helper()
	d := NewDecoder(strings.NewReader(body))
	root, ok, err := ReadRoot(d)
	if err != nil || !ok {
		t.Fatalf("ReadRoot(%q): %v, %v", body, ok, err)
	}
	return d, root
}

// wantKitStatus checks that err is an *Error with status (0: no error).
func wantKitStatus(t *testing.T, what string, err error, status int) {
	t.Helper()
	var de *Error
	switch {
	case status == 0 && err != nil:
		t.Errorf("%s: %v", what, err)
	case status != 0 && (!errors.As(err, &de) || de.Status != status):
		t.Errorf("%s: error %v, want status %d", what, err, status)
	}
}

func TestReadChildren(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       []string // local names of the children, in order
		text       string   // ReadMixed's text
		status     int
	}{
		{"children in order, text between them ignored", `<r xmlns="DAV:">a<x/> b <y><z/></y>c</r>`, []string{"x", "y"}, "a b c", 0},
		{"no children", `<r>only text</r>`, nil, "only text", 0},
		{"prefixed and default namespaces", `<D:r xmlns:D="DAV:" xmlns="urn:x"><D:x/><y/></D:r>`, []string{"x", "y"}, "", 0},
		{"a name that is not namespace-well-formed", `<r><a:0 xmlns:a="urn:a"/></r>`, nil, "", http.StatusBadRequest},
		{"a prefix bound to the empty name", `<r><x xmlns:p=""/></r>`, nil, "", http.StatusBadRequest},
		{"a body that ends early", `<r><x/>`, nil, "", http.StatusBadRequest},
		{"mismatched end tag", `<r><x></y></r>`, nil, "", http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, mixed := range []bool{false, true} {
				d, _ := openBody(t, tc.body)
				var got []string
				fn := func(e xml.StartElement) error {
					got = append(got, e.Name.Local)
					return Skip(d)
				}
				var text string
				var err error
				if mixed {
					text, err = ReadMixed(d, fn)
				} else {
					err = ReadChildren(d, fn)
				}
				wantKitStatus(t, tc.name, err, tc.status)
				if tc.status != 0 {
					continue
				}
				if !reflect.DeepEqual(got, tc.want) {
					t.Errorf("children %q, want %q", got, tc.want)
				}
				if mixed && text != tc.text {
					t.Errorf("text %q, want %q", text, tc.text)
				}
				if err := EndDocument(d); err != nil {
					t.Errorf("the root was not read through its end tag: %v", err)
				}
			}
		})
	}
}

func TestReadChildrenStopsAtError(t *testing.T) {
	t.Parallel()
	d, _ := openBody(t, `<r><x/><y/><z/></r>`)
	calls := 0
	stop := Errorf(http.StatusForbidden, "stop")
	err := ReadChildren(d, func(e xml.StartElement) error {
		calls++
		if e.Name.Local == "y" {
			return stop
		}
		return Skip(d)
	})
	if err != stop || calls != 2 {
		t.Errorf("%d calls, error %v; want 2 calls and fn's error", calls, err)
	}
}

func TestReadText(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body, want string
		status           int
	}{
		{"text", `<r> /a/b.ics </r>`, " /a/b.ics ", 0},
		{"entities and CDATA", `<r>a&amp;b<![CDATA[<c>]]></r>`, "a&b<c>", 0},
		{"comment inside", `<r>a<!-- x -->b</r>`, "ab", 0},
		{"empty", `<r/>`, "", 0},
		{"an element inside", `<r>a<b/></r>`, "", http.StatusBadRequest},
	} {
		d, root := openBody(t, tc.body)
		got, err := ReadText(d, root)
		wantKitStatus(t, tc.name, err, tc.status)
		if err == nil && got != tc.want {
			t.Errorf("%s: %q, want %q", tc.name, got, tc.want)
		}
	}
}

func TestReadNames(t *testing.T) {
	t.Parallel()
	d, _ := openBody(t, `<D:prop xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:getetag/><C:calendar-data><C:comp name="VCALENDAR"/></C:calendar-data><D:getetag/></D:prop>`)
	got, err := ReadNames(d)
	want := []xml.Name{DAVName("getetag"), CalDAVName("calendar-data")}
	if err != nil || !reflect.DeepEqual(got, want) {
		t.Errorf("ReadNames: %v, %v; want %v", got, err, want)
	}
}

func TestAttr(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		value      string
		ok         bool
	}{
		{"unqualified", `<C:x xmlns:C="urn:ietf:params:xml:ns:caldav" name="VEVENT"/>`, "VEVENT", true},
		{"in the element's namespace", `<C:x xmlns:C="urn:ietf:params:xml:ns:caldav" C:name="VEVENT"/>`, "VEVENT", true},
		{"in another namespace", `<C:x xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:o="urn:o" o:name="VEVENT"/>`, "", false},
		{"a namespace declaration is no attribute", `<x xmlns:name="urn:n"/>`, "", false},
		{"the first one counts", `<C:x xmlns:C="urn:ietf:params:xml:ns:caldav" name="A" C:name="B"/>`, "A", true},
		{"empty value", `<x name=""/>`, "", true},
		{"missing", `<x other="1"/>`, "", false},
	} {
		_, root := openBody(t, tc.body)
		if v, ok := Attr(root, "name"); v != tc.value || ok != tc.ok {
			t.Errorf("%s: %q, %v; want %q, %v", tc.name, v, ok, tc.value, tc.ok)
		}
	}
}

func TestReadLimit(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		n          int
		found      bool
		status     int
	}{
		{"a number", `<D:limit xmlns:D="DAV:"><D:nresults> 25 </D:nresults></D:limit>`, 25, true, 0},
		{"zero", `<D:limit xmlns:D="DAV:"><D:nresults>0</D:nresults></D:limit>`, 0, true, 0},
		{"huge", `<D:limit xmlns:D="DAV:"><D:nresults>99999999999999</D:nresults></D:limit>`, MaxNResults, true, 0},
		{"the last counts", `<D:limit xmlns:D="DAV:"><D:nresults>1</D:nresults><D:nresults>2</D:nresults></D:limit>`, 2, true, 0},
		{"none", `<D:limit xmlns:D="DAV:"><D:other>3</D:other></D:limit>`, 0, false, 0},
		{"another namespace", `<D:limit xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><C:nresults>3</C:nresults></D:limit>`, 0, false, 0},
		{"negative", `<D:limit xmlns:D="DAV:"><D:nresults>-1</D:nresults></D:limit>`, 0, false, http.StatusBadRequest},
		{"not a number", `<D:limit xmlns:D="DAV:"><D:nresults>many</D:nresults></D:limit>`, 0, false, http.StatusBadRequest},
		{"an element inside", `<D:limit xmlns:D="DAV:"><D:nresults><D:x/></D:nresults></D:limit>`, 0, false, http.StatusBadRequest},
	} {
		d, _ := openBody(t, tc.body)
		n, found, err := ReadLimit(d, NSDAV)
		wantKitStatus(t, tc.name, err, tc.status)
		if err == nil && (n != tc.n || found != tc.found) {
			t.Errorf("%s: %d, %v; want %d, %v", tc.name, n, found, tc.n, tc.found)
		}
	}
}

func TestCheckRoot(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		body    string
		message string // "" for accepted
	}{
		{`<mkcol xmlns="DAV:"/>`, ""},
		{`<mkcalendar xmlns="urn:ietf:params:xml:ns:caldav"/>`, ""},
		{`<mkcol/>`, "expected DAV:mkcol or CALDAV:mkcalendar, got mkcol"},
		{`<propfind xmlns="DAV:"/>`, "expected DAV:mkcol or CALDAV:mkcalendar, got DAV:propfind"},
		{`<x xmlns="urn:ietf:params:xml:ns:carddav"/>`, "expected DAV:mkcol or CALDAV:mkcalendar, got CARDDAV:x"},
		{`<x xmlns="urn:x"/>`, "expected DAV:mkcol or CALDAV:mkcalendar, got {urn:x}x"},
	} {
		_, root := openBody(t, tc.body)
		err := CheckRoot(root, DAVName("mkcol"), CalDAVName("mkcalendar"))
		var de *Error
		switch {
		case tc.message == "" && err != nil:
			t.Errorf("%s: %v", tc.body, err)
		case tc.message != "" && (!errors.As(err, &de) || de.Status != http.StatusBadRequest || de.Message != tc.message):
			t.Errorf("%s: %v, want 400 %q", tc.body, err, tc.message)
		}
	}
}

func TestNameForMessage(t *testing.T) {
	t.Parallel()
	long := strings.Repeat("é", 40) // 80 bytes: cut at a character
	for _, tc := range []struct {
		name xml.Name
		want string
	}{
		{DAVName("prop"), "DAV:prop"},
		{CalDAVName("comp-filter"), "CALDAV:comp-filter"},
		{CardDAVName("address-data"), "CARDDAV:address-data"},
		{xml.Name{Local: "x"}, "x"},
		{xml.Name{Space: "urn:x", Local: "y"}, "{urn:x}y"},
		{xml.Name{Space: "urn:x", Local: long}, "{urn:x}" + strings.Repeat("é", 30) + "…"},
	} {
		if got := NameForMessage(tc.name); got != tc.want {
			t.Errorf("NameForMessage(%v) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// FuzzReadChildren walks any body with the kit alone: no panic, every
// refusal an *Error, and a body the walk accepts is read through the end
// of its root (EndDocument then judges only what follows it).
func FuzzReadChildren(f *testing.F) {
	addFixtureSeeds(f)
	f.Add(`<r a="1"><x>t<y/></x><z>text</z></r>`)
	f.Fuzz(func(t *testing.T, body string) {
		d := NewDecoder(strings.NewReader(body))
		root, ok, err := ReadRoot(d)
		if err != nil || !ok {
			return
		}
		var walk func(depth int) error
		walk = func(depth int) error {
			_, err := ReadMixed(d, func(e xml.StartElement) error {
				_, _ = Attr(e, "name")
				switch depth % 3 {
				case 0:
					return walk(depth + 1)
				case 1:
					if _, err := ReadText(d, e); err == nil {
						return nil
					}
					return Errorf(http.StatusBadRequest, "not text")
				}
				return Skip(d)
			})
			return err
		}
		_ = root
		if err := walk(0); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			return
		}
		if err := EndDocument(d); err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("EndDocument: error %T is not *Error: %v", err, err)
			}
		}
	})
}

func TestPropRequest(t *testing.T) {
	t.Parallel()
	const ns = `xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"`
	etag, data, color := DAVName("getetag"), CalDAVName("calendar-data"), xml.Name{Space: "urn:x", Local: "color"}
	for _, tc := range []struct {
		name, inner string
		withData    bool
		given       bool
		want        *Propfind  // Kind, Props and Include compared
		names       []xml.Name // Names()
		data        int        // calls of ReadData
		status      int
	}{
		{"prop, duplicates dropped", `<D:prop><D:getetag/><X:color xmlns:X="urn:x"/><D:getetag/></D:prop>`, false, true,
			&Propfind{Kind: PropfindProp, Props: []xml.Name{etag, color}}, []xml.Name{etag, color}, 0, 0},
		{"prop with the data property read by ReadData", `<D:prop><D:getetag/><C:calendar-data/><C:calendar-data><C:comp name="VCALENDAR"/></C:calendar-data><X:color xmlns:X="urn:x"/></D:prop>`, true, true,
			&Propfind{Kind: PropfindProp, Props: []xml.Name{etag, color}}, []xml.Name{etag, data, color}, 1, 0},
		{"the data property as a plain value without ReadData", `<D:prop><C:calendar-data/></D:prop>`, false, true,
			&Propfind{Kind: PropfindProp, Props: []xml.Name{data}}, []xml.Name{data}, 0, 0},
		{"allprop with include", `<D:allprop/><D:include><D:getetag/><D:getetag/></D:include>`, true, true,
			&Propfind{Kind: PropfindAllProp, Include: []xml.Name{etag}}, nil, 0, 0},
		{"include without allprop is dropped for prop", `<D:prop><D:getetag/></D:prop><D:include><X:color xmlns:X="urn:x"/></D:include>`, false, true,
			&Propfind{Kind: PropfindProp, Props: []xml.Name{etag}}, []xml.Name{etag}, 0, 0},
		{"propname", `<D:propname/>`, false, true, &Propfind{Kind: PropfindPropName}, nil, 0, 0},
		{"none: allprop with include, not given", `<D:include><D:getetag/></D:include><D:other/>`, false, false,
			&Propfind{Kind: PropfindAllProp, Include: []xml.Name{etag}}, nil, 0, 0},
		{"prop and allprop", `<D:prop/><D:allprop/>`, false, true, nil, nil, 0, http.StatusBadRequest},
		{"allprop and propname", `<D:allprop/><D:propname/>`, false, true, nil, nil, 0, http.StatusBadRequest},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, root := openBody(t, `<D:propfind `+ns+`>`+tc.inner+`</D:propfind>`)
			calls := 0
			var pr PropRequest
			if tc.withData {
				pr.Data = data
				pr.ReadData = func(d *xml.Decoder, _ xml.StartElement) error {
					calls++
					return Skip(d)
				}
			}
			err := ReadChildren(d, func(e xml.StartElement) error {
				if handled, err := pr.Read(d, e); handled {
					return err
				}
				return Skip(d)
			})
			if err != nil {
				t.Fatal(err)
			}
			pf, err := pr.Propfind(root.Name)
			wantKitStatus(t, tc.name, err, tc.status)
			if tc.status != 0 {
				return
			}
			if pf.Kind != tc.want.Kind || !reflect.DeepEqual(pf.Props, tc.want.Props) || !reflect.DeepEqual(pf.Include, tc.want.Include) {
				t.Errorf("Propfind %+v, want %+v", pf, tc.want)
			}
			if len(pf.Values) != len(pf.Props) {
				t.Errorf("%d values for %d names", len(pf.Values), len(pf.Props))
			}
			if got := pr.Names(); !reflect.DeepEqual(got, tc.names) {
				t.Errorf("Names %v, want %v", got, tc.names)
			}
			if pr.Given() != tc.given || calls != tc.data {
				t.Errorf("Given %v, %d ReadData calls; want %v, %d", pr.Given(), calls, tc.given, tc.data)
			}
		})
	}
}

// TestParseExpandProperty: expand-property reads its body as every
// other parser does, attributes unqualified or in DAV:, and nothing but
// white space and comments after the root (XML 1.0 2.1).
func TestParseExpandProperty(t *testing.T) {
	t.Parallel()
	const root = `<D:expand-property xmlns:D="DAV:">`
	for _, tc := range []struct {
		name, body string
		want       []xml.Name // of the top level
		status     int
	}{
		{"Apple's delegation lookup", root + `<D:property name="calendar-proxy-read-for" namespace="http://calendarserver.org/ns/"><D:property name="displayname"/></D:property></D:expand-property>`,
			[]xml.Name{{Space: "http://calendarserver.org/ns/", Local: "calendar-proxy-read-for"}}, 0},
		{"attributes in DAV:", root + `<D:property D:name="owner"/></D:expand-property>`, []xml.Name{DAVName("owner")}, 0},
		{"a namespace declaration is no name", root + `<D:property xmlns:name="urn:n" name="owner"/></D:expand-property>`, []xml.Name{DAVName("owner")}, 0},
		{"a second root", root + `</D:expand-property><D:x/>`, nil, http.StatusBadRequest},
		{"text after the root", root + `</D:expand-property>text`, nil, http.StatusBadRequest},
	} {
		reqs, err := parseExpandProperty([]byte(tc.body))
		wantKitStatus(t, tc.name, err, tc.status)
		if err != nil {
			continue
		}
		var got []xml.Name
		for _, r := range reqs {
			got = append(got, r.name)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}
