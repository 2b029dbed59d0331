package dav_test

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
	"github.com/pgdav/pgdav/internal/davtest"
	"github.com/pgdav/pgdav/internal/server"
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
	e := davtest.New(t, davtest.Config{}, "alice")
	a, b, c := syncHome+"a/", syncHome+"b/", syncHome+"c/"
	e.Do(t, "alice", "MKCALENDAR", a, "").Want(t, http.StatusCreated)
	e.Do(t, "alice", "MKCALENDAR", b, "").Want(t, http.StatusCreated)
	e.Put(t, "alice", a+"one.ics", davtest.Event("home-one", "one"), davtest.CTCal)
	bind := e.Sync(t, "alice", syncHome, davtest.SyncXML("", "1", "", homeProps...))
	if got := bind.Members(t); len(got) != 3 {
		t.Fatalf("first home sync: %s", bind.Raw)
	}
	if tok := homeToken(t, e, syncHome); tok != bind.Token {
		t.Errorf("the home's sync-token %q is not the token of its first sync %q", tok, bind.Token)
	}

	e.Put(t, "alice", a+"one.ics", davtest.Event("home-one", "one, changed"), davtest.CTCal)
	e.Do(t, "alice", "MKCALENDAR", c, "").Want(t, http.StatusCreated)
	e.Do(t, "alice", "DELETE", b, "").Want(t, http.StatusNoContent)

	delta := e.Sync(t, "alice", syncHome, davtest.SyncXML(bind.Token, "1", "", homeProps...))
	if got := slices.Sorted(maps.Keys(delta.Members(t))); !slices.Equal(got, []string{e.Href(a), e.Href(c)}) {
		t.Fatalf("changed collections %v, want A and C:\n%s", got, delta.Raw)
	}
	if got := delta.Deleted(t); !slices.Equal(got, []string{e.Href(b)}) || len(delta.Responses) != 3 {
		t.Fatalf("deleted %v, want B only:\n%s", got, delta.Raw)
	}
	for _, coll := range []string{a, c} {
		r := delta.Response(t, e.Href(coll))
		if r.Status != 0 {
			t.Errorf("%s: response status %d, want a 200 propstat", coll, r.Status)
		}
		if ctag, tok := e.SyncState(t, "alice", coll); r.Found(t, davtest.CSName("getctag")).Text != ctag || r.Found(t, davtest.DName("sync-token")).Text != tok {
			t.Errorf("%s: getctag and sync-token are not the current ones:\n%s", coll, delta.Raw)
		}
	}
	if delta.Token == bind.Token || homeToken(t, e, syncHome) != delta.Token {
		t.Errorf("new token %q, the home's %q, the old %q", delta.Token, homeToken(t, e, syncHome), bind.Token)
	}
	again := e.Sync(t, "alice", syncHome, davtest.SyncXML(delta.Token, "1", "", homeProps...))
	if len(again.Responses) != 0 || again.Token != delta.Token {
		t.Fatalf("nothing changed since the new token: %s", again.Raw)
	}
	// From the first token again: the same answer. sync-level infinite
	// answers the changed collections with 403
	// DAV:sync-traversal-supported (RFC 6578 3.3), the deleted with 404.
	inf := e.Sync(t, "alice", syncHome, davtest.SyncXML(bind.Token, "infinite", "", homeProps...))
	if got := inf.Deleted(t); !slices.Equal(got, []string{e.Href(b)}) || len(inf.Root.All(davtest.DName("response"))) != 3 {
		t.Fatalf("infinite: %s", inf.Raw)
	}
	for _, coll := range []string{a, c} {
		r := inf.Response(t, e.Href(coll))
		if r.Status != http.StatusForbidden || len(r.Propstats) != 0 {
			t.Errorf("infinite, %s: status %d, %d propstats:\n%s", coll, r.Status, len(r.Propstats), inf.Raw)
		}
	}

	id := strconv.FormatInt(e.Users["alice"].ID, 10)
	for _, token := range []string{
		"urn:pgdav:sync:home:" + id + ":calendar:3f2a9c0b11d4e5f60718293a", // a digest, as tokens were before the log
		"urn:pgdav:sync:home:" + id + ":calendar:999999",                   // beyond the counter
		"urn:pgdav:sync:home:" + id + ":addressbook:0",                     // the other home
	} {
		e.Do(t, "alice", "REPORT", syncHome, davtest.SyncXML(token, "1", "", homeProps...)).Condition(t, http.StatusForbidden, davtest.DName("valid-sync-token"))
	}
}

// homeToken is the home's DAV:sync-token as a Depth 0 PROPFIND reads it.
func homeToken(t *testing.T, e *davtest.Env, home string) string {
	t.Helper()
	return e.Propfind(t, "alice", home, "0", davtest.DName("sync-token")).Response(t, e.Href(home)).Found(t, davtest.DName("sync-token")).Text
}

