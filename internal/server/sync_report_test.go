package server

import (
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// The sync-collection REPORT (RFC 6578) over HTTP, on calendars, address
// books and their homes.

const (
	syncCal  = "/calendars/alice/default/"
	syncBook = "/addressbooks/alice/default/"
)

// syncXML is a sync-collection body with a token, a sync-level ("" for
// none), extra elements (a limit) and the property elements of DAV:prop.
func syncXML(token, level, extra string, props ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav">`)
	b.WriteString("<D:sync-token>" + xmlText(token) + "</D:sync-token>")
	if level != "" {
		b.WriteString("<D:sync-level>" + level + "</D:sync-level>")
	}
	b.WriteString(extra)
	b.WriteString("<D:prop>" + strings.Join(props, "") + "</D:prop></D:sync-collection>")
	return b.String()
}

func xmlText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

func syncLimit(n int) string { return fmt.Sprintf("<D:limit><D:nresults>%d</D:nresults></D:limit>", n) }

const etagProps = `<D:getetag/><D:getcontenttype/>`

// syncAnswer is a parsed sync-collection answer.
type syncAnswer struct {
	*multistatus
	token string
}

// sync sends a sync-collection REPORT and checks what every answer must
// have: a 207 multistatus whose last child is its one DAV:sync-token, a
// URI (RFC 6578 3.2, 4; clients.md §9.2).
func (e *davEnv) sync(t *testing.T, user, path, body string, headers ...string) syncAnswer {
	t.Helper()
	r := e.do(t, user, "REPORT", path, body, append([]string{"Content-Type: application/xml; charset=utf-8"}, headers...)...)
	ms := r.multistatus(t)
	kids := ms.Root.Children
	if len(kids) == 0 || kids[len(kids)-1].Name != dName("sync-token") || len(ms.Root.all(dName("sync-token"))) != 1 {
		t.Fatalf("%s: the sync-token is not the one last child of multistatus:\n%s", r.req, r.Body)
	}
	token := kids[len(kids)-1].Text
	if u, err := url.Parse(token); err != nil || u.Scheme == "" || token != strings.TrimSpace(token) {
		t.Fatalf("%s: sync-token %q is not a URI", r.req, token)
	}
	return syncAnswer{ms, token}
}

// members are the responses without a response-level status: href →
// getetag.
func (a syncAnswer) members(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range a.Responses {
		if r.Status != 0 {
			continue
		}
		if _, dup := out[r.Href]; dup {
			t.Fatalf("%s reported twice:\n%s", r.Href, a.raw)
		}
		etag, _ := r.prop(dName("getetag"))
		if etag == nil {
			out[r.Href] = ""
			continue
		}
		out[r.Href] = etag.Text
	}
	return out
}

// deleted are the hrefs reported with a response-level 404 and, as RFC
// 6578 3.5.2 requires, no propstat.
func (a syncAnswer) deleted(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range a.Responses {
		if r.Status == http.StatusNotFound {
			if len(r.Propstats) != 0 {
				t.Errorf("deleted %s has a propstat:\n%s", r.Href, a.raw)
			}
			out = append(out, r.Href)
		}
	}
	slices.Sort(out)
	return out
}

// truncated reports whether the answer carries the 507 response for
// href, the Request-URI (RFC 6578 3.6), with number-of-matches-within-limits.
func (a syncAnswer) truncated(t *testing.T, href string) bool {
	t.Helper()
	for _, rn := range a.Root.all(dName("response")) {
		if rn.hrefs()[0] != href {
			continue
		}
		st := rn.child(dName("status"))
		if st == nil || parseStatus(t, st.Text) != http.StatusInsufficientStorage || rn.child(dName("propstat")) != nil {
			t.Fatalf("response for the Request-URI is not a bare 507:\n%s", a.raw)
		}
		if e := rn.child(dName("error")); e == nil || e.child(dName("number-of-matches-within-limits")) == nil {
			t.Errorf("the 507 response lacks DAV:number-of-matches-within-limits:\n%s", a.raw)
		}
		return true
	}
	return false
}

// syncView is a client's copy of a collection: href → getetag.
type syncView map[string]string

// pull brings v up to date from token, page by page, as a client would:
// each member reported is stored, each deletion removed, and a 507 asks
// for the next page with the answer's token. It returns the last token
// and the number of pages.
func (e *davEnv) pull(t *testing.T, user, path, token string, v syncView, limit int, headers ...string) (string, int) {
	t.Helper()
	extra := ""
	if limit > 0 {
		extra = syncLimit(limit)
	}
	for pages := 1; ; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		a := e.sync(t, user, path, syncXML(token, "1", extra, etagProps), headers...)
		members := a.members(t)
		if limit > 0 && len(members)+len(a.deleted(t)) > limit {
			t.Fatalf("%d responses for nresults %d", len(members)+len(a.deleted(t)), limit)
		}
		for h, etag := range members {
			if etag == "" {
				t.Fatalf("%s without getetag", h)
			}
			v[h] = etag
		}
		for _, h := range a.deleted(t) {
			delete(v, h)
		}
		token = a.token
		if !a.truncated(t, e.href(path)) {
			return token, pages
		}
	}
}

