package davtest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
	"github.com/pgdav/pgdav/internal/server"
)

// SyncXML is a sync-collection body with a token, a sync-level ("" for
// none), extra elements (a limit) and the property elements of DAV:prop.
func SyncXML(token, level, extra string, props ...string) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:CR="urn:ietf:params:xml:ns:carddav">`)
	b.WriteString("<D:sync-token>" + XMLText(token) + "</D:sync-token>")
	if level != "" {
		b.WriteString("<D:sync-level>" + level + "</D:sync-level>")
	}
	b.WriteString(extra)
	b.WriteString("<D:prop>" + strings.Join(props, "") + "</D:prop></D:sync-collection>")
	return b.String()
}

// XMLText escapes s for character data.
func XMLText(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}

// SyncLimit is a DAV:limit of n results (RFC 6578 3.7).
func SyncLimit(n int) string { return fmt.Sprintf("<D:limit><D:nresults>%d</D:nresults></D:limit>", n) }

// EtagProps asks for what a client keeps of each member.
const EtagProps = `<D:getetag/><D:getcontenttype/>`

// SyncAnswer is a parsed sync-collection answer.
type SyncAnswer struct {
	*Multistatus
	Token string
}

// Sync sends a sync-collection REPORT and checks what every answer must
// have: a 207 multistatus whose last child is its one DAV:sync-token, a
// URI (RFC 6578 3.2, 4).
func (e *Env) Sync(t *testing.T, user, path, body string, headers ...string) SyncAnswer {
	t.Helper()
	r := e.Do(t, user, "REPORT", path, body, append([]string{"Content-Type: application/xml; charset=utf-8"}, headers...)...)
	ms := r.Multistatus(t)
	kids := ms.Root.Children
	if len(kids) == 0 || kids[len(kids)-1].Name != DName("sync-token") || len(ms.Root.All(DName("sync-token"))) != 1 {
		t.Fatalf("%s: the sync-token is not the one last child of multistatus:\n%s", r.Req, r.Body)
	}
	token := kids[len(kids)-1].Text
	if u, err := url.Parse(token); err != nil || u.Scheme == "" || token != strings.TrimSpace(token) {
		t.Fatalf("%s: sync-token %q is not a URI", r.Req, token)
	}
	return SyncAnswer{ms, token}
}

// Members are the responses without a response-level status: href →
// getetag.
func (a SyncAnswer) Members(t *testing.T) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, r := range a.Responses {
		if r.Status != 0 {
			continue
		}
		if _, dup := out[r.Href]; dup {
			t.Fatalf("%s reported twice:\n%s", r.Href, a.Raw)
		}
		etag, _ := r.Prop(DName("getetag"))
		if etag == nil {
			out[r.Href] = ""
			continue
		}
		out[r.Href] = etag.Text
	}
	return out
}

// Deleted are the hrefs reported with a response-level 404 and, as RFC
// 6578 3.5.2 requires, no propstat.
func (a SyncAnswer) Deleted(t *testing.T) []string {
	t.Helper()
	var out []string
	for _, r := range a.Responses {
		if r.Status == http.StatusNotFound {
			if len(r.Propstats) != 0 {
				t.Errorf("deleted %s has a propstat:\n%s", r.Href, a.Raw)
			}
			out = append(out, r.Href)
		}
	}
	slices.Sort(out)
	return out
}

// Truncated reports whether the answer carries the 507 response for
// href, the Request-URI (RFC 6578 3.6), with number-of-matches-within-limits.
func (a SyncAnswer) Truncated(t *testing.T, href string) bool {
	t.Helper()
	for _, rn := range a.Root.All(DName("response")) {
		if rn.Hrefs()[0] != href {
			continue
		}
		st := rn.Child(DName("status"))
		if st == nil || ParseStatus(t, st.Text) != http.StatusInsufficientStorage || rn.Child(DName("propstat")) != nil {
			t.Fatalf("response for the Request-URI is not a bare 507:\n%s", a.Raw)
		}
		if e := rn.Child(DName("error")); e == nil || e.Child(DName("number-of-matches-within-limits")) == nil {
			t.Errorf("the 507 response lacks DAV:number-of-matches-within-limits:\n%s", a.Raw)
		}
		return true
	}
	return false
}

// SyncView is a client's copy of a collection: href → getetag.
type SyncView map[string]string

// Pull brings v up to date from token, page by page, as a client would:
// each member reported is stored, each deletion removed, and a 507 asks
// for the next page with the answer's token. It returns the last token
// and the number of pages.
func (e *Env) Pull(t *testing.T, user, path, token string, v SyncView, limit int, headers ...string) (string, int) {
	t.Helper()
	extra := ""
	if limit > 0 {
		extra = SyncLimit(limit)
	}
	for pages := 1; ; pages++ {
		if pages > 10000 {
			t.Fatal("paging does not end")
		}
		a := e.Sync(t, user, path, SyncXML(token, "1", extra, EtagProps), headers...)
		members := a.Members(t)
		if limit > 0 && len(members)+len(a.Deleted(t)) > limit {
			t.Fatalf("%d responses for nresults %d", len(members)+len(a.Deleted(t)), limit)
		}
		for h, etag := range members {
			if etag == "" {
				t.Fatalf("%s without getetag", h)
			}
			v[h] = etag
		}
		for _, h := range a.Deleted(t) {
			delete(v, h)
		}
		token = a.Token
		if !a.Truncated(t, e.Href(path)) {
			return token, pages
		}
	}
}

// Truth is the collection as a Depth 1 PROPFIND lists it.
func (e *Env) Truth(t *testing.T, user, path string) SyncView {
	t.Helper()
	v := SyncView{}
	for _, r := range e.Propfind(t, user, path, "1", DName("getetag")).Responses {
		if r.Href != e.Href(path) {
			v[r.Href] = r.Found(t, DName("getetag")).Text
		}
	}
	return v
}

// NewWithServer is New with the server configured by cfg; it also
// returns the database's connection string, for a second node.
func NewWithServer(t testing.TB, cfg server.Config, users ...string) (*Env, string) {
	t.Helper()
	conn := backendtest.NewDatabase(t)
	store := backendtest.Open(t, conn)
	hash, err := testPasswordHash()
	if err != nil {
		t.Fatal(err)
	}
	e := &Env{Store: store, dbConn: conn, Users: map[string]backend.Principal{}}
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
		e.Users[u] = p
	}
	return e.OtherNode(t, store, cfg), conn
}

// OtherNode is another pgdav server with the configuration cfg on store,
// which may be e's or another pool to e's database, with e's users.
func (e *Env) OtherNode(t testing.TB, store *backend.Store, cfg server.Config) *Env {
	t.Helper()
	cfg.AuthCacheTTL = time.Hour
	s := server.New(cfg, store)
	s.SetReady()
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	client := *hs.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return &Env{Server: s, Store: store, dbConn: e.dbConn, HTTP: hs, Client: &client, Base: e.Base, Users: e.Users}
}
