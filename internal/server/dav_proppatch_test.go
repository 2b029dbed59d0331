package server

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

func proppatchOps(ops ...string) string {
	return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:" xmlns:I="http://apple.com/ns/ical/" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:X="urn:example:pp">` +
		strings.Join(ops, "") + `</D:propertyupdate>`
}

func set(props ...string) string {
	return `<D:set><D:prop>` + strings.Join(props, "") + `</D:prop></D:set>`
}
func remove(props ...string) string {
	return `<D:remove><D:prop>` + strings.Join(props, "") + `</D:prop></D:remove>`
}

// PROPPATCH is all or nothing (RFC 4918 9.2): one refused instruction
// fails the request, the others are answered 424 and nothing changes —
// not the values, not getctag.
func TestDAVProppatchAtomic(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", "/calendars/alice/default/ev.ics", event("atomic-1", "Atomic"), ctCal)
	protected := dName("cannot-modify-protected-property")
	// Instructions that succeed on their own: on collections a live
	// column, a dead property and another column; elsewhere dead ones.
	collGood := []string{`<D:displayname>Changed</D:displayname>`, `<X:dead>value</X:dead>`, `<I:calendar-color>#010203</I:calendar-color>`}
	collNames := []xml.Name{dName("displayname"), {Space: "urn:example:pp", Local: "dead"}, icalName("calendar-color")}
	otherGood := []string{`<X:dead>value</X:dead>`, `<X:other a="1">v</X:other>`}
	otherNames := []xml.Name{{Space: "urn:example:pp", Local: "dead"}, {Space: "urn:example:pp", Local: "other"}}

	for _, tc := range []struct {
		name   string
		path   string
		bad    string
		badN   xml.Name
		status int
		cond   xml.Name // the propstat's error element, if the RFC names one
	}{
		{"getetag", "/calendars/alice/default/", `<D:getetag>"x"</D:getetag>`, dName("getetag"), 403, protected},
		{"resourcetype", "/calendars/alice/default/", `<D:resourcetype><D:collection/></D:resourcetype>`, dName("resourcetype"), 403, protected},
		{"getctag", "/calendars/alice/default/", `<CS:getctag xmlns:CS="http://calendarserver.org/ns/">1</CS:getctag>`, csName("getctag"), 403, protected},
		{"sync-token", "/calendars/alice/default/", `<D:sync-token>urn:x</D:sync-token>`, dName("sync-token"), 403, protected},
		{"component set", "/calendars/alice/default/", `<C:supported-calendar-component-set><C:comp name="VTODO"/></C:supported-calendar-component-set>`, cName("supported-calendar-component-set"), 403, protected},
		{"max-resource-size", "/calendars/alice/default/", `<C:max-resource-size>1</C:max-resource-size>`, cName("max-resource-size"), 403, protected},
		{"creationdate", "/calendars/alice/default/", `<D:creationdate>2000-01-01T00:00:00Z</D:creationdate>`, dName("creationdate"), 403, protected},
		{"current-user-principal", "/calendars/alice/default/", `<D:current-user-principal><D:href>/principals/bob/</D:href></D:current-user-principal>`, dName("current-user-principal"), 403, protected},
		{"bad order", "/calendars/alice/default/", `<I:calendar-order>soon</I:calendar-order>`, icalName("calendar-order"), 409, xml.Name{}},
		{"bad timezone", "/calendars/alice/default/", `<C:calendar-timezone>not a calendar</C:calendar-timezone>`, cName("calendar-timezone"), 403, cName("valid-calendar-data")},
		{"object getetag", "/calendars/alice/default/ev.ics", `<D:getetag>"x"</D:getetag>`, dName("getetag"), 403, protected},
		{"object getcontenttype", "/calendars/alice/default/ev.ics", `<D:getcontenttype>text/plain</D:getcontenttype>`, dName("getcontenttype"), 403, protected},
		{"principal home set", "/principals/alice/", `<C:calendar-home-set><D:href>/calendars/bob/</D:href></C:calendar-home-set>`, cName("calendar-home-set"), 403, protected},
		{"principal-URL", "/principals/alice/", `<D:principal-URL><D:href>/x/</D:href></D:principal-URL>`, dName("principal-URL"), 403, protected},
		{"home resourcetype", "/calendars/alice/", `<D:resourcetype/>`, dName("resourcetype"), 403, protected},
	} {
		t.Run(tc.name, func(t *testing.T) {
			good, goodNames := otherGood, otherNames
			if strings.Count(tc.path, "/") == 4 && strings.HasSuffix(tc.path, "/") {
				good, goodNames = collGood, collNames
			}
			before := e.propfind(t, "alice", tc.path, "0", append(goodNames, tc.badN, csName("getctag"))...).response(t, tc.path)
			// The refused instruction in the middle: those before and
			// after it must both be rolled back.
			body := proppatchOps(set(good[0]), set(tc.bad), set(good[1:]...))
			r := e.do(t, "alice", "PROPPATCH", tc.path, body).multistatus(t).response(t, tc.path)
			if s := r.propStatus(tc.badN); s != tc.status {
				t.Errorf("%s: status %d, want %d", nameStr(tc.badN), s, tc.status)
			}
			if tc.cond.Local != "" {
				ps := r.propstatOf(tc.badN)
				if ps == nil || ps.Error == nil || ps.Error.child(tc.cond) == nil {
					t.Errorf("%s: the propstat lacks <D:error><%s/>", nameStr(tc.badN), nameStr(tc.cond))
				}
			}
			for _, n := range goodNames {
				if s := r.propStatus(n); s != http.StatusFailedDependency {
					t.Errorf("%s: status %d, want 424", nameStr(n), s)
				}
			}
			after := e.propfind(t, "alice", tc.path, "0", append(goodNames, tc.badN, csName("getctag"))...).response(t, tc.path)
			for _, n := range append(goodNames, tc.badN, csName("getctag")) {
				b, bs := before.prop(n)
				a, as := after.prop(n)
				if bs != as || (b != nil && a != nil && diffXML(a, b) != "") {
					t.Errorf("%s changed although the PROPPATCH failed", nameStr(n))
				}
			}
		})
	}
}