// truth is the collection as a Depth 1 PROPFIND lists it.
func (e *davEnv) truth(t *testing.T, user, path string) syncView {
	t.Helper()
	v := syncView{}
	for _, r := range e.propfind(t, user, path, "1", dName("getetag")).Responses {
		if r.Href != e.href(path) {
			v[r.Href] = r.found(t, dName("getetag")).Text
		}
	}
	return v
}

// The create → sync → change and delete → sync cycle, on a calendar and
// on an address book, with the tokens checked against PROPFIND's.
func TestSyncCollection(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	for _, tc := range []struct {
		coll, ext, ct, contentType string
		body                       func(uid, text string) string
	}{
		{syncCal, ".ics", ctCal, "text/calendar", event},
		{syncBook, ".vcf", ctCard, "text/vcard", card},
	} {
		t.Run(tc.coll, func(t *testing.T) {
			href := func(n string) string { return e.href(tc.coll + n + tc.ext) }
			// A new collection: no member, the token PROPFIND shows.
			first := e.sync(t, "alice", tc.coll, syncXML("", "1", "", etagProps))
			if len(first.Responses) != 0 {
				t.Fatalf("empty collection: %s", first.raw)
			}
			if _, tok := e.syncState(t, "alice", tc.coll); tok != first.token {
				t.Fatalf("sync-token %s, PROPFIND says %s", first.token, tok)
			}
			etags := map[string]string{}
			for _, n := range []string{"a", "b", "c"} {
				etags[href(n)] = e.put(t, "alice", tc.coll+n+tc.ext, tc.body("sync-"+n, n), tc.ct)
			}
			initial := e.sync(t, "alice", tc.coll, syncXML("", "1", "", etagProps))
			if got := initial.members(t); !maps.Equal(got, etags) {
				t.Fatalf("initial sync = %v, want %v", got, etags)
			}
			for _, r := range initial.Responses {
				if ct := r.found(t, dName("getcontenttype")).Text; !strings.HasPrefix(ct, tc.contentType) {
					t.Errorf("%s: getcontenttype %q", r.Href, ct)
				}
			}
			if len(initial.deleted(t)) != 0 {
				t.Fatal("an initial sync reports deletions")
			}
			ctag, tok := e.syncState(t, "alice", tc.coll)
			if tok != initial.token {
				t.Fatalf("sync-token %s, PROPFIND says %s", initial.token, tok)
			}
			// Nothing changed: nothing reported, the same token.
			again := e.sync(t, "alice", tc.coll, syncXML(initial.token, "1", "", etagProps))
			if len(again.Responses) != 0 || again.token != initial.token {
				t.Fatalf("unchanged: %s", again.raw)
			}

			e.put(t, "alice", tc.coll+"a"+tc.ext, tc.body("sync-a", "a2"), tc.ct)
			aTag := e.put(t, "alice", tc.coll+"a"+tc.ext, tc.body("sync-a", "a3"), tc.ct)
			e.do(t, "alice", "DELETE", tc.coll+"b"+tc.ext, "").want(t, http.StatusNoContent)
			dTag := e.put(t, "alice", tc.coll+"d"+tc.ext, tc.body("sync-d", "d"), tc.ct)
			e.put(t, "alice", tc.coll+"e"+tc.ext, tc.body("sync-e", "e"), tc.ct)
			e.do(t, "alice", "DELETE", tc.coll+"e"+tc.ext, "").want(t, http.StatusNoContent)
			delta := e.sync(t, "alice", tc.coll, syncXML(initial.token, "1", "", etagProps))
			if got, want := delta.members(t), map[string]string{href("a"): aTag, href("d"): dTag}; !maps.Equal(got, want) {
				t.Fatalf("delta members = %v, want %v", got, want)
			}
			// e was created and deleted since: RFC 6578 3.5.2 lets it be reported as deleted.
			if got := delta.deleted(t); !slices.Equal(got, []string{href("b"), href("e")}) {
				t.Fatalf("delta deletions = %v", got)
			}
			if ctag2, tok := e.syncState(t, "alice", tc.coll); tok != delta.token || ctag2 == ctag || delta.token == initial.token {
				t.Fatalf("after changes: token %s (PROPFIND %s), getctag %s → %s", delta.token, tok, ctag, ctag2)
			}
			// The old token still works and gives the same delta.
			old := e.sync(t, "alice", tc.coll, syncXML(initial.token, "1", "", etagProps))
			if !maps.Equal(old.members(t), delta.members(t)) || !slices.Equal(old.deleted(t), delta.deleted(t)) || old.token != delta.token {
				t.Fatalf("the old token again: %s", old.raw)
			}
			// A property change gives a new token and no member.
			e.do(t, "alice", "PROPPATCH", tc.coll, proppatchSet(`<D:displayname>Renamed</D:displayname>`)).want(t, http.StatusMultiStatus)
			props := e.sync(t, "alice", tc.coll, syncXML(delta.token, "1", "", etagProps))
			if len(props.Responses) != 0 || props.token == delta.token {
				t.Fatalf("after PROPPATCH: %s", props.raw)
			}
			// A client that applies every answer ends with the collection.
			v := syncView{}
			e.pull(t, "alice", tc.coll, "", v, 0)
			if want := e.truth(t, "alice", tc.coll); !maps.Equal(v, want) {
				t.Fatalf("view %v, collection %v", v, want)
			}
		})
	}
}

