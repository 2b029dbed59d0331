package server

import (
	"bytes"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// Hrefs are written in one canonical percent-encoding and accepted
// encoded, unencoded and as absolute URLs: the same object whichever form
// a request uses, "+" never a space, "%40" and "@" the same name
// (docs/clients.md "One canonical href encoding").
func TestDAVHrefForms(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "/dav"} {
		t.Run("base="+base, func(t *testing.T) {
			t.Parallel()
			e := newDAVEnv(t, envConfig{basePath: base}, "alice")
			coll := "/calendars/alice/default/"
			for _, tc := range []struct {
				name      string
				canonical string   // the one form the server writes
				forms     []string // request forms, the first used to create
				others    []string // names that are other resources (404)
			}{
				{"a b.ics", "a%20b.ics", []string{"a%20b.ics"}, []string{"a+b.ics", "a%2Bb.ics", "a%2520b.ics"}},
				{"x@y.ics", "x@y.ics", []string{"x%40y.ics", "x@y.ics"}, []string{"x%2540y.ics"}},
				{"c+d.ics", "c+d.ics", []string{"c%2Bd.ics", "c%2bd.ics", "c+d.ics"}, []string{"c%20d.ics", "c d.ics"}},
				{"é ü.ics", "%C3%A9%20%C3%BC.ics", []string{"%C3%A9%20%C3%BC.ics", "%c3%a9%20%c3%bc.ics", "é%20ü.ics"}, []string{"e%20u.ics"}},
				{"sub;delims=1&x!$'(),*.ics", "sub;delims=1&x!$'(),*.ics", []string{"sub%3Bdelims%3D1%26x%21%24%27%28%29%2C%2A.ics", "sub;delims=1&x!$'(),*.ics"}, nil},
				{"100%.ics", "100%25.ics", []string{"100%25.ics"}, []string{"100.ics"}},
				{"q?#.ics", "q%3F%23.ics", []string{"q%3F%23.ics"}, []string{"q.ics"}},
				{"colon:x.ics", "colon:x.ics", []string{"colon%3Ax.ics", "colon:x.ics"}, nil},
				{"Mixed-CASE.ics", "Mixed-CASE.ics", []string{"Mixed-CASE.ics", "Mixed%2DCASE.ics"}, []string{"mixed-case.ics"}},
				{"no-extension", "no-extension", []string{"no-extension"}, nil},
			} {
				t.Run(tc.name, func(t *testing.T) {
					canonical := e.href(coll + tc.canonical)
					body := event("href-"+tc.canonical, tc.name)
					r := e.do(t, "alice", "PUT", coll+tc.forms[0], body, ctCal).want(t, http.StatusCreated)
					if loc := r.Header.Get("Location"); loc != canonical && loc != e.srv.URL+canonical {
						t.Errorf("Location %q, want %q", loc, canonical)
					}
					// Every form, also as an absolute URL in the request
					// line, reaches the object and is answered with the
					// canonical href.
					var targets []string
					for _, f := range tc.forms {
						targets = append(targets, e.base+coll+f, e.srv.URL+e.base+coll+f)
					}
					for _, target := range targets {
						g := e.send(t, "alice", "GET", target, strings.NewReader(""))
						if g.Status != http.StatusOK || !bytes.Equal(g.Body, []byte(body)) {
							t.Errorf("GET %s: %d %q", target, g.Status, g.Body)
						}
						ms := e.send(t, "alice", "PROPFIND", target, strings.NewReader(propfindXML(dName("getetag"))), "Depth: 0").multistatus(t)
						if got := ms.hrefs(); !slices.Equal(got, []string{canonical}) {
							t.Errorf("PROPFIND %s: hrefs %q, want [%s]", target, got, canonical)
						}
						// Writing through another form replaces, never
						// creates a second object.
						e.send(t, "alice", "PUT", target, strings.NewReader(body), ctCal).want(t, http.StatusNoContent)
					}
					for _, o := range tc.others {
						if o == "c d.ics" {
							continue // a raw space cannot be sent in HTTP/1.1
						}
						e.do(t, "alice", "GET", coll+o, "").want(t, http.StatusNotFound)
					}
					// The listing names it once, canonically.
					n := 0
					for _, h := range e.propfind(t, "alice", coll, "1", dName("getetag")).hrefs() {
						if h == canonical {
							n++
						}
						if strings.Contains(h, tc.canonical) && h != canonical {
							t.Errorf("listing holds %q besides %q", h, canonical)
						}
					}
					if n != 1 {
						t.Errorf("listing names %s %d times", canonical, n)
					}
					// Deleting through the last form deletes it.
					e.send(t, "alice", "DELETE", targets[len(targets)-1], strings.NewReader("")).want(t, http.StatusNoContent)
					e.do(t, "alice", "GET", coll+tc.canonical, "").want(t, http.StatusNotFound)
				})
			}
		})
	}
}

