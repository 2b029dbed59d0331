package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
)

// lookupCountingStore counts the collection lookups the DAV handler makes
// on its own.
type lookupCountingStore struct {
	*backend.Store
	lookups atomic.Int64
}

func (s *lookupCountingStore) GetCollection(ctx context.Context, principalID int64, kind backend.CollectionKind, slug string) (backend.Collection, error) {
	s.lookups.Add(1)
	return s.Store.GetCollection(ctx, principalID, kind, slug)
}

// A request to a user's own collection or member is answered with the
// collection read together with its credentials: no second lookup. What
// is read is the collection as it is at that request, never an earlier
// one, and other URLs are answered as before.
func TestCollectionReadWithCredentials(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice", "bob")
	counting := &lookupCountingStore{Store: e.store}
	e.server = New(Config{AuthCacheTTL: time.Hour}, counting)
	e.server.SetReady()
	hs := httptest.NewServer(e.server)
	t.Cleanup(hs.Close)
	e.srv, e.client = hs, hs.Client()

	const cal = "/calendars/alice/default/"
	displayName := func() string {
		t.Helper()
		ms := e.do(t, "alice", "PROPFIND", cal, `<D:propfind xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:propfind>`, "Depth: 0").
			want(t, http.StatusMultiStatus).multistatus(t)
		return ms.response(t, cal).found(t, dName("displayname")).Text
	}
	for _, tc := range []struct {
		name, user, method, path, body string
		headers                        []string
		status                         int
		lookups                        int64
	}{
		{"PUT", "alice", http.MethodPut, cal + "a.ics", event("a", "first"), []string{"Content-Type: text/calendar"}, http.StatusCreated, 0},
		{"REPORT", "alice", "REPORT", cal, `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"/></C:filter></C:calendar-query>`, []string{"Depth: 1"}, http.StatusMultiStatus, 0},
		{"GET, owner in another case", "alice", http.MethodGet, "/calendars/ALICE/default/a.ics", "", nil, http.StatusOK, 0},
		{"PROPPATCH", "alice", "PROPPATCH", cal, `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><D:displayname>Renamed</D:displayname></D:prop></D:set></D:propertyupdate>`, nil, http.StatusMultiStatus, 0},
		{"DELETE", "alice", http.MethodDelete, cal + "a.ics", "", nil, http.StatusNoContent, 0},
		{"another user's collection", "alice", "PROPFIND", "/calendars/bob/default/", "", []string{"Depth: 0"}, http.StatusForbidden, 0},
		{"missing collection", "alice", "PROPFIND", "/calendars/alice/missing/", "", []string{"Depth: 0"}, http.StatusNotFound, 1},
		{"PUT into a missing collection", "alice", http.MethodPut, "/calendars/alice/missing/a.ics", event("a", "x"), []string{"Content-Type: text/calendar"}, http.StatusConflict, 1},
	} {
		before := counting.lookups.Load()
		e.do(t, tc.user, tc.method, tc.path, tc.body, tc.headers...).want(t, tc.status)
		if n := counting.lookups.Load() - before; n != tc.lookups {
			t.Errorf("%s: %d collection lookups besides the credentials' statement, want %d", tc.name, n, tc.lookups)
		}
	}
	// The PROPPATCH is seen by the next request, and a change made by
	// another node (here, the store directly) too.
	if got := displayName(); got != "Renamed" {
		t.Errorf("displayname after PROPPATCH %q, want Renamed", got)
	}
	if err := e.store.DeleteCollection(t.Context(), e.users["alice"].ID, backend.KindCalendar, "default"); err != nil {
		t.Fatal(err)
	}
	if r := e.do(t, "alice", "PROPFIND", cal, "", "Depth: 0"); r.Status != http.StatusNotFound {
		t.Errorf("PROPFIND of a deleted collection: %d, want 404", r.Status)
	}
	if r := e.do(t, "alice", http.MethodPut, cal+"b.ics", event("b", "x"), "Content-Type: text/calendar"); r.Status != http.StatusConflict || !strings.Contains(string(r.Body), "does not exist") {
		t.Errorf("PUT into a deleted collection: %s", r)
	}
}