// The writable live properties of collections, set by real clients'
// requests, come back in PROPFIND.
func TestDAVProppatchCollectionProperties(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	vars := map[string]string{"calendar": "/calendars/alice/default/", "calendar_home": "/calendars/alice/"}
	cal := "/calendars/alice/default/"
	for _, tc := range []struct {
		fixture string
		prop    xml.Name
		want    string // "" means: equal to the fixture's text; "-" means: removed
	}{
		{"apple-macos-calendar-11-proppatch-calendar-order.http", icalName("calendar-order"), "1"},
		{"apple-macos-calendar-12-proppatch-calendar-color.http", icalName("calendar-color"), "#FD8208FF"},
		{"apple-macos-calendar-13-proppatch-calendar-timezone.http", cName("calendar-timezone"), ""},
		{"vdirsyncer-13-proppatch-set-color.http", icalName("calendar-color"), "#FF0000"},
		{"vdirsyncer-14-proppatch-remove-order.http", icalName("calendar-order"), "-"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			f := loadFixture(t, tc.fixture, vars)
			ctag, _ := e.syncState(t, "alice", cal)
			r := e.replay(t, "alice", f).multistatus(t).response(t, cal)
			if s := r.propStatus(tc.prop); s != http.StatusOK {
				t.Fatalf("%s: %d, want 200", nameStr(tc.prop), s)
			}
			p, s := e.propOf(t, "alice", cal, tc.prop)
			switch tc.want {
			case "-":
				if s != http.StatusNotFound {
					t.Errorf("%s after remove: %d, want 404", nameStr(tc.prop), s)
				}
			case "":
				want := f.prop(t, tc.prop).Text
				if s != http.StatusOK || p.Text != want {
					t.Errorf("%s = %q (%d), want the text sent, CRs included", nameStr(tc.prop), p.Text, s)
				}
				if !strings.Contains(p.Text, "\r\n") {
					t.Error("CRs lost")
				}
			default:
				if s != http.StatusOK || p.Text != tc.want {
					t.Errorf("%s = %q (%d), want %q", nameStr(tc.prop), p.Text, s, tc.want)
				}
			}
			if c, _ := e.syncState(t, "alice", cal); c == ctag {
				t.Error("getctag unchanged by a property change")
			}
		})
	}

	for _, tc := range []struct {
		path, prop string
		name       xml.Name
		want       string
	}{
		{cal, `<D:displayname>Arbeit &amp; Freizeit</D:displayname>`, dName("displayname"), "Arbeit & Freizeit"},
		{cal, `<C:calendar-description>Für alles</C:calendar-description>`, cName("calendar-description"), "Für alles"},
		{"/addressbooks/alice/default/", `<D:displayname>Leute</D:displayname>`, dName("displayname"), "Leute"},
		{"/addressbooks/alice/default/", `<CR:addressbook-description xmlns:CR="urn:ietf:params:xml:ns:carddav">Alle</CR:addressbook-description>`, crName("addressbook-description"), "Alle"},
	} {
		r := e.do(t, "alice", "PROPPATCH", tc.path, proppatchOps(set(tc.prop))).multistatus(t).response(t, tc.path)
		if s := r.propStatus(tc.name); s != http.StatusOK {
			t.Errorf("%s %s: %d", tc.path, nameStr(tc.name), s)
		}
		if p, s := e.propOf(t, "alice", tc.path, tc.name); s != http.StatusOK || p.Text != tc.want {
			t.Errorf("%s %s = %q (%d), want %q", tc.path, nameStr(tc.name), p.Text, s, tc.want)
		}
	}
}

