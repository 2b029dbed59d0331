package server

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend/backendtest"
)

func TestParseTrustedProxies(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in, want string // want "" with err: a parse error
		err      bool
	}{
		{"", "", false},
		{" , ", "", false},
		{"127.0.0.1", "127.0.0.1", false},
		{"127.0.0.1, ::1,10.0.0.0/8", "127.0.0.1,::1,10.0.0.0/8", false},
		{"10.1.2.3/8", "10.0.0.0/8", false},             // host bits are masked
		{"::ffff:192.0.2.1", "192.0.2.1", false},        // IPv4-mapped → IPv4
		{"::ffff:192.0.2.0/120", "192.0.2.0/24", false}, // mapped prefix → IPv4 prefix
		{"fd00::/8", "fd00::/8", false},
		{"localhost", "", true},
		{"10.0.0.0/33", "", true},
		{"10.0.0.1:80", "", true},
		{"127.0.0.1;10.0.0.1", "", true},
	} {
		tp, err := ParseTrustedProxies(tc.in)
		if tc.err {
			if err == nil {
				t.Errorf("ParseTrustedProxies(%q) = %v, want an error", tc.in, tp)
			}
			continue
		}
		if err != nil || tp.String() != tc.want {
			t.Errorf("ParseTrustedProxies(%q) = %q, %v; want %q", tc.in, tp.String(), err, tc.want)
		}
	}
	tp, _ := ParseTrustedProxies("10.0.0.0/8,::1")
	for addr, want := range map[string]bool{
		"10.9.8.7": true, "11.0.0.1": false, "::1": true, "::ffff:10.0.0.1": true, "::2": false,
	} {
		if got := tp.contains(netip.MustParseAddr(addr)); got != want {
			t.Errorf("contains(%s) = %v", addr, got)
		}
	}
	if tp.contains(netip.Addr{}) {
		t.Error("the invalid address is trusted")
	}
}

// seen is what a handler behind the forwarded middleware sees.
type seen struct {
	remote, host, scheme, urlHost string
	leaked                        []string // forwarding headers still present
}

func through(t *testing.T, trusted string, r *http.Request) seen {
	t.Helper()
	tp, err := ParseTrustedProxies(trusted)
	if err != nil {
		t.Fatal(err)
	}
	s := New(Config{TrustedProxies: tp}, nil)
	var got seen
	s.forwarded(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = seen{remote: r.RemoteAddr, host: r.Host, scheme: r.URL.Scheme, urlHost: r.URL.Host}
		for _, k := range forwardingHeaders {
			if r.Header.Get(k) != "" {
				got.leaked = append(got.leaked, k)
			}
		}
	})).ServeHTTP(httptest.NewRecorder(), r)
	return got
}