// The data properties come shaped as the type's REPORTs shape them:
// calendar-data with a comp selection, address-data converted to another
// vCard version; other properties in the order asked, unknown ones 404;
// dead properties of the members included.
func TestSyncCollectionData(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", syncCal+"ev.ics", event("data-ev", "Meeting"), ctCal)
	e.put(t, "alice", syncBook+"c.vcf", card("data-c", "Carol"), ctCard)
	e.do(t, "alice", "PROPPATCH", syncCal+"ev.ics", proppatchSet(`<X:note xmlns:X="urn:example:x">hello</X:note>`)).want(t, http.StatusMultiStatus)

	calData := `<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/></C:comp></C:comp></C:calendar-data>`
	multiget := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` + calData +
		`</D:prop><D:href>` + e.href(syncCal+"ev.ics") + `</D:href></C:calendar-multiget>`
	want := e.do(t, "alice", "REPORT", syncCal, multiget).multistatus(t).response(t, e.href(syncCal+"ev.ics")).found(t, cName("calendar-data")).Text
	if strings.Contains(want, "DTSTART") || !strings.Contains(want, "SUMMARY:Meeting") {
		t.Fatalf("calendar-multiget's projection: %q", want)
	}
	a := e.sync(t, "alice", syncCal, syncXML("", "1", "", `<X:note xmlns:X="urn:example:x"/>`, calData, `<D:getetag/>`, `<D:displayname/>`))
	r := a.response(t, e.href(syncCal+"ev.ics"))
	if got := r.found(t, cName("calendar-data")).Text; got != want {
		t.Errorf("calendar-data in sync:\n%q\nin calendar-multiget:\n%q", got, want)
	}
	if note := r.found(t, xml.Name{Space: "urn:example:x", Local: "note"}); note.Text != "hello" {
		t.Errorf("dead property: %q", note.Text)
	}
	if r.propStatus(dName("displayname")) != http.StatusNotFound {
		t.Errorf("displayname of a member: %d, want 404", r.propStatus(dName("displayname")))
	}
	var order []string
	for _, p := range r.Propstats[0].Props {
		order = append(order, p.Name.Local)
	}
	if !slices.Equal(order, []string{"note", "calendar-data", "getetag"}) {
		t.Errorf("200 propstat lists %v, want the order asked", order)
	}
	// The whole object, as stored, when calendar-data asks for no part.
	whole := e.sync(t, "alice", syncCal, syncXML("", "", "", `<C:calendar-data/>`)).response(t, e.href(syncCal+"ev.ics"))
	if got := whole.found(t, cName("calendar-data")).Text; toCRLF(got) != event("data-ev", "Meeting") {
		t.Errorf("whole calendar-data %q", got)
	}

	// address-data as vCard 4.0 (the card is 3.0), as addressbook-multiget returns it.
	adData := `<CR:address-data content-type="text/vcard" version="4.0"/>`
	mg := `<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>` +
		strings.ReplaceAll(adData, "CR:", "C:") + `</D:prop><D:href>` + e.href(syncBook+"c.vcf") + `</D:href></C:addressbook-multiget>`
	wantCard := e.do(t, "alice", "REPORT", syncBook, mg).multistatus(t).response(t, e.href(syncBook+"c.vcf")).found(t, crName("address-data")).Text
	if !strings.Contains(wantCard, "VERSION:4.0") {
		t.Fatalf("addressbook-multiget did not convert: %q", wantCard)
	}
	ab := e.sync(t, "alice", syncBook, syncXML("", "1", "", `<D:getetag/>`, adData)).response(t, e.href(syncBook+"c.vcf"))
	if got := ab.found(t, crName("address-data")).Text; got != wantCard {
		t.Errorf("address-data in sync:\n%q\nin addressbook-multiget:\n%q", got, wantCard)
	}

	// The type's refusals of a data request come before any answer.
	e.do(t, "alice", "REPORT", syncCal, syncXML("", "1", "", `<C:calendar-data content-type="application/json"/>`)).
		condition(t, http.StatusForbidden, cName("supported-calendar-data"))
	e.do(t, "alice", "REPORT", syncBook, syncXML("", "1", "", `<CR:address-data version="2.1"/>`)).
		condition(t, http.StatusForbidden, crName("supported-address-data-conversion"))
}

// Tokens pgdav cannot serve get DAV:valid-sync-token: 403, and 400 for
// Thunderbird on address books (clients.md §9.2). Other requests: any
// Depth, a missing or infinite sync-level, and the refusals.
func TestSyncCollectionErrors(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice", "bob")
	ctx := t.Context()
	e.put(t, "alice", syncCal+"a.ics", event("err-a", "A"), ctCal)
	e.put(t, "alice", syncCal+"b.ics", event("err-b", "B"), ctCal)
	e.put(t, "alice", syncBook+"a.vcf", card("err-a", "A"), ctCard)
	_, calToken := e.syncState(t, "alice", syncCal)
	_, bookToken := e.syncState(t, "alice", syncBook)
	_, bobToken := e.syncState(t, "bob", "/calendars/bob/default/")
	cal, err := e.store.GetCollection(ctx, e.users["alice"].ID, backend.KindCalendar, "default")
	if err != nil {
		t.Fatal(err)
	}
	thunderbird := "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.2"
	for _, tc := range []struct {
		name, path, token, ua string
		status                int
	}{
		{"garbage", syncCal, "nonsense", "", 403},
		{"Apple's invented UUID", syncBook, "b905a5fd-ce23-4190-9be3-236969d071a8", "", 403},
		{"another server's", syncCal, "http://invalid.example/sync/999999", "", 403},
		{"another collection's", syncCal, bookToken, "", 403},
		{"another user's", syncCal, bobToken, "", 403},
		{"a home's", syncCal, "urn:pgdav:sync:home:1:calendar:00", "", 403},
		{"from the future", syncCal, fmt.Sprintf("urn:pgdav:sync:%d:99", cal.ID), "", 403},
		{"non-canonical", syncCal, strings.Replace(calToken, ":sync:", ":sync:0", 1), "", 403},
		{"bad page cursor", syncCal, calToken + ":!!", "", 403},
		{"Thunderbird, address book", syncBook, "http://invalid.example/sync/999999", thunderbird, 400},
		{"Thunderbird, calendar", syncCal, "http://invalid.example/sync/999999", thunderbird, 403},
	} {
		var h []string
		if tc.ua != "" {
			h = append(h, tc.ua)
		}
		r := e.do(t, "alice", "REPORT", tc.path, syncXML(tc.token, "1", "", etagProps), h...)
		r.condition(t, tc.status, dName("valid-sync-token"))
	}
	// Below the pruned point: expired. b.ics's deletion is pruned, the
	// floor becomes its revision: tokens from before it are refused,
	// tokens from it on still work.
	e.do(t, "alice", "DELETE", syncCal+"b.ics", "").want(t, http.StatusNoContent)
	_, afterDelete := e.syncState(t, "alice", syncCal)
	// Age the tombstones in the database rather than waiting for them to age.
	e.ageTombstones(t)
	if n, err := e.store.PruneTombstones(ctx, 30*time.Minute); err != nil || n != 1 {
		t.Fatalf("PruneTombstones = %d, %v", n, err)
	}
	e.do(t, "alice", "REPORT", syncCal, syncXML(calToken, "1", "", etagProps)).condition(t, http.StatusForbidden, dName("valid-sync-token"))
	e.do(t, "alice", "REPORT", syncBook, syncXML(bookToken, "1", "", etagProps), thunderbird).want(t, http.StatusMultiStatus)
	if a := e.sync(t, "alice", syncCal, syncXML(afterDelete, "1", "", etagProps)); len(a.Responses) != 0 {
		t.Fatalf("the token at the pruned point: %s", a.raw)
	}
	e.put(t, "alice", syncCal+"b.ics", event("err-b", "B"), ctCal)

	// Any Depth, no Depth, no sync-level, infinite: the same answer.
	want := e.sync(t, "alice", syncCal, syncXML("", "1", "", etagProps)).members(t)
	for _, tc := range []struct{ level, depth string }{
		{"1", "0"}, {"1", "1"}, {"1", "infinity"}, {"1", "bogus"}, {"", "1"}, {"infinite", "1"}, {"infinite", ""},
	} {
		var h []string
		if tc.depth != "" {
			h = append(h, "Depth: "+tc.depth)
		}
		if got := e.sync(t, "alice", syncCal, syncXML("", tc.level, "", etagProps), h...).members(t); !maps.Equal(got, want) {
			t.Errorf("sync-level %q, Depth %q: %v, want %v", tc.level, tc.depth, got, want)
		}
	}
	// The body: no prop asks for nothing (an empty propstat per member).
	bare := e.sync(t, "alice", syncCal, `<sync-collection xmlns="DAV:"><sync-token/></sync-collection>`)
	if len(bare.Responses) != 2 || len(bare.Responses[0].Propstats) != 1 || len(bare.Responses[0].Propstats[0].Props) != 0 {
		t.Errorf("no prop: %s", bare.raw)
	}
	for _, body := range []string{
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>2</D:sync-level></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-token/></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:limit><D:nresults>0</D:nresults></D:limit></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:limit><D:nresults>x</D:nresults></D:limit></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:limit/></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token><D:href/></D:sync-token></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/>`,
	} {
		e.do(t, "alice", "REPORT", syncCal, body).want(t, http.StatusBadRequest)
	}
	// Not on an object (RFC 3253 3.6: DAV:supported-report), nor on
	// another user's collection, nor on the principal.
	e.do(t, "alice", "REPORT", syncCal+"a.ics", syncXML("", "1", "", etagProps)).condition(t, http.StatusForbidden, dName("supported-report"))
	e.do(t, "alice", "REPORT", "/principals/alice/", syncXML("", "1", "", etagProps)).condition(t, http.StatusForbidden, dName("supported-report"))
	e.do(t, "alice", "REPORT", "/calendars/bob/default/", syncXML("", "1", "", etagProps)).want(t, http.StatusForbidden)
	e.do(t, "alice", "REPORT", "/calendars/alice/none/", syncXML("", "1", "", etagProps)).want(t, http.StatusNotFound)
}