// Instructions apply in document order: a set then a remove of one
// property removes it, a remove then a set sets it — for dead properties
// and for the live ones stored in columns.
func TestDAVProppatchDocumentOrder(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	cal := "/calendars/alice/default/"
	for _, tc := range []struct {
		name  xml.Name
		elem  func(v string) string
		empty string
	}{
		{xml.Name{Space: "urn:example:pp", Local: "dead"}, func(v string) string { return `<X:dead>` + v + `</X:dead>` }, `<X:dead/>`},
		{dName("displayname"), func(v string) string { return `<D:displayname>` + v + `</D:displayname>` }, `<D:displayname/>`},
		{icalName("calendar-color"), func(v string) string { return `<I:calendar-color>#0000` + v + `</I:calendar-color>` }, `<I:calendar-color/>`},
		{icalName("calendar-order"), func(v string) string { return `<I:calendar-order>` + v + `</I:calendar-order>` }, `<I:calendar-order/>`},
		{cName("calendar-description"), func(v string) string { return `<C:calendar-description>` + v + `</C:calendar-description>` }, `<C:calendar-description/>`},
	} {
		t.Run(tc.name.Local, func(t *testing.T) {
			for _, step := range []struct {
				ops  []string
				want string // "" = absent
			}{
				{[]string{set(tc.elem("11"))}, "11"},
				{[]string{set(tc.elem("12")), remove(tc.empty)}, ""},
				{[]string{remove(tc.empty), set(tc.elem("13"))}, "13"},
				{[]string{set(tc.elem("14")), set(tc.elem("15"))}, "15"},
				{[]string{remove(tc.empty), set(tc.elem("16")), remove(tc.empty)}, ""},
			} {
				ms := e.do(t, "alice", "PROPPATCH", cal, proppatchOps(step.ops...)).multistatus(t)
				for _, ps := range ms.response(t, cal).Propstats {
					if ps.Status != http.StatusOK {
						t.Fatalf("%v: a %d propstat\n%s", step.ops, ps.Status, ms.raw)
					}
				}
				p, s := e.propOf(t, "alice", cal, tc.name)
				switch {
				case step.want == "" && s != http.StatusNotFound:
					t.Errorf("%v: %s is %d %q, want absent", step.ops, nameStr(tc.name), s, p.Text)
				case step.want != "" && (s != http.StatusOK || !strings.HasSuffix(p.Text, step.want)):
					t.Errorf("%v: %s is %d, want …%s", step.ops, nameStr(tc.name), s, step.want)
				}
			}
		})
	}
}