// Home tokens live in the database: with the server's cap at 2, a first
// home sync of five calendars is paged across two nodes (each page's
// token continues on the other), and a delta of changes made through one
// node is answered by the other from its token.
func TestSyncCollectionHomeAcrossNodes(t *testing.T) {
	t.Parallel()
	e, conn := davtest.NewWithServer(t, server.Config{SyncMaxResults: 2}, "alice")
	other := e.OtherNode(t, backendtest.Open(t, conn), server.Config{SyncMaxResults: 2})
	for i := range 4 {
		e.Do(t, "alice", "MKCALENDAR", fmt.Sprintf("%sc%d/", syncHome, i), "").Want(t, http.StatusCreated)
	}
	nodes := []*davtest.Env{e, other}
	seen := map[string]bool{}
	token := ""
	for page := 0; ; page++ {
		if page > 5 {
			t.Fatal("paging does not end")
		}
		a := nodes[page%2].Sync(t, "alice", syncHome, davtest.SyncXML(token, "1", "", homeProps...))
		for h := range a.Members(t) {
			if seen[h] {
				t.Fatalf("%s on two pages", h)
			}
			seen[h] = true
		}
		token = a.Token
		if !a.Truncated(t, e.Href(syncHome)) {
			if page != 2 {
				t.Fatalf("%d pages for 5 calendars at 2 a page", page+1)
			}
			break
		}
	}
	if len(seen) != 5 {
		t.Fatalf("the pages held %v, want 5 calendars", seen)
	}
	other.Do(t, "alice", "PROPPATCH", syncHome+"c0/", davtest.ProppatchSet(`<D:displayname>Renamed</D:displayname>`)).Want(t, http.StatusMultiStatus)
	other.Do(t, "alice", "DELETE", syncHome+"c1/", "").Want(t, http.StatusNoContent)
	delta := e.Sync(t, "alice", syncHome, davtest.SyncXML(token, "1", "", homeProps...))
	if got := delta.Members(t); len(got) != 1 || delta.Response(t, e.Href(syncHome+"c0/")).Found(t, davtest.DName("displayname")).Text != "Renamed" {
		t.Fatalf("the first node, a token of the second: %s", delta.Raw)
	}
	if got := delta.Deleted(t); !slices.Equal(got, []string{e.Href(syncHome + "c1/")}) {
		t.Fatalf("deleted %v:\n%s", got, delta.Raw)
	}
	if back := other.Sync(t, "alice", syncHome, davtest.SyncXML(delta.Token, "1", "", homeProps...)); len(back.Responses) != 0 || back.Token != delta.Token {
		t.Fatalf("the second node, the first node's token: %s", back.Raw)
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
	e, conn := davtest.NewWithServer(t, server.Config{}, "alice")
	other := e.OtherNode(t, backendtest.Open(t, conn), server.Config{})
	colls := []string{syncCal, syncHome + "x/", syncHome + "y/"}
	for _, c := range colls[1:] {
		e.Do(t, "alice", "MKCALENDAR", c, "").Want(t, http.StatusCreated)
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
				if st := e.Do(t, "alice", "PUT", name, davtest.Event(name, fmt.Sprint("op ", i)), davtest.CTCal).Status; st != http.StatusCreated && st != http.StatusNoContent {
					failed <- fmt.Sprintf("PUT %s: %d", name, st)
					return
				}
			}
		}()
	}
	t.Cleanup(wg.Wait) // no writer outlives the test, even a failed one
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	clients := []*davtest.Env{e, other}
	views := []map[string]string{{}, {}}
	tokens := []string{"", ""}
	pull := func(c int) {
		a := clients[c].Sync(t, "alice", syncHome, davtest.SyncXML(tokens[c], "1", "", homeProps...))
		for _, r := range a.Responses {
			if r.Status == http.StatusNotFound {
				delete(views[c], r.Href)
				continue
			}
			views[c][r.Href] = r.Found(t, davtest.CSName("getctag")).Text
		}
		tokens[c] = a.Token
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
	for _, r := range e.Propfind(t, "alice", syncHome, "1", davtest.CSName("getctag")).Responses {
		if r.Href != e.Href(syncHome) {
			truth[r.Href] = r.Found(t, davtest.CSName("getctag")).Text
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
	e := davtest.New(t, davtest.Config{}, "alice")
	gone := syncHome + "gone/"
	e.Do(t, "alice", "MKCALENDAR", gone, "").Want(t, http.StatusCreated)
	old := e.Sync(t, "alice", syncHome, davtest.SyncXML("", "1", "", homeProps...))
	e.Do(t, "alice", "DELETE", gone, "").Want(t, http.StatusNoContent)
	recent := e.Sync(t, "alice", syncHome, davtest.SyncXML(old.Token, "1", "", homeProps...))
	if got := recent.Deleted(t); !slices.Equal(got, []string{e.Href(gone)}) {
		t.Fatalf("the deletion: %s", recent.Raw)
	}
	// Every tombstone recorded before this call is older than 1 ns.
	if n, err := e.Store.PruneTombstones(t.Context(), time.Nanosecond); err != nil || n < 1 {
		t.Fatalf("PruneTombstones = %d, %v", n, err)
	}
	e.Do(t, "alice", "REPORT", syncHome, davtest.SyncXML(old.Token, "1", "", homeProps...)).Condition(t, http.StatusForbidden, davtest.DName("valid-sync-token"))
	if a := e.Sync(t, "alice", syncHome, davtest.SyncXML(recent.Token, "1", "", homeProps...)); len(a.Responses) != 0 || a.Token != recent.Token {
		t.Fatalf("a token from after the pruned point: %s", a.Raw)
	}
	if a := e.Sync(t, "alice", syncHome, davtest.SyncXML("", "1", "", homeProps...)); len(a.Members(t)) != 1 {
		t.Fatalf("a full home sync after pruning: %s", a.Raw)
	}
}
