package server

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Real clients' MKCALENDAR and extended MKCOL requests create the
// collection with every property they set.
func TestDAVMkcolClientFixtures(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	const uuid = "6B3C2F0E-1D2A-4E5B-8C9D-0A1B2C3D4E5F"
	vars := map[string]string{"calendar_home": "/calendars/alice/", "addressbook_home": "/addressbooks/alice/", "new_uuid": uuid}
	comps := func(t *testing.T, p *xnode) []string {
		var out []string
		for _, c := range p.all(cName("comp")) {
			n, _ := c.attr(xml.Name{Local: "name"})
			out = append(out, n)
		}
		return out
	}
	for _, tc := range []struct {
		fixture string
		path    string
		rtype   xml.Name
		text    map[xml.Name]string // "" = the fixture's own text
		comps   []string
		dead    []xml.Name // compared with the fixture's element
	}{
		{"apple-macos-calendar-27-mkcalendar.http", "/calendars/alice/" + uuid + "/", cName("calendar"),
			map[xml.Name]string{dName("displayname"): "Work", icalName("calendar-order"): "3", icalName("calendar-color"): "#FF2968FF", cName("calendar-timezone"): ""},
			[]string{"VEVENT"}, []xml.Name{cName("schedule-calendar-transp")}},
		{"davx5-26-mkcalendar.http", "/calendars/alice/" + uuid + "/", cName("calendar"),
			map[xml.Name]string{dName("displayname"): "Family", cName("calendar-description"): "Shared family calendar", icalName("calendar-color"): "#2196F3", cName("calendar-timezone"): ""},
			[]string{"VEVENT"}, []xml.Name{cName("calendar-timezone-id")}},
		{"davx5-27-mkcol-addressbook.http", "/addressbooks/alice/" + uuid + "/", crName("addressbook"),
			map[xml.Name]string{dName("displayname"): "Work contacts", crName("addressbook-description"): "From the office"}, nil, nil},
		{"vdirsyncer-06-mkcol-extended-calendar.http", "/calendars/alice/vdirsyncer-new/", cName("calendar"), nil, nil, nil},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			f := loadFixture(t, tc.fixture, vars)
			r := e.replay(t, "alice", f).want(t, http.StatusCreated)
			if loc := r.Header.Get("Location"); loc != "" && loc != tc.path && loc != e.srv.URL+tc.path {
				t.Errorf("Location %q", loc)
			}
			names := []xml.Name{dName("resourcetype"), cName("supported-calendar-component-set")}
			for n := range tc.text {
				names = append(names, n)
			}
			names = append(names, tc.dead...)
			pr := e.propfind(t, "alice", tc.path, "0", names...).response(t, tc.path)
			if got := pr.found(t, dName("resourcetype")).childNames(); !sameNames(got, []xml.Name{dName("collection"), tc.rtype}) {
				t.Errorf("resourcetype %v", got)
			}
			for n, want := range tc.text {
				if want == "" {
					want = f.prop(t, n).Text
				}
				if got := pr.found(t, n).Text; got != want {
					t.Errorf("%s = %q, want %q", nameStr(n), got, want)
				}
			}
			if tc.comps != nil {
				if got := comps(t, pr.found(t, cName("supported-calendar-component-set"))); !slices.Equal(got, tc.comps) {
					t.Errorf("components %q, want %q", got, tc.comps)
				}
			}
			for _, n := range tc.dead {
				if d := diffXML(pr.found(t, n), f.prop(t, n)); d != "" {
					t.Errorf("dead property %s: %s", nameStr(n), d)
				}
			}
			if tc.rtype == cName("calendar") && tc.comps != nil {
				// The component set restricts what may be stored.
				e.do(t, "alice", "PUT", tc.path+"task.ics", todo("fixture-todo", "x"), ctCal).
					condition(t, http.StatusForbidden, cName("supported-calendar-component"))
			}
			e.do(t, "alice", "DELETE", tc.path, "").want(t, http.StatusNoContent)
			e.do(t, "alice", "PROPFIND", tc.path, "", "Depth: 0").want(t, http.StatusNotFound)
		})
	}
}