// Dead properties on homes (Apple's default alarms on the calendar home,
// its me-card on the address book home) and on the principal.
func TestDAVProppatchHomesAndPrincipal(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	vars := map[string]string{
		"calendar_home": "/calendars/alice/", "addressbook_home": "/addressbooks/alice/",
		"addressbook": "/addressbooks/alice/default/", "apple_card_uid": "ME-CARD-UID",
	}
	for _, tc := range []struct {
		fixture string
		path    string
		prop    xml.Name
		notOn   string // a resource the property must not show up on
	}{
		{"apple-macos-calendar-09-proppatch-home-default-alarm-date.http", "/calendars/alice/", cName("default-alarm-vevent-date"), "/addressbooks/alice/"},
		{"apple-macos-calendar-10-proppatch-home-default-alarm-datetime.http", "/calendars/alice/", cName("default-alarm-vevent-datetime"), "/principals/alice/"},
		{"apple-contacts-06-proppatch-me-card.http", "/addressbooks/alice/", csName("me-card"), "/calendars/alice/"},
	} {
		t.Run(tc.fixture, func(t *testing.T) {
			f := loadFixture(t, tc.fixture, vars)
			r := e.replay(t, "alice", f).multistatus(t).response(t, tc.path)
			if s := r.propStatus(tc.prop); s != http.StatusOK {
				t.Fatalf("%s: %d, want 200", nameStr(tc.prop), s)
			}
			p, s := e.propOf(t, "alice", tc.path, tc.prop)
			if s != http.StatusOK {
				t.Fatalf("PROPFIND %s: %d", nameStr(tc.prop), s)
			}
			if d := diffXML(p, f.prop(t, tc.prop)); d != "" {
				t.Errorf("%s came back different: %s", nameStr(tc.prop), d)
			}
			if _, s := e.propOf(t, "alice", tc.notOn, tc.prop); s != http.StatusNotFound {
				t.Errorf("%s shows up on %s: %d", nameStr(tc.prop), tc.notOn, s)
			}
		})
	}
	// The principal keeps dead properties too; its live ones stay live.
	pp := `<X:note xmlns:X="urn:example:pp" kind="a">on the principal</X:note>`
	r := e.do(t, "alice", "PROPPATCH", "/principals/alice/", proppatchSet(pp)).multistatus(t).response(t, "/principals/alice/")
	if s := r.propStatus(xml.Name{Space: "urn:example:pp", Local: "note"}); s != http.StatusOK {
		t.Fatalf("principal dead property: %d", s)
	}
	p, _ := e.propOf(t, "alice", "/principals/alice/", xml.Name{Space: "urn:example:pp", Local: "note"})
	if p == nil || diffXML(p, mustParseXML(t, []byte(pp))) != "" {
		t.Errorf("principal dead property came back as %v", p)
	}
}

// A property that is live on another kind of resource is an ordinary dead
// property where it is not live: what PROPPATCH accepts, PROPFIND returns.
func TestDAVProppatchForeignLiveNames(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	for _, tc := range []struct {
		path string
		prop string
		name xml.Name
	}{
		{"/addressbooks/alice/default/", `<I:calendar-color xmlns:I="http://apple.com/ns/ical/">#FF0000</I:calendar-color>`, icalName("calendar-color")},
		{"/addressbooks/alice/default/", `<I:calendar-order xmlns:I="http://apple.com/ns/ical/">2</I:calendar-order>`, icalName("calendar-order")},
		{"/calendars/alice/", `<C:calendar-description xmlns:C="urn:ietf:params:xml:ns:caldav">home</C:calendar-description>`, cName("calendar-description")},
		{"/calendars/alice/default/", `<CR:addressbook-description xmlns:CR="urn:ietf:params:xml:ns:carddav">x</CR:addressbook-description>`, crName("addressbook-description")},
	} {
		r := e.do(t, "alice", "PROPPATCH", tc.path, proppatchSet(tc.prop)).multistatus(t).response(t, tc.path)
		switch s := r.propStatus(tc.name); s {
		case http.StatusOK:
			p, s := e.propOf(t, "alice", tc.path, tc.name)
			if s != http.StatusOK {
				t.Errorf("%s %s: PROPPATCH said 200, PROPFIND says %d", tc.path, nameStr(tc.name), s)
				continue
			}
			if d := diffXML(p, mustParseXML(t, []byte(tc.prop))); d != "" {
				t.Errorf("%s %s: %s", tc.path, nameStr(tc.name), d)
			}
		case http.StatusForbidden:
			// Refusing it is also consistent.
		default:
			t.Errorf("%s %s: PROPPATCH %d", tc.path, nameStr(tc.name), s)
		}
	}
}
