package server

import (
	"bufio"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// limitsEnv is a pgdav server behind the listener and http.Server that Run
// builds, on 127.0.0.1, with user alice and her default calendar.
type limitsEnv struct {
	srv   *Server
	ln    *connLimiter
	addr  string
	asked chan struct{} // one value per credential lookup
}

func newLimitsEnv(t *testing.T, lim Limits, trusted string) *limitsEnv {
	t.Helper()
	store := backendtest.New(t)
	hash, err := testPasswordHash()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.CreatePrincipal(t.Context(), backend.Principal{Name: "alice"}, hash,
		[]backend.Collection{{Kind: backend.KindCalendar, Slug: "default", Components: []string{"VEVENT"}}}); err != nil {
		t.Fatal(err)
	}
	tp, err := ParseTrustedProxies(trusted)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{AuthCacheTTL: time.Hour, TrustedProxies: tp, Limits: lim}, store)
	s.SetReady()
	asked := make(chan struct{}, 1000)
	s.auth.store = lookupSignal{s.auth.store, asked}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &connLimiter{Listener: raw, max: lim.MaxConnsPerClient, trusted: tp, logger: slog.New(slog.DiscardHandler), open: map[netip.Addr]int{}}
	hs := httpServer(s, lim)
	go func() { _ = hs.Serve(ln) }()
	t.Cleanup(func() { _ = hs.Close() })
	return &limitsEnv{srv: s, ln: ln, addr: raw.Addr().String(), asked: asked}
}

// dial connects from the loopback address local (see dialFrom).
func (e *limitsEnv) dial(t *testing.T, local string) net.Conn {
	t.Helper()
	return dialFrom(t, local, e.addr)
}

func (e *limitsEnv) write(t *testing.T, c net.Conn, s string) {
	t.Helper()
	if _, err := io.WriteString(c, s); err != nil {
		t.Fatal(err)
	}
}

var aliceAuth = "Basic " + base64.StdEncoding.EncodeToString([]byte("alice:"+testPassword))

// slowPut sends a PUT's headers and the first bytes of a body that never
// comes.
func (e *limitsEnv) slowPut(t *testing.T, c net.Conn, i int, headers ...string) {
	t.Helper()
	e.write(t, c, fmt.Sprintf("PUT /calendars/alice/default/slow-%d.ics HTTP/1.1\r\nHost: pgdav\r\n"+
		"Authorization: %s\r\nContent-Type: text/calendar\r\nContent-Length: 100000\r\n%s\r\nBEGIN:VCAL",
		i, aliceAuth, strings.Join(append(headers, ""), "\r\n")))
}

// client is an HTTP client from 127.0.0.1 whose every request must be
// answered within a second.
func (e *limitsEnv) client() *http.Client {
	return &http.Client{Timeout: time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
}

// get sends an authenticated PROPFIND of alice's calendar with client.
func (e *limitsEnv) propfind(t *testing.T, client *http.Client, headers ...string) (*http.Response, error) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "PROPFIND", "http://"+e.addr+"/calendars/alice/default/", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", aliceAuth)
	req.Header.Set("Depth", "0")
	for _, h := range headers {
		k, v, _ := strings.Cut(h, ":")
		req.Header.Set(k, strings.TrimSpace(v))
	}
	resp, err := client.Do(req)
	if err == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	return resp, err
}

// closedByServer reads c until the server closes it. The deadline only
// bounds a broken test; the server's timeouts are far shorter.
func closedByServer(t *testing.T, c net.Conn) {
	t.Helper()
	_ = c.SetReadDeadline(time.Now().Add(60 * time.Second))
	_, err := io.Copy(io.Discard, c)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		t.Fatalf("connection from %s still open", c.LocalAddr())
	}
}

