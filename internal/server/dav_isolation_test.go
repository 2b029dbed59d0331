package server

import (
	"context"
	"encoding/base64"
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
)

// A user reaches only their own principal, homes and collections: every
// method on another user's URLs is answered 403 or 404, reveals none of
// that user's data and changes nothing of it.
func TestDAVIsolation(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice", "bob")
	const secret = "BOB-SECRET-7f3a"
	bobTag := e.put(t, "bob", "/calendars/bob/default/secret.ics", event(secret, secret), ctCal)
	e.put(t, "bob", "/addressbooks/bob/default/secret.vcf", card(secret+"-c", secret), ctCard)
	for _, p := range []string{"/principals/bob/", "/calendars/bob/", "/calendars/bob/default/"} {
		e.do(t, "bob", "PROPPATCH", p, proppatchSet(`<X:s xmlns:X="urn:example:iso">`+secret+`</X:s>`)).want(t, http.StatusMultiStatus)
	}
	e.do(t, "bob", "PROPPATCH", "/calendars/bob/default/", proppatchSet(`<D:displayname>`+secret+`</D:displayname>`)).want(t, http.StatusMultiStatus)
	e.put(t, "alice", "/calendars/alice/default/mine.ics", event("alice-own", "Mine"), ctCal)
	bobState := func() string {
		var b strings.Builder
		for _, p := range []string{"/calendars/bob/", "/addressbooks/bob/"} {
			for _, r := range e.propfind(t, "bob", p, "1", csName("getctag"), dName("displayname")).Responses {
				b.WriteString(r.Href)
				for _, ps := range r.Propstats {
					for _, pr := range ps.Props {
						b.WriteString(" " + pr.Text)
					}
				}
				b.WriteString("\n")
			}
		}
		return b.String()
	}
	before := bobState()

	proppatch := proppatchSet(`<X:s xmlns:X="urn:example:iso">alice was here</X:s>`, `<D:displayname>alice was here</D:displayname>`)
	report := `<?xml version="1.0" encoding="utf-8"?><C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop><D:href>/calendars/bob/default/secret.ics</D:href></C:calendar-multiget>`
	methods := []struct {
		method  string
		body    string
		headers []string
	}{
		{"OPTIONS", "", nil},
		{"PROPFIND", "", []string{"Depth: 1"}},
		{"PROPFIND", propfindXML(dName("displayname"), cName("calendar-data"), dName("getetag")), []string{"Depth: 0"}},
		{"PROPPATCH", proppatch, nil},
		{"MKCOL", "", nil},
		{"MKCALENDAR", "", nil},
		{"GET", "", nil},
		{"HEAD", "", nil},
		{"PUT", event("alice-intrusion", "intrusion"), []string{ctCal}},
		{"PUT", event("alice-intrusion", "intrusion"), []string{ctCal, "If-None-Match: *"}},
		{"DELETE", "", nil},
		{"MOVE", "", []string{"Destination: /calendars/alice/default/stolen.ics"}},
		{"COPY", "", []string{"Destination: /calendars/alice/default/stolen.ics"}},
		{"REPORT", report, []string{"Depth: 1"}},
	}
	for _, path := range []string{
		"/principals/bob/",
		"/calendars/bob/",
		"/calendars/bob/default/",
		"/calendars/bob/default/secret.ics",
		"/calendars/bob/default/new.ics",
		"/calendars/bob/new/",
		"/calendars/bob/default/sub/",
		"/addressbooks/bob/",
		"/addressbooks/bob/default/",
		"/addressbooks/bob/default/secret.vcf",
		"/calendars/BOB/default/secret.ics",
		"/calendars/nobody/default/x.ics", // a user that does not exist: the same answer
	} {
		for _, m := range methods {
			r := e.do(t, "alice", m.method, path, m.body, m.headers...)
			if r.Status != http.StatusForbidden && r.Status != http.StatusNotFound {
				t.Errorf("alice %s %s: %d, want 403 or 404\n%s", m.method, path, r.Status, r.Body)
			}
			if strings.Contains(string(r.Body), secret) || r.Header.Get("ETag") == bobTag {
				t.Errorf("alice %s %s reveals bob's data:\n%s", m.method, path, r.Body)
			}
		}
	}
	// Alice's own object cannot be moved or copied into bob's space, and
	// alice's Depth 1 listings do not name bob.
	for _, m := range []string{"MOVE", "COPY"} {
		e.do(t, "alice", m, "/calendars/alice/default/mine.ics", "", "Destination: /calendars/bob/default/mine.ics").want(t, http.StatusForbidden)
	}
	for _, p := range []string{"/", "/principals/", "/calendars/", "/addressbooks/"} {
		for _, h := range e.propfind(t, "alice", p, "1", dName("resourcetype")).hrefs() {
			if strings.Contains(strings.ToLower(h), "bob") {
				t.Errorf("alice's listing of %s names %s", p, h)
			}
		}
	}
	if after := bobState(); after != before {
		t.Errorf("bob's collections changed:\n%s\nwere\n%s", after, before)
	}
	g := e.do(t, "bob", "GET", "/calendars/bob/default/secret.ics", "").want(t, http.StatusOK)
	if g.Header.Get("ETag") != bobTag {
		t.Error("bob's object changed")
	}
	cols, err := e.store.ListCollections(t.Context(), e.users["bob"].ID, backend.KindCalendar)
	if err != nil {
		t.Fatal(err)
	}
	if len(cols) != 1 {
		t.Errorf("bob has %d calendars, want 1", len(cols))
	}
	for _, p := range []string{"/principals/bob/", "/calendars/bob/", "/calendars/bob/default/"} {
		if pr, _ := e.propOf(t, "bob", p, xml.Name{Space: "urn:example:iso", Local: "s"}); pr == nil || pr.Text != secret {
			t.Errorf("bob's dead property on %s changed", p)
		}
	}
}