// newSyncEnv is newDAVEnv with the server configured by cfg; it also
// returns the database's connection string, for a second node.
func newSyncEnv(t testing.TB, cfg Config, users ...string) (*davEnv, string) {
	t.Helper()
	conn := backendtest.NewDatabase(t)
	store := backendtest.Open(t, conn)
	hash, err := testPasswordHash()
	if err != nil {
		t.Fatal(err)
	}
	e := &davEnv{store: store, users: map[string]backend.Principal{}}
	for _, u := range users {
		p, err := store.CreatePrincipal(t.Context(),
			backend.Principal{Name: u, Email: u + "@example.org", DisplayName: "User " + u}, hash,
			[]backend.Collection{
				{Kind: backend.KindCalendar, Slug: "default", DisplayName: "Calendar", Components: []string{"VEVENT", "VTODO"}},
				{Kind: backend.KindAddressBook, Slug: "default", DisplayName: "Contacts"},
			})
		if err != nil {
			t.Fatal(err)
		}
		e.users[u] = p
	}
	return e.node(t, store, cfg), conn
}

// node is another pgdav server with the configuration cfg on store,
// which may be e's or another pool to e's database, with e's users.
func (e *davEnv) node(t testing.TB, store *backend.Store, cfg Config) *davEnv {
	t.Helper()
	cfg.AuthCacheTTL = time.Hour
	s := New(cfg, store)
	s.SetReady()
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	client := *hs.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &davEnv{server: s, store: store, srv: hs, client: &client, base: e.base, users: e.users}
}

