package caldav

import (
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/internal/dav"
)

// queryFile reads a request body from testdata/query.
func queryFile(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "query", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// utc parses an iCalendar UTC date-time for test expectations.
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(utcLayout, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// tr is a TimeRange from two UTC date-times; "" leaves that end open.
func tr(t testing.TB, start, end string) *TimeRange {
	t.Helper()
	var r TimeRange
	if start != "" {
		r.Start = utc(t, start)
	}
	if end != "" {
		r.End = utc(t, end)
	}
	return &r
}

// vcal wraps second-level comp-filters in the VCALENDAR one.
func vcal(comps ...*compFilter) *compFilter { return &compFilter{Name: "VCALENDAR", Comps: comps} }

var getetag = []xml.Name{dav.DAVName("getetag")}

// TestParseCalendarQueryRFC parses the request bodies of RFC 4791's
// examples 7.8.1-7.8.10 and Appendix B.
func TestParseCalendarQueryRFC(t *testing.T) {
	t.Parallel()
	ascii := collationASCIICasemap
	for _, tc := range []struct {
		file   string
		props  []xml.Name
		data   *calendarDataRequest
		filter *compFilter
	}{
		{"rfc4791-appendix-b.xml", getetag, &calendarDataRequest{}, vcal()},
		{"rfc4791-7.8.1.xml", getetag, &calendarDataRequest{comp: &compSelector{
			name:  "VCALENDAR",
			props: []propSelector{{name: "VERSION"}},
			comps: []*compSelector{
				{name: "VEVENT", props: []propSelector{{name: "SUMMARY"}, {name: "UID"}, {name: "DTSTART"}, {name: "DTEND"},
					{name: "DURATION"}, {name: "RRULE"}, {name: "RDATE"}, {name: "EXRULE"}, {name: "EXDATE"}, {name: "RECURRENCE-ID"}}},
				{name: "VTIMEZONE", allProps: true, allComps: true},
			},
		}}, vcal(&compFilter{Name: "VEVENT", TimeRange: tr(t, "20060104T000000Z", "20060105T000000Z")})},
		{"rfc4791-7.8.2.xml", nil, &calendarDataRequest{limitRecurrence: tr(t, "20060103T000000Z", "20060105T000000Z")},
			vcal(&compFilter{Name: "VEVENT", TimeRange: tr(t, "20060103T000000Z", "20060105T000000Z")})},
		{"rfc4791-7.8.3.xml", nil, &calendarDataRequest{expand: tr(t, "20060103T000000Z", "20060105T000000Z")},
			vcal(&compFilter{Name: "VEVENT", TimeRange: tr(t, "20060103T000000Z", "20060105T000000Z")})},
		{"rfc4791-7.8.4.xml", nil, &calendarDataRequest{limitFreeBusy: tr(t, "20060102T000000Z", "20060103T000000Z")},
			vcal(&compFilter{Name: "VFREEBUSY", TimeRange: tr(t, "20060102T000000Z", "20060103T000000Z")})},
		{"rfc4791-7.8.5.xml", getetag, &calendarDataRequest{},
			vcal(&compFilter{Name: "VTODO", Comps: []*compFilter{{Name: "VALARM", TimeRange: tr(t, "20060106T100000Z", "20060107T100000Z")}}})},
		{"rfc4791-7.8.6.xml", getetag, &calendarDataRequest{},
			vcal(&compFilter{Name: "VEVENT", Props: []*propFilter{{Name: "UID",
				TextMatch: &textMatch{Text: "DC6C50A017428C5216A2F1CD@example.com", Collation: collationOctet}}}})},
		{"rfc4791-7.8.7.xml", getetag, &calendarDataRequest{},
			vcal(&compFilter{Name: "VEVENT", Props: []*propFilter{{Name: "ATTENDEE",
				TextMatch: &textMatch{Text: "mailto:lisa@example.com", Collation: ascii},
				Params:    []*paramFilter{{Name: "PARTSTAT", TextMatch: &textMatch{Text: "NEEDS-ACTION", Collation: ascii}}}}}})},
		{"rfc4791-7.8.8.xml", getetag, &calendarDataRequest{}, vcal(&compFilter{Name: "VEVENT"})},
		{"rfc4791-7.8.9.xml", getetag, &calendarDataRequest{},
			vcal(&compFilter{Name: "VTODO", Props: []*propFilter{
				{Name: "COMPLETED", IsNotDefined: true},
				{Name: "STATUS", TextMatch: &textMatch{Text: "CANCELLED", Collation: ascii, Negate: true}}}})},
		// RFC 4791's server refuses X-ABC-GUID in 7.8.10; pgdav
		// queries any property name (RFC 4791 7.7 allows both).
		{"rfc4791-7.8.10.xml", getetag, &calendarDataRequest{},
			vcal(&compFilter{Name: "VEVENT", Props: []*propFilter{{Name: "X-ABC-GUID", TextMatch: &textMatch{Text: "ABC", Collation: ascii}}}})},
	} {
		t.Run(tc.file, func(t *testing.T) {
			q, err := parseCalendarQuery(queryFile(t, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			if q.Props == nil || q.Props.Kind != dav.PropfindProp || !reflect.DeepEqual(q.Props.Props, tc.props) {
				t.Errorf("props = %+v, want %v", q.Props, tc.props)
			}
			if !reflect.DeepEqual(q.Data, tc.data) {
				t.Errorf("calendar-data = %s, want %s", dump(q.Data), dump(tc.data))
			}
			if !reflect.DeepEqual(q.Filter, tc.filter) {
				t.Errorf("filter = %s, want %s", dump(q.Filter), dump(tc.filter))
			}
			if q.Timezone != nil || q.TimezoneCal != nil || q.Limit != 0 {
				t.Errorf("timezone %v %v, limit %d; want none", q.Timezone, q.TimezoneCal, q.Limit)
			}
		})
	}
}

// dump formats a parsed structure for a failure message.
func dump(v any) string {
	switch v := v.(type) {
	case *compFilter:
		if v == nil {
			return "nil"
		}
		s := fmt.Sprintf("{%s notdef=%v tr=%v", v.Name, v.IsNotDefined, v.TimeRange)
		for _, p := range v.Props {
			s += fmt.Sprintf(" prop{%s notdef=%v tr=%v tm=%+v", p.Name, p.IsNotDefined, p.TimeRange, p.TextMatch)
			for _, pp := range p.Params {
				s += fmt.Sprintf(" param%+v tm=%+v", *pp, pp.TextMatch)
			}
			s += "}"
		}
		for _, c := range v.Comps {
			s += " " + dump(c)
		}
		return s + "}"
	case *calendarDataRequest:
		if v == nil {
			return "nil"
		}
		return fmt.Sprintf("{comp=%s expand=%v limit-rs=%v limit-fb=%v}", dump(v.comp), v.expand, v.limitRecurrence, v.limitFreeBusy)
	case *compSelector:
		if v == nil {
			return "nil"
		}
		s := fmt.Sprintf("{%s allprop=%v allcomp=%v props=%v", v.name, v.allProps, v.allComps, v.props)
		for _, c := range v.comps {
			s += " " + dump(c)
		}
		return s + "}"
	}
	return fmt.Sprint(v)
}

// query wraps the inside of a calendar-query.
func query(inner string) []byte {
	return []byte(`<?xml version="1.0" encoding="utf-8"?>` +
		`<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` + inner + `</C:calendar-query>`)
}

// filterBody is a calendar-query with getetag and the given content of
// the VCALENDAR comp-filter.
func filterBody(inner string) []byte {
	return query(`<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR">` + inner + `</C:comp-filter></C:filter>`)
}

// dataBody is a calendar-query matching everything with the given
// calendar-data element.
func dataBody(calendarData string) []byte {
	return query(`<D:prop>` + calendarData + `</D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`)
}

func TestParseCalendarQueryAccepts(t *testing.T) {
	t.Parallel()
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	vtimezone := func(tzid string) string {
		return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VTIMEZONE\r\nTZID:" + tzid +
			"\r\nBEGIN:STANDARD\r\nDTSTART:19701025T030000\r\nTZOFFSETFROM:+0200\r\nTZOFFSETTO:+0100\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\nEND:VCALENDAR\r\n"
	}
	for _, tc := range []struct {
		name  string
		body  []byte
		check func(t *testing.T, q *calendarQuery)
	}{
		{"default namespace (DAVx5)", []byte(`<calendar-query xmlns="urn:ietf:params:xml:ns:caldav" xmlns:d="DAV:">` +
			`<d:prop><d:getetag/></d:prop><filter><comp-filter name="VCALENDAR"><comp-filter name="VTODO"/></comp-filter></filter></calendar-query>`),
			func(t *testing.T, q *calendarQuery) {
				if !reflect.DeepEqual(q.Filter, vcal(&compFilter{Name: "VTODO"})) {
					t.Errorf("filter %s", dump(q.Filter))
				}
			}},
		{"ns0 prefixes (vdirsyncer)", []byte(`<ns0:calendar-query xmlns:ns0="urn:ietf:params:xml:ns:caldav" xmlns:ns1="DAV:">` +
			`<ns1:prop><ns1:getetag/></ns1:prop><ns0:filter><ns0:comp-filter name="VCALENDAR"><ns0:comp-filter name="VEVENT">` +
			`<ns0:time-range start="20250101T000000Z"/></ns0:comp-filter></ns0:comp-filter></ns0:filter></ns0:calendar-query>`),
			func(t *testing.T, q *calendarQuery) {
				if want := vcal(&compFilter{Name: "VEVENT", TimeRange: tr(t, "20250101T000000Z", "")}); !reflect.DeepEqual(q.Filter, want) {
					t.Errorf("filter %s", dump(q.Filter))
				}
			}},
		{"lower-case names, open end, default collation", filterBody(`<C:comp-filter name="vevent"><C:time-range end="20250101T000000z"/>` +
			`<C:prop-filter name="summary"><C:text-match collation="default">x</C:text-match></C:prop-filter></C:comp-filter>`),
			func(t *testing.T, q *calendarQuery) {
				want := vcal(&compFilter{Name: "VEVENT", TimeRange: tr(t, "", "20250101T000000Z"),
					Props: []*propFilter{{Name: "SUMMARY", TextMatch: &textMatch{Text: "x", Collation: collationASCIICasemap}}}})
				if !reflect.DeepEqual(q.Filter, want) {
					t.Errorf("filter %s", dump(q.Filter))
				}
			}},
		{"text-match keeps white space and entities", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY">` +
			`<C:text-match collation="I;UNICODE-CASEMAP"> a &amp; <![CDATA[<b>]]> </C:text-match></C:prop-filter></C:comp-filter>`),
			func(t *testing.T, q *calendarQuery) {
				tm := q.Filter.Comps[0].Props[0].TextMatch
				if *tm != (textMatch{Text: " a & <b> ", Collation: collationUnicodeCasemap}) {
					t.Errorf("text-match %+v", *tm)
				}
			}},
		{"X- component and property, param-filter", filterBody(`<C:comp-filter name="X-THING"><C:prop-filter name="X-P">` +
			`<C:param-filter name="X-Q"><C:is-not-defined/></C:param-filter></C:prop-filter></C:comp-filter>`),
			func(t *testing.T, q *calendarQuery) {
				want := vcal(&compFilter{Name: "X-THING", Props: []*propFilter{{Name: "X-P", Params: []*paramFilter{{Name: "X-Q", IsNotDefined: true}}}}})
				if !reflect.DeepEqual(q.Filter, want) {
					t.Errorf("filter %s", dump(q.Filter))
				}
			}},
		{"time-range on an X- property", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="X-WHEN"><C:time-range start="20250101T000000Z"/></C:prop-filter></C:comp-filter>`),
			nil},
		{"allcomp test attribute allof", filterBody(`<C:comp-filter name="VEVENT" test="allof"/>`), nil},
		{"allprop", query(`<D:allprop/><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`),
			func(t *testing.T, q *calendarQuery) {
				if q.Props.Kind != dav.PropfindAllProp || q.Data != nil {
					t.Errorf("props %+v data %v", q.Props, q.Data)
				}
			}},
		{"propname", query(`<D:propname/><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`),
			func(t *testing.T, q *calendarQuery) {
				if q.Props.Kind != dav.PropfindPropName {
					t.Errorf("props %+v", q.Props)
				}
			}},
		{"no prop is allprop", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`),
			func(t *testing.T, q *calendarQuery) {
				if q.Props.Kind != dav.PropfindAllProp || q.Data != nil {
					t.Errorf("props %+v data %v", q.Props, q.Data)
				}
			}},
		{"props in order without duplicates, calendar-data apart, first calendar-data counts", query(`<D:prop><D:getetag/>` +
			`<C:calendar-data content-type="text/calendar; charset=utf-8" version="2.0"/><X:y xmlns:X="urn:x"/><D:getetag/>` +
			`<C:calendar-data><C:expand start="20250101T000000Z" end="20250102T000000Z"/></C:calendar-data>` +
			`</D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`),
			func(t *testing.T, q *calendarQuery) {
				if want := []xml.Name{dav.DAVName("getetag"), {Space: "urn:x", Local: "y"}}; !reflect.DeepEqual(q.Props.Props, want) {
					t.Errorf("props %v", q.Props.Props)
				}
				if q.Data == nil || !q.Data.passThrough() {
					t.Errorf("data %s", dump(q.Data))
				}
			}},
		{"unknown elements outside the filter are ignored", query(`<X:hint xmlns:X="urn:x"><X:z/></X:hint>` +
			`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:limit><C:nresults>25</C:nresults></C:limit>`),
			func(t *testing.T, q *calendarQuery) {
				if q.Limit != 25 {
					t.Errorf("limit %d", q.Limit)
				}
			}},
		{"timezone-id", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone-id> Europe/Berlin </C:timezone-id>`),
			func(t *testing.T, q *calendarQuery) {
				if q.Timezone == nil || q.Timezone.String() != berlin.String() || q.TimezoneCal != nil {
					t.Errorf("timezone %v %v", q.Timezone, q.TimezoneCal)
				}
			}},
		{"timezone-id with a Windows name", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone-id>W. Europe Standard Time</C:timezone-id>`),
			func(t *testing.T, q *calendarQuery) {
				if q.Timezone == nil || q.Timezone.String() != "Europe/Berlin" {
					t.Errorf("timezone %v", q.Timezone)
				}
			}},
		{"timezone with an IANA TZID", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone>` +
			dav.EscapeText(vtimezone("Europe/Berlin")) + `</C:timezone>`),
			func(t *testing.T, q *calendarQuery) {
				if q.Timezone == nil || q.Timezone.String() != "Europe/Berlin" || q.TimezoneCal == nil {
					t.Errorf("timezone %v %v", q.Timezone, q.TimezoneCal)
				}
			}},
		{"timezone with a Lightning TZID", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone><![CDATA[` +
			vtimezone("/mozilla.org/20050126_1/Europe/Berlin") + `]]></C:timezone>`),
			func(t *testing.T, q *calendarQuery) {
				if q.Timezone == nil || q.Timezone.String() != "Europe/Berlin" || q.TimezoneCal == nil {
					t.Errorf("timezone %v %v", q.Timezone, q.TimezoneCal)
				}
			}},
		{"timezone with a custom TZID", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone>` +
			vtimezone("My Zone") + `</C:timezone>`),
			func(t *testing.T, q *calendarQuery) {
				if q.Timezone != nil || q.TimezoneCal == nil || len(q.TimezoneCal.Children) != 1 {
					t.Errorf("timezone %v %v", q.Timezone, q.TimezoneCal)
				}
			}},
		{"calendar-data selectors", dataBody(`<C:calendar-data><C:comp name="vcalendar"><C:allprop/><C:prop name="VERSION"/>` +
			`<C:comp name="VEVENT"><C:prop name="uid"/><C:prop name="ATTENDEE" novalue="yes"/><C:prop name="UID" novalue="yes"/>` +
			`<C:allcomp/></C:comp><C:comp name="VTODO"><C:allprop/></C:comp></C:comp>` +
			`<C:limit-freebusy-set start="20060102T000000Z" end="20060103T000000Z"/></C:calendar-data>`),
			func(t *testing.T, q *calendarQuery) {
				want := &calendarDataRequest{comp: &compSelector{name: "VCALENDAR", allProps: true, props: []propSelector{{name: "VERSION"}},
					comps: []*compSelector{
						{name: "VEVENT", props: []propSelector{{name: "UID"}, {name: "ATTENDEE", noValue: true}}, allComps: true},
						{name: "VTODO", allProps: true},
					}}, limitFreeBusy: tr(t, "20060102T000000Z", "20060103T000000Z")}
				if !reflect.DeepEqual(q.Data, want) {
					t.Errorf("data %s, want %s", dump(q.Data), dump(want))
				}
			}},
		{"a whole VCALENDAR comp is no selection", dataBody(`<C:calendar-data><C:comp name="VCALENDAR"><C:allprop/><C:allcomp/></C:comp></C:calendar-data>`),
			func(t *testing.T, q *calendarQuery) {
				if !q.Data.passThrough() {
					t.Errorf("data %s", dump(q.Data))
				}
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := parseCalendarQuery(tc.body)
			if err != nil {
				t.Fatal(err)
			}
			if q.Filter == nil || q.Props == nil {
				t.Fatalf("filter %v props %v", q.Filter, q.Props)
			}
			if tc.check != nil {
				tc.check(t, q)
			}
		})
	}
}

// wantError checks that err is a *dav.Error with the status and
// condition (local name in the CalDAV namespace, "" for none).
func wantError(t *testing.T, err error, status int, cond string) *dav.Error {
	t.Helper()
	var de *dav.Error
	if !errors.As(err, &de) {
		t.Fatalf("error %v (%T), want *dav.Error %d %s", err, err, status, cond)
	}
	var wantCond xml.Name
	if cond != "" {
		wantCond = dav.CalDAVName(cond)
	}
	if de.Status != status || de.Condition != wantCond {
		t.Fatalf("error %v, want %d %s", de, status, cond)
	}
	if de.Message == "" {
		t.Errorf("error %v has no message", de)
	}
	return de
}

func TestParseCalendarQueryErrors(t *testing.T) {
	t.Parallel()
	deep := strings.Repeat(`<C:comp-filter name="X-A">`, maxFilterDepth) + strings.Repeat(`</C:comp-filter>`, maxFilterDepth)
	many := `<C:comp-filter name="VEVENT">` + strings.Repeat(`<C:prop-filter name="SUMMARY"/>`, maxFilterElements) + `</C:comp-filter>`
	const bad, forbidden = http.StatusBadRequest, http.StatusForbidden
	for _, tc := range []struct {
		name   string
		body   []byte
		status int
		cond   string
		msg    string // part of the message
	}{
		{"empty body", nil, bad, "", "empty"},
		{"malformed XML", []byte(`<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:filter>`), bad, "", "malformed XML"},
		{"mismatched tags", query(`<C:filter></C:comp-filter>`), bad, "", "malformed XML"},
		{"wrong root", []byte(`<D:propfind xmlns:D="DAV:"/>`), bad, "", "calendar-query"},
		{"two roots", append(query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`), "<x/>"...), bad, "", "root"},
		{"no filter", query(`<D:prop><D:getetag/></D:prop>`), bad, "", "no filter"},
		{"two filters", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`), bad, "", "more than one filter"},
		{"empty filter", query(`<C:filter/>`), bad, "", "no comp-filter"},
		{"two top comp-filters", query(`<C:filter><C:comp-filter name="VCALENDAR"/><C:comp-filter name="VCALENDAR"/></C:filter>`), bad, "", "more than one comp-filter"},
		{"prop and allprop", query(`<D:prop><D:getetag/></D:prop><D:allprop/><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`), bad, "", "more than one of prop"},
		{"top comp-filter VEVENT", query(`<C:filter><C:comp-filter name="VEVENT"/></C:filter>`), forbidden, condValidFilter, "VCALENDAR"},
		{"VEVENT inside VTODO", filterBody(`<C:comp-filter name="VTODO"><C:comp-filter name="VEVENT"/></C:comp-filter>`), forbidden, condValidFilter, "inside"},
		{"VALARM at the second level", filterBody(`<C:comp-filter name="VALARM"/>`), forbidden, condValidFilter, "VALARM"},
		{"VCALENDAR nested", filterBody(`<C:comp-filter name="VCALENDAR"/>`), forbidden, condValidFilter, "VCALENDAR"},
		{"STANDARD in VEVENT", filterBody(`<C:comp-filter name="VEVENT"><C:comp-filter name="STANDARD"/></C:comp-filter>`), forbidden, condValidFilter, "VTIMEZONE"},
		{"time-range on VCALENDAR", query(`<C:filter><C:comp-filter name="VCALENDAR"><C:time-range start="20060104T000000Z"/></C:comp-filter></C:filter>`), forbidden, condValidFilter, "VCALENDAR"},
		{"time-range on VTIMEZONE", filterBody(`<C:comp-filter name="VTIMEZONE"><C:time-range start="20060104T000000Z"/></C:comp-filter>`), forbidden, condValidFilter, "VTIMEZONE"},
		{"time-range on SUMMARY", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="SUMMARY"><C:time-range start="20060104T000000Z"/></C:prop-filter></C:comp-filter>`), forbidden, condValidFilter, "SUMMARY"},
		{"comp-filter without name", filterBody(`<C:comp-filter/>`), bad, "", "no name"},
		{"prop-filter without name", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter/></C:comp-filter>`), bad, "", "no name"},
		{"comp-filter name with a space", filterBody(`<C:comp-filter name="V EVENT"/>`), forbidden, condSupportedFilter, "iCalendar name"},
		{"prop-filter name with a colon", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="A:B"/></C:comp-filter>`), forbidden, condSupportedFilter, "iCalendar name"},
		{"unknown CalDAV element in comp-filter", filterBody(`<C:comp-filter name="VEVENT"><C:is-defined/></C:comp-filter>`), forbidden, condSupportedFilter, "is-defined"},
		{"foreign element in filter", query(`<C:filter><X:or xmlns:X="urn:x"/><C:comp-filter name="VCALENDAR"/></C:filter>`), forbidden, condSupportedFilter, "{urn:x}or"},
		{"text-match in comp-filter", filterBody(`<C:comp-filter name="VEVENT"><C:text-match>x</C:text-match></C:comp-filter>`), forbidden, condSupportedFilter, "text-match"},
		{"time-range in param-filter", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter name="PARTSTAT"><C:time-range start="20060104T000000Z"/></C:param-filter></C:prop-filter></C:comp-filter>`), forbidden, condSupportedFilter, "time-range"},
		{"anyof", filterBody(`<C:comp-filter name="VEVENT" test="anyof"/>`), forbidden, condSupportedFilter, "anyof"},
		{"is-not-defined and time-range", filterBody(`<C:comp-filter name="VEVENT"><C:is-not-defined/><C:time-range start="20060104T000000Z"/></C:comp-filter>`), bad, "", "is-not-defined"},
		{"two time-ranges", filterBody(`<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z"/><C:time-range start="20060105T000000Z"/></C:comp-filter>`), bad, "", "more than one time-range"},
		{"time-range and text-match", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:time-range start="20060104T000000Z"/><C:text-match>2006</C:text-match></C:prop-filter></C:comp-filter>`), bad, "", "more than one"},
		{"prop is-not-defined and text-match", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:is-not-defined/><C:text-match>x</C:text-match></C:prop-filter></C:comp-filter>`), bad, "", "is-not-defined"},
		{"two text-matches in param-filter", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="ATTENDEE"><C:param-filter name="CN"><C:text-match>a</C:text-match><C:text-match>b</C:text-match></C:param-filter></C:prop-filter></C:comp-filter>`), bad, "", "more than one text-match"},
		{"unsupported collation", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match collation="i;basic">x</C:text-match></C:prop-filter></C:comp-filter>`), forbidden, "supported-collation", "i;basic"},
		{"collation wildcard", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match collation="i;*">x</C:text-match></C:prop-filter></C:comp-filter>`), forbidden, "supported-collation", "i;*"},
		{"negate-condition maybe", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match negate-condition="maybe">x</C:text-match></C:prop-filter></C:comp-filter>`), bad, "", "negate-condition"},
		{"element in text-match", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"><C:text-match>x<b/></C:text-match></C:prop-filter></C:comp-filter>`), bad, "", "text only"},
		{"floating time-range", filterBody(`<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000"/></C:comp-filter>`), forbidden, condValidFilter, "not a UTC date-time"},
		{"date time-range", filterBody(`<C:comp-filter name="VEVENT"><C:time-range start="20060104"/></C:comp-filter>`), forbidden, condValidFilter, "not a UTC date-time"},
		{"ISO 8601 time-range", filterBody(`<C:comp-filter name="VEVENT"><C:time-range end="2006-01-04T00:00:00Z"/></C:comp-filter>`), forbidden, condValidFilter, "not a UTC date-time"},
		{"offset time-range", filterBody(`<C:comp-filter name="VEVENT"><C:time-range end="20060104T000000+0100"/></C:comp-filter>`), forbidden, condValidFilter, "not a UTC date-time"},
		{"impossible date", filterBody(`<C:comp-filter name="VEVENT"><C:time-range end="20060230T000000Z"/></C:comp-filter>`), forbidden, condValidFilter, "not a UTC date-time"},
		{"time-range without bounds", filterBody(`<C:comp-filter name="VEVENT"><C:time-range/></C:comp-filter>`), forbidden, condValidFilter, "start or an end"},
		{"time-range end before start", filterBody(`<C:comp-filter name="VEVENT"><C:time-range start="20060105T000000Z" end="20060104T000000Z"/></C:comp-filter>`), forbidden, condValidFilter, "before or when"},
		{"time-range end at start", filterBody(`<C:comp-filter name="VEVENT"><C:time-range start="20060105T000000Z" end="20060105T000000Z"/></C:comp-filter>`), forbidden, condValidFilter, "before or when"},
		{"floating time-range in prop-filter", filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="DTSTART"><C:time-range start="20060104T000000"/></C:prop-filter></C:comp-filter>`), forbidden, condValidFilter, "not a UTC date-time"},
		{"time-range in a VALARM, reversed", filterBody(`<C:comp-filter name="VEVENT"><C:comp-filter name="VALARM"><C:time-range start="20060105T000000Z" end="20060104T000000Z"/></C:comp-filter></C:comp-filter>`), forbidden, condValidFilter, "before or when"},
		{"filter too deep", filterBody(deep), bad, "", "nests"},
		{"filter too large", filterBody(many), bad, "", "elements"},
		{"calendar-data JSON", dataBody(`<C:calendar-data content-type="application/calendar+json"/>`), forbidden, condSupportedData, "application/calendar+json"},
		{"calendar-data version 1.0", dataBody(`<C:calendar-data version="1.0"/>`), forbidden, condSupportedData, "1.0"},
		{"expand without end", dataBody(`<C:calendar-data><C:expand start="20060103T000000Z"/></C:calendar-data>`), bad, "", "both a start and an end"},
		{"expand floating", dataBody(`<C:calendar-data><C:expand start="20060103T000000" end="20060105T000000Z"/></C:calendar-data>`), bad, "", "not a UTC date-time"},
		{"expand reversed", dataBody(`<C:calendar-data><C:expand start="20060105T000000Z" end="20060103T000000Z"/></C:calendar-data>`), bad, "", "before or when"},
		{"expand and limit-recurrence-set", dataBody(`<C:calendar-data><C:expand start="20060103T000000Z" end="20060105T000000Z"/>` +
			`<C:limit-recurrence-set start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data>`), bad, "", "more than one of expand"},
		{"limit-freebusy-set without start", dataBody(`<C:calendar-data><C:limit-freebusy-set end="20060105T000000Z"/></C:calendar-data>`), bad, "", "both"},
		{"comp without name", dataBody(`<C:calendar-data><C:comp/></C:calendar-data>`), bad, "", "no name"},
		{"outer comp VEVENT", dataBody(`<C:calendar-data><C:comp name="VEVENT"/></C:calendar-data>`), bad, "", "VCALENDAR"},
		{"two comps", dataBody(`<C:calendar-data><C:comp name="VCALENDAR"/><C:comp name="VCALENDAR"/></C:calendar-data>`), bad, "", "more than one comp"},
		{"prop without name", dataBody(`<C:calendar-data><C:comp name="VCALENDAR"><C:prop/></C:comp></C:calendar-data>`), bad, "", "no name"},
		{"novalue maybe", dataBody(`<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION" novalue="maybe"/></C:comp></C:calendar-data>`), bad, "", "novalue"},
		{"timezone not iCalendar", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone>Europe/Berlin</C:timezone>`), forbidden, condValidData, "timezone"},
		{"timezone empty", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone/>`), forbidden, condValidData, "empty"},
		{"timezone without VTIMEZONE", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone>BEGIN:VCALENDAR&#13;
VERSION:2.0&#13;
END:VCALENDAR&#13;
</C:timezone>`), forbidden, condValidData, "exactly one VTIMEZONE"},
		{"unknown timezone-id", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone-id>Mars/Olympus</C:timezone-id>`), forbidden, "valid-timezone", "Mars/Olympus"},
		{"Local timezone-id", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone-id>Local</C:timezone-id>`), forbidden, "valid-timezone", "Local"},
		{"timezone and timezone-id", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:timezone-id>UTC</C:timezone-id><C:timezone-id>UTC</C:timezone-id>`), bad, "", "more than one timezone"},
		{"unknown element with a local name that cannot start a name", query(`<X:0 xmlns:X="urn:x"/><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`), bad, "", "invalid qualified name"},
		{"prefix bound to the empty name", query(`<X:a xmlns:X="urn:x" xmlns:p=""/><C:filter><C:comp-filter name="VCALENDAR"/></C:filter>`), bad, "", "empty namespace name"},
		{"nresults not a number", query(`<C:filter><C:comp-filter name="VCALENDAR"/></C:filter><C:limit><C:nresults>many</C:nresults></C:limit>`), bad, "", "nresults"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := parseCalendarQuery(tc.body)
			if err == nil {
				t.Fatalf("accepted: %s", dump(q.Filter))
			}
			de := wantError(t, err, tc.status, tc.cond)
			if !strings.Contains(de.Message, tc.msg) {
				t.Errorf("message %q does not mention %q", de.Message, tc.msg)
			}
		})
	}
}

