package server

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend/backendtest"
)

// sync-collection on a home (RFC 6578 with the home's collections as the
// members), over HTTP through the real server.

const syncHome = "/calendars/alice/"

var homeProps = []string{`<D:displayname/>`, `<CS:getctag xmlns:CS="http://calendarserver.org/ns/"/>`, `<D:sync-token/>`, `<D:resourcetype/>`}

// A client binds the home's token, then calendar A's member changes,
// calendar C is made and B deleted: the next home sync with that token
// answers exactly A and C, with their properties as they are now, and B
// with 404 and no propstat, and a token from which nothing more is new.
// The home's DAV:sync-token (PROPFIND) is the token of that same state.
// Tokens from before the change log (digests of the home's state), or
// beyond the home's counter, get DAV:valid-sync-token.
func TestSyncCollectionHomeDelta(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	a, b, c := syncHome+"a/", syncHome+"b/", syncHome+"c/"
	e.do(t, "alice", "MKCALENDAR", a, "").want(t, http.StatusCreated)
	e.do(t, "alice", "MKCALENDAR", b, "").want(t, http.StatusCreated)
	e.put(t, "alice", a+"one.ics", event("home-one", "one"), ctCal)
	bind := e.sync(t, "alice", syncHome, syncXML("", "1", "", homeProps...))
	if got := bind.members(t); len(got) != 3 {
		t.Fatalf("first home sync: %s", bind.raw)
	}
	if tok := e.homeToken(t, syncHome); tok != bind.token {
		t.Errorf("the home's sync-token %q is not the token of its first sync %q", tok, bind.token)
	}

	e.put(t, "alice", a+"one.ics", event("home-one", "one, changed"), ctCal)
	e.do(t, "alice", "MKCALENDAR", c, "").want(t, http.StatusCreated)
	e.do(t, "alice", "DELETE", b, "").want(t, http.StatusNoContent)

	delta := e.sync(t, "alice", syncHome, syncXML(bind.token, "1", "", homeProps...))
	if got := slices.Sorted(maps.Keys(delta.members(t))); !slices.Equal(got, []string{e.href(a), e.href(c)}) {
		t.Fatalf("changed collections %v, want A and C:\n%s", got, delta.raw)
	}
	if got := delta.deleted(t); !slices.Equal(got, []string{e.href(b)}) || len(delta.Responses) != 3 {
		t.Fatalf("deleted %v, want B only:\n%s", got, delta.raw)
	}
	for _, coll := range []string{a, c} {
		r := delta.response(t, e.href(coll))
		if r.Status != 0 {
			t.Errorf("%s: response status %d, want a 200 propstat", coll, r.Status)
		}
		if ctag, tok := e.syncState(t, "alice", coll); r.found(t, csName("getctag")).Text != ctag || r.found(t, dName("sync-token")).Text != tok {
			t.Errorf("%s: getctag and sync-token are not the current ones:\n%s", coll, delta.raw)
		}
	}
	if delta.token == bind.token || e.homeToken(t, syncHome) != delta.token {
		t.Errorf("new token %q, the home's %q, the old %q", delta.token, e.homeToken(t, syncHome), bind.token)
	}
	again := e.sync(t, "alice", syncHome, syncXML(delta.token, "1", "", homeProps...))
	if len(again.Responses) != 0 || again.token != delta.token {
		t.Fatalf("nothing changed since the new token: %s", again.raw)
	}
	// From the first token again: the same answer. sync-level infinite
	// answers the changed collections with 403
	// DAV:sync-traversal-supported (RFC 6578 3.3), the deleted with 404.
	inf := e.sync(t, "alice", syncHome, syncXML(bind.token, "infinite", "", homeProps...))
	if got := inf.deleted(t); !slices.Equal(got, []string{e.href(b)}) || len(inf.Root.all(dName("response"))) != 3 {
		t.Fatalf("infinite: %s", inf.raw)
	}
	for _, coll := range []string{a, c} {
		r := inf.response(t, e.href(coll))
		if r.Status != http.StatusForbidden || len(r.Propstats) != 0 {
			t.Errorf("infinite, %s: status %d, %d propstats:\n%s", coll, r.Status, len(r.Propstats), inf.raw)
		}
	}

	id := strconv.FormatInt(e.users["alice"].ID, 10)
	for _, token := range []string{
		"urn:pgdav:sync:home:" + id + ":calendar:3f2a9c0b11d4e5f60718293a", // a digest, as tokens were before the log
		"urn:pgdav:sync:home:" + id + ":calendar:999999",                   // beyond the counter
		"urn:pgdav:sync:home:" + id + ":addressbook:0",                     // the other home
	} {
		e.do(t, "alice", "REPORT", syncHome, syncXML(token, "1", "", homeProps...)).condition(t, http.StatusForbidden, dName("valid-sync-token"))
	}
}

