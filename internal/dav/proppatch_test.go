package dav

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// checkRaw verifies that pv.Raw is self-contained: parsed alone, and
// embedded in a document with other default and prefixed namespaces, it
// yields the same element, and parsing it again reproduces Raw exactly.
func checkRaw(t testing.TB, pv PropertyValue) {
	t.Helper()
	for _, doc := range []string{
		pv.Raw,
		`<w xmlns="urn:wrapper" xmlns:D="urn:not-dav" xmlns:X0="urn:not-x0">` + pv.Raw + `</w>`,
	} {
		d := NewDecoder(strings.NewReader(doc))
		start, ok, err := ReadRoot(d)
		if err != nil || !ok {
			t.Fatalf("Raw %q does not parse: %v", doc, err)
		}
		if start.Name.Local == "w" {
			for {
				tok, err := d.Token()
				if err != nil {
					t.Fatalf("Raw %q: %v", doc, err)
				}
				if s, ok := tok.(xml.StartElement); ok {
					start = s
					break
				}
			}
		}
		again, err := ReadPropertyValue(d, start)
		if err != nil {
			t.Fatalf("Raw %q: %v", doc, err)
		}
		if again.Name != pv.Name || again.Raw != pv.Raw || again.Text != pv.Text || !equalNames(again.Children, pv.Children) {
			t.Fatalf("Raw does not round-trip in %q:\n got %+v\nwant %+v", doc, again, pv)
		}
	}
}

func TestParseProppatchApple(t *testing.T) {
	const tz = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Apple Inc.//macOS 12.2.1//EN\r\nCALSCALE:GREGORIAN\r\n" +
		"BEGIN:VTIMEZONE\r\nTZID:Europe/Berlin\r\nBEGIN:DAYLIGHT\r\nTZOFFSETFROM:+0100\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU\r\n" +
		"DTSTART:19810329T020000\r\nTZNAME:CEST\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nBEGIN:STANDARD\r\nTZOFFSETFROM:+0200\r\n" +
		"RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU\r\nDTSTART:19961027T030000\r\nTZNAME:CET\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\n" +
		"END:VTIMEZONE\r\nEND:VCALENDAR\r\n"
	for _, tc := range []struct {
		fixture string
		name    xml.Name
		text    string
		raw     string
	}{
		{
			fixture: "apple-macos-calendar-10-proppatch-home-default-alarm-datetime.http",
			name:    CalDAVName("default-alarm-vevent-datetime"),
			text: "BEGIN:VALARM\r\nX-WR-ALARMUID:3F6B2D11-8A0E-4E7C-9D2A-5B6C7D8E9F02\r\nUID:3F6B2D11-8A0E-4E7C-9D2A-5B6C7D8E9F02\r\n" +
				"TRIGGER;VALUE=DATE-TIME:19760401T005545Z\r\nACTION:NONE\r\nEND:VALARM\r\n",
		},
		{
			fixture: "apple-macos-calendar-11-proppatch-calendar-order.http",
			name:    ICalName("calendar-order"),
			text:    "1",
			raw:     `<calendar-order xmlns="http://apple.com/ns/ical/">1</calendar-order>`,
		},
		{
			fixture: "apple-macos-calendar-12-proppatch-calendar-color.http",
			name:    ICalName("calendar-color"),
			text:    "#FD8208FF",
			raw:     `<calendar-color xmlns="http://apple.com/ns/ical/" symbolic-color="orange">#FD8208FF</calendar-color>`,
		},
		{
			fixture: "apple-macos-calendar-13-proppatch-calendar-timezone.http",
			name:    CalDAVName("calendar-timezone"),
			text:    tz,
			raw:     `<calendar-timezone xmlns="urn:ietf:params:xml:ns:caldav">` + strings.ReplaceAll(tz, "\r", "&#13;") + `</calendar-timezone>`,
		},
		{
			fixture: "vdirsyncer-13-proppatch-set-color.http",
			name:    ICalName("calendar-color"),
			text:    "#FF0000",
			raw:     `<calendar-color xmlns="http://apple.com/ns/ical/">#FF0000</calendar-color>`,
		},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			ops, err := ParseProppatch(strings.NewReader(fixtureBody(t, tc.fixture)))
			if err != nil {
				t.Fatal(err)
			}
			if len(ops) != 1 || ops[0].Remove {
				t.Fatalf("ops %+v, want one set", ops)
			}
			p := ops[0].Prop
			if p.Name != tc.name || p.Text != tc.text {
				t.Errorf("got %v %q, want %v %q", p.Name, p.Text, tc.name, tc.text)
			}
			if tc.raw != "" && p.Raw != tc.raw {
				t.Errorf("Raw\n%s\nwant\n%s", p.Raw, tc.raw)
			}
			checkRaw(t, p)
		})
	}
}

