package server

// Shared machinery of the dav_*_test.go protocol tests: a pgdav server on
// a fresh database served over real HTTP, raw requests whose
// request-target is sent exactly as written, and a parser that reads
// multistatus and error bodies by namespace (never by prefix).

import (
	"bufio"
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// XML namespaces, spelled out here rather than taken from internal/dav so
// that a wrong constant there cannot make a test pass.
const (
	nsDAV  = "DAV:"
	nsCal  = "urn:ietf:params:xml:ns:caldav"
	nsCard = "urn:ietf:params:xml:ns:carddav"
	nsCS   = "http://calendarserver.org/ns/"
	nsICal = "http://apple.com/ns/ical/"
)

func dName(local string) xml.Name    { return xml.Name{Space: nsDAV, Local: local} }
func cName(local string) xml.Name    { return xml.Name{Space: nsCal, Local: local} }
func crName(local string) xml.Name   { return xml.Name{Space: nsCard, Local: local} }
func csName(local string) xml.Name   { return xml.Name{Space: nsCS, Local: local} }
func icalName(local string) xml.Name { return xml.Name{Space: nsICal, Local: local} }

func nameStr(n xml.Name) string { return "{" + n.Space + "}" + n.Local }

// The DAV header every OPTIONS must carry: no access-control, as RFC 3744
// is not served; calendar-no-timezone, as RFC 7809 3.1 describes pgdav.
const wantDAVHeader = "1, 3, calendar-access, addressbook, extended-mkcol, calendar-no-timezone"

const testPassword = "correct horse battery"

// testPasswordHash is computed once: argon2id costs tens of milliseconds.
var testPasswordHash = sync.OnceValues(func() (string, error) { return backend.HashPassword(testPassword) })

// davEnv is one pgdav server on its own database, over real HTTP.
type davEnv struct {
	server *Server
	store  *backend.Store
	dbConn string // the store's connection string, for ageTombstones
	srv    *httptest.Server
	client *http.Client
	base   string // "" or "/dav"
	users  map[string]backend.Principal
}

type envConfig struct {
	basePath        string
	maxResourceSize int64
}

// newDAVEnv starts a server and creates users, each with the e-mail
// USER@example.org, a calendar "default" (VEVENT, VTODO) and an address
// book "default", as `pgdav user add` makes them.
func newDAVEnv(t *testing.T, cfg envConfig, users ...string) *davEnv {
	t.Helper()
	dbConn := backendtest.NewDatabase(t)
	store := backendtest.Open(t, dbConn)
	s := New(Config{AuthCacheTTL: time.Hour, BasePath: cfg.basePath, MaxResourceSize: cfg.maxResourceSize}, store)
	s.SetReady()
	hs := httptest.NewServer(s)
	t.Cleanup(hs.Close)
	client := *hs.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	e := &davEnv{server: s, store: store, dbConn: dbConn, srv: hs, client: &client, base: strings.TrimRight(cfg.basePath, "/"), users: map[string]backend.Principal{}}
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
		e.users[u] = p
	}
	return e
}

// href is the href the server must write for a path below the base path.
func (e *davEnv) href(path string) string { return e.base + path }

// davResp is a response read to the end.
type davResp struct {
	req    string // "METHOD target", for messages
	Status int
	Header http.Header
	Body   []byte
}

func (r *davResp) String() string {
	return fmt.Sprintf("%s → %d\n%s", r.req, r.Status, r.Body)
}

// do sends a request to path below the base path; see send.
func (e *davEnv) do(t *testing.T, user, method, path, body string, headers ...string) *davResp {
	t.Helper()
	return e.send(t, user, method, e.base+path, strings.NewReader(body), headers...)
}