// Where collections may be made, and what a refused MKCOL/MKCALENDAR
// answers; a refused one leaves nothing behind.
func TestDAVMkcolRules(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice", "bob")
	const (
		mkcolAB  = `<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype><D:displayname>AB</D:displayname></D:prop></D:set></D:mkcol>`
		mkcolCal = `<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:set><D:prop><D:resourcetype><D:collection/><C:calendar/></D:resourcetype><D:displayname>Cal</D:displayname></D:prop></D:set></D:mkcol>`
	)
	mkcal := func(props ...string) string {
		return `<?xml version="1.0" encoding="utf-8"?><C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:I="http://apple.com/ns/ical/"><D:set><D:prop>` +
			strings.Join(props, "") + `</D:prop></D:set></C:mkcalendar>`
	}
	// A refused extended MKCOL is 403 with an mkcol-response (RFC 5689
	// 3); a refused MKCALENDAR processes its set as PROPPATCH does (RFC
	// 4791 5.3.1, RFC 2518 12.13.2): 207, a multistatus.
	mkcolResp, mkcalResp := dName("mkcol-response"), dName("multistatus")

	for _, tc := range []struct {
		name   string
		method string
		path   string
		body   string
		status int
		rtype  xml.Name // created: its resourcetype
		// refused with a body: the root, the failing property with its
		// status and condition; the others must be 424
		root      xml.Name
		badProp   xml.Name
		badCode   int
		badCond   xml.Name
		okProps   []xml.Name
		errorBody xml.Name // refused with a DAV:error body holding this
	}{
		{name: "MKCALENDAR empty", method: "MKCALENDAR", path: "/calendars/alice/c1/", status: 201, rtype: cName("calendar")},
		{name: "MKCALENDAR set", method: "MKCALENDAR", path: "/calendars/alice/c2/", body: mkcal(`<D:displayname>Two</D:displayname>`, `<X:d xmlns:X="urn:x">y</X:d>`), status: 201, rtype: cName("calendar")},
		{name: "extended MKCOL address book", method: "MKCOL", path: "/addressbooks/alice/a1/", body: mkcolAB, status: 201, rtype: crName("addressbook")},
		{name: "extended MKCOL calendar", method: "MKCOL", path: "/calendars/alice/c3/", body: mkcolCal, status: 201, rtype: cName("calendar")},
		{name: "plain MKCOL in the address book home", method: "MKCOL", path: "/addressbooks/alice/a2/", status: 201, rtype: crName("addressbook")},
		{name: "plain MKCOL in the calendar home", method: "MKCOL", path: "/calendars/alice/c4/", status: 201, rtype: cName("calendar")},

		{name: "address book type in the calendar home", method: "MKCOL", path: "/calendars/alice/bad1/", body: mkcolAB, status: 403,
			root: mkcolResp, badProp: dName("resourcetype"), badCode: 403, badCond: dName("valid-resourcetype"), okProps: []xml.Name{dName("displayname")}},
		{name: "calendar type in the address book home", method: "MKCOL", path: "/addressbooks/alice/bad2/", body: mkcolCal, status: 403,
			root: mkcolResp, badProp: dName("resourcetype"), badCode: 403, badCond: dName("valid-resourcetype"), okProps: []xml.Name{dName("displayname")}},
		{name: "bad timezone", method: "MKCALENDAR", path: "/calendars/alice/bad3/", body: mkcal(`<D:displayname>X</D:displayname>`, `<C:calendar-timezone>BEGIN:VCALENDAR&#13;
END:VCALENDAR&#13;
</C:calendar-timezone>`, `<X:d xmlns:X="urn:x">y</X:d>`), status: 207,
			root: mkcalResp, badProp: cName("calendar-timezone"), badCode: 403, badCond: cName("valid-calendar-data"), okProps: []xml.Name{dName("displayname"), {Space: "urn:x", Local: "d"}}},
		{name: "bad component set", method: "MKCALENDAR", path: "/calendars/alice/bad4/", body: mkcal(`<I:calendar-color>#FFFFFF</I:calendar-color>`, `<C:supported-calendar-component-set><C:comp name="VBOGUS"/></C:supported-calendar-component-set>`), status: 207,
			root: mkcalResp, badProp: cName("supported-calendar-component-set"), badCode: 403, okProps: []xml.Name{icalName("calendar-color")}},
		{name: "bad order", method: "MKCALENDAR", path: "/calendars/alice/bad5/", body: mkcal(`<D:displayname>X</D:displayname>`, `<I:calendar-order>first</I:calendar-order>`), status: 207,
			root: mkcalResp, badProp: icalName("calendar-order"), badCode: 409, okProps: []xml.Name{dName("displayname")}},
		{name: "protected property", method: "MKCALENDAR", path: "/calendars/alice/bad6/", body: mkcal(`<D:displayname>X</D:displayname>`, `<D:getetag>"1"</D:getetag>`), status: 207,
			root: mkcalResp, badProp: dName("getetag"), badCode: 403, badCond: dName("cannot-modify-protected-property"), okProps: []xml.Name{dName("displayname")}},
		// A resourcetype that is no calendar is the request's own
		// precondition: 403 (macOS Calendar's subscriptions).
		{name: "MKCALENDAR of another resourcetype", method: "MKCALENDAR", path: "/calendars/alice/bad6c/", body: mkcal(`<D:resourcetype><D:collection/><CS:subscribed xmlns:CS="http://calendarserver.org/ns/"/></D:resourcetype>`, `<D:displayname>X</D:displayname>`), status: 403,
			root: cName("mkcalendar-response"), badProp: dName("resourcetype"), badCode: 403, badCond: dName("valid-resourcetype"), okProps: []xml.Name{dName("displayname")}},
		{name: "protected sync-token", method: "MKCALENDAR", path: "/calendars/alice/bad6a/", body: mkcal(`<D:displayname>X</D:displayname>`, `<D:sync-token>urn:x</D:sync-token>`), status: 207,
			root: mkcalResp, badProp: dName("sync-token"), badCode: 403, badCond: dName("cannot-modify-protected-property"), okProps: []xml.Name{dName("displayname")}},
		{name: "protected supported-report-set", method: "MKCALENDAR", path: "/calendars/alice/bad6b/", body: mkcal(`<D:supported-report-set/>`, `<I:calendar-color>#FFFFFF</I:calendar-color>`), status: 207,
			root: mkcalResp, badProp: dName("supported-report-set"), badCode: 403, badCond: dName("cannot-modify-protected-property"), okProps: []xml.Name{icalName("calendar-color")}},
		{name: "protected property, extended MKCOL", method: "MKCOL", path: "/addressbooks/alice/bad7/", body: `<D:mkcol xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:set><D:prop><D:displayname>X</D:displayname><CS:getctag>1</CS:getctag></D:prop></D:set></D:mkcol>`, status: 403,
			root: mkcolResp, badProp: csName("getctag"), badCode: 403, badCond: dName("cannot-modify-protected-property"), okProps: []xml.Name{dName("displayname")}},

		{name: "MKCALENDAR in the address book home", method: "MKCALENDAR", path: "/addressbooks/alice/bad8/", status: 403, errorBody: cName("calendar-collection-location-ok")},
		{name: "MKCALENDAR in another user's home", method: "MKCALENDAR", path: "/calendars/bob/bad9/", status: 403},
		{name: "MKCOL in another user's home", method: "MKCOL", path: "/addressbooks/bob/bad10/", body: mkcolAB, status: 403},
		{name: "MKCALENDAR inside a calendar", method: "MKCALENDAR", path: "/calendars/alice/default/sub/", status: 403, errorBody: cName("calendar-collection-location-ok")},
		{name: "MKCOL inside a calendar", method: "MKCOL", path: "/calendars/alice/default/sub/", status: 403, errorBody: cName("calendar-collection-location-ok")},
		{name: "MKCOL inside a calendar, no slash", method: "MKCOL", path: "/calendars/alice/default/sub", status: 403, errorBody: cName("calendar-collection-location-ok")},
		{name: "MKCOL inside an address book", method: "MKCOL", path: "/addressbooks/alice/default/sub/", body: mkcolAB, status: 403, errorBody: crName("addressbook-collection-location-ok")},
		{name: "MKCOL in the principal collection", method: "MKCOL", path: "/principals/alice/sub/", status: 403},

		{name: "MKCALENDAR on an existing calendar", method: "MKCALENDAR", path: "/calendars/alice/default/", status: 403, errorBody: dName("resource-must-be-null")},
		{name: "MKCALENDAR with a body on an existing calendar", method: "MKCALENDAR", path: "/calendars/alice/default/", body: mkcal(`<D:displayname>X</D:displayname>`), status: 403, errorBody: dName("resource-must-be-null")},
		{name: "MKCALENDAR on the home", method: "MKCALENDAR", path: "/calendars/alice/", status: 403, errorBody: dName("resource-must-be-null")},
		{name: "MKCOL on an existing address book", method: "MKCOL", path: "/addressbooks/alice/default/", body: mkcolAB, status: 405},
		{name: "MKCOL on the home", method: "MKCOL", path: "/calendars/alice/", status: 405},
		{name: "MKCOL on the principal", method: "MKCOL", path: "/principals/alice/", status: 405},
		{name: "MKCOL on an object", method: "MKCOL", path: "/calendars/alice/default/ev.ics", status: 405},
		{name: "MKCALENDAR on an object", method: "MKCALENDAR", path: "/calendars/alice/default/ev.ics", status: 403, errorBody: dName("resource-must-be-null")},

		{name: "MKCALENDAR below a missing calendar", method: "MKCALENDAR", path: "/calendars/alice/nope/sub/", status: 409},
		{name: "MKCOL below a missing address book", method: "MKCOL", path: "/addressbooks/alice/nope/sub/", status: 409},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "MKCOL on an object" {
				e.put(t, "alice", "/calendars/alice/default/ev.ics", event("mkcol-obj", "x"), ctCal)
			}
			home := tc.path[:strings.Index(tc.path[1:], "/")+1] + "/alice/"
			before := e.propfind(t, "alice", home, "1", dName("resourcetype")).hrefs()
			r := e.do(t, "alice", tc.method, tc.path, tc.body, "Content-Type: application/xml")
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, tc.status, r.Body)
			}
			if tc.errorBody.Local != "" {
				r.condition(t, tc.status, tc.errorBody)
			}
			if tc.method == "MKCALENDAR" && (tc.status == http.StatusCreated || tc.status == http.StatusMultiStatus || tc.root.Local != "") {
				if cc := r.Header.Get("Cache-Control"); cc != "no-cache" {
					t.Errorf("Cache-Control %q, want no-cache (RFC 4791 5.3.1)", cc)
				}
			}
			if tc.status == http.StatusCreated {
				rt := e.propfind(t, "alice", tc.path, "0", dName("resourcetype")).response(t, tc.path).found(t, dName("resourcetype"))
				if got := rt.childNames(); !sameNames(got, []xml.Name{dName("collection"), tc.rtype}) {
					t.Errorf("resourcetype %v", got)
				}
				return
			}
			if tc.root.Local != "" {
				root := mustParseXML(t, r.Body)
				if root.Name != tc.root {
					t.Fatalf("body root %s, want %s\n%s", nameStr(root.Name), nameStr(tc.root), r.Body)
				}
				container := root
				if root.Name == dName("multistatus") {
					rs := root.all(dName("response"))
					if len(rs) != 1 || rs[0].child(dName("href")).Text != tc.path {
						t.Fatalf("want one response for %s\n%s", tc.path, r.Body)
					}
					container = rs[0]
				}
				resp := &msResponse{}
				for _, psn := range container.all(dName("propstat")) {
					ps := &msPropstat{Status: parseStatus(t, psn.child(dName("status")).Text), Props: psn.child(dName("prop")).Children, Error: psn.child(dName("error"))}
					resp.Propstats = append(resp.Propstats, ps)
				}
				if s := resp.propStatus(tc.badProp); s != tc.badCode {
					t.Errorf("%s: %d, want %d\n%s", nameStr(tc.badProp), s, tc.badCode, r.Body)
				}
				if tc.badCond.Local != "" {
					if ps := resp.propstatOf(tc.badProp); ps == nil || ps.Error == nil || ps.Error.child(tc.badCond) == nil {
						t.Errorf("%s: no %s in the propstat's error\n%s", nameStr(tc.badProp), nameStr(tc.badCond), r.Body)
					}
				}
				for _, n := range tc.okProps {
					if s := resp.propStatus(n); s != http.StatusFailedDependency {
						t.Errorf("%s: %d, want 424 (nothing was created)", nameStr(n), s)
					}
				}
			}
			// Nothing was created anywhere in alice's homes.
			if !strings.Contains(tc.path, "/bob/") {
				e.do(t, "alice", "PROPFIND", tc.path, "", "Depth: 0").want(t, http.StatusNotFound, http.StatusMultiStatus)
			}
			if after := e.propfind(t, "alice", home, "1", dName("resourcetype")).hrefs(); !sameStrings(after, before) {
				t.Errorf("home changed from %q to %q", before, after)
			}
		})
	}
	// Nothing appeared in bob's homes either.
	for _, k := range []string{"/calendars/bob/", "/addressbooks/bob/"} {
		if got := e.propfind(t, "bob", k, "1", dName("resourcetype")).hrefs(); !sameStrings(got, []string{k, k + "default/"}) {
			t.Errorf("bob's home %s: %q", k, got)
		}
	}
}