// homeToken is the home's DAV:sync-token as a Depth 0 PROPFIND reads it.
func (e *davEnv) homeToken(t *testing.T, home string) string {
	t.Helper()
	return e.propfind(t, "alice", home, "0", dName("sync-token")).response(t, e.href(home)).found(t, dName("sync-token")).Text
}

// Home tokens live in the database: with the server's cap at 2, a first
// home sync of five calendars is paged across two nodes (each page's
// token continues on the other), and a delta of changes made through one
// node is answered by the other from its token.
func TestSyncCollectionHomeAcrossNodes(t *testing.T) {
	t.Parallel()
	e, conn := newSyncEnv(t, Config{SyncMaxResults: 2}, "alice")
	other := e.node(t, backendtest.Open(t, conn), Config{SyncMaxResults: 2})
	for i := range 4 {
		e.do(t, "alice", "MKCALENDAR", fmt.Sprintf("%sc%d/", syncHome, i), "").want(t, http.StatusCreated)
	}
	nodes := []*davEnv{e, other}
	seen := map[string]bool{}
	token := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("paging does not end")
		}
		a := nodes[page%2].sync(t, "alice", syncHome, syncXML(token, "1", "", homeProps...))
		for h := range a.members(t) {
			if seen[h] {
				t.Fatalf("%s on two pages", h)
			}
			seen[h] = true
		}
		token = a.token
		if !a.truncated(t, e.href(syncHome)) {
			if page != 2 {
				t.Fatalf("%d pages for 5 calendars at 2 a page", page+1)
			}
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("the pages held %v, want 5 calendars", seen)
	}
	other.do(t, "alice", "PROPPATCH", syncHome+"c0/", proppatchSet(`<D:displayname>Renamed</D:displayname>`)).want(t, http.StatusMultiStatus)
	other.do(t, "alice", "DELETE", syncHome+"c1/", "").want(t, http.StatusNoContent)
	delta := e.sync(t, "alice", syncHome, syncXML(token, "1", "", homeProps...))
	if got := delta.members(t); len(got) != 1 || delta.response(t, e.href(syncHome+"c0/")).found(t, dName("displayname")).Text != "Renamed" {
		t.Fatalf("the first node, a token of the second: %s", delta.raw)
	}
	if got := delta.deleted(t); !slices.Equal(got, []string{e.href(syncHome + "c1/")}) {
		t.Fatalf("deleted %v:\n%s", got, delta.raw)
	}
	if back := other.sync(t, "alice", syncHome, syncXML(delta.token, "1", "", homeProps...)); len(back.Responses) != 0 || back.token != delta.token {
		t.Fatalf("the second node, the first node's token: %s", back.raw)
	}
}

