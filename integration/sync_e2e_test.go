package integration

import (
	"encoding/xml"
	"maps"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/carddav"
)

// TestSyncCollectionEndToEnd drives sync-collection (RFC 6578) on a real
// `pgdav serve`: go-webdav's carddav.Client.SyncCollection on an address
// book and raw REPORTs on a calendar, through create → sync → modify and
// delete → sync → sync again with the old token; then a second node on
// the same PostgreSQL, which accepts the first one's tokens and whose
// tokens the first accepts; then a restart with a small
// --sync-max-results, after which tokens from before still work and a
// first sync comes in pages.
func TestSyncCollectionEndToEnd(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	mustCLI(t, data, "alice-pw\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
	s := startServer(t, data)
	e := &e2e{t: t, s: s, ctx: t.Context()}
	ctx := e.ctx
	hc := e.httpClient("alice", "alice-pw")
	const (
		book = "/addressbooks/alice/default/"
		cal  = "/calendars/alice/default/"
	)

	// CardDAV with go-webdav's client.
	cards := e.cardClient("alice", "alice-pw")
	etags := map[string]string{}
	for _, n := range []string{"ann", "ben", "cid"} {
		o, err := cards.PutAddressObject(ctx, book+n+".vcf", newCard(n+"@example.org", strings.ToUpper(n[:1])+n[1:]))
		if err != nil {
			t.Fatalf("PutAddressObject %s: %v", n, err)
		}
		etags[o.Path] = o.ETag
	}
	first, err := cards.SyncCollection(ctx, book, &carddav.SyncQuery{})
	if err != nil {
		t.Fatalf("initial SyncCollection: %v", err)
	}
	if got := updated(first); !maps.Equal(got, etags) || len(first.Deleted) != 0 || !strings.Contains(first.SyncToken, ":") {
		t.Fatalf("initial sync = %v, deleted %v, token %q; want %v", got, first.Deleted, first.SyncToken, etags)
	}
	ben, err := cards.PutAddressObject(ctx, book+"ben.vcf", newCard("ben@example.org", "Benjamin"))
	if err != nil {
		t.Fatal(err)
	}
	if code, _, body := e.raw(hc, "DELETE", book+"cid.vcf", nil, ""); code != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	second, err := cards.SyncCollection(ctx, book, &carddav.SyncQuery{SyncToken: first.SyncToken})
	if err != nil {
		t.Fatalf("incremental SyncCollection: %v", err)
	}
	if got := updated(second); !maps.Equal(got, map[string]string{ben.Path: ben.ETag}) || !slices.Equal(second.Deleted, []string{book + "cid.vcf"}) {
		t.Fatalf("incremental sync = %v, deleted %v", got, second.Deleted)
	}
	again, err := cards.SyncCollection(ctx, book, &carddav.SyncQuery{SyncToken: first.SyncToken})
	if err != nil || !maps.Equal(updated(again), updated(second)) || !slices.Equal(again.Deleted, second.Deleted) || again.SyncToken != second.SyncToken {
		t.Fatalf("the old token again = %+v, %v", again, err)
	}
	if none, err := cards.SyncCollection(ctx, book, &carddav.SyncQuery{SyncToken: second.SyncToken}); err != nil || len(none.Updated)+len(none.Deleted) != 0 {
		t.Fatalf("nothing changed = %+v, %v", none, err)
	}
	if _, err := cards.SyncCollection(ctx, book, &carddav.SyncQuery{SyncToken: "http://invalid.example/sync/1"}); statusOf(err) != http.StatusForbidden {
		t.Fatalf("invalid token: %v, want 403", err)
	}
	tb := map[string]string{"User-Agent": "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.2"}
	if code, _, body := e.raw(hc, "REPORT", book, tb, syncBody("http://invalid.example/sync/1")); code != http.StatusBadRequest || !strings.Contains(body, "valid-sync-token") {
		t.Fatalf("invalid token from Thunderbird: %d %s", code, body)
	}

	// CalDAV with raw REPORTs.
	calEtags := map[string]string{}
	for _, n := range []string{"one", "two", "three"} {
		code, h, body := e.raw(hc, "PUT", cal+n+".ics", map[string]string{"Content-Type": "text/calendar"}, string(encodeCal(t, newEvent(n+"@example.org", n))))
		if code != http.StatusCreated {
			t.Fatalf("PUT %s: %d %s", n, code, body)
		}
		calEtags[cal+n+".ics"] = h.Get("ETag")
	}
	c1 := e.syncRaw(hc, cal, "", nil)
	if !maps.Equal(c1.members, calEtags) || len(c1.deleted) != 0 {
		t.Fatalf("calendar initial sync = %+v, want %v", c1, calEtags)
	}
	code, h, _ := e.raw(hc, "PUT", cal+"one.ics", map[string]string{"Content-Type": "text/calendar"}, string(encodeCal(t, newEvent("one@example.org", "one, moved"))))
	if code != http.StatusNoContent {
		t.Fatalf("PUT one.ics: %d", code)
	}
	oneTag := h.Get("ETag")
	e.raw(hc, "DELETE", cal+"two.ics", nil, "")
	c2 := e.syncRaw(hc, cal, c1.token, nil)
	if !maps.Equal(c2.members, map[string]string{cal + "one.ics": oneTag}) || !slices.Equal(c2.deleted, []string{cal + "two.ics"}) {
		t.Fatalf("calendar incremental sync = %+v", c2)
	}
	if c3 := e.syncRaw(hc, cal, c1.token, nil); !maps.Equal(c3.members, c2.members) || !slices.Equal(c3.deleted, c2.deleted) || c3.token != c2.token {
		t.Fatalf("calendar, the old token again = %+v", c3)
	}

	// A second node on the first one's PostgreSQL: the tokens are the
	// database's, so each node takes the other's.
	conn := "host=" + filepath.Join(data, "postgres") + " user=pgdav dbname=pgdav"
	node2 := startServer(t, "", "--database", conn)
	e2 := &e2e{t: t, s: node2, ctx: ctx}
	if c := e2.syncRaw(hc, cal, c1.token, nil); c.token != c2.token || !maps.Equal(c.members, c2.members) {
		t.Fatalf("second node, first node's token = %+v, want %+v", c, c2)
	}
	code, h, _ = e2.raw(hc, "PUT", cal+"four.ics", map[string]string{"Content-Type": "text/calendar"}, string(encodeCal(t, newEvent("four@example.org", "four"))))
	if code != http.StatusCreated {
		t.Fatalf("PUT on the second node: %d", code)
	}
	fourTag := h.Get("ETag")
	c4 := e2.syncRaw(hc, cal, c2.token, nil)
	if c := e.syncRaw(hc, cal, c2.token, nil); c.token != c4.token || !maps.Equal(c.members, map[string]string{cal + "four.ics": fourTag}) {
		t.Fatalf("first node = %+v, second node = %+v", c, c4)
	}
	if err := node2.stop(); err != nil {
		t.Fatalf("stopping the second node: %v", err)
	}

	// A restart, with a cap of 2 members per answer: a token from before
	// the restart still works; a first sync comes in pages.
	if err := s.stop(); err != nil {
		t.Fatalf("stopping: %v", err)
	}
	s = startServer(t, data, "--sync-max-results", "2")
	e = &e2e{t: t, s: s, ctx: ctx}
	if c := e.syncRaw(hc, cal, c2.token, nil); c.token != c4.token || !maps.Equal(c.members, map[string]string{cal + "four.ics": fourTag}) {
		t.Fatalf("after the restart, a token from before = %+v", c)
	}
	view := map[string]string{}
	token, pages := "", 0
	for {
		pages++
		c := e.syncRaw(hc, cal, token, nil)
		for k, v := range c.members {
			view[k] = v
		}
		token = c.token
		if !c.truncated {
			break
		}
		if len(c.members) != 2 || pages > 5 {
			t.Fatalf("page %d: %+v", pages, c)
		}
	}
	want := map[string]string{cal + "one.ics": oneTag, cal + "three.ics": calEtags[cal+"three.ics"], cal + "four.ics": fourTag}
	if !maps.Equal(view, want) || pages != 2 || token != c4.token {
		t.Fatalf("paged first sync: %d pages, %v, token %s; want %v, token %s", pages, view, token, want, c4.token)
	}
}

// syncBody is a sync-collection REPORT body asking for getetag.
func syncBody(token string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(token))
	return `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:"><D:sync-token>` + b.String() +
		`</D:sync-token><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`
}

