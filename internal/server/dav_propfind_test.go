package server

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// propCheck checks the value of a property found with status 200.
type propCheck func(t *testing.T, p *xnode)

func hrefsAre(want ...string) propCheck {
	return func(t *testing.T, p *xnode) {
		t.Helper()
		if got := p.hrefs(); !slices.Equal(got, want) {
			t.Errorf("hrefs %q, want %q", got, want)
		}
	}
}

func textIs(want string) propCheck {
	return func(t *testing.T, p *xnode) {
		t.Helper()
		if p.Text != want || len(p.Children) != 0 {
			t.Errorf("value %q (children %v), want %q", p.Text, p.childNames(), want)
		}
	}
}

func childrenAre(want ...xml.Name) propCheck {
	return func(t *testing.T, p *xnode) {
		t.Helper()
		if got := p.childNames(); !sameNames(got, want) {
			t.Errorf("children %v, want %v", got, want)
		}
	}
}

func timeIn(layout string) propCheck {
	return func(t *testing.T, p *xnode) {
		t.Helper()
		tm, err := time.Parse(layout, p.Text)
		if err != nil {
			t.Errorf("value %q is not in the form %q: %v", p.Text, layout, err)
			return
		}
		if d := time.Since(tm); d < -time.Minute || d > time.Hour {
			t.Errorf("value %q is not about now", p.Text)
		}
	}
}

// privilegesInclude checks a current-user-privilege-set.
func privilegesInclude(want ...xml.Name) propCheck {
	return func(t *testing.T, p *xnode) {
		t.Helper()
		var got []xml.Name
		for _, pr := range p.all(dName("privilege")) {
			got = append(got, pr.childNames()...)
		}
		for _, w := range want {
			if !slices.Contains(got, w) {
				t.Errorf("privileges %v lack %s", got, nameStr(w))
			}
		}
	}
}

func present(t *testing.T, p *xnode) {}