// TestSupportedFilterBody checks that supported-filter names the
// element it refuses, as RFC 4791 7.8.10 shows.
func TestSupportedFilterBody(t *testing.T) {
	t.Parallel()
	_, err := parseCalendarQuery(filterBody(`<C:comp-filter name="VEVENT"><C:prop-filter name="X&quot;Y"/></C:comp-filter>`))
	de := wantError(t, err, http.StatusForbidden, condSupportedFilter)
	if want := `<C:prop-filter name="X&quot;Y"/>`; de.ConditionBody != want {
		t.Errorf("condition body %q, want %q", de.ConditionBody, want)
	}
}

func TestParseCalendarMultiget(t *testing.T) {
	t.Parallel()
	m, err := parseCalendarMultiget(queryFile(t, "rfc4791-7.9.1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/bernard/work/abcd1.ics", "/bernard/work/mtg1.ics"}; !reflect.DeepEqual(m.Hrefs, want) {
		t.Errorf("hrefs %q, want %q", m.Hrefs, want)
	}
	if m.Props.Kind != dav.PropfindProp || !reflect.DeepEqual(m.Props.Props, getetag) || m.Data == nil || !m.Data.passThrough() {
		t.Errorf("props %+v data %s", m.Props, dump(m.Data))
	}

	m, err = parseCalendarMultiget([]byte(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
		`<D:prop><C:calendar-data><C:expand start="20060103T000000Z" end="20060105T000000Z"/></C:calendar-data></D:prop>` +
		"<D:href>\n  /c/a%20b.ics\n</D:href><D:href>https://h/c/x.ics</D:href><D:href>/c/a%20b.ics</D:href></C:calendar-multiget>"))
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/c/a%20b.ics", "https://h/c/x.ics", "/c/a%20b.ics"}; !reflect.DeepEqual(m.Hrefs, want) {
		t.Errorf("hrefs %q, want %q", m.Hrefs, want)
	}
	if m.Data == nil || !reflect.DeepEqual(m.Data.expand, tr(t, "20060103T000000Z", "20060105T000000Z")) || len(m.Props.Props) != 0 {
		t.Errorf("props %+v data %s", m.Props, dump(m.Data))
	}

	for _, tc := range []struct {
		name, body string
		status     int
		cond       string
	}{
		{"no href", `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop></C:calendar-multiget>`, 400, ""},
		{"empty href", `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:href> </D:href></C:calendar-multiget>`, 400, ""},
		{"element in href", `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:href>/a<b/></D:href></C:calendar-multiget>`, 400, ""},
		{"wrong root", `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:href>/a</D:href></C:calendar-query>`, 400, ""},
		{"unsupported calendar-data", `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><C:calendar-data content-type="text/plain"/></D:prop><D:href>/a</D:href></C:calendar-multiget>`, 403, condSupportedData},
		{"truncated", `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:href>/a</D:href>`, 400, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCalendarMultiget([]byte(tc.body))
			wantError(t, err, tc.status, tc.cond)
		})
	}
}