// Without valid credentials every method on every URL is 401 with a
// Basic challenge, and never a DAV answer.
func TestDAVUnauthenticated(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", "/calendars/alice/default/a.ics", event("unauth-1", "x"), ctCal)
	// Wrong passwords are throttled (throttle.go); this test is about the
	// answers, so the waits are skipped.
	e.server.auth.failures.sleep = func(context.Context, time.Duration) error { return nil }
	bad := "Authorization: Basic " + base64.StdEncoding.EncodeToString([]byte("alice:wrong"))
	for _, path := range []string{"/", "/principals/", "/principals/alice/", "/calendars/alice/", "/calendars/alice/default/", "/calendars/alice/default/a.ics", "/addressbooks/alice/default/", "/nothing/"} {
		for _, m := range []string{"OPTIONS", "PROPFIND", "PROPPATCH", "MKCOL", "MKCALENDAR", "GET", "HEAD", "PUT", "DELETE", "MOVE", "COPY", "REPORT"} {
			hdrs := [][]string{nil}
			if path == "/calendars/alice/default/a.ics" {
				hdrs = append(hdrs, []string{bad}) // each costs a password hash
			}
			for _, hdr := range hdrs {
				r := e.do(t, "", m, path, "", hdr...)
				if r.Status != http.StatusUnauthorized {
					t.Errorf("%s %s %v: %d, want 401", m, path, hdr, r.Status)
					continue
				}
				if ch := r.Header.Get("WWW-Authenticate"); !strings.HasPrefix(ch, "Basic ") || !strings.Contains(ch, "realm=") {
					t.Errorf("%s %s: WWW-Authenticate %q", m, path, ch)
				}
			}
		}
	}
	if g := e.do(t, "alice", "GET", "/calendars/alice/default/a.ics", "").want(t, http.StatusOK); !strings.Contains(string(g.Body), "unauth-1") {
		t.Error("object changed by unauthenticated requests")
	}
}