// With 200 slow clients holding connections (150 sending their headers
// byte by byte, 50 their bodies), normal requests are answered within a
// second, and the server closes the slow connections itself once the
// header or body timeout has passed.
func TestSlowClientsDoNotStarveOthers(t *testing.T) {
	t.Parallel()
	lim := DefaultLimits()
	// Long enough for the setup on a loaded machine, short for a test.
	lim.ReadHeaderTimeout = 5 * time.Second
	lim.ReadTimeout = 5 * time.Second
	lim.MaxConnsPerClient, lim.MaxRequestsPerClient = 1000, 1000
	e := newLimitsEnv(t, lim, "")
	client := e.client()
	if resp, err := e.propfind(t, client); err != nil || resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("before: %v %v", resp, err) // also puts alice into the credential cache
	}
	<-e.asked

	const slowHeaders, slowBodies = 150, 50
	var held []net.Conn
	for i := range slowHeaders {
		c := e.dial(t, "127.0.0.2")
		e.write(t, c, fmt.Sprintf("PROPFIND /calendars/alice/ HTTP/1.1\r\nHost: pgdav\r\nX-Slow-%d: a", i))
		held = append(held, c)
	}
	for i := range slowBodies {
		c := e.dial(t, "127.0.0.3")
		e.slowPut(t, c, i)
		held = append(held, c)
	}
	for range slowBodies { // every slow body's handler is waiting for it
		<-e.asked
	}

	const normal = 20
	var wg sync.WaitGroup
	errs := make(chan error, normal)
	for range normal {
		wg.Go(func() {
			resp, err := e.propfind(t, client)
			if err == nil && resp.StatusCode != http.StatusMultiStatus {
				err = fmt.Errorf("status %d", resp.StatusCode)
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("normal request with %d slow connections held: %v", len(held), err)
		}
	}
	for local, want := range map[string]int{"127.0.0.2": slowHeaders, "127.0.0.3": slowBodies} {
		if n := e.ln.openConns(netip.MustParseAddr(local)); n != want {
			t.Errorf("%s holds %d connections while normal requests ran, want %d", local, n, want)
		}
	}
	for _, c := range held {
		closedByServer(t, c)
	}
	for _, local := range []string{"127.0.0.2", "127.0.0.3"} {
		if n := e.ln.openConns(netip.MustParseAddr(local)); n != 0 {
			t.Errorf("%s still holds %d connections", local, n)
		}
	}
}

// One address may hold MaxConnsPerClient connections; the next is
// answered 503 with Retry-After and closed, other addresses and trusted
// proxies are not affected.
func TestConnectionsPerAddress(t *testing.T) {
	t.Parallel()
	lim := DefaultLimits()
	lim.MaxConnsPerClient = 4
	e := newLimitsEnv(t, lim, "127.0.0.4")
	for range lim.MaxConnsPerClient {
		e.write(t, e.dial(t, "127.0.0.2"), "PROPFIND / HTTP/1.1\r\n")
	}
	over := e.dial(t, "127.0.0.2")
	resp, err := http.ReadResponse(bufio.NewReader(over), nil)
	if err != nil {
		t.Fatalf("connection over the limit: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable || resp.Header.Get("Retry-After") == "" {
		t.Fatalf("connection over the limit: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
	}
	closedByServer(t, over)
	for range 2 * lim.MaxConnsPerClient { // a trusted proxy carries many clients
		e.write(t, e.dial(t, "127.0.0.4"), "PROPFIND / HTTP/1.1\r\n")
	}
	if resp, err := e.propfind(t, e.client()); err != nil || resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("another address: %v %v", resp, err)
	}
	if n := e.ln.openConns(netip.MustParseAddr("127.0.0.4")); n != 0 {
		t.Fatalf("a trusted proxy's connections were counted: %d", n)
	}
}

// One client may have MaxRequestsPerClient requests in progress; the next
// is answered 429 with Retry-After. Behind a trusted proxy the client is
// the forwarded address.
func TestRequestsPerClient(t *testing.T) {
	t.Parallel()
	lim := DefaultLimits()
	lim.MaxRequestsPerClient = 2
	for _, tc := range []struct {
		name, trusted, local string
		busy, other          []string // headers of the busy client's and another client's requests
	}{
		{name: "direct", local: "127.0.0.3"},
		{name: "behind a trusted proxy", trusted: "127.0.0.1, 127.0.0.3", local: "127.0.0.3",
			busy: []string{"X-Forwarded-For: 198.51.100.7"}, other: []string{"X-Forwarded-For: 198.51.100.8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			e := newLimitsEnv(t, lim, tc.trusted)
			for i := range lim.MaxRequestsPerClient {
				e.slowPut(t, e.dial(t, tc.local), i, tc.busy...)
				<-e.asked // its handler holds its slot
			}
			c := e.dial(t, tc.local)
			e.write(t, c, "PROPFIND /calendars/alice/ HTTP/1.1\r\nHost: pgdav\r\nAuthorization: "+aliceAuth+"\r\n"+
				strings.Join(append(tc.busy, ""), "\r\n")+"\r\n")
			resp, err := http.ReadResponse(bufio.NewReader(c), nil)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusTooManyRequests || resp.Header.Get("Retry-After") == "" {
				t.Fatalf("request over the limit: %d, Retry-After %q", resp.StatusCode, resp.Header.Get("Retry-After"))
			}
			if tc.other != nil {
				c := e.dial(t, tc.local)
				e.write(t, c, "PROPFIND /calendars/alice/default/ HTTP/1.1\r\nHost: pgdav\r\nDepth: 0\r\nAuthorization: "+aliceAuth+"\r\n"+
					strings.Join(append(tc.other, ""), "\r\n")+"\r\n")
				resp, err := http.ReadResponse(bufio.NewReader(c), nil)
				if err != nil || resp.StatusCode != http.StatusMultiStatus {
					t.Fatalf("another client through the same proxy: %v %v", resp, err)
				}
			}
			if resp, err := e.propfind(t, e.client()); err != nil || resp.StatusCode != http.StatusMultiStatus {
				t.Fatalf("another address: %v %v", resp, err)
			}
		})
	}
}

// deadlineRecorder is a ResponseWriter that keeps the deadlines
// http.ResponseController sets on it.
type deadlineRecorder struct {
	http.ResponseWriter
	read, write time.Time
	writes      int // write deadlines set
}

func (d *deadlineRecorder) SetReadDeadline(t time.Time) error { d.read = t; return nil }
func (d *deadlineRecorder) SetWriteDeadline(t time.Time) error {
	d.write = t
	if !t.IsZero() {
		d.writes++
	}
	return nil
}

// The body's read deadline is armed only while a body is to be read, and
// is gone once it has been (net/http then reads the connection in the
// background, and a deadline left armed would cancel a long answer), but
// stays when the body was left unread (net/http reads the rest then);
// each write gets its own deadline, and none is left for the next request
// on the connection.
func TestRequestDeadlines(t *testing.T) {
	t.Parallel()
	lim := DefaultLimits()
	s := &Server{cfg: Config{Limits: lim, MaxResourceSize: 1 << 20}, logger: slog.New(slog.DiscardHandler)}
	for _, tc := range []struct {
		name         string
		body         string
		read         bool // the handler reads the body
		wantArmed    bool // a read deadline is set after the handler's reading, and stays
		wantWrites   int
		handlerWrite int
	}{
		{name: "no body", wantArmed: false, handlerWrite: 2, wantWrites: 2},
		{name: "body read to its end", body: "<x/>", read: true, wantArmed: false, handlerWrite: 1, wantWrites: 1},
		{name: "body left unread", body: "<x/>", wantArmed: true},
	} {
		rec := &deadlineRecorder{ResponseWriter: httptest.NewRecorder()}
		var armed bool
		h := s.limitRequests(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if tc.read {
				if _, err := io.ReadAll(r.Body); err != nil {
					t.Errorf("%s: reading the body: %v", tc.name, err)
				}
			}
			armed = !rec.read.IsZero()
			for range tc.handlerWrite {
				io.WriteString(w, "x")
			}
		}))
		var body io.Reader = http.NoBody
		if tc.body != "" {
			body = strings.NewReader(tc.body)
		}
		h.ServeHTTP(rec, httptest.NewRequest("REPORT", "/", body))
		if armed != tc.wantArmed {
			t.Errorf("%s: read deadline armed in the handler = %v, want %v", tc.name, armed, tc.wantArmed)
		}
		if rec.read.IsZero() != !tc.wantArmed || !rec.write.IsZero() {
			t.Errorf("%s: deadlines after the handler: read %v, write %v", tc.name, rec.read, rec.write)
		}
		if rec.writes != tc.wantWrites {
			t.Errorf("%s: %d write deadlines for %d writes", tc.name, rec.writes, tc.wantWrites)
		}
	}
}