func TestParseFreeBusyQuery(t *testing.T) {
	t.Parallel()
	q, err := parseFreeBusyQuery(queryFile(t, "rfc4791-7.10.1.xml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := tr(t, "20060104T140000Z", "20060105T220000Z"); q.Range != *want {
		t.Errorf("range %v, want %v", q.Range, *want)
	}
	const root = `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav">`
	for _, tc := range []struct{ name, body, msg string }{
		{"no time-range", root + `</C:free-busy-query>`, "no time-range"},
		{"open end", root + `<C:time-range start="20060104T140000Z"/></C:free-busy-query>`, "both"},
		{"open start", root + `<C:time-range end="20060104T140000Z"/></C:free-busy-query>`, "both"},
		{"not UTC", root + `<C:time-range start="20060104T140000" end="20060105T220000Z"/></C:free-busy-query>`, "not a UTC date-time"},
		{"reversed", root + `<C:time-range start="20060105T220000Z" end="20060104T140000Z"/></C:free-busy-query>`, "before or when"},
		{"two time-ranges", root + `<C:time-range start="20060104T140000Z" end="20060105T220000Z"/><C:time-range start="20060104T140000Z" end="20060105T220000Z"/></C:free-busy-query>`, "more than one"},
		{"wrong root", `<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>`, "free-busy-query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseFreeBusyQuery([]byte(tc.body))
			de := wantError(t, err, http.StatusBadRequest, "")
			if !strings.Contains(de.Message, tc.msg) {
				t.Errorf("message %q does not mention %q", de.Message, tc.msg)
			}
		})
	}
}