// send sends a request whose request-target is exactly target (a path, or
// an absolute URL), authenticated as user unless user is "". A body that
// is not a *strings.Reader goes chunked, without Content-Length. headers
// are "Name: value" strings.
func (e *davEnv) send(t *testing.T, user, method, target string, body io.Reader, headers ...string) *davResp {
	t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+"/", body)
	if err != nil {
		t.Fatal(err)
	}
	req.URL.Opaque = target
	if user != "" {
		req.SetBasicAuth(user, testPassword)
	}
	for _, h := range headers {
		k, v, ok := strings.Cut(h, ":")
		if !ok {
			t.Fatalf("bad header %q", h)
		}
		req.Header.Add(strings.TrimSpace(k), strings.TrimSpace(v))
	}
	resp, err := e.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, target, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: reading body: %v", method, target, err)
	}
	return &davResp{req: method + " " + target, Status: resp.StatusCode, Header: resp.Header, Body: data}
}

// want fails the test unless the status is one of codes.
func (r *davResp) want(t *testing.T, codes ...int) *davResp {
	t.Helper()
	if !slices.Contains(codes, r.Status) {
		t.Fatalf("%s: status %d, want %v\n%s", r.req, r.Status, codes, r.Body)
	}
	return r
}

// ---- XML trees ----

// xnode is one element of a parsed document: its expanded name, its
// attributes (namespace declarations left out), its children, its own
// character data and its inner XML as sent.
type xnode struct {
	Name     xml.Name
	Attrs    []xml.Attr
	Children []*xnode
	Text     string
	Inner    string
}

func parseXML(data []byte) (*xnode, error) {
	d := xml.NewDecoder(bytes.NewReader(data))
	var root *xnode
	var stack []*xnode
	var starts []int64
	for {
		before := d.InputOffset()
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			n := &xnode{Name: tok.Name}
			for _, a := range tok.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				n.Attrs = append(n.Attrs, a)
			}
			switch {
			case len(stack) > 0:
				p := stack[len(stack)-1]
				p.Children = append(p.Children, n)
			case root == nil:
				root = n
			default:
				return nil, fmt.Errorf("second root element %s", nameStr(tok.Name))
			}
			stack = append(stack, n)
			starts = append(starts, d.InputOffset())
		case xml.EndElement:
			n := stack[len(stack)-1]
			n.Inner = string(data[starts[len(starts)-1]:before])
			stack, starts = stack[:len(stack)-1], starts[:len(starts)-1]
		case xml.CharData:
			if len(stack) > 0 {
				stack[len(stack)-1].Text += string(tok)
			}
		}
	}
	if root == nil {
		return nil, fmt.Errorf("no root element")
	}
	return root, nil
}

func mustParseXML(t *testing.T, data []byte) *xnode {
	t.Helper()
	n, err := parseXML(data)
	if err != nil {
		t.Fatalf("malformed XML: %v\n%s", err, data)
	}
	return n
}

// child returns the first child named n, or nil.
func (x *xnode) child(n xml.Name) *xnode {
	for _, c := range x.Children {
		if c.Name == n {
			return c
		}
	}
	return nil
}

// all returns every child named n.
func (x *xnode) all(n xml.Name) []*xnode {
	var out []*xnode
	for _, c := range x.Children {
		if c.Name == n {
			out = append(out, c)
		}
	}
	return out
}

// childNames lists the names of the children.
func (x *xnode) childNames() []xml.Name {
	var out []xml.Name
	for _, c := range x.Children {
		out = append(out, c.Name)
	}
	return out
}

// hrefs returns the text of the D:href children.
func (x *xnode) hrefs() []string {
	var out []string
	for _, c := range x.all(dName("href")) {
		out = append(out, c.Text)
	}
	return out
}

func (x *xnode) attr(n xml.Name) (string, bool) {
	for _, a := range x.Attrs {
		if a.Name == n {
			return a.Value, true
		}
	}
	return "", false
}

// find returns the first element named n in x's subtree (x included).
func (x *xnode) find(n xml.Name) *xnode {
	if x.Name == n {
		return x
	}
	for _, c := range x.Children {
		if f := c.find(n); f != nil {
			return f
		}
	}
	return nil
}

