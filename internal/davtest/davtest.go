// Package davtest runs a pgdav server for the protocol tests of caldav,
// carddav and internal/dav: the server on a fresh database served over
// real HTTP, raw requests whose request-target is sent exactly as
// written, a parser that reads multistatus and error bodies by namespace
// (never by prefix), and golden files for whole answers (Golden).
//
// Only tests import it (integration/layering_test.go checks that).
package davtest

import (
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
	"github.com/pgdav/pgdav/internal/server"
)

// XML namespaces, spelled out here rather than taken from internal/dav so
// that a wrong constant there cannot make a test pass.
const (
	NSDAV  = "DAV:"
	NSCal  = "urn:ietf:params:xml:ns:caldav"
	NSCard = "urn:ietf:params:xml:ns:carddav"
	NSCS   = "http://calendarserver.org/ns/"
	NSICal = "http://apple.com/ns/ical/"
)

// DName, CName, CRName, CSName and ICalName name an element of DAV:,
// CalDAV, CardDAV, Apple's calendarserver and iCal namespaces.
func DName(local string) xml.Name    { return xml.Name{Space: NSDAV, Local: local} }
func CName(local string) xml.Name    { return xml.Name{Space: NSCal, Local: local} }
func CRName(local string) xml.Name   { return xml.Name{Space: NSCard, Local: local} }
func CSName(local string) xml.Name   { return xml.Name{Space: NSCS, Local: local} }
func ICalName(local string) xml.Name { return xml.Name{Space: NSICal, Local: local} }

// NameStr writes n as {namespace}local, for messages.
func NameStr(n xml.Name) string { return "{" + n.Space + "}" + n.Local }

// WantDAVHeader is the DAV header every OPTIONS must carry: no access-control, as RFC 3744
// is not served; calendar-no-timezone, as RFC 7809 3.1 describes pgdav.
const WantDAVHeader = "1, 3, calendar-access, addressbook, extended-mkcol, calendar-no-timezone"

// Password is every test user's password.
const Password = "correct horse battery"

// testPasswordHash is computed once: argon2id costs tens of milliseconds.
var testPasswordHash = sync.OnceValues(func() (string, error) { return backend.HashPassword(Password) })

// Env is one pgdav server on its own database, over real HTTP.
type Env struct {
	Server *server.Server
	Store  *backend.Store
	dbConn string // the store's connection string, for AgeTombstones
	HTTP   *httptest.Server
	Client *http.Client
	Base   string // "" or "/dav"
	Users  map[string]backend.Principal
}

// Config is what a test may change in the server's configuration.
type Config struct {
	BasePath        string
	MaxResourceSize int64
}

// New starts a server and creates users, each with the e-mail
// USER@example.org, a calendar "default" (VEVENT, VTODO) and an address
// book "default", as `pgdav user add` makes them.
func New(t *testing.T, cfg Config, users ...string) *Env {
	t.Helper()
	dbConn := backendtest.NewDatabase(t)
	store := backendtest.Open(t, dbConn)
	s := server.New(server.Config{AuthCacheTTL: time.Hour, BasePath: cfg.BasePath, MaxResourceSize: cfg.MaxResourceSize}, store)
	s.SetReady()
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	client := *hs.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	e := &Env{Server: s, Store: store, dbConn: dbConn, HTTP: hs, Client: &client, Base: strings.TrimRight(cfg.BasePath, "/"), Users: map[string]backend.Principal{}}
	hash, err := testPasswordHash()
	if err != nil {
		t.Fatal(err)
	}
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
	return e
}

// Href is the href the server must write for a path below the base path.
func (e *Env) Href(path string) string { return e.Base + path }

// Resp is a response read to the end.
type Resp struct {
	Req    string // "METHOD target", for messages
	Status int
	Header http.Header
	Body   []byte
}

func (r *Resp) String() string {
	return fmt.Sprintf("%s → %d\n%s", r.Req, r.Status, r.Body)
}

// Do sends a request to path below the base path; see Send.
func (e *Env) Do(t *testing.T, user, method, path, body string, headers ...string) *Resp {
	t.Helper()
	return e.Send(t, user, method, e.Base+path, strings.NewReader(body), headers...)
}

// Send sends a request whose request-target is exactly target (a path, or
// an absolute URL), authenticated as user unless user is "". A body that
// is not a *strings.Reader goes chunked, without Content-Length. headers
// are "Name: value" strings.
func (e *Env) Send(t *testing.T, user, method, target string, body io.Reader, headers ...string) *Resp {
	t.Helper()
	req, err := http.NewRequest(method, e.HTTP.URL+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = target
	if user != "" {
		req.SetBasicAuth(user, Password)
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			t.Fatalf("bad header %q", h)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := e.Client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, target, err)
	}
	return &Resp{Req: method + " " + target, Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// Want fails the test unless the status is one of codes.
func (r *Resp) Want(t *testing.T, codes ...int) *Resp {
	t.Helper()
	if !slices.Contains(codes, r.Status) {
		t.Fatalf("%s: status %d, want %v\n%s", r.Req, r.Status, codes, r.Body)
	}
	return r
}

// AgeTombstones makes every tombstone of the change log an hour older, so
// that tests prune them by the database's clock instead of waiting.
func (e *Env) AgeTombstones(t *testing.T) {
	t.Helper()
	conn, err := pgx.Connect(t.Context(), e.dbConn)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.WithoutCancel(t.Context()))
	if _, err := conn.Exec(t.Context(), "UPDATE changes SET changed_at = changed_at - interval '1 hour' WHERE deleted"); err != nil {
		t.Fatal(err)
	}
}
