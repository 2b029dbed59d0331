package server

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// The URL layout and discovery (RFC 6764, RFC 5397, RFC 4791 6.2.1, RFC
// 6352 7.1.1) under the default base path and under "/dav": well-known
// redirects without credentials, the context path asks for them, and an
// authenticated walk from there finds the principal, the homes, the
// collections and their members, every href carrying the base path.
func TestDAVDiscovery(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "/dav"} {
		t.Run("base="+base, func(t *testing.T) {
			t.Parallel()
			e := newDAVEnv(t, envConfig{basePath: base}, "alice")
			ev := event("disc-1", "Discovery")
			e.put(t, "alice", "/calendars/alice/default/Client-Chosen_Name.ics", ev, ctCal)
			e.put(t, "alice", "/addressbooks/alice/default/card-1.vcf", card("card-1", "Card One"), ctCard)

			// Well-known URIs, at the root and under the base path, for
			// the methods clients probe them with, need no credentials.
			// With a trailing slash too: users type both.
			wellKnown := []string{"/.well-known/caldav", "/.well-known/carddav", "/.well-known/caldav/", "/.well-known/carddav/"}
			if base != "" {
				wellKnown = append(wellKnown, base+"/.well-known/caldav", base+"/.well-known/carddav", base+"/.well-known/caldav/", base+"/.well-known/carddav/")
			}
			for _, wk := range wellKnown {
				for _, m := range []string{"GET", "PROPFIND"} {
					r := e.send(t, "", m, wk, strings.NewReader(""), "Depth: 0")
					if r.Status != http.StatusMovedPermanently {
						t.Fatalf("%s %s unauthenticated: %d, want 301", m, wk, r.Status)
					}
					if loc := r.Header.Get("Location"); loc != base+"/" {
						t.Errorf("%s %s: Location %q, want %q", m, wk, loc, base+"/")
					}
				}
			}

			// The context path challenges first (docs/clients.md
			// "Challenge first, on every path").
			ctx := base + "/"
			r := e.send(t, "", "PROPFIND", ctx, strings.NewReader(propfindXML(dName("current-user-principal"))), "Depth: 0")
			if r.Status != http.StatusUnauthorized || !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Fatalf("unauthenticated PROPFIND %s: %d, WWW-Authenticate %q", ctx, r.Status, r.Header.Get("WWW-Authenticate"))
			}

			var all []*multistatus
			pf := func(path, depth string, names ...xml.Name) *msResponse {
				t.Helper()
				ms := e.propfind(t, "alice", path, depth, names...)
				all = append(all, ms)
				return ms.response(t, e.href(path))
			}
			principal := pf("/", "0", dName("current-user-principal")).found(t, dName("current-user-principal")).hrefs()
			if !slices.Equal(principal, []string{e.href("/principals/alice/")}) {
				t.Fatalf("current-user-principal %q", principal)
			}
			pr := pf("/principals/alice/", "0", dName("principal-URL"), cName("calendar-home-set"), crName("addressbook-home-set"),
				dName("principal-collection-set"), dName("resourcetype"))
			for n, want := range map[xml.Name]string{
				dName("principal-URL"):            "/principals/alice/",
				cName("calendar-home-set"):        "/calendars/alice/",
				crName("addressbook-home-set"):    "/addressbooks/alice/",
				dName("principal-collection-set"): "/principals/",
			} {
				if got := pr.found(t, n).hrefs(); !slices.Equal(got, []string{e.href(want)}) {
					t.Errorf("%s = %q, want exactly [%s]", nameStr(n), got, e.href(want))
				}
			}

			// Each kind of URL, its resourcetype, and a Depth 1 walk down.
			for _, tc := range []struct {
				path    string
				types   []xml.Name
				members []string
			}{
				{"/", []xml.Name{dName("collection")}, []string{"/principals/", "/calendars/", "/addressbooks/"}},
				{"/principals/", []xml.Name{dName("collection")}, []string{"/principals/alice/"}},
				{"/principals/alice/", []xml.Name{dName("collection"), dName("principal")}, nil},
				{"/calendars/", []xml.Name{dName("collection")}, []string{"/calendars/alice/"}},
				{"/calendars/alice/", []xml.Name{dName("collection")}, []string{"/calendars/alice/default/"}},
				{"/calendars/alice/default/", []xml.Name{dName("collection"), cName("calendar")}, []string{"/calendars/alice/default/Client-Chosen_Name.ics"}},
				{"/calendars/alice/default/Client-Chosen_Name.ics", nil, nil},
				{"/addressbooks/", []xml.Name{dName("collection")}, []string{"/addressbooks/alice/"}},
				{"/addressbooks/alice/", []xml.Name{dName("collection")}, []string{"/addressbooks/alice/default/"}},
				{"/addressbooks/alice/default/", []xml.Name{dName("collection"), crName("addressbook")}, []string{"/addressbooks/alice/default/card-1.vcf"}},
				{"/addressbooks/alice/default/card-1.vcf", nil, nil},
			} {
				ms := e.propfind(t, "alice", tc.path, "1", dName("resourcetype"))
				all = append(all, ms)
				rt := ms.response(t, e.href(tc.path)).found(t, dName("resourcetype"))
				if got := rt.childNames(); !sameNames(got, tc.types) {
					t.Errorf("%s: resourcetype %v, want %v", tc.path, got, tc.types)
				}
				want := []string{e.href(tc.path)}
				for _, m := range tc.members {
					want = append(want, e.href(m))
				}
				if got := ms.hrefs(); !sameStrings(got, want) {
					t.Errorf("%s Depth 1: hrefs %q, want %q", tc.path, got, want)
				}
			}

			// Every href anywhere in these answers carries the base path.
			for _, ms := range all {
				for _, h := range allHrefs(ms.Root) {
					if !strings.HasPrefix(h, "mailto:") && !strings.HasPrefix(h, base+"/") {
						t.Errorf("href %q lacks the base path %q", h, base)
					}
				}
			}
			if base != "" {
				// Outside the base path there is no DAV resource.
				e.send(t, "alice", "PROPFIND", "/principals/alice/", strings.NewReader(""), "Depth: 0").want(t, http.StatusNotFound)
			}
			// Unknown shapes of URL are not found.
			for _, p := range []string{"/nothing/", "/calendars/alice/default/a/b.ics", "/principals/alice/extra/"} {
				e.do(t, "alice", "PROPFIND", p, "", "Depth: 0").want(t, http.StatusNotFound)
			}
		})
	}
}