// diffXML compares two elements as XML: names, attributes (in any order),
// character data exactly, children in order. It returns "" when they are
// equivalent, else where they differ.
func diffXML(got, want *xnode) string {
	if got.Name != want.Name {
		return fmt.Sprintf("element %s, want %s", nameStr(got.Name), nameStr(want.Name))
	}
	if len(got.Attrs) != len(want.Attrs) {
		return fmt.Sprintf("%s: attributes %v, want %v", nameStr(got.Name), got.Attrs, want.Attrs)
	}
	for _, a := range want.Attrs {
		if v, ok := got.attr(a.Name); !ok || v != a.Value {
			return fmt.Sprintf("%s: attribute %s = %q (present %v), want %q", nameStr(got.Name), nameStr(a.Name), v, ok, a.Value)
		}
	}
	if got.Text != want.Text {
		return fmt.Sprintf("%s: text %q, want %q", nameStr(got.Name), got.Text, want.Text)
	}
	if len(got.Children) != len(want.Children) {
		return fmt.Sprintf("%s: children %v, want %v", nameStr(got.Name), got.childNames(), want.childNames())
	}
	for i := range want.Children {
		if d := diffXML(got.Children[i], want.Children[i]); d != "" {
			return d
		}
	}
	return ""
}

// ---- multistatus ----

type multistatus struct {
	Responses []*msResponse
	Root      *xnode
	raw       []byte
}

type msResponse struct {
	Href      string
	Status    int // response-level status; 0 when the response has none
	Propstats []*msPropstat
}

type msPropstat struct {
	Status int
	Props  []*xnode
	Error  *xnode // the propstat's D:error, or nil
}

// parseStatus reads a D:status; it must be exactly "HTTP/1.1 NNN Reason"
// (Thunderbird compares the literal string).
func parseStatus(t *testing.T, s string) int {
	t.Helper()
	var code int
	if _, err := fmt.Sscanf(s, "HTTP/1.1 %d", &code); err != nil {
		t.Errorf("status line %q", s)
		return 0
	}
	if want := fmt.Sprintf("HTTP/1.1 %d %s", code, http.StatusText(code)); s != want {
		t.Errorf("status line %q, want exactly %q", s, want)
	}
	return code
}

// multistatus parses a 207 answer and checks the invariants every one
// must keep: application/xml, one href per response, a status or a
// propstat in each, 200 propstats before the others.
func (r *davResp) multistatus(t *testing.T) *multistatus {
	t.Helper()
	if r.Status != http.StatusMultiStatus {
		t.Fatalf("%s: status %d, want 207\n%s", r.req, r.Status, r.Body)
	}
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/xml" && mt != "text/xml" {
		t.Errorf("%s: Content-Type %q", r.req, r.Header.Get("Content-Type"))
	}
	root := mustParseXML(t, r.Body)
	if root.Name != dName("multistatus") {
		t.Fatalf("%s: root %s, want DAV:multistatus", r.req, nameStr(root.Name))
	}
	ms := &multistatus{Root: root, raw: r.Body}
	for _, rn := range root.all(dName("response")) {
		hrefs := rn.hrefs()
		if len(hrefs) != 1 {
			t.Fatalf("%s: response with hrefs %q\n%s", r.req, hrefs, r.Body)
		}
		resp := &msResponse{Href: hrefs[0]}
		if s := rn.child(dName("status")); s != nil {
			resp.Status = parseStatus(t, s.Text)
		}
		for _, psn := range rn.all(dName("propstat")) {
			ps := &msPropstat{Error: psn.child(dName("error"))}
			st := psn.child(dName("status"))
			prop := psn.child(dName("prop"))
			if st == nil || prop == nil {
				t.Fatalf("%s: propstat without status or prop\n%s", r.req, r.Body)
			}
			ps.Status = parseStatus(t, st.Text)
			ps.Props = prop.Children
			resp.Propstats = append(resp.Propstats, ps)
		}
		if resp.Status == 0 && len(resp.Propstats) == 0 {
			t.Errorf("%s: response %s has neither status nor propstat", r.req, resp.Href)
		}
		for i, ps := range resp.Propstats {
			if ps.Status == http.StatusOK && i != 0 {
				t.Errorf("%s: response %s: the 200 propstat is number %d, must be first", r.req, resp.Href, i+1)
			}
		}
		ms.Responses = append(ms.Responses, resp)
	}
	return ms
}

