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
// URI (RFC 6578 3.2, 4; docs/clients.md "Sync tokens are URIs").
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

// The client fixtures replayed: each client's own request, headers and
// body, against what its code needs (docs/clients.md "Invalid sync
// tokens", "Depth and sync-level on sync-collection").
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
