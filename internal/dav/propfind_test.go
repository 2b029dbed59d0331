package dav

import (
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// wantStatus fails unless err is an *Error with status.
func wantStatus(t *testing.T, err error, status int) {
	t.Helper()
	var de *Error
	if !errors.As(err, &de) || de.Status != status {
		t.Errorf("error %v, want *Error with status %d", err, status)
	}
}

func names(ns ...xml.Name) []xml.Name { return ns }

func TestParsePropfind(t *testing.T) {
	for _, tc := range []struct {
		name    string
		body    string
		kind    PropfindKind
		props   []xml.Name
		include []xml.Name
	}{
		{name: "empty", body: "", kind: PropfindAllProp},
		{name: "whitespace", body: " \r\n\t ", kind: PropfindAllProp},
		{
			name: "apple per-element xmlns",
			body: fixtureBody(t, "apple-macos-calendar-04-propfind-principal.http"),
			props: names(CalDAVName("calendar-home-set"), CalDAVName("calendar-user-address-set"),
				DAVName("current-user-principal"), DAVName("displayname"), CSName("dropbox-home-URL"),
				CSName("email-address-set"), CalDAVName("max-attendees-per-instance"), CSName("notification-URL"),
				DAVName("principal-collection-set"), DAVName("principal-URL"), DAVName("resource-id"),
				CalDAVName("schedule-inbox-URL"), CalDAVName("schedule-outbox-URL"), DAVName("supported-report-set")),
		},
		{
			name:  "vdirsyncer leading newline and indentation",
			body:  fixtureBody(t, "vdirsyncer-05-propfind-home-depth1.http"),
			props: names(DAVName("resourcetype")),
		},
		{
			name: "thunderbird single quotes",
			body: fixtureBody(t, "thunderbird-calendar-01-propfind-well-known-detect.http"),
			props: names(DAVName("resourcetype"), DAVName("owner"), DAVName("displayname"), DAVName("current-user-principal"),
				DAVName("current-user-privilege-set"), ICalName("calendar-color"), CalDAVName("calendar-home-set")),
		},
		{
			name:  "thunderbird carddav default namespace, declaration then indentation",
			body:  fixtureBody(t, "thunderbird-carddav-05-propfind-home-depth1.http"),
			props: names(DAVName("resourcetype"), DAVName("displayname"), DAVName("current-user-privilege-set")),
		},
		{
			name: "davx5 default namespace switched per element",
			body: fixtureBody(t, "davx5-09-propfind-calendar-home-depth1.http"),
			props: names(DAVName("current-user-privilege-set"), DAVName("displayname"), DAVName("owner"), DAVName("resourcetype"),
				xml.Name{Space: "https://bitfire.at/webdav-push", Local: "transports"},
				xml.Name{Space: "https://bitfire.at/webdav-push", Local: "topic"},
				ICalName("calendar-color"), CalDAVName("calendar-description"), CalDAVName("calendar-timezone"),
				CalDAVName("calendar-timezone-id"), CalDAVName("supported-calendar-component-set"), CSName("source")),
		},
		{
			name:  "ns0 prefixes, no declaration",
			body:  `<ns0:propfind xmlns:ns0="DAV:"><ns0:prop><ns0:getetag /><ns1:getctag xmlns:ns1="http://calendarserver.org/ns/"/></ns0:prop></ns0:propfind>`,
			props: names(DAVName("getetag"), CSName("getctag")),
		},
		{
			name:  "duplicates, two prop elements, unknown elements and content ignored",
			body:  `<D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getetag/><x:unknown xmlns:x="urn:x"><x:child/>text</x:unknown></D:prop><D:foo/><D:prop><D:displayname/></D:prop></D:propfind>`,
			props: names(DAVName("getetag"), xml.Name{Space: "urn:x", Local: "unknown"}, DAVName("displayname")),
		},
		{
			name:  "property without namespace",
			body:  `<propfind xmlns="DAV:"><prop><plain xmlns=""/></prop></propfind>`,
			props: names(xml.Name{Local: "plain"}),
		},
		{
			name:    "allprop with include",
			body:    "\ufeff<?xml version=\"1.0\"?>\n<!-- a comment --><D:propfind xmlns:D=\"DAV:\" xmlns:C=\"urn:ietf:params:xml:ns:caldav\"><D:allprop/><D:include><C:calendar-data/></D:include></D:propfind>\n",
			kind:    PropfindAllProp,
			include: names(CalDAVName("calendar-data")),
		},
		{name: "propname", body: `<propfind xmlns="DAV:"><propname/></propfind>`, kind: PropfindPropName},
		{
			name:  "latin-1",
			body:  "<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?><propfind xmlns=\"DAV:\"><prop><gr\xfc\xdfe xmlns=\"urn:x\"/></prop></propfind>",
			props: names(xml.Name{Space: "urn:x", Local: "grüße"}),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pf, err := ParsePropfind(strings.NewReader(tc.body))
			if err != nil {
				t.Fatal(err)
			}
			if pf.Kind != tc.kind {
				t.Errorf("kind %v, want %v", pf.Kind, tc.kind)
			}
			if !equalNames(pf.Props, tc.props) {
				t.Errorf("props\n%v\nwant\n%v", pf.Props, tc.props)
			}
			if !equalNames(pf.Include, tc.include) {
				t.Errorf("include %v, want %v", pf.Include, tc.include)
			}
		})
	}
}