func (ms *multistatus) hrefs() []string {
	var out []string
	for _, r := range ms.Responses {
		out = append(out, r.Href)
	}
	return out
}

// response returns the one response for href.
func (ms *multistatus) response(t *testing.T, href string) *msResponse {
	t.Helper()
	var found *msResponse
	for _, r := range ms.Responses {
		if r.Href == href {
			if found != nil {
				t.Fatalf("two responses for %s", href)
			}
			found = r
		}
	}
	if found == nil {
		t.Fatalf("no response for %s among %q\n%s", href, ms.hrefs(), ms.raw)
	}
	return found
}

// prop returns a property of the response and its propstat's status
// (0, nil when it is not there at all).
func (r *msResponse) prop(n xml.Name) (*xnode, int) {
	for _, ps := range r.Propstats {
		for _, p := range ps.Props {
			if p.Name == n {
				return p, ps.Status
			}
		}
	}
	return nil, 0
}

// propStatus is the status of a property's propstat, 0 if absent.
func (r *msResponse) propStatus(n xml.Name) int {
	_, s := r.prop(n)
	return s
}

// found returns a property that must be in the 200 propstat.
func (r *msResponse) found(t *testing.T, n xml.Name) *xnode {
	t.Helper()
	p, s := r.prop(n)
	if s != http.StatusOK {
		t.Fatalf("%s: %s has status %d, want 200", r.Href, nameStr(n), s)
	}
	return p
}

// propstatOf returns the propstat holding property n.
func (r *msResponse) propstatOf(n xml.Name) *msPropstat {
	for _, ps := range r.Propstats {
		for _, p := range ps.Props {
			if p.Name == n {
				return ps
			}
		}
	}
	return nil
}

// ---- error bodies ----

// condition checks a refusal: the status, and a DAV:error body (RFC 4918
// 16) holding the precondition element cond, which it returns.
func (r *davResp) condition(t *testing.T, status int, cond xml.Name) *xnode {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s: status %d, want %d with %s\n%s", r.req, r.Status, status, nameStr(cond), r.Body)
	}
	root := mustParseXML(t, r.Body)
	if root.Name != dName("error") {
		t.Fatalf("%s: body root %s, want DAV:error\n%s", r.req, nameStr(root.Name), r.Body)
	}
	c := root.child(cond)
	if c == nil {
		t.Fatalf("%s: error body lacks %s: has %v\n%s", r.req, nameStr(cond), root.childNames(), r.Body)
	}
	return c
}

// ---- request bodies ----

// propfindXML asks for the named properties, each declaring its own
// namespace on itself as Apple's clients do.
func propfindXML(names ...xml.Name) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<A:propfind xmlns:A="DAV:"><A:prop>`)
	for _, n := range names {
		if n.Space == "" {
			fmt.Fprintf(&b, `<%s/>`, n.Local)
		} else {
			fmt.Fprintf(&b, `<X:%s xmlns:X="%s"/>`, n.Local, n.Space)
		}
	}
	b.WriteString(`</A:prop></A:propfind>`)
	return b.String()
}

// propfind sends a PROPFIND for names and returns the parsed answer.
func (e *davEnv) propfind(t *testing.T, user, path, depth string, names ...xml.Name) *multistatus {
	t.Helper()
	return e.do(t, user, "PROPFIND", path, propfindXML(names...), "Depth: "+depth, "Content-Type: application/xml; charset=utf-8").multistatus(t)
}

// propOf reads one property of one resource with a Depth 0 PROPFIND.
func (e *davEnv) propOf(t *testing.T, user, path string, n xml.Name) (*xnode, int) {
	t.Helper()
	return e.propfind(t, user, path, "0", n).response(t, e.href(path)).prop(n)
}

// syncState reads a collection's getctag and sync-token.
func (e *davEnv) syncState(t *testing.T, user, path string) (ctag, token string) {
	t.Helper()
	r := e.propfind(t, user, path, "0", csName("getctag"), dName("sync-token")).response(t, e.href(path))
	return r.found(t, csName("getctag")).Text, r.found(t, dName("sync-token")).Text
}

func proppatchSet(props ...string) string {
	return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` +
		strings.Join(props, "") + `</D:prop></D:set></D:propertyupdate>`
}