func TestParseProppatch(t *testing.T) {
	ops, err := ParseProppatch(strings.NewReader(fixtureBody(t, "vdirsyncer-14-proppatch-remove-order.http")))
	if err != nil {
		t.Fatal(err)
	}
	if len(ops) != 1 || !ops[0].Remove || ops[0].Prop.Name != ICalName("calendar-order") || ops[0].Prop.Raw != "" {
		t.Errorf("remove: %+v", ops)
	}

	// Document order across set and remove, several properties per prop,
	// unknown elements ignored.
	ops, err = ParseProppatch(strings.NewReader(`<?xml version="1.0"?>
<D:propertyupdate xmlns:D="DAV:" xmlns:Z="http://ns.example.com/z/">
  <D:set><D:prop><Z:Authors><Z:Author>Jim</Z:Author><Z:Author>Roy</Z:Author></Z:Authors><D:displayname>Work</D:displayname></D:prop></D:set>
  <D:unknown/>
  <D:remove><D:prop><Z:Copyright-Owner/></D:prop></D:remove>
  <D:set><D:prop><Z:last/></D:prop><D:ignored/></D:set>
</D:propertyupdate>`))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, op := range ops {
		got = append(got, strings.Join([]string{map[bool]string{false: "set", true: "remove"}[op.Remove], op.Prop.Name.Local, op.Prop.Raw}, " "))
		if !op.Remove {
			checkRaw(t, op.Prop)
		}
	}
	want := []string{
		`set Authors <Authors xmlns="http://ns.example.com/z/"><Author>Jim</Author><Author>Roy</Author></Authors>`,
		`set displayname <displayname xmlns="DAV:">Work</displayname>`,
		`remove Copyright-Owner `,
		`set last <last xmlns="http://ns.example.com/z/"/>`,
	}
	if !slices.Equal(got, want) {
		t.Errorf("ops:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if c := ops[0].Prop.Children; len(c) != 2 || c[1] != (xml.Name{Space: "http://ns.example.com/z/", Local: "Author"}) {
		t.Errorf("children %v", c)
	}

	// An empty set is an instruction with nothing in it.
	ops, err = ParseProppatch(strings.NewReader(`<propertyupdate xmlns="DAV:"><set><prop/></set></propertyupdate>`))
	if err != nil || len(ops) != 0 {
		t.Errorf("empty set: %v, %v", ops, err)
	}
}

// TestPropertyValueRaw covers the re-serialisation: namespaces of
// descendants and of attributes, no-namespace elements under a default
// namespace, the xml: prefix, escaping, dropped comments.
func TestPropertyValueRaw(t *testing.T) {
	for _, tc := range []struct{ in, raw, text string }{
		{
			in:   `<X:foo xmlns:X="urn:a" xmlns:Y="urn:b" Y:attr="1" plain="a&amp;b" xmlns:Q="urn:unused"><Y:bar Y:x="2" X:y="3">t</Y:bar><X:baz/><none xmlns=""><X:deep/></none><!-- c --><?pi x?>tail&#13;<![CDATA[<cdata>]]></X:foo>`,
			raw:  `<foo xmlns="urn:a" xmlns:X0="urn:b" X0:attr="1" plain="a&amp;b"><bar xmlns="urn:b" xmlns:X0="urn:b" X0:x="2" xmlns:X1="urn:a" X1:y="3">t</bar><baz/><none xmlns=""><deep xmlns="urn:a"/></none>tail&#13;&lt;cdata&gt;</foo>`,
			text: "tail\r<cdata>",
		},
		{
			in:  `<p xmlns="" xml:lang="de" a="x&#9;y&#10;z"/>`,
			raw: `<p xmlns="" xml:lang="de" a="x&#9;y&#10;z"/>`,
		},
		{
			in:  `<a:p xmlns:a="urn:a" xmlns:b="urn:b" a:x="1" b:x="2"/>`,
			raw: `<p xmlns="urn:a" xmlns:X0="urn:a" X0:x="1" xmlns:X1="urn:b" X1:x="2"/>`,
		},
		{
			in:   `<undeclared:p>text</undeclared:p>`,
			raw:  `<p xmlns="undeclared">text</p>`,
			text: "text",
		},
	} {
		d := NewDecoder(strings.NewReader(tc.in))
		start, _, err := ReadRoot(d)
		if err != nil {
			t.Fatal(err)
		}
		pv, err := ReadPropertyValue(d, start)
		if err != nil {
			t.Fatalf("%s: %v", tc.in, err)
		}
		if pv.Raw != tc.raw || pv.Text != tc.text {
			t.Errorf("%s:\nRaw  %s\nwant %s\nText %q, want %q", tc.in, pv.Raw, tc.raw, pv.Text, tc.text)
		}
		checkRaw(t, pv)
	}
}

func TestParseProppatchErrors(t *testing.T) {
	for name, body := range map[string]string{
		"empty body":      "",
		"no instructions": `<propertyupdate xmlns="DAV:"><foo/></propertyupdate>`,
		"wrong root":      `<propfind xmlns="DAV:"><allprop/></propfind>`,
		"malformed":       `<propertyupdate xmlns="DAV:"><set><prop><x></prop></set></propertyupdate>`,
		"bad attr name":   `<propertyupdate xmlns="DAV:"><set><prop><x a:b:c="1"/></prop></set></propertyupdate>`,
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParseProppatch(strings.NewReader(body))
			wantStatus(t, err, http.StatusBadRequest)
		})
	}
}