func TestForwardedHeaders(t *testing.T) {
	t.Parallel()
	const trusted = "127.0.0.1,10.0.0.0/8,::1"
	for _, tc := range []struct {
		name    string
		peer    string
		header  map[string][]string
		trusted string
		want    seen
	}{
		{
			name: "no proxy headers: the connection as it is",
			peer: "192.0.2.9:5555", trusted: trusted,
			want: seen{remote: "192.0.2.9:5555", host: "pgdav.internal:8080", scheme: "http"},
		},
		{
			name: "nginx in front, trusted",
			peer: "127.0.0.1:40000", trusted: trusted,
			header: map[string][]string{
				"X-Forwarded-For":   {"198.51.100.7"},
				"X-Forwarded-Proto": {"https"},
				"X-Forwarded-Host":  {"dav.example.org"},
			},
			want: seen{remote: "198.51.100.7:0", host: "dav.example.org", scheme: "https"},
		},
		{
			name: "same headers from an untrusted peer are ignored",
			peer: "192.0.2.9:5555", trusted: trusted,
			header: map[string][]string{
				"X-Forwarded-For":   {"198.51.100.7"},
				"X-Forwarded-Proto": {"https"},
				"X-Forwarded-Host":  {"evil.example"},
			},
			want: seen{remote: "192.0.2.9:5555", host: "pgdav.internal:8080", scheme: "http"},
		},
		{
			name: "nothing trusted by default",
			peer: "127.0.0.1:40000", trusted: "",
			header: map[string][]string{
				"X-Forwarded-For":   {"198.51.100.7"},
				"X-Forwarded-Proto": {"https"},
				"Forwarded":         {"for=198.51.100.7;proto=https"},
			},
			want: seen{remote: "127.0.0.1:40000", host: "pgdav.internal:8080", scheme: "http"},
		},
		{
			name: "a client's forged entries left of the first untrusted hop are ignored",
			peer: "127.0.0.1:40000", trusted: trusted,
			// client sent "10.0.0.5, 6.6.6.6"; nginx appended the
			// client's real address; a second trusted hop appended
			// nginx's.
			header: map[string][]string{"X-Forwarded-For": {"10.0.0.5, 6.6.6.6", "203.0.113.50, 10.1.1.1"}},
			want:   seen{remote: "203.0.113.50:0", host: "pgdav.internal:8080", scheme: "http"},
		},
		{
			name: "every hop trusted: the leftmost",
			peer: "10.0.0.2:1", trusted: trusted,
			header: map[string][]string{"X-Forwarded-For": {"10.0.0.9,10.0.0.8"}},
			want:   seen{remote: "10.0.0.9:0", host: "pgdav.internal:8080", scheme: "http"},
		},
		{
			name: "garbage entry ends the walk at the hop that wrote it",
			peer: "127.0.0.1:1", trusted: trusted,
			header: map[string][]string{"X-Forwarded-For": {"198.51.100.1, unknown"}},
			want:   seen{remote: "127.0.0.1:1", host: "pgdav.internal:8080", scheme: "http"},
		},
		{
			name: "IPv6 and ports in X-Forwarded-For; last proto and host count",
			peer: "[::1]:40000", trusted: trusted,
			header: map[string][]string{
				"X-Forwarded-For":   {"[2001:db8::7]:4711"},
				"X-Forwarded-Proto": {"http, https"},
				"X-Forwarded-Host":  {"client-said.example, dav.example.org:8443"},
			},
			want: seen{remote: "[2001:db8::7]:0", host: "dav.example.org:8443", scheme: "https"},
		},
		{
			name: "IPv4-mapped peer matches an IPv4 entry",
			peer: "[::ffff:127.0.0.1]:40000", trusted: trusted,
			header: map[string][]string{"X-Forwarded-For": {"198.51.100.7"}},
			want:   seen{remote: "198.51.100.7:0", host: "pgdav.internal:8080", scheme: "http"},
		},
		{
			name: "bad proto and host values are not taken",
			peer: "127.0.0.1:1", trusted: trusted,
			header: map[string][]string{
				"X-Forwarded-Proto": {"gopher"},
				"X-Forwarded-Host":  {"dav.example.org/evil"},
			},
			want: seen{remote: "127.0.0.1:1", host: "pgdav.internal:8080", scheme: "http"},
		},
		{
			name: "RFC 7239 Forwarded",
			peer: "127.0.0.1:1", trusted: trusted,
			header: map[string][]string{"Forwarded": {`for="[2001:db8:cafe::17]:4711";proto=https;host=dav.example.org`}},
			want:   seen{remote: "[2001:db8:cafe::17]:0", host: "dav.example.org", scheme: "https"},
		},
		{
			name: "Forwarded chain: proto and host from the outermost trusted proxy's element",
			peer: "10.0.0.2:1", trusted: trusted,
			header: map[string][]string{"Forwarded": {
				`for=6.6.6.6;host=forged.example;proto=http, for=198.51.100.7;host=dav.example.org;proto=https`,
				`for=10.0.0.3;host=inner;proto=http`,
			}},
			want: seen{remote: "198.51.100.7:0", host: "dav.example.org", scheme: "https"},
		},
		{
			name: "Forwarded is ignored when X-Forwarded-* is present",
			peer: "127.0.0.1:1", trusted: trusted,
			header: map[string][]string{
				"X-Forwarded-For": {"198.51.100.7"},
				"Forwarded":       {"for=6.6.6.6;proto=https;host=forged.example"},
			},
			want: seen{remote: "198.51.100.7:0", host: "pgdav.internal:8080", scheme: "http"},
		},
		{
			name: "malformed Forwarded is ignored as a whole",
			peer: "127.0.0.1:1", trusted: trusted,
			header: map[string][]string{"Forwarded": {`for="198.51.100.7;proto=https`}},
			want:   seen{remote: "127.0.0.1:1", host: "pgdav.internal:8080", scheme: "http"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest("PROPFIND", "/calendars/", nil)
			r.RemoteAddr, r.Host = tc.peer, "pgdav.internal:8080"
			for k, vs := range tc.header {
				for _, v := range vs {
					r.Header.Add(k, v)
				}
			}
			before := r.Header.Clone()
			got := through(t, tc.trusted, r)
			if got.urlHost != got.host {
				t.Errorf("r.URL.Host %q, r.Host %q", got.urlHost, got.host)
			}
			got.urlHost = ""
			if got.remote != tc.want.remote || got.host != tc.want.host || got.scheme != tc.want.scheme || got.leaked != nil {
				t.Errorf("handler saw %+v, want %+v", got, tc.want)
			}
			if len(before) != len(r.Header) {
				t.Error("the caller's request headers were changed")
			}
		})
	}
}