// Every live property of the issue, on each kind of resource it applies
// to, with its value; and on the kinds it does not apply to, a 404.
func TestDAVPropfindLiveProperties(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{maxResourceSize: 123456}, "alice")
	ev := event("live-1", "Live properties")
	evTag := e.put(t, "alice", "/calendars/alice/default/ev.ics", ev, ctCal)
	vc := card("live-c", "Live Card")
	vcTag := e.put(t, "alice", "/addressbooks/alice/default/c.vcf", vc, ctCard)
	tz := crlf("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//x//y//EN", "BEGIN:VTIMEZONE", "TZID:Europe/Paris",
		"BEGIN:STANDARD", "DTSTART:19961027T030000", "TZOFFSETFROM:+0200", "TZOFFSETTO:+0100", "END:STANDARD",
		"END:VTIMEZONE", "END:VCALENDAR")
	e.do(t, "alice", "PROPPATCH", "/calendars/alice/default/", proppatchSet(
		`<C:calendar-description xmlns:C="urn:ietf:params:xml:ns:caldav">Work &amp; play</C:calendar-description>`,
		`<I:calendar-color xmlns:I="http://apple.com/ns/ical/">#112233FF</I:calendar-color>`,
		`<I:calendar-order xmlns:I="http://apple.com/ns/ical/">4</I:calendar-order>`,
		`<C:calendar-timezone xmlns:C="urn:ietf:params:xml:ns:caldav">`+xmlEscape(tz)+`</C:calendar-timezone>`,
	)).want(t, http.StatusMultiStatus)
	e.do(t, "alice", "PROPPATCH", "/addressbooks/alice/default/", proppatchSet(
		`<CR:addressbook-description xmlns:CR="urn:ietf:params:xml:ns:carddav">People</CR:addressbook-description>`,
	)).want(t, http.StatusMultiStatus)

	me := []string{"/principals/alice/"}
	common := map[xml.Name]propCheck{
		dName("current-user-principal"):   hrefsAre(me...),
		dName("principal-collection-set"): hrefsAre("/principals/"),
		dName("supported-report-set"):     present,
	}
	owned := map[xml.Name]propCheck{
		dName("owner"):                      hrefsAre(me...),
		dName("current-user-privilege-set"): privilegesInclude(dName("read"), dName("write"), dName("write-content"), dName("bind"), dName("unbind")),
	}
	with := func(ms ...map[xml.Name]propCheck) map[xml.Name]propCheck {
		out := map[xml.Name]propCheck{}
		for _, m := range ms {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	collection := map[xml.Name]propCheck{
		dName("creationdate"):    timeIn(time.RFC3339),
		dName("getlastmodified"): timeIn(http.TimeFormat),
		dName("sync-token"): func(t *testing.T, p *xnode) {
			if !strings.Contains(p.Text, ":") {
				t.Errorf("sync-token %q is not a URI", p.Text)
			}
		},
		csName("getctag"): func(t *testing.T, p *xnode) {
			if strings.TrimSpace(p.Text) == "" {
				t.Error("empty getctag")
			}
		},
	}
	object := map[xml.Name]propCheck{
		dName("resourcetype"):    childrenAre(),
		dName("getlastmodified"): timeIn(http.TimeFormat),
		dName("creationdate"):    timeIn(time.RFC3339),
	}
	// Properties of one kind that must be 404 on the others.
	principalOnly := []xml.Name{dName("principal-URL"), cName("calendar-home-set"), crName("addressbook-home-set"), cName("calendar-user-address-set")}
	collectionOnly := []xml.Name{csName("getctag"), dName("sync-token"), cName("supported-calendar-component-set"), cName("calendar-description"),
		crName("addressbook-description"), crName("supported-address-data"), cName("supported-calendar-data"), icalName("calendar-color")}
	homeAbsent := slices.DeleteFunc(slices.Clone(collectionOnly), func(n xml.Name) bool { return n == dName("sync-token") })
	// Collections define getcontenttype and getcontentlength too (their
	// GET has a body: dav_collection_get_test.go).
	objectOnly := []xml.Name{dName("getetag")}
	unknown := []xml.Name{{Space: "urn:example:nothing", Local: "nope"}, {Space: "", Local: "nonamespace"}, cName("schedule-inbox-URL")}

	for _, tc := range []struct {
		path   string
		want   map[xml.Name]propCheck
		absent []xml.Name
	}{
		{"/principals/alice/", with(common, owned, map[xml.Name]propCheck{
			dName("resourcetype"):          childrenAre(dName("collection"), dName("principal")),
			dName("displayname"):           textIs("User alice"),
			dName("principal-URL"):         hrefsAre(me...),
			cName("calendar-home-set"):     hrefsAre("/calendars/alice/"),
			crName("addressbook-home-set"): hrefsAre("/addressbooks/alice/"),
			cName("calendar-user-address-set"): func(t *testing.T, p *xnode) {
				h := p.hrefs()
				if len(h) == 0 || h[0] != "mailto:alice@example.org" {
					t.Errorf("calendar-user-address-set %q, want mailto:alice@example.org first", h)
				}
			},
		}), slices.Concat(collectionOnly, objectOnly, unknown)},
		{"/calendars/alice/", with(common, owned, map[xml.Name]propCheck{
			dName("resourcetype"): childrenAre(dName("collection")),
			// The home's own token, for home-level sync
			// (docs/clients.md "Apple syncs the calendar home").
			dName("sync-token"): collection[dName("sync-token")],
		}), slices.Concat(principalOnly, homeAbsent, objectOnly, unknown)},
		{"/addressbooks/alice/", with(common, owned, map[xml.Name]propCheck{
			dName("resourcetype"): childrenAre(dName("collection")),
			// The home's own token, for home-level sync
			// (docs/clients.md "Apple syncs the calendar home").
			dName("sync-token"): collection[dName("sync-token")],
		}), slices.Concat(principalOnly, homeAbsent, objectOnly, unknown)},
		{"/calendars/alice/default/", with(common, owned, collection, map[xml.Name]propCheck{
			dName("resourcetype"):         childrenAre(dName("collection"), cName("calendar")),
			dName("displayname"):          textIs("Calendar"),
			cName("calendar-description"): textIs("Work & play"),
			cName("calendar-timezone"):    textIs(tz),
			icalName("calendar-color"):    textIs("#112233FF"),
			icalName("calendar-order"):    textIs("4"),
			cName("max-resource-size"):    textIs("123456"),
			cName("supported-calendar-component-set"): func(t *testing.T, p *xnode) {
				var got []string
				for _, c := range p.all(cName("comp")) {
					n, _ := c.attr(xml.Name{Local: "name"})
					got = append(got, n)
				}
				if !sameStrings(got, []string{"VEVENT", "VTODO"}) || len(p.Children) != len(got) {
					t.Errorf("components %q (children %v), want VEVENT, VTODO", got, p.childNames())
				}
			},
			cName("supported-calendar-data"): func(t *testing.T, p *xnode) {
				cd := p.child(cName("calendar-data"))
				if cd == nil {
					t.Fatalf("no calendar-data in %v", p.childNames())
				}
				if ct, _ := cd.attr(xml.Name{Local: "content-type"}); ct != "text/calendar" {
					t.Errorf("content-type %q", ct)
				}
				if v, _ := cd.attr(xml.Name{Local: "version"}); v != "2.0" {
					t.Errorf("version %q", v)
				}
			},
		}), slices.Concat(principalOnly, objectOnly, unknown, []xml.Name{crName("addressbook-description"), crName("supported-address-data")})},
		{"/addressbooks/alice/default/", with(common, owned, collection, map[xml.Name]propCheck{
			dName("resourcetype"):             childrenAre(dName("collection"), crName("addressbook")),
			dName("displayname"):              textIs("Contacts"),
			crName("addressbook-description"): textIs("People"),
			crName("max-resource-size"):       textIs("123456"),
			crName("supported-address-data"): func(t *testing.T, p *xnode) {
				var got []string
				for _, c := range p.all(crName("address-data-type")) {
					ct, _ := c.attr(xml.Name{Local: "content-type"})
					v, _ := c.attr(xml.Name{Local: "version"})
					got = append(got, ct+" "+v)
				}
				if !slices.Contains(got, "text/vcard 3.0") {
					t.Errorf("supported-address-data %q lacks text/vcard 3.0", got)
				}
			},
		}), slices.Concat(principalOnly, objectOnly, unknown, []xml.Name{cName("calendar-description"), cName("supported-calendar-component-set"), cName("calendar-timezone")})},
		{"/calendars/alice/default/ev.ics", with(common, owned, object, map[xml.Name]propCheck{
			dName("getetag"):          textIs(evTag),
			dName("getcontenttype"):   textIs("text/calendar; charset=utf-8; component=vevent"),
			dName("getcontentlength"): textIs(strconv.Itoa(len(ev))),
		}), slices.Concat(principalOnly, collectionOnly, unknown, []xml.Name{dName("displayname")})},
		{"/addressbooks/alice/default/c.vcf", with(common, owned, object, map[xml.Name]propCheck{
			dName("getetag"):          textIs(vcTag),
			dName("getcontenttype"):   textIs("text/vcard; charset=utf-8"),
			dName("getcontentlength"): textIs(strconv.Itoa(len(vc))),
		}), slices.Concat(principalOnly, collectionOnly, unknown)},
	} {
		t.Run(strings.Trim(tc.path, "/"), func(t *testing.T) {
			var names []xml.Name
			for n := range tc.want {
				names = append(names, n)
			}
			names = append(names, tc.absent...)
			r := e.propfind(t, "alice", tc.path, "0", names...).response(t, tc.path)
			for n, check := range tc.want {
				p, s := r.prop(n)
				if s != http.StatusOK {
					t.Errorf("%s: status %d, want 200", nameStr(n), s)
					continue
				}
				t.Run(n.Local, func(t *testing.T) { check(t, p) })
			}
			for _, n := range tc.absent {
				if s := r.propStatus(n); s != http.StatusNotFound {
					t.Errorf("%s: status %d, want 404", nameStr(n), s)
				}
			}
			// Nothing asked is missing from the answer, nothing extra.
			count := 0
			for _, ps := range r.Propstats {
				count += len(ps.Props)
			}
			if count != len(names) {
				t.Errorf("%d properties answered, %d asked", count, len(names))
			}
		})
	}

	// calendar-data and address-data are read with the object, at Depth 0
	// on the object as at Depth 1 on its collection.
	for _, tc := range []struct{ coll, name, data string }{
		{"/calendars/alice/default/", "ev.ics", ev},
		{"/addressbooks/alice/default/", "c.vcf", vc},
	} {
		prop := cName("calendar-data")
		if strings.HasPrefix(tc.coll, "/addressbooks/") {
			prop = crName("address-data")
		}
		for _, depth := range []string{"0", "1"} {
			path := tc.coll
			if depth == "0" {
				path += tc.name
			}
			p := e.propfind(t, "alice", path, depth, prop).response(t, tc.coll+tc.name).found(t, prop)
			if p.Text != tc.data {
				t.Errorf("%s Depth %s: %s = %q, want the stored bytes", path, depth, prop.Local, p.Text)
			}
		}
	}
}

// Depth 0 and 1 (and a missing Depth, read as 1); infinity is refused.
func TestDAVPropfindDepth(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice", "bob")
	e.put(t, "alice", "/calendars/alice/default/a.ics", event("d-a", "A"), ctCal)
	e.put(t, "alice", "/calendars/alice/default/b.ics", event("d-b", "B"), ctCal)
	e.do(t, "alice", "MKCALENDAR", "/calendars/alice/second/", "").want(t, http.StatusCreated)

	for _, tc := range []struct {
		path   string
		depth  []string // header lines
		status int
		hrefs  []string
	}{
		{"/calendars/alice/default/", []string{"Depth: 0"}, 207, []string{"/calendars/alice/default/"}},
		{"/calendars/alice/default/", []string{"Depth: 1"}, 207, []string{"/calendars/alice/default/", "/calendars/alice/default/a.ics", "/calendars/alice/default/b.ics"}},
		{"/calendars/alice/default/", nil, 207, []string{"/calendars/alice/default/", "/calendars/alice/default/a.ics", "/calendars/alice/default/b.ics"}},
		{"/calendars/alice/", []string{"Depth: 1"}, 207, []string{"/calendars/alice/", "/calendars/alice/default/", "/calendars/alice/second/"}},
		{"/calendars/alice/default/a.ics", []string{"Depth: 1"}, 207, []string{"/calendars/alice/default/a.ics"}},
		{"/principals/", []string{"Depth: 1"}, 207, []string{"/principals/", "/principals/alice/"}},
		{"/calendars/", []string{"Depth: 1"}, 207, []string{"/calendars/", "/calendars/alice/"}},
		{"/calendars/alice/default/", []string{"Depth: 2"}, 400, nil},
		{"/calendars/alice/default/missing.ics", []string{"Depth: 0"}, 404, nil},
	} {
		r := e.do(t, "alice", "PROPFIND", tc.path, propfindXML(dName("resourcetype"), dName("getetag")), tc.depth...)
		if r.Status != tc.status {
			t.Errorf("%s %v: status %d, want %d\n%s", tc.path, tc.depth, r.Status, tc.status, r.Body)
			continue
		}
		if tc.status != http.StatusMultiStatus {
			continue
		}
		if got := r.multistatus(t).hrefs(); !sameStrings(got, tc.hrefs) {
			t.Errorf("%s %v: hrefs %q, want %q", tc.path, tc.depth, got, tc.hrefs)
		}
		if r.Header.Get("DAV") == "" {
			t.Errorf("%s: PROPFIND answer without DAV header", tc.path)
		}
	}
	for _, v := range []string{"infinity", "Infinity"} {
		e.do(t, "alice", "PROPFIND", "/calendars/alice/", propfindXML(dName("resourcetype")), "Depth: "+v).
			condition(t, http.StatusForbidden, dName("propfind-finite-depth"))
	}
}

// allprop (with include), propname, and an empty body meaning allprop.
func TestDAVPropfindForms(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", "/calendars/alice/default/ev.ics", event("f-1", "Forms"), ctCal)
	dead := `<X:dead xmlns:X="urn:example:forms" a="1">kept</X:dead>`
	e.do(t, "alice", "PROPPATCH", "/calendars/alice/default/", proppatchSet(dead)).want(t, http.StatusMultiStatus)
	deadName := xml.Name{Space: "urn:example:forms", Local: "dead"}

	const (
		allprop  = `<?xml version="1.0" encoding="utf-8"?><propfind xmlns="DAV:"><allprop/></propfind>`
		include  = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:allprop/><D:include><CS:getctag xmlns:CS="http://calendarserver.org/ns/"/><D:supported-report-set/></D:include></D:propfind>`
		propname = `<?xml version="1.0" encoding="utf-8"?><D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`
	)
	names := func(r *msResponse, status int) []xml.Name {
		var out []xml.Name
		for _, ps := range r.Propstats {
			if ps.Status == status {
				for _, p := range ps.Props {
					out = append(out, p.Name)
				}
			}
		}
		return out
	}
	coll, obj := "/calendars/alice/default/", "/calendars/alice/default/ev.ics"

	// allprop: the RFC 4918 live properties and the dead ones, not the
	// expensive CalDAV ones; no 404s.
	ms := e.do(t, "alice", "PROPFIND", coll, allprop, "Depth: 1").multistatus(t)
	cr := ms.response(t, coll)
	for _, n := range []xml.Name{dName("resourcetype"), dName("displayname"), deadName} {
		if cr.propStatus(n) != http.StatusOK {
			t.Errorf("allprop on the calendar lacks %s: %v", nameStr(n), names(cr, 200))
		}
	}
	if d := diffXML(cr.found(t, deadName), mustParseXML(t, []byte(dead))); d != "" {
		t.Errorf("allprop dead property: %s", d)
	}
	or := ms.response(t, obj)
	for _, n := range []xml.Name{dName("resourcetype"), dName("getetag"), dName("getcontenttype"), dName("getcontentlength"), dName("getlastmodified")} {
		if or.propStatus(n) != http.StatusOK {
			t.Errorf("allprop on the object lacks %s: %v", nameStr(n), names(or, 200))
		}
	}
	if or.propStatus(cName("calendar-data")) != 0 {
		t.Error("allprop returns calendar-data (RFC 4791 9.6 keeps it out)")
	}
	for _, r := range ms.Responses {
		for _, ps := range r.Propstats {
			if ps.Status != http.StatusOK {
				t.Errorf("allprop %s: a %d propstat", r.Href, ps.Status)
			}
		}
	}
	allNames := names(cr, 200)

	// An empty body is allprop (RFC 4918 9.1).
	r0 := e.do(t, "alice", "PROPFIND", coll, "", "Depth: 0").multistatus(t).response(t, coll)
	if got := names(r0, 200); !sameNames(got, allNames) {
		t.Errorf("empty body: properties %v, want allprop's %v", got, allNames)
	}
	// A propfind element holding none of prop, allprop and propname is
	// not (RFC 4918 14.20 requires one): 400.
	e.do(t, "alice", "PROPFIND", coll, `<?xml version="1.0"?><propfind xmlns="DAV:"/>`, "Depth: 0").want(t, http.StatusBadRequest)

	// include adds to allprop.
	r := e.do(t, "alice", "PROPFIND", coll, include, "Depth: 0").multistatus(t).response(t, coll)
	for _, n := range append([]xml.Name{csName("getctag"), dName("supported-report-set")}, allNames...) {
		if r.propStatus(n) != http.StatusOK {
			t.Errorf("allprop+include lacks %s", nameStr(n))
		}
	}

	// propname: every name, no values.
	ms = e.do(t, "alice", "PROPFIND", coll, propname, "Depth: 1").multistatus(t)
	for _, tc := range []struct {
		href string
		want []xml.Name
	}{
		{coll, []xml.Name{dName("resourcetype"), dName("displayname"), csName("getctag"), dName("sync-token"), cName("supported-calendar-component-set"), deadName}},
		{obj, []xml.Name{dName("resourcetype"), dName("getetag"), dName("getcontenttype"), cName("calendar-data")}},
	} {
		r := ms.response(t, tc.href)
		for _, n := range tc.want {
			p, s := r.prop(n)
			if s != http.StatusOK {
				t.Errorf("propname %s lacks %s", tc.href, nameStr(n))
				continue
			}
			if strings.TrimSpace(p.Inner) != "" || len(p.Attrs) != 0 {
				t.Errorf("propname %s: %s has a value %q", tc.href, nameStr(n), p.Inner)
			}
		}
	}
}

// A property a resource lacks is a 404 propstat after the 200 one;
// Prefer: return=minimal and Brief: t leave the 404s out but keep a
// propstat in every response.
func TestDAVPropfindNotFoundAndMinimal(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", "/calendars/alice/default/ev.ics", event("m-1", "Minimal"), ctCal)
	missing := xml.Name{Space: "urn:example:x", Local: "missing"}
	coll := "/calendars/alice/default/"

	ms := e.propfind(t, "alice", coll, "1", missing, dName("resourcetype"), dName("getetag"), csName("getctag"))
	r := ms.response(t, coll)
	if len(r.Propstats) != 2 || r.Propstats[0].Status != 200 || r.Propstats[1].Status != 404 {
		t.Fatalf("propstats %d, want 200 then 404", len(r.Propstats))
	}
	if got := r.Propstats[1].Props; len(got) != 2 || r.propStatus(missing) != 404 || r.propStatus(dName("getetag")) != 404 {
		t.Errorf("404 propstat holds %d properties, want missing and getetag", len(got))
	}
	o := ms.response(t, coll+"ev.ics")
	if o.propStatus(csName("getctag")) != 404 || o.propStatus(dName("getetag")) != 200 {
		t.Error("object: getctag should be 404, getetag 200")
	}

	for _, hdr := range []string{"Prefer: return=minimal", "Brief: t", "Prefer: return-minimal"} {
		for _, props := range [][]xml.Name{
			{missing, dName("resourcetype"), dName("getetag")},
			{missing}, // nothing found: an empty 200 propstat remains
		} {
			r := e.do(t, "alice", "PROPFIND", coll, propfindXML(props...), "Depth: 1", hdr)
			ms := r.multistatus(t)
			if len(ms.Responses) != 2 {
				t.Errorf("%s: %d responses, want 2", hdr, len(ms.Responses))
			}
			for _, resp := range ms.Responses {
				if len(resp.Propstats) == 0 {
					t.Errorf("%s: %s has no propstat", hdr, resp.Href)
				}
				for _, ps := range resp.Propstats {
					if ps.Status == http.StatusNotFound {
						t.Errorf("%s: %s still has a 404 propstat", hdr, resp.Href)
					}
				}
			}
			if props[0] != missing || len(props) == 1 {
				continue
			}
			if ms.response(t, coll).propStatus(dName("resourcetype")) != 200 || ms.response(t, coll+"ev.ics").propStatus(dName("getetag")) != 200 {
				t.Errorf("%s dropped found properties", hdr)
			}
		}
	}
}

// Dead properties set by PROPPATCH come back as they were sent: namespace,
// text (CRs and spaces included), attributes (also namespaced), nested
// elements and their namespaces, on every kind of resource that has them,
// by name and in allprop, at Depth 0 and as members at Depth 1.
func TestDAVDeadPropertyRoundTrip(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", "/calendars/alice/default/ev.ics", event("dead-1", "Dead"), ctCal)
	e.put(t, "alice", "/addressbooks/alice/default/c.vcf", card("dead-c", "Dead"), ctCard)

	props := []string{
		`<x:simple xmlns:x="urn:example:a">hello</x:simple>`,
		`<x:attrs xmlns:x="urn:example:a" xmlns:y="urn:example:b" plain="1" y:ns="two &amp; &quot;three&quot;">v</x:attrs>`,
		`<x:nested xmlns:x="urn:example:a"><x:child a="b">text<x:grand/></x:child><z:other xmlns:z="urn:example:c">&lt;&amp;&gt;</z:other> tail </x:nested>`,
		`<dflt xmlns="urn:example:d"><inner>x</inner><n2 xmlns="">no namespace inside</n2></dflt>`,
		`<x:cr xmlns:x="urn:example:a">line one&#13;` + "\n" + `line two  ` + "\t" + `</x:cr>`,
		`<x:uni xmlns:x="urn:example:a" xml:lang="de">Grüße 😀 «»</x:uni>`,
		`<x:empty xmlns:x="urn:example:a"/>`,
		`<x:spaces xmlns:x="urn:example:a">   </x:spaces>`,
		`<C:default-alarm-vevent-date xmlns:C="urn:ietf:params:xml:ns:caldav">BEGIN:VALARM&#13;` + "\n" + `END:VALARM&#13;` + "\n" + `</C:default-alarm-vevent-date>`,
	}
	body := proppatchSet(props...)
	sent := mustParseXML(t, []byte(body)).find(dName("prop"))
	var names []xml.Name
	for _, p := range sent.Children {
		names = append(names, p.Name)
	}

	for _, path := range []string{
		"/principals/alice/",
		"/calendars/alice/",
		"/addressbooks/alice/",
		"/calendars/alice/default/",
		"/addressbooks/alice/default/",
		"/calendars/alice/default/ev.ics",
		"/addressbooks/alice/default/c.vcf",
	} {
		t.Run(strings.Trim(path, "/"), func(t *testing.T) {
			ms := e.do(t, "alice", "PROPPATCH", path, body, "Content-Type: text/xml").multistatus(t)
			r := ms.response(t, path)
			for _, n := range names {
				if s := r.propStatus(n); s != http.StatusOK {
					t.Errorf("PROPPATCH %s: %d", nameStr(n), s)
				}
			}
			check := func(how string, r *msResponse) {
				t.Helper()
				for _, want := range sent.Children {
					got, s := r.prop(want.Name)
					if s != http.StatusOK {
						t.Errorf("%s: %s status %d", how, nameStr(want.Name), s)
						continue
					}
					if d := diffXML(got, want); d != "" {
						t.Errorf("%s: %s differs: %s\ngot  %s", how, nameStr(want.Name), d, got.Inner)
					}
				}
			}
			check("by name", e.propfind(t, "alice", path, "0", names...).response(t, path))
			check("allprop", e.do(t, "alice", "PROPFIND", path, "", "Depth: 0").multistatus(t).response(t, path))
			if strings.HasSuffix(path, "/") {
				return
			}
			parent := path[:strings.LastIndex(path, "/")+1]
			check("member", e.propfind(t, "alice", parent, "1", names...).response(t, path))
		})
	}
}

func xmlEscape(s string) string {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		panic(err)
	}
	return b.String()
}