func TestParsePropfindErrors(t *testing.T) {
	for name, body := range map[string]string{
		"malformed":             `<D:propfind xmlns:D="DAV:"><D:prop></D:propfind>`,
		"truncated":             `<D:propfind xmlns:D="DAV:"><D:prop>`,
		"root without ns":       `<propfind><prop><getetag/></prop></propfind>`,
		"wrong root":            `<D:propertyupdate xmlns:D="DAV:"/>`,
		"prop and allprop":      `<propfind xmlns="DAV:"><allprop/><prop><getetag/></prop></propfind>`,
		"allprop and propname":  `<propfind xmlns="DAV:"><allprop/><propname/></propfind>`,
		"two roots":             `<propfind xmlns="DAV:"><allprop/></propfind><propfind xmlns="DAV:"/>`,
		"text after root":       `<propfind xmlns="DAV:"><allprop/></propfind>junk`,
		"text before root":      `junk<propfind xmlns="DAV:"/>`,
		"colon in local name":   `<propfind xmlns="DAV:"><prop><a:b:c xmlns:a="urn:a"/></prop></propfind>`,
		"leading colon":         `<propfind xmlns="DAV:"><prop><:x/></prop></propfind>`,
		"xmlns element":         `<propfind xmlns="DAV:"><prop><xmlns:x/></prop></propfind>`,
		"undefined entity":      `<propfind xmlns="DAV:"><prop>&e;</prop></propfind>`,
		"unknown encoding":      `<?xml version="1.0" encoding="EBCDIC"?><propfind xmlns="DAV:"/>`,
		"control character":     "<propfind xmlns=\"DAV:\">\x01</propfind>",
		"prefix bound to empty": `<D:propfind xmlns:D="DAV:"><D:prop><bar:foo xmlns:bar=""/></D:prop></D:propfind>`, // litmus props 3
		// RFC 4918 14.20: exactly one of prop, allprop, propname.
		"empty propfind element":      `<propfind xmlns="DAV:"/>`,
		"only unknown elements":       `<propfind xmlns="DAV:"><x:prop xmlns:x="urn:x"/><include/></propfind>`,
		"prop in another namespace":   `<propfind xmlns="DAV:"><prop xmlns="urn:x"><getetag/></prop></propfind>`,
		"only whitespace and comment": "<propfind xmlns=\"DAV:\">\n <!-- nothing --> </propfind>",
	} {
		t.Run(name, func(t *testing.T) {
			_, err := ParsePropfind(strings.NewReader(body))
			wantStatus(t, err, http.StatusBadRequest)
		})
	}
}

func TestParseBodyTooLarge(t *testing.T) {
	body := `<propfind xmlns="DAV:"><prop>` + strings.Repeat("<getetag/>", 1000) + `</prop></propfind>`
	r := http.MaxBytesReader(httptest.NewRecorder(), io.NopCloser(strings.NewReader(body)), 100)
	_, err := ParsePropfind(r)
	wantStatus(t, err, http.StatusRequestEntityTooLarge)
}

func equalNames(a, b []xml.Name) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