// crlf joins lines with CRLF, as every client sends iCalendar and vCard.
func crlf(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

func event(uid, summary string) string {
	return crlf("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//tests//EN",
		"BEGIN:VEVENT", "UID:"+uid, "DTSTAMP:20260101T000000Z", "DTSTART:20260105T100000Z",
		"DTEND:20260105T110000Z", "SUMMARY:"+summary, "END:VEVENT", "END:VCALENDAR")
}

func todo(uid, summary string) string {
	return crlf("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//tests//EN",
		"BEGIN:VTODO", "UID:"+uid, "DTSTAMP:20260101T000000Z", "SUMMARY:"+summary, "END:VTODO", "END:VCALENDAR")
}

func card(uid, fn string) string {
	return crlf("BEGIN:VCARD", "VERSION:3.0", "UID:"+uid, "FN:"+fn, "N:"+fn+";;;;", "END:VCARD")
}

const (
	ctCal  = "Content-Type: text/calendar; charset=utf-8"
	ctCard = "Content-Type: text/vcard; charset=utf-8"
)

// putEvent stores an event and returns its ETag header.
func (e *davEnv) put(t *testing.T, user, path, body string, headers ...string) string {
	t.Helper()
	r := e.do(t, user, "PUT", path, body, headers...).want(t, http.StatusCreated, http.StatusNoContent)
	etag := r.Header.Get("ETag")
	if etag == "" {
		t.Fatalf("%s: no ETag", r.req)
	}
	return etag
}

// ---- client fixtures ----

type clientFixture struct {
	name         string
	method, path string
	headers      []string
	body         string
}

// loadFixture reads testdata/fixtures/name and fills in vars ({{key}}).
func loadFixture(t *testing.T, name string, vars map[string]string) clientFixture {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	subst := func(s string) string {
		for k, v := range vars {
			s = strings.ReplaceAll(s, "{{"+k+"}}", v)
		}
		return s
	}
	head, body, ok := strings.Cut(string(data), "\n\n")
	if !ok {
		t.Fatalf("%s: no body", name)
	}
	f := clientFixture{name: name, body: subst(body)}
	sc := bufio.NewScanner(strings.NewReader(head))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "#"):
		case f.method == "":
			parts := strings.Fields(line)
			if len(parts) != 3 {
				t.Fatalf("%s: request line %q", name, line)
			}
			f.method, f.path = parts[0], subst(parts[1])
		default:
			k, _, _ := strings.Cut(line, ":")
			switch strings.ToLower(k) {
			case "host", "authorization", "connection", "accept-encoding":
			default:
				f.headers = append(f.headers, line)
			}
		}
	}
	if strings.Contains(f.path+f.body, "{{") {
		t.Fatalf("%s: unfilled template in %s %s", name, f.path, f.body)
	}
	return f
}

// replay sends a fixture as user; its path is below the base path.
func (e *davEnv) replay(t *testing.T, user string, f clientFixture) *davResp {
	t.Helper()
	return e.do(t, user, f.method, f.path, f.body, f.headers...)
}

// fixtureProp parses the fixture's body and returns its element named n.
func (f clientFixture) prop(t *testing.T, n xml.Name) *xnode {
	t.Helper()
	p := mustParseXML(t, []byte(f.body)).find(n)
	if p == nil {
		t.Fatalf("%s has no %s", f.name, nameStr(n))
	}
	return p
}

// ageTombstones makes every tombstone of the change log an hour older, so
// that tests prune them by the database's clock instead of waiting.
func (e *davEnv) ageTombstones(t *testing.T) {
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

// report sends a REPORT with an XML body and, unless depth is "", a
// Depth header.
func (e *davEnv) report(t *testing.T, user, path, depth, body string, headers ...string) *davResp {
	t.Helper()
	h := append([]string{"Content-Type: application/xml; charset=utf-8"}, headers...)
	if depth != "" {
		h = append(h, "Depth: "+depth)
	}
	return e.do(t, user, "REPORT", path, body, h...)
}