func TestPlan(t *testing.T) {
	t.Parallel()
	jan4 := tr(t, "20060104T000000Z", "20060105T000000Z")
	for _, tc := range []struct {
		name       string
		filter     string // inside the VCALENDAR comp-filter
		components []string
		span       *TimeRange
		exact      bool
	}{
		{"everything", ``, nil, nil, true},
		{"events", `<C:comp-filter name="VEVENT"/>`, []string{"VEVENT"}, nil, true},
		{"events in a range", `<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter>`,
			[]string{"VEVENT"}, jan4, false},
		{"to-dos by property", `<C:comp-filter name="VTODO"><C:prop-filter name="COMPLETED"><C:is-not-defined/></C:prop-filter></C:comp-filter>`,
			[]string{"VTODO"}, nil, false},
		// The span of an object covers its alarm triggers, so a nested
		// VALARM range narrows the candidates too.
		{"to-dos by alarm", `<C:comp-filter name="VTODO"><C:comp-filter name="VALARM"><C:time-range start="20060104T000000Z"/></C:comp-filter></C:comp-filter>`,
			[]string{"VTODO"}, &TimeRange{Start: time.Date(2006, 1, 4, 0, 0, 0, 0, time.UTC)}, false},
		{"no events", `<C:comp-filter name="VEVENT"><C:is-not-defined/></C:comp-filter>`, nil, nil, false},
		{"with a VTIMEZONE", `<C:comp-filter name="VTIMEZONE"/>`, nil, nil, false},
		{"events with a VTIMEZONE", `<C:comp-filter name="VEVENT"/><C:comp-filter name="VTIMEZONE"/>`, []string{"VEVENT"}, nil, false},
		{"events and to-dos: nothing", `<C:comp-filter name="VEVENT"/><C:comp-filter name="VTODO"/>`, []string{"VEVENT", "VTODO"}, nil, false},
		{"the same type twice", `<C:comp-filter name="VEVENT"/><C:comp-filter name="VEVENT"/>`, []string{"VEVENT"}, nil, true},
		{"hull of ranges", `<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter>` +
			`<C:comp-filter name="VEVENT"><C:time-range start="20060110T000000Z" end="20060111T000000Z"/></C:comp-filter>`,
			[]string{"VEVENT"}, tr(t, "20060104T000000Z", "20060111T000000Z"), false},
		{"open hull", `<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter>` +
			`<C:comp-filter name="VEVENT"><C:time-range start="20060110T000000Z"/></C:comp-filter>`,
			[]string{"VEVENT"}, tr(t, "20060104T000000Z", ""), false},
		{"a range and no range", `<C:comp-filter name="VEVENT"><C:time-range start="20060104T000000Z" end="20060105T000000Z"/></C:comp-filter>` +
			`<C:comp-filter name="VEVENT"><C:prop-filter name="UID"/></C:comp-filter>`,
			[]string{"VEVENT"}, jan4, false},
		{"calendar property", `<C:prop-filter name="X-WR-CALNAME"/>`, nil, nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := parseCalendarQuery(filterBody(tc.filter))
			if err != nil {
				t.Fatal(err)
			}
			comps, span, exact := q.Filter.plan()
			if !reflect.DeepEqual(comps, tc.components) || !reflect.DeepEqual(span, tc.span) || exact != tc.exact {
				t.Errorf("plan = %v, %v, %v; want %v, %v, %v", comps, span, exact, tc.components, tc.span, tc.exact)
			}
		})
	}
}
