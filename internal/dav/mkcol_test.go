package dav

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

func TestParseMkcol(t *testing.T) {
	comp := func(name string) []xml.Attr { return []xml.Attr{{Name: xml.Name{Local: "name"}, Value: name}} }
	type prop struct {
		name     xml.Name
		text     string // checked when not "-"
		children []xml.Name
		attrs    [][]xml.Attr
	}
	for _, tc := range []struct {
		fixture string
		root    xml.Name
		props   []prop
	}{
		{
			fixture: "apple-macos-calendar-27-mkcalendar.http",
			root:    CalDAVName("mkcalendar"),
			props: []prop{
				{name: ICalName("calendar-order"), text: "3"},
				{name: CalDAVName("supported-calendar-component-set"), text: "-", children: names(CalDAVName("comp")), attrs: [][]xml.Attr{comp("VEVENT")}},
				{name: ICalName("calendar-color"), text: "#FF2968FF"},
				{name: CalDAVName("calendar-timezone"), text: "-"},
				{name: DAVName("displayname"), text: "Work"},
				{name: CalDAVName("schedule-calendar-transp"), text: "-", children: names(CalDAVName("opaque"))},
			},
		},
		{
			fixture: "apple-macos-calendar-28-mkcalendar-subscription.http",
			root:    CalDAVName("mkcalendar"),
			props: []prop{
				{name: DAVName("resourcetype"), children: names(DAVName("collection"), CSName("subscribed"))},
				{name: CSName("source"), children: names(DAVName("href"))},
				{name: DAVName("displayname"), text: "Holidays"},
				{name: ICalName("refreshrate"), text: "P1W"},
			},
		},
		{
			fixture: "vdirsyncer-06-mkcol-extended-calendar.http",
			root:    DAVName("mkcol"),
			props: []prop{
				{name: DAVName("resourcetype"), text: "-", children: names(DAVName("collection"), CalDAVName("calendar"))},
			},
		},
		{
			fixture: "davx5-26-mkcalendar.http",
			root:    CalDAVName("mkcalendar"),
			props: []prop{
				{name: DAVName("resourcetype"), children: names(DAVName("collection"), CalDAVName("calendar"))},
				{name: DAVName("displayname"), text: "Family"},
				{name: CalDAVName("calendar-description"), text: "Shared family calendar"},
				{name: ICalName("calendar-color"), text: "#2196F3"},
				{name: CalDAVName("calendar-timezone-id"), text: "Europe/Berlin"},
				{name: CalDAVName("calendar-timezone"), text: "-"},
				{name: CalDAVName("supported-calendar-component-set"), children: names(CalDAVName("comp")), attrs: [][]xml.Attr{comp("VEVENT")}},
			},
		},
		{
			fixture: "davx5-27-mkcol-addressbook.http",
			root:    DAVName("mkcol"),
			props: []prop{
				{name: DAVName("resourcetype"), children: names(DAVName("collection"), CardDAVName("addressbook"))},
				{name: DAVName("displayname"), text: "Work contacts"},
				{name: CardDAVName("addressbook-description"), text: "From the office"},
			},
		},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			root, props, err := ParseMkcol(strings.NewReader(fixtureBody(t, tc.fixture)))
			if err != nil {
				t.Fatal(err)
			}
			if root != tc.root {
				t.Errorf("root %v, want %v", root, tc.root)
			}
			if len(props) != len(tc.props) {
				t.Fatalf("%d props, want %d: %+v", len(props), len(tc.props), props)
			}
			for i, want := range tc.props {
				got := props[i]
				if got.Name != want.name {
					t.Errorf("prop %d: %v, want %v", i, got.Name, want.name)
				}
				if want.text != "-" && got.Text != want.text {
					t.Errorf("%s: text %q, want %q", want.name.Local, got.Text, want.text)
				}
				if !equalNames(got.Children, want.children) {
					t.Errorf("%s: children %v, want %v", want.name.Local, got.Children, want.children)
				}
				if len(got.ChildAttrs) != len(got.Children) {
					t.Errorf("%s: %d ChildAttrs for %d children", want.name.Local, len(got.ChildAttrs), len(got.Children))
				}
				for j, a := range want.attrs {
					if len(got.ChildAttrs[j]) != len(a) || (len(a) > 0 && got.ChildAttrs[j][0] != a[0]) {
						t.Errorf("%s: child %d attrs %v, want %v", want.name.Local, j, got.ChildAttrs[j], a)
					}
				}
				checkRaw(t, got)
			}
		})
	}
}

func TestParseMkcolTimezoneCRLF(t *testing.T) {
	_, props, err := ParseMkcol(strings.NewReader(fixtureBody(t, "apple-macos-calendar-27-mkcalendar.http")))
	if err != nil {
		t.Fatal(err)
	}
	tz := props[3].Text
	if !strings.HasPrefix(tz, "BEGIN:VCALENDAR\r\nVERSION:2.0\r\n") || !strings.HasSuffix(tz, "END:VCALENDAR\r\n") {
		t.Errorf("calendar-timezone lost its CRLFs: %q", tz)
	}
}

func TestParseMkcolEmptyAndErrors(t *testing.T) {
	root, props, err := ParseMkcol(strings.NewReader(""))
	if err != nil || root != (xml.Name{}) || props != nil {
		t.Errorf("empty body: %v %v %v", root, props, err)
	}
	root, props, err = ParseMkcol(strings.NewReader(`<C:mkcalendar xmlns:C="urn:ietf:params:xml:ns:caldav"/>`))
	if err != nil || root != CalDAVName("mkcalendar") || len(props) != 0 {
		t.Errorf("empty mkcalendar: %v %v %v", root, props, err)
	}
	for name, body := range map[string]string{
		"wrong root":           `<D:propertyupdate xmlns:D="DAV:"/>`,
		"mkcalendar in DAV":    `<D:mkcalendar xmlns:D="DAV:"/>`,
		"mkcol in CalDAV":      `<C:mkcol xmlns:C="urn:ietf:params:xml:ns:caldav"/>`,
		"malformed":            `<D:mkcol xmlns:D="DAV:"><D:set>`,
		"second root":          `<D:mkcol xmlns:D="DAV:"/><D:mkcol xmlns:D="DAV:"/>`,
		"xmlns-prefixed child": `<D:mkcol xmlns:D="DAV:"><D:set><D:prop><xmlns:p/></D:prop></D:set></D:mkcol>`,
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := ParseMkcol(strings.NewReader(body))
			wantStatus(t, err, http.StatusBadRequest)
		})
	}
}