// syncResult is a parsed sync-collection answer.
type syncResult struct {
	members   map[string]string // href → getetag (quoted, as the ETag header)
	deleted   []string
	truncated bool
	token     string
}

// syncRaw sends a sync-collection REPORT and parses the answer; the
// sync-token must be the last child of the multistatus.
func (e *e2e) syncRaw(hc webdav.HTTPClient, path, token string, header map[string]string) syncResult {
	e.t.Helper()
	code, _, body := e.raw(hc, "REPORT", path, header, syncBody(token))
	if code != http.StatusMultiStatus {
		e.t.Fatalf("sync-collection on %s: %d\n%s", path, code, body)
	}
	var ms struct {
		Children []struct {
			XMLName  xml.Name
			Href     string `xml:"href"`
			Status   string `xml:"status"`
			Inner    string `xml:",chardata"`
			Propstat []struct {
				Status string `xml:"status"`
				ETag   string `xml:"prop>getetag"`
			} `xml:"propstat"`
		} `xml:",any"`
	}
	if err := xml.Unmarshal([]byte(body), &ms); err != nil || len(ms.Children) == 0 {
		e.t.Fatalf("sync-collection answer: %v\n%s", err, body)
	}
	r := syncResult{members: map[string]string{}}
	last := ms.Children[len(ms.Children)-1]
	if last.XMLName != (xml.Name{Space: "DAV:", Local: "sync-token"}) {
		e.t.Fatalf("the last child is %v, not the sync-token:\n%s", last.XMLName, body)
	}
	r.token = last.Inner
	for _, c := range ms.Children[:len(ms.Children)-1] {
		switch {
		case c.Href == path && strings.Contains(c.Status, " 507 "):
			r.truncated = true
		case strings.Contains(c.Status, " 404 ") && len(c.Propstat) == 0:
			r.deleted = append(r.deleted, c.Href)
		case c.Status == "" && len(c.Propstat) == 1:
			r.members[c.Href] = c.Propstat[0].ETag
		default:
			e.t.Fatalf("unexpected response %+v in\n%s", c, body)
		}
	}
	slices.Sort(r.deleted)
	return r
}

// updated maps a go-webdav sync answer's members to their ETags.
func updated(r *carddav.SyncResponse) map[string]string {
	out := map[string]string{}
	for _, o := range r.Updated {
		out[o.Path] = o.ETag
	}
	return out
}
