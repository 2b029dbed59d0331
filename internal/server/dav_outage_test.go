package server

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// TestDatabaseOutage takes the server's database away for real (no new
// sessions allowed, the open ones ended) and back: meanwhile requests with
// correct credentials, cached or not, answer 503 with Retry-After, not 500
// and not 401, and /readyz is red; afterwards everything works again on
// new connections, with nothing to reset.
func TestDatabaseOutage(t *testing.T) {
	t.Parallel()
	connString := backendtest.NewDatabase(t)
	cfg, err := pgx.ParseConfig(connString)
	if err != nil {
		t.Fatal(err)
	}
	dbname := pgx.Identifier{cfg.Database}.Sanitize()
	admin, err := pgx.Connect(t.Context(), backendtest.WithDatabase(connString, "postgres"))
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(t.Context())
	adminExec := func(sql string) {
		t.Helper()
		if _, err := admin.Exec(t.Context(), sql); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
	}
	e := newOutageEnv(t, backendtest.Open(t, connString))
	e.put(t, "alice", "/calendars/alice/default/before.ics", event("before", "Before"), ctCal)

	adminExec("ALTER DATABASE " + dbname + " ALLOW_CONNECTIONS false")
	t.Cleanup(func() {
		_, _ = admin.Exec(context.WithoutCancel(t.Context()), "ALTER DATABASE "+dbname+" ALLOW_CONNECTIONS true")
	})
	adminExec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + cfg.Database + "'")

	requests := []struct {
		name, user, method, path, body string
	}{
		{"GET, credentials cached", "alice", "GET", "/calendars/alice/default/before.ics", ""},
		{"PUT", "alice", "PUT", "/calendars/alice/default/during.ics", event("during", "During")},
		{"PROPFIND", "alice", "PROPFIND", "/calendars/alice/default/", ""},
		{"credentials never seen", "bob", "PROPFIND", "/calendars/bob/", ""},
	}
	for _, rq := range requests {
		t.Run(rq.name, func(t *testing.T) {
			r := e.do(t, rq.user, rq.method, rq.path, rq.body, ctCal, "Depth: 0")
			if r.Status != http.StatusServiceUnavailable || r.Header.Get("Retry-After") == "" {
				t.Errorf("%s: %d, Retry-After %q; want 503 with Retry-After\n%s", r.req, r.Status, r.Header.Get("Retry-After"), r.Body)
			}
			if strings.Contains(string(r.Body), "SQLSTATE") || strings.Contains(string(r.Body), "backend:") {
				t.Errorf("%s: the body shows the internal error: %s", r.req, r.Body)
			}
		})
	}
	if r := e.do(t, "", "GET", "/readyz", ""); r.Status != http.StatusServiceUnavailable {
		t.Errorf("/readyz during the outage: %d, want 503", r.Status)
	}

	adminExec("ALTER DATABASE " + dbname + " ALLOW_CONNECTIONS true")
	if r := e.do(t, "", "GET", "/readyz", ""); r.Status != http.StatusOK {
		t.Errorf("/readyz after the outage: %d, want 200", r.Status)
	}
	e.put(t, "alice", "/calendars/alice/default/after.ics", event("after", "After"), ctCal)
	for _, name := range []string{"before", "after"} {
		e.do(t, "alice", "GET", "/calendars/alice/default/"+name+".ics", "").want(t, http.StatusOK)
	}
	e.do(t, "alice", "GET", "/calendars/alice/default/during.ics", "").want(t, http.StatusNotFound)
	e.do(t, "bob", "PROPFIND", "/calendars/bob/", "", "Depth: 0").want(t, http.StatusMultiStatus)
}

// newOutageEnv is newDAVEnv on a given store, with users alice and bob.
func newOutageEnv(t *testing.T, store *backend.Store) *davEnv {
	t.Helper()
	s := New(Config{AuthCacheTTL: time.Hour}, store)
	s.SetReady()
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	e := &davEnv{server: s, store: store, srv: hs, client: hs.Client(), users: map[string]backend.Principal{}}
	hash, err := testPasswordHash()
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "bob"} {
		p, err := store.CreatePrincipal(t.Context(), backend.Principal{Name: u}, hash,
			[]backend.Collection{{Kind: backend.KindCalendar, Slug: "default", Components: []string{"VEVENT", "VTODO"}}})
		if err != nil {
			t.Fatal(err)
		}
		e.users[u] = p
	}
	return e
}