// Paging: nresults, the server's cap, and pages that end inside the one
// revision an import gives all its members; every page's token continues
// without gap or repeat, also when members change between pages.
func TestSyncCollectionPaging(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e, _ := newSyncEnv(t, Config{SyncMaxResults: 7}, "alice")
	cal, err := e.store.GetCollection(ctx, e.users["alice"].ID, backend.KindCalendar, "default")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e.put(t, "alice", fmt.Sprintf("%sp%d.ics", syncCal, i), event(fmt.Sprintf("page-%d", i), "x"), ctCal)
	}
	var writes []backend.ObjectWrite
	for i := range 20 {
		uid := fmt.Sprintf("imp-%02d", i)
		writes = append(writes, backend.ObjectWrite{Name: uid + ".ics", UID: uid, Data: []byte(event(uid, "imported")),
			Component: "VEVENT", ContentType: "text/calendar; charset=utf-8; component=vevent"})
	}
	if _, err := e.store.ImportObjects(ctx, cal.ID, writes); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 6; i++ {
		e.put(t, "alice", fmt.Sprintf("%sp%d.ics", syncCal, i), event(fmt.Sprintf("page-%d", i), "x"), ctCal)
	}
	truth := e.truth(t, "alice", syncCal)
	for _, limit := range []int{0, 1, 2, 5, 7, 100} {
		v := syncView{}
		_, pages := e.pull(t, "alice", syncCal, "", v, limit)
		if !maps.Equal(v, truth) {
			t.Fatalf("nresults %d: view of %d members, collection %d", limit, len(v), len(truth))
		}
		size := 7 // the server's cap
		if limit > 0 && limit < size {
			size = limit
		}
		want := (26 + size - 1) / size
		if pages != want {
			t.Errorf("nresults %d: %d pages, want %d", limit, pages, want)
		}
	}

	// Changes between the pages of a first sync.
	a := e.sync(t, "alice", syncCal, syncXML("", "1", syncLimit(5), etagProps))
	if !a.truncated(t, e.href(syncCal)) || len(a.members(t)) != 5 {
		t.Fatalf("first page: %s", a.raw)
	}
	v := syncView(a.members(t))
	e.put(t, "alice", syncCal+"p0.ics", event("page-0", "changed"), ctCal)
	e.put(t, "alice", syncCal+"imp-19.ics", event("imp-19", "changed"), ctCal)
	e.do(t, "alice", "DELETE", syncCal+"imp-10.ics", "").want(t, http.StatusNoContent)
	e.put(t, "alice", syncCal+"new.ics", event("page-new", "new"), ctCal)
	e.pull(t, "alice", syncCal, a.token, v, 3)
	if want := e.truth(t, "alice", syncCal); !maps.Equal(v, want) {
		t.Fatalf("after changes between pages: view %v\ncollection %v", v, want)
	}
}