// repeatReader is n bytes of s repeated, after prefix: a large body
// without the memory.
func repeatReader(prefix, s string, n int64) io.Reader {
	return io.MultiReader(strings.NewReader(prefix), io.LimitReader(&repeater{s: s}, n))
}

type repeater struct {
	s   string
	off int
}

func (r *repeater) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		c := copy(p[n:], r.s[r.off:])
		n += c
		r.off = (r.off + c) % len(r.s)
	}
	return n, nil
}

// Every body is capped before it is parsed, also when it comes chunked
// without a Content-Length: the answer is the body's 4xx, not a parse of
// megabytes.
func TestBodiesCapped(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{maxResourceSize: 64 << 10}, "alice")
	comment := func(root string) string {
		return `<?xml version="1.0"?><` + root + ` xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><!--`
	}
	for _, tc := range []struct {
		method, path string
		body         io.Reader
		want         int
	}{
		{"PROPFIND", "/calendars/alice/", repeatReader(comment("D:propfind"), "x", 1<<20), http.StatusRequestEntityTooLarge},
		{"PROPPATCH", "/calendars/alice/default/", repeatReader(comment("D:propertyupdate"), "x", 1<<20), http.StatusRequestEntityTooLarge},
		{"MKCOL", "/calendars/alice/new1/", repeatReader(comment("D:mkcol"), "x", 1<<20), http.StatusRequestEntityTooLarge},
		{"MKCALENDAR", "/calendars/alice/new2/", repeatReader(comment("C:mkcalendar"), "x", 1<<20), http.StatusRequestEntityTooLarge},
		{"REPORT", "/calendars/alice/default/", repeatReader(comment("C:calendar-query"), "x", 32<<20), http.StatusRequestEntityTooLarge},
		{"PUT", "/calendars/alice/default/big.ics", repeatReader("BEGIN:VCALENDAR\r\n", "X-A:b\r\n", 64<<10), http.StatusForbidden},
	} {
		r := e.send(t, "alice", tc.method, tc.path, tc.body, "Content-Type: application/xml")
		if r.Status != tc.want {
			t.Errorf("%s %s with an endless body: %d, want %d", tc.method, tc.path, r.Status, tc.want)
		}
	}
	if r := e.do(t, "alice", "PROPFIND", "/calendars/alice/new1/", "", "Depth: 0"); r.Status != http.StatusNotFound {
		t.Errorf("a refused MKCOL made its collection: %d", r.Status)
	}
}