// Collection hrefs end with "/" whether or not the request had one, and
// client-chosen collection names are encoded like object names.
func TestDAVCollectionHrefs(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice", "dan+test@example.org")

	r := e.do(t, "alice", "MKCALENDAR", "/calendars/alice/my%20cal%2Bx%40y/", "").want(t, http.StatusCreated)
	const canon = "/calendars/alice/my%20cal+x@y/"
	if loc := r.Header.Get("Location"); loc != canon && loc != e.srv.URL+canon {
		t.Errorf("Location %q, want %q", loc, canon)
	}
	if got := e.propfind(t, "alice", "/calendars/alice/", "1", dName("resourcetype")).hrefs(); !slices.Contains(got, canon) {
		t.Errorf("home listing %q lacks %s", got, canon)
	}
	for _, p := range []string{"/calendars/alice/my%20cal+x@y", "/calendars/alice/my%20cal%2Bx%40y", "/calendars/alice/my%20cal+x@y/"} {
		if got := e.propfind(t, "alice", p, "0", dName("resourcetype")).hrefs(); !slices.Equal(got, []string{canon}) {
			t.Errorf("PROPFIND %s: hrefs %q, want [%s]", p, got, canon)
		}
	}
	e.put(t, "alice", "/calendars/alice/my%20cal%2Bx%40y/e%40x.ics", event("coll-href", "In an odd calendar"), ctCal)
	if got := e.propfind(t, "alice", canon, "1", dName("getetag")).hrefs(); !sameStrings(got, []string{canon, canon + "e@x.ics"}) {
		t.Errorf("calendar listing %q", got)
	}
	for _, p := range []string{"/calendars/alice/default", "/addressbooks/alice/default", "/principals/alice", "/calendars/alice"} {
		if got := e.propfind(t, "alice", p, "0", dName("resourcetype")).hrefs(); !slices.Equal(got, []string{p + "/"}) {
			t.Errorf("PROPFIND %s: hrefs %q, want [%s/]", p, got, p)
		}
	}

	// User names in URLs match in any case; hrefs carry the stored name.
	for _, p := range []string{"/calendars/ALICE/default/", "/Calendars/alice/default/"} {
		r := e.do(t, "alice", "PROPFIND", p, propfindXML(dName("resourcetype")), "Depth: 0")
		if p == "/Calendars/alice/default/" {
			r.want(t, http.StatusNotFound) // the fixed segments are case-sensitive
			continue
		}
		if got := r.multistatus(t).hrefs(); !slices.Equal(got, []string{"/calendars/alice/default/"}) {
			t.Errorf("PROPFIND %s: hrefs %q", p, got)
		}
	}

	// A user name with "+" and "@" is written literally, and found by
	// every spelling.
	const me = "/principals/dan+test@example.org/"
	for _, p := range []string{me, "/principals/dan%2Btest%40example.org/", "/principals/dan+test%40example.org"} {
		r := e.propfind(t, "dan+test@example.org", p, "0", dName("current-user-principal"), cName("calendar-home-set")).response(t, me)
		if got := r.found(t, dName("current-user-principal")).hrefs(); !slices.Equal(got, []string{me}) {
			t.Errorf("current-user-principal %q", got)
		}
		if got := r.found(t, cName("calendar-home-set")).hrefs(); !slices.Equal(got, []string{"/calendars/dan+test@example.org/"}) {
			t.Errorf("calendar-home-set %q", got)
		}
	}
}

// Paths with doubled slashes reach pgdav's own href decoding (which
// collapses them) instead of the ServeMux's redirect, which some clients
// would follow with a GET.
func TestDoubleSlashesAreNotRedirected(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	r := e.send(t, "alice", "PROPFIND", "/calendars//alice//default/", strings.NewReader(""), "Depth: 0")
	if r.Status != http.StatusMultiStatus {
		t.Fatalf("PROPFIND with doubled slashes: %d, want 207\n%s", r.Status, r.Body)
	}
	if hrefs := r.multistatus(t).hrefs(); len(hrefs) != 1 || hrefs[0] != "/calendars/alice/default/" {
		t.Fatalf("hrefs %v, want the canonical one", hrefs)
	}
	if r := e.send(t, "", "GET", "/healthz", strings.NewReader("")); r.Status != http.StatusOK {
		t.Fatalf("healthz: %d", r.Status)
	}
}