// sync-collection is advertised on calendars, address books and both
// homes, and nowhere else.
func TestSyncCollectionAdvertised(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", syncCal+"a.ics", event("adv-a", "A"), ctCal)
	for path, want := range map[string]bool{
		syncCal: true, syncBook: true, "/calendars/alice/": true, "/addressbooks/alice/": true,
		syncCal + "a.ics": false, "/principals/alice/": false, "/": false,
	} {
		set, _ := e.propOf(t, "alice", path, dName("supported-report-set"))
		found := 0
		for _, sr := range set.all(dName("supported-report")) {
			if sr.child(dName("report")).child(dName("sync-collection")) != nil {
				found++
			}
		}
		if (found == 1) != want || found > 1 {
			t.Errorf("%s: sync-collection advertised %d times, want %v", path, found, want)
		}
	}
}

// A home's members are its collections: the first sync lists them with
// the properties asked, a token of an unchanged home gets nothing, and a
// change in the home (a collection created, deleted, changed) is the
// next delta (sync_home_test.go has the rest).
func TestSyncCollectionHome(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice", "bob")
	const home = "/calendars/alice/"
	props := []string{`<D:displayname/>`, `<CS:getctag xmlns:CS="http://calendarserver.org/ns/"/>`, `<D:sync-token/>`, `<D:resourcetype/>`}
	first := e.sync(t, "alice", home, syncXML("", "1", "", props...))
	if got := first.members(t); len(got) != 1 || first.response(t, e.href(syncCal)).found(t, dName("displayname")).Text != "Calendar" {
		t.Fatalf("home sync: %s", first.raw)
	}
	r := first.response(t, e.href(syncCal))
	if ctag, tok := e.syncState(t, "alice", syncCal); r.found(t, csName("getctag")).Text != ctag || r.found(t, dName("sync-token")).Text != tok {
		t.Errorf("the calendar's getctag and sync-token differ from PROPFIND's:\n%s", first.raw)
	}
	same := e.sync(t, "alice", home, syncXML(first.token, "1", "", props...))
	if len(same.Responses) != 0 || same.token != first.token {
		t.Fatalf("unchanged home: %s", same.raw)
	}
	// Another home's token, and a member change in the home.
	bobs := e.sync(t, "bob", "/calendars/bob/", syncXML("", "1", "", props...))
	e.do(t, "alice", "REPORT", home, syncXML(bobs.token, "1", "", props...)).condition(t, http.StatusForbidden, dName("valid-sync-token"))
	e.do(t, "alice", "REPORT", "/addressbooks/alice/", syncXML(first.token, "1", "", props...)).condition(t, http.StatusForbidden, dName("valid-sync-token"))
	e.do(t, "alice", "REPORT", home, syncXML(first.token, "1", "", props...), "Depth: 1").want(t, http.StatusMultiStatus)
	e.put(t, "alice", syncCal+"a.ics", event("home-a", "A"), ctCal)
	changed := e.sync(t, "alice", home, syncXML(first.token, "1", "", props...))
	if got := changed.members(t); len(got) != 1 || changed.token == first.token {
		t.Fatalf("after a PUT: %s", changed.raw)
	}
	if ctag, _ := e.syncState(t, "alice", syncCal); changed.response(t, e.href(syncCal)).found(t, csName("getctag")).Text != ctag {
		t.Errorf("the changed calendar's getctag is not the new one:\n%s", changed.raw)
	}
	e.do(t, "alice", "MKCALENDAR", home+"work/", "").want(t, http.StatusCreated)
	second := e.sync(t, "alice", home, syncXML("", "1", "", props...))
	if got := second.members(t); len(got) != 2 || second.token == first.token {
		t.Fatalf("after MKCALENDAR: %s", second.raw)
	}
	e.do(t, "alice", "DELETE", home+"work/", "").want(t, http.StatusNoContent)
	gone := e.sync(t, "alice", home, syncXML(second.token, "1", "", props...))
	if got := gone.deleted(t); len(gone.Responses) != 1 || !slices.Equal(got, []string{e.href(home + "work/")}) {
		t.Fatalf("after DELETE: %s", gone.raw)
	}
	// sync-level infinite: each collection with 403 sync-traversal-supported.
	inf := e.sync(t, "alice", home, syncXML("", "infinite", "", props...))
	for _, rn := range inf.Root.all(dName("response")) {
		st := rn.child(dName("status"))
		if st == nil || parseStatus(t, st.Text) != http.StatusForbidden || rn.child(dName("error")).child(dName("sync-traversal-supported")) == nil || rn.child(dName("propstat")) != nil {
			t.Errorf("infinite home sync:\n%s", inf.raw)
		}
	}
	// The address book home alike; a limit below the number of
	// collections pages the answer (RFC 6578 3.6).
	book := e.sync(t, "alice", "/addressbooks/alice/", syncXML("", "1", "", `<D:displayname/>`))
	if len(book.members(t)) != 1 {
		t.Fatalf("address book home: %s", book.raw)
	}
	e.do(t, "alice", "MKCOL", "/addressbooks/alice/more/", "").want(t, http.StatusCreated)
	page := e.sync(t, "alice", "/addressbooks/alice/", syncXML("", "1", syncLimit(1), `<D:displayname/>`))
	if len(page.members(t)) != 1 || !page.truncated(t, e.href("/addressbooks/alice/")) {
		t.Fatalf("address book home, nresults 1: %s", page.raw)
	}
	rest := e.sync(t, "alice", "/addressbooks/alice/", syncXML(page.token, "1", syncLimit(1), `<D:displayname/>`))
	if len(rest.members(t)) != 1 || rest.truncated(t, e.href("/addressbooks/alice/")) {
		t.Fatalf("address book home, second page: %s", rest.raw)
	}
}