// Writers PUT into three calendars of one home over HTTP while two
// clients, one on each of two nodes, take turns syncing the home with
// the tokens they got, each keeping every calendar's getctag as
// reported. Once the writers are done, one more sync must leave each
// client with exactly the getctags a PROPFIND of the home lists: no
// change was skipped, whichever order the writes committed in.
func TestSyncCollectionHomeConcurrentWriters(t *testing.T) {
	t.Parallel()
	e, conn := newSyncEnv(t, Config{}, "alice")
	other := e.node(t, backendtest.Open(t, conn), Config{})
	colls := []string{syncCal, syncHome + "x/", syncHome + "y/"}
	for _, c := range colls[1:] {
		e.do(t, "alice", "MKCALENDAR", c, "").want(t, http.StatusCreated)
	}
	const writers, ops = 3, 15
	var wg sync.WaitGroup
	failed := make(chan string, writers)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := rand.New(rand.NewPCG(uint64(w), 3))
			for i := range ops {
				name := fmt.Sprintf("%sw%d-%d.ics", colls[r.IntN(len(colls))], w, r.IntN(3))
				if st := e.do(t, "alice", "PUT", name, event(name, fmt.Sprint("op ", i)), ctCal).Status; st != http.StatusCreated && st != http.StatusNoContent {
					failed <- fmt.Sprintf("PUT %s: %d", name, st)
					return
				}
			}
		}()
	}
	t.Cleanup(wg.Wait) // no writer outlives the test, even a failed one
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	clients := []*davEnv{e, other}
	views := []map[string]string{{}, {}}
	tokens := []string{"", ""}
	pull := func(c int) {
		a := clients[c].sync(t, "alice", syncHome, syncXML(tokens[c], "1", "", homeProps...))
		for _, r := range a.Responses {
			if r.Status == http.StatusNotFound {
				delete(views[c], r.Href)
				continue
			}
			views[c][r.Href] = r.found(t, csName("getctag")).Text
		}
		tokens[c] = a.token
	}
	for round := 0; round < 500; round++ {
		select {
		case <-done:
			round = 500
		default:
			pull(round % 2)
		}
	}
	<-done
	close(failed)
	for f := range failed {
		t.Fatal(f)
	}
	truth := map[string]string{}
	for _, r := range e.propfind(t, "alice", syncHome, "1", csName("getctag")).Responses {
		if r.Href != e.href(syncHome) {
			truth[r.Href] = r.found(t, csName("getctag")).Text
		}
	}
	for c := range clients {
		pull(c)
		if !maps.Equal(views[c], truth) {
			t.Errorf("client %d: view %v, home %v", c, views[c], truth)
		}
	}
}

// Pruning covers the homes' logs: once a deleted calendar's tombstone is
// pruned, a home token from before the deletion gets
// DAV:valid-sync-token (the client lists the home again, and cannot miss
// the deletion), while a token from after it still gets its delta.
func TestSyncCollectionHomePruning(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	gone := syncHome + "gone/"
	e.do(t, "alice", "MKCALENDAR", gone, "").want(t, http.StatusCreated)
	old := e.sync(t, "alice", syncHome, syncXML("", "1", "", homeProps...))
	e.do(t, "alice", "DELETE", gone, "").want(t, http.StatusNoContent)
	recent := e.sync(t, "alice", syncHome, syncXML(old.token, "1", "", homeProps...))
	if got := recent.deleted(t); !slices.Equal(got, []string{e.href(gone)}) {
		t.Fatalf("the deletion: %s", recent.raw)
	}
	// Every tombstone recorded before this call is older than 1 ns.
	if n, err := e.store.PruneTombstones(t.Context(), time.Nanosecond); err != nil || n < 1 {
		t.Fatalf("PruneTombstones = %d, %v", n, err)
	}
	e.do(t, "alice", "REPORT", syncHome, syncXML(old.token, "1", "", homeProps...)).condition(t, http.StatusForbidden, dName("valid-sync-token"))
	if a := e.sync(t, "alice", syncHome, syncXML(recent.token, "1", "", homeProps...)); len(a.Responses) != 0 || a.token != recent.token {
		t.Fatalf("a token from after the pruned point: %s", a.raw)
	}
	if a := e.sync(t, "alice", syncHome, syncXML("", "1", "", homeProps...)); len(a.members(t)) != 1 {
		t.Fatalf("a full home sync after pruning: %s", a.raw)
	}
}