// OPTIONS names the DAV classes and an Allow list that is true to the
// resource: every listed method is answered as something other than 405,
// and no method left out succeeds.
func TestDAVOptions(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", "/calendars/alice/default/ev.ics", event("opt-1", "Options"), ctCal)
	e.put(t, "alice", "/addressbooks/alice/default/c.vcf", card("opt-c", "Options"), ctCard)

	all := []string{"OPTIONS", "GET", "HEAD", "PROPFIND", "PROPPATCH", "PUT", "MKCOL", "MKCALENDAR", "REPORT", "COPY", "MOVE", "DELETE"}
	for _, tc := range []struct {
		name      string
		path      string
		required  []string
		forbidden []string
		probe     bool
	}{
		{"calendar object", "/calendars/alice/default/ev.ics", []string{"OPTIONS", "GET", "HEAD", "PROPFIND", "PROPPATCH", "PUT", "DELETE", "MOVE", "COPY"}, []string{"MKCOL", "MKCALENDAR"}, true},
		{"vcard", "/addressbooks/alice/default/c.vcf", []string{"OPTIONS", "GET", "HEAD", "PROPFIND", "PUT", "DELETE", "MOVE", "COPY"}, []string{"MKCOL", "MKCALENDAR"}, true},
		{"new object", "/calendars/alice/default/not-yet.ics", []string{"OPTIONS", "PUT"}, []string{"GET", "HEAD", "PROPFIND", "PROPPATCH", "DELETE", "MOVE", "COPY", "MKCOL", "MKCALENDAR"}, true},
		{"principal", "/principals/alice/", []string{"OPTIONS", "GET", "HEAD", "PROPFIND", "PROPPATCH"}, []string{"PUT", "DELETE", "MKCOL", "MKCALENDAR", "MOVE", "COPY"}, true},
		{"calendar home", "/calendars/alice/", []string{"OPTIONS", "PROPFIND", "PROPPATCH"}, []string{"PUT", "DELETE", "MKCOL", "MKCALENDAR", "MOVE", "COPY"}, true},
		{"address book home", "/addressbooks/alice/", []string{"OPTIONS", "PROPFIND", "PROPPATCH"}, []string{"PUT", "DELETE", "MKCOL", "MKCALENDAR", "MOVE", "COPY"}, true},
		{"calendar", "/calendars/alice/default/", []string{"OPTIONS", "PROPFIND", "PROPPATCH", "DELETE"}, []string{"PUT", "MKCOL", "MKCALENDAR", "MOVE", "COPY"}, true},
		{"address book", "/addressbooks/alice/default/", []string{"OPTIONS", "PROPFIND", "PROPPATCH", "DELETE"}, []string{"PUT", "MKCOL", "MKCALENDAR", "MOVE", "COPY"}, true},
		{"new calendar", "/calendars/alice/not-yet/", []string{"OPTIONS", "MKCOL", "MKCALENDAR"}, []string{"GET", "PROPFIND", "PUT", "DELETE"}, false},
		{"new address book", "/addressbooks/alice/not-yet/", []string{"OPTIONS", "MKCOL"}, []string{"GET", "PROPFIND", "PUT", "DELETE", "MKCALENDAR"}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "alice", "OPTIONS", tc.path, "").want(t, http.StatusOK)
			if got := r.Header.Get("DAV"); got != wantDAVHeader {
				t.Errorf("DAV header %q, want %q", got, wantDAVHeader)
			}
			var allow []string
			for m := range strings.SplitSeq(r.Header.Get("Allow"), ",") {
				allow = append(allow, strings.TrimSpace(m))
			}
			for _, m := range tc.required {
				if !slices.Contains(allow, m) {
					t.Errorf("Allow %q lacks %s", allow, m)
				}
			}
			for _, m := range tc.forbidden {
				if slices.Contains(allow, m) {
					t.Errorf("Allow %q lists %s", allow, m)
				}
			}
			if !tc.probe {
				return
			}
			// Probe with bodiless requests; destructive methods last so
			// the others still find the resource (and the cases run so
			// that deleting a collection comes after its members' cases).
			order := slices.Clone(all)
			slices.SortStableFunc(order, func(a, b string) int {
				rank := func(m string) int {
					switch m {
					case "MOVE":
						return 1
					case "DELETE":
						return 2
					}
					return 0
				}
				return rank(a) - rank(b)
			})
			for _, m := range order {
				pr := e.do(t, "alice", m, tc.path, "", "Depth: 0")
				got := pr.Status
				listed := slices.Contains(allow, m)
				// RFC 9110 15.5.6: a 405 lists what is allowed.
				if got == http.StatusMethodNotAllowed && pr.Header.Get("Allow") == "" {
					t.Errorf("%s answers 405 without an Allow header", m)
				}
				if listed && (got == http.StatusMethodNotAllowed || got == http.StatusNotImplemented) {
					t.Errorf("%s is in Allow but answers %d", m, got)
				}
				if !listed && got >= 200 && got < 300 {
					t.Errorf("%s is not in Allow but answers %d", m, got)
				}
			}
		})
	}
}

func sameNames(a, b []xml.Name) bool {
	if len(a) != len(b) {
		return false
	}
	for _, n := range b {
		if !slices.Contains(a, n) {
			return false
		}
	}
	return true
}

func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// allHrefs collects the text of every DAV:href in a document.
func allHrefs(n *xnode) []string {
	var out []string
	if n.Name == dName("href") {
		out = append(out, n.Text)
	}
	for _, c := range n.Children {
		out = append(out, allHrefs(c)...)
	}
	return out
}
