package server

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
)

// Sync-collection helpers for the tests that need the server's own
// internals (the pruning job); the protocol tests of the REPORT are in
// internal/dav, with davtest.

const syncCal = "/calendars/alice/default/"

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