// DELETE removes objects, and collections with everything in them.
func TestDAVDelete(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.do(t, "alice", "MKCALENDAR", "/calendars/alice/gone/", "").want(t, http.StatusCreated)
	e.put(t, "alice", "/calendars/alice/gone/a.ics", event("del-a", "A"), ctCal)
	e.put(t, "alice", "/calendars/alice/default/b.ics", event("del-b", "B"), ctCal)
	e.put(t, "alice", "/addressbooks/alice/default/c.vcf", card("del-c", "C"), ctCard)

	for _, p := range []string{"/calendars/alice/default/b.ics", "/addressbooks/alice/default/c.vcf"} {
		e.do(t, "alice", "DELETE", p, "").want(t, http.StatusNoContent)
		e.do(t, "alice", "GET", p, "").want(t, http.StatusNotFound)
		e.do(t, "alice", "PROPFIND", p, "", "Depth: 0").want(t, http.StatusNotFound)
		e.do(t, "alice", "DELETE", p, "").want(t, http.StatusNotFound)
	}
	e.do(t, "alice", "DELETE", "/calendars/alice/gone/", "").want(t, http.StatusNoContent)
	for _, p := range []string{"/calendars/alice/gone/", "/calendars/alice/gone/a.ics"} {
		e.do(t, "alice", "PROPFIND", p, "", "Depth: 0").want(t, http.StatusNotFound)
		e.do(t, "alice", "GET", p, "").want(t, http.StatusNotFound)
	}
	if got := e.propfind(t, "alice", "/calendars/alice/", "1", dName("resourcetype")).hrefs(); slices.Contains(got, "/calendars/alice/gone/") {
		t.Errorf("deleted calendar still listed: %q", got)
	}
	// A new calendar of the same name starts empty.
	e.do(t, "alice", "MKCALENDAR", "/calendars/alice/gone/", "").want(t, http.StatusCreated)
	if got := e.propfind(t, "alice", "/calendars/alice/gone/", "1", dName("getetag")).hrefs(); len(got) != 1 {
		t.Errorf("recreated calendar holds %q", got)
	}
	// Homes and principals are not deleted over DAV.
	for _, p := range []string{"/calendars/alice/", "/addressbooks/alice/", "/principals/alice/", "/"} {
		e.do(t, "alice", "DELETE", p, "").want(t, http.StatusForbidden, http.StatusMethodNotAllowed)
	}
	e.do(t, "alice", "PROPFIND", "/calendars/alice/default/", "", "Depth: 0").want(t, http.StatusMultiStatus)
}