// The client fixtures replayed: each client's own request, headers and
// body, against what its code needs (clients.md §9.2).
func TestSyncCollectionClientFixtures(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	vars := map[string]string{"calendar": syncCal, "addressbook": syncBook, "calendar_home": "/calendars/alice/"}
	calItem := e.href(syncCal + "item.ics")
	e.put(t, "alice", syncCal+"item.ics", event("fx-item", "one"), ctCal)
	e.put(t, "alice", syncBook+"card.vcf", card("fx-card", "Card"), ctCard)

	replay := func(name string) *davResp {
		t.Helper()
		return e.replay(t, "alice", loadFixture(t, name, vars))
	}
	parse := func(r *davResp) syncAnswer {
		t.Helper()
		ms := r.multistatus(t)
		kids := ms.Root.Children
		if kids[len(kids)-1].Name != dName("sync-token") {
			t.Fatalf("%s: no sync-token at the end:\n%s", r.req, r.Body)
		}
		return syncAnswer{ms, kids[len(kids)-1].Text}
	}
	// Apple Calendar: initial (Depth 1), incremental, after delete, invalid, no sync-level.
	for _, name := range []string{"apple-macos-calendar-16-report-sync-collection-initial.http", "apple-macos-calendar-31-report-sync-collection-no-sync-level.http",
		"apple-ios-calendar-14-report-sync-collection-initial.http", "thunderbird-calendar-07-report-sync-collection-initial.http"} {
		a := parse(replay(name))
		r := a.response(t, calItem)
		if !strings.HasPrefix(r.found(t, dName("getcontenttype")).Text, "text/calendar") || r.found(t, dName("getetag")).Text == "" {
			t.Errorf("%s: %s", name, a.raw)
		}
		vars["sync_token"], vars["sync_token|xml-escaped"] = a.token, xmlText(a.token)
	}
	tag := e.put(t, "alice", syncCal+"item.ics", event("fx-item", "two"), ctCal)
	vars["item_href"] = calItem
	for _, name := range []string{"apple-macos-calendar-23-report-sync-collection-incremental.http", "thunderbird-calendar-13-report-sync-collection-incremental.http"} {
		a := parse(replay(name))
		if got := a.members(t); !maps.Equal(got, map[string]string{calItem: tag}) {
			t.Errorf("%s: %v", name, got)
		}
	}
	e.do(t, "alice", "DELETE", syncCal+"item.ics", "").want(t, http.StatusNoContent)
	for _, name := range []string{"apple-macos-calendar-25-report-sync-collection-after-delete.http", "thunderbird-calendar-17-report-sync-collection-after-delete.http"} {
		if got := parse(replay(name)).deleted(t); !slices.Equal(got, []string{calItem}) {
			t.Errorf("%s: deleted %v", name, got)
		}
	}
	replay("apple-macos-calendar-26-report-sync-collection-invalid-token.http").condition(t, http.StatusForbidden, dName("valid-sync-token"))
	replay("thunderbird-calendar-18-report-sync-collection-invalid-token.http").condition(t, http.StatusForbidden, dName("valid-sync-token"))
	vars["home_sync_token"] = "" // first as an initial sync, then with its token
	home := parse(replay("apple-macos-calendar-19-report-sync-collection-home.http"))
	if home.response(t, e.href(syncCal)).found(t, csName("getctag")).Text == "" {
		t.Errorf("home sync: %s", home.raw)
	}
	vars["home_sync_token"] = home.token
	if got := parse(replay("apple-macos-calendar-19-report-sync-collection-home.http")); len(got.Responses) != 0 {
		t.Errorf("home sync with its own token: %s", got.raw)
	}
	// The calendar changes (as Apple's steps 11-13 change it): the same
	// token now gets a delta holding that calendar with its new getctag.
	e.do(t, "alice", "PROPPATCH", syncCal, proppatchSet(`<I:calendar-color xmlns:I="http://apple.com/ns/ical/">#FF0000FF</I:calendar-color>`)).want(t, http.StatusMultiStatus)
	delta := parse(replay("apple-macos-calendar-19-report-sync-collection-home.http"))
	if ctag, _ := e.syncState(t, "alice", syncCal); len(delta.Responses) != 1 || delta.response(t, e.href(syncCal)).found(t, csName("getctag")).Text != ctag {
		t.Errorf("home sync after a change of the calendar: %s", delta.raw)
	}

	// Address books: Apple Contacts, DAVx5 (Depth 0), Thunderbird (address-data, 400 on a bad token).
	cardHref := e.href(syncBook + "card.vcf")
	for _, name := range []string{"apple-contacts-08-report-sync-collection-initial.http", "davx5-21-report-sync-collection-initial.http"} {
		a := parse(replay(name))
		if a.response(t, cardHref).found(t, dName("getetag")).Text == "" {
			t.Errorf("%s: %s", name, a.raw)
		}
		vars["sync_token"], vars["sync_token|xml-escaped"] = a.token, xmlText(a.token)
	}
	cardTag := e.put(t, "alice", syncBook+"card.vcf", card("fx-card", "Card 2"), ctCard)
	for _, name := range []string{"apple-contacts-13-report-sync-collection-incremental.http", "davx5-23-report-sync-collection-incremental.http"} {
		if got := parse(replay(name)).members(t); !maps.Equal(got, map[string]string{cardHref: cardTag}) {
			t.Errorf("%s: %v", name, got)
		}
	}
	tb := parse(replay("thunderbird-carddav-11-report-sync-collection.http"))
	if r := tb.response(t, cardHref); toCRLF(r.found(t, crName("address-data")).Text) != card("fx-card", "Card 2") {
		t.Errorf("Thunderbird's address-data: %s", tb.raw)
	}
	e.do(t, "alice", "DELETE", syncBook+"card.vcf", "").want(t, http.StatusNoContent)
	vars["card_href"] = cardHref
	if got := parse(replay("thunderbird-carddav-13-report-sync-collection-after-delete.http")).deleted(t); !slices.Equal(got, []string{cardHref}) {
		t.Errorf("Thunderbird after delete: %v", got)
	}
	replay("apple-contacts-14-report-sync-collection-invented-token.http").condition(t, http.StatusForbidden, dName("valid-sync-token"))
	replay("davx5-24-report-sync-collection-invalid-token.http").condition(t, http.StatusForbidden, dName("valid-sync-token"))
	replay("thunderbird-carddav-14-report-sync-collection-invalid-token.http").condition(t, http.StatusBadRequest, dName("valid-sync-token"))
}