func TestParseForwarded(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		`for=192.0.2.43`:                            `[map[for:192.0.2.43]]`,
		`For="[2001:db8:cafe::17]:4711"`:            `[map[for:[2001:db8:cafe::17]:4711]]`,
		`for=192.0.2.60;proto=http;by=203.0.113.43`: `[map[by:203.0.113.43 for:192.0.2.60 proto:http]]`,
		`for=192.0.2.43, for=198.51.100.17`:         `[map[for:192.0.2.43] map[for:198.51.100.17]]`,
		`for="a,b;c", for=x`:                        `[map[for:a,b;c] map[for:x]]`,
		`for="q\"uote"`:                             `[map[for:q"uote]]`,
		`for=x;;proto=https,`:                       `[map[for:x proto:https]]`,
		`for=x;for=y`:                               `<nil>`,
		`for="open`:                                 `<nil>`,
		`=x`:                                        `<nil>`,
		`for`:                                       `<nil>`,
		``:                                          `<nil>`,
		`for=x; pro to=https`:                       `<nil>`,
		`for=_hidden;proto=https;host="example.org"`: `[map[for:_hidden host:example.org proto:https]]`,
	} {
		elems, ok := parseForwarded([]string{in})
		got := "<nil>"
		if ok {
			got = fmt.Sprint(elems)
		}
		if got != want {
			t.Errorf("parseForwarded(%q) = %s, want %s", in, got, want)
		}
	}
}

// A trusted proxy's client address is what the access log shows and what
// failed logins are throttled by; an untrusted peer's claims change
// neither.
func TestForwardedClientInLogAndThrottle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		trusted, want string
	}{
		{"127.0.0.1", "198.51.100.7"},
		{"", "127.0.0.1"},
	} {
		var logs bytes.Buffer
		tp, _ := ParseTrustedProxies(tc.trusted)
		s := New(Config{TrustedProxies: tp, Logger: slog.New(slog.NewJSONHandler(&logs, nil))}, backendtest.New(t))
		s.SetReady()
		r := httptest.NewRequest("PROPFIND", "/", nil)
		r.RemoteAddr = "127.0.0.1:40000"
		r.Header.Set("X-Forwarded-For", "198.51.100.7")
		r.SetBasicAuth("mallory", "guess")
		w := httptest.NewRecorder()
		s.ServeHTTP(w, r)
		if w.Code != http.StatusUnauthorized {
			t.Fatalf("status %d", w.Code)
		}
		var remotes []string
		for line := range strings.SplitSeq(strings.TrimSpace(logs.String()), "\n") {
			var m map[string]any
			if err := json.Unmarshal([]byte(line), &m); err != nil {
				t.Fatalf("%v: %s", err, line)
			}
			if r, ok := m["remote"].(string); ok {
				remotes = append(remotes, m["msg"].(string)+"="+r)
			}
		}
		want := []string{"authentication failed=" + tc.want, "request=" + tc.want}
		if strings.Join(remotes, " ") != strings.Join(want, " ") {
			t.Errorf("trusted %q: logged %q, want %q", tc.trusted, remotes, want)
		}
		if n, err := s.auth.failures.add(t.Context(), tc.want, "mallory"); err != nil || n.Address != 2 {
			t.Errorf("trusted %q: failures for %s = %d, want the earlier one counted", tc.trusted, tc.want, n)
		}
	}
}

// The well-known redirect and a trusted proxy: the Location stays a path
// below the base path, whatever host and scheme the proxy reports.
func TestWellKnownBehindProxy(t *testing.T) {
	t.Parallel()
	tp, _ := ParseTrustedProxies("127.0.0.1")
	for base, want := range map[string]string{"": "/", "/dav": "/dav/"} {
		s := New(Config{BasePath: base, TrustedProxies: tp}, nil)
		for _, p := range []string{"/.well-known/caldav", "/.well-known/carddav", base + "/.well-known/caldav"} {
			r := httptest.NewRequest("PROPFIND", p, nil)
			r.RemoteAddr = "127.0.0.1:1"
			r.Header.Set("X-Forwarded-Proto", "https")
			r.Header.Set("X-Forwarded-Host", "dav.example.org")
			w := httptest.NewRecorder()
			s.ServeHTTP(w, r)
			if w.Code != http.StatusMovedPermanently || w.Header().Get("Location") != want {
				t.Errorf("base %q: %s → %d Location %q, want 301 %q", base, p, w.Code, w.Header().Get("Location"), want)
			}
		}
	}
}