// Tokens come from the database: one server's token works on a second
// server on the same database, and after a restart (a new store and a
// new server on the same database), in both directions.
func TestSyncTokensAcrossNodesAndRestarts(t *testing.T) {
	t.Parallel()
	e, conn := newSyncEnv(t, Config{}, "alice")
	// A second node: its own pool to the same database, its own server.
	open := func() *backend.Store { return backendtest.Open(t, conn) }
	second := e.node(t, open(), Config{})
	e.put(t, "alice", syncCal+"a.ics", event("node-a", "A"), ctCal)
	first := e.sync(t, "alice", syncCal, syncXML("", "1", "", etagProps))
	e.put(t, "alice", syncCal+"b.ics", event("node-b", "B"), ctCal)
	other := second.sync(t, "alice", syncCal, syncXML(first.token, "1", "", etagProps))
	if got := other.members(t); len(got) != 1 || got[e.href(syncCal+"b.ics")] == "" {
		t.Fatalf("second node, first node's token: %s", other.raw)
	}
	second.put(t, "alice", syncCal+"c.ics", event("node-c", "C"), ctCal)
	back := e.sync(t, "alice", syncCal, syncXML(other.token, "1", "", etagProps))
	if got := back.members(t); len(got) != 1 || got[e.href(syncCal+"c.ics")] == "" {
		t.Fatalf("first node, second node's token: %s", back.raw)
	}
	// A restart: the second node stops, its pool closes, a new process
	// (a new pool and a new server) answers a token from before.
	second.srv.Close()
	second.store.Close()
	third := e.node(t, open(), Config{})
	again := third.sync(t, "alice", syncCal, syncXML(first.token, "1", "", etagProps))
	if got := again.members(t); len(got) != 2 {
		t.Fatalf("after a restart, a token from before it: %s", again.raw)
	}
	if again.token != back.token {
		t.Fatalf("the same state, two tokens: %s and %s", again.token, back.token)
	}
}
