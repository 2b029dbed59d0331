package server

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// DELETE with If-Match: a stale tag is 412 and the object stays.
func TestDAVDeleteIfMatch(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	for _, p := range []string{"/calendars/alice/default/d.ics", "/addressbooks/alice/default/d.vcf"} {
		body, ct := event("dim-1", "Delete me"), ctCal
		if strings.HasSuffix(p, ".vcf") {
			body, ct = card("dim-c", "Delete Me"), ctCard
		}
		tag := e.put(t, "alice", p, body, ct)
		e.do(t, "alice", "DELETE", p, "", `If-Match: "stale"`).want(t, http.StatusPreconditionFailed)
		if g := e.do(t, "alice", "GET", p, "").want(t, http.StatusOK); string(g.Body) != body || g.Header.Get("ETag") != tag {
			t.Errorf("%s changed by a refused DELETE", p)
		}
		e.do(t, "alice", "DELETE", p, "", "If-Match: "+tag).want(t, http.StatusNoContent)
		e.do(t, "alice", "GET", p, "").want(t, http.StatusNotFound)
		e.do(t, "alice", "DELETE", p, "", "If-Match: "+tag).want(t, http.StatusPreconditionFailed, http.StatusNotFound)
	}
}

// MOVE and COPY of one object between two of the user's own collections
// of its kind (RFC 4918 9.8, 9.9), and the destinations refused.
func TestDAVMoveCopy(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice", "bob")
	ctx := t.Context()
	for _, u := range []string{"alice", "bob"} {
		for _, c := range []backend.Collection{
			{Kind: backend.KindCalendar, Slug: "second"},
			{Kind: backend.KindAddressBook, Slug: "second"},
		} {
			if _, err := e.store.CreateCollection(ctx, e.users[u].ID, c, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	if _, err := e.store.CreateCollection(ctx, e.users["alice"].ID, backend.Collection{Kind: backend.KindCalendar, Slug: "events", Components: []string{"VEVENT"}}, nil); err != nil {
		t.Fatal(err)
	}
	abs := func(p string) string { return e.srv.URL + e.base + p }
	rel := func(p string) string { return e.base + p }

	for _, tc := range []struct {
		name      string
		method    string
		src       string // created first (with body by extension)
		existing  string // created first at the destination
		dest      string // Destination header value
		dstPath   string // where the object ends up ("" = nowhere)
		headers   []string
		status    int
		cond      xml.Name
		srcRemain bool // the source still exists afterwards
	}{
		{"move, absolute URL", "MOVE", "/calendars/alice/default/m1.ics", "", abs("/calendars/alice/second/m1.ics"), "/calendars/alice/second/m1.ics", nil, 201, xml.Name{}, false},
		{"move, path", "MOVE", "/calendars/alice/default/m2.ics", "", rel("/calendars/alice/second/moved%20two.ics"), "/calendars/alice/second/moved%20two.ics", nil, 201, xml.Name{}, false},
		{"move, renamed in place", "MOVE", "/calendars/alice/default/m3.ics", "", rel("/calendars/alice/default/m3-new.ics"), "/calendars/alice/default/m3-new.ics", nil, 201, xml.Name{}, false},
		{"copy, absolute URL", "COPY", "/calendars/alice/default/c1.ics", "", abs("/calendars/alice/second/c1.ics"), "/calendars/alice/second/c1.ics", nil, 201, xml.Name{}, true},
		{"copy, path", "COPY", "/addressbooks/alice/default/c2.vcf", "", rel("/addressbooks/alice/second/c2%40x.vcf"), "/addressbooks/alice/second/c2@x.vcf", nil, 201, xml.Name{}, true},
		{"move card", "MOVE", "/addressbooks/alice/default/m4.vcf", "", abs("/addressbooks/alice/second/m4.vcf"), "/addressbooks/alice/second/m4.vcf", nil, 201, xml.Name{}, false},
		{"overwrite T replaces", "MOVE", "/calendars/alice/default/m5.ics", "/calendars/alice/second/m5.ics", rel("/calendars/alice/second/m5.ics"), "/calendars/alice/second/m5.ics", []string{"Overwrite: T"}, 204, xml.Name{}, false},
		{"overwrite absent replaces", "COPY", "/calendars/alice/default/c3.ics", "/calendars/alice/second/c3.ics", rel("/calendars/alice/second/c3.ics"), "/calendars/alice/second/c3.ics", nil, 204, xml.Name{}, true},
		{"overwrite F refuses", "MOVE", "/calendars/alice/default/m6.ics", "/calendars/alice/second/m6.ics", rel("/calendars/alice/second/m6.ics"), "", []string{"Overwrite: F"}, 412, xml.Name{}, true},
		{"overwrite F refuses a copy", "COPY", "/addressbooks/alice/default/c4.vcf", "/addressbooks/alice/second/c4.vcf", rel("/addressbooks/alice/second/c4.vcf"), "", []string{"Overwrite: F"}, 412, xml.Name{}, true},
		{"If-Match on the source", "MOVE", "/calendars/alice/default/m7.ics", "", rel("/calendars/alice/second/m7.ics"), "", []string{`If-Match: "stale"`}, 412, xml.Name{}, true},
		{"another user's calendar", "MOVE", "/calendars/alice/default/m8.ics", "", rel("/calendars/bob/second/m8.ics"), "", nil, 403, xml.Name{}, true},
		{"another user's calendar, absolute", "COPY", "/calendars/alice/default/c5.ics", "", abs("/calendars/bob/default/c5.ics"), "", nil, 403, xml.Name{}, true},
		{"another user's address book", "COPY", "/addressbooks/alice/default/c6.vcf", "", rel("/addressbooks/bob/default/c6.vcf"), "", nil, 403, xml.Name{}, true},
		{"calendar object to an address book", "MOVE", "/calendars/alice/default/m9.ics", "", rel("/addressbooks/alice/default/m9.ics"), "", nil, 403, xml.Name{}, true},
		{"card to a calendar", "COPY", "/addressbooks/alice/default/c7.vcf", "", rel("/calendars/alice/default/c7.vcf"), "", nil, 403, xml.Name{}, true},
		{"destination is a collection", "MOVE", "/calendars/alice/default/m10.ics", "", rel("/calendars/alice/second/"), "", nil, 403, xml.Name{}, true},
		{"destination outside the layout", "MOVE", "/calendars/alice/default/m11.ics", "", rel("/elsewhere/m11.ics"), "", nil, 403, xml.Name{}, true},
		{"another host", "MOVE", "/calendars/alice/default/m12.ics", "", "http://other.example" + rel("/calendars/alice/second/m12.ics"), "", nil, 502, xml.Name{}, true},
		{"another host, copy", "COPY", "/calendars/alice/default/c8.ics", "", "https://evil.example:8443" + rel("/calendars/alice/second/c8.ics"), "", nil, 502, xml.Name{}, true},
		{"missing collection", "MOVE", "/calendars/alice/default/m13.ics", "", rel("/calendars/alice/nope/m13.ics"), "", nil, 409, xml.Name{}, true},
		{"missing collection, copy", "COPY", "/addressbooks/alice/default/c9.vcf", "", abs("/addressbooks/alice/nope/c9.vcf"), "", nil, 409, xml.Name{}, true},
		{"VTODO to an events calendar", "MOVE", "/calendars/alice/default/t1.ics", "", rel("/calendars/alice/events/t1.ics"), "", nil, 403, cName("supported-calendar-component"), true},
		{"copy in place keeps the UID twice", "COPY", "/calendars/alice/default/c10.ics", "", rel("/calendars/alice/default/c10-copy.ics"), "", nil, 403, cName("no-uid-conflict"), true},
		{"no Destination", "MOVE", "/calendars/alice/default/m14.ics", "", "", "", nil, 400, xml.Name{}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			body, ct := event("mc-"+tc.name, tc.name), ctCal
			if strings.HasSuffix(tc.src, ".vcf") {
				body, ct = card("mc-"+tc.name, tc.name), ctCard
			}
			if strings.HasPrefix(tc.name, "VTODO") {
				body = todo("mc-"+tc.name, tc.name)
			}
			tag := e.put(t, "alice", tc.src, body, ct)
			// An older version of the same object (a replacement keeps
			// the UID: no-uid-conflict, TestDAVNoUIDConflictOnReplace).
			old := strings.Replace(body, "\r\nUID:", "\r\nX-OLD:1\r\nUID:", 1)
			if tc.existing != "" {
				e.put(t, "alice", tc.existing, old, ct)
			}
			srcColl := tc.src[:strings.LastIndex(tc.src, "/")+1]
			srcCtag, _ := e.syncState(t, "alice", srcColl)
			bobBefore := e.bobObjects(t)

			hdr := append([]string{}, tc.headers...)
			if tc.dest != "" {
				hdr = append(hdr, "Destination: "+tc.dest)
			}
			r := e.do(t, "alice", tc.method, tc.src, "", hdr...)
			if tc.cond.Local != "" {
				r.condition(t, tc.status, tc.cond)
			} else {
				r.want(t, tc.status)
			}
			if tc.status == http.StatusCreated {
				if loc := r.Header.Get("Location"); loc != e.href(tc.dstPath) && loc != abs(tc.dstPath) {
					t.Errorf("Location %q, want %s", loc, e.href(tc.dstPath))
				}
			}
			src := e.do(t, "alice", "GET", tc.src, "")
			if tc.srcRemain != (src.Status == http.StatusOK) {
				t.Errorf("source after %s: %d (should remain: %v)", tc.method, src.Status, tc.srcRemain)
			}
			if tc.srcRemain && (string(src.Body) != body || src.Header.Get("ETag") != tag) {
				t.Error("the source changed")
			}
			if tc.dstPath != "" {
				d := e.do(t, "alice", "GET", tc.dstPath, "").want(t, http.StatusOK)
				if string(d.Body) != body || d.Header.Get("ETag") != tag {
					t.Errorf("destination holds %q %s, want the source's bytes and ETag %s", d.Body, d.Header.Get("ETag"), tag)
				}
				ms := e.propfind(t, "alice", tc.dstPath[:strings.LastIndex(tc.dstPath, "/")+1], "1", dName("getetag"))
				ms.response(t, tc.dstPath)
			} else {
				if tc.existing != "" {
					if g := e.do(t, "alice", "GET", tc.existing, ""); string(g.Body) != old {
						t.Error("the existing destination was replaced")
					}
				}
				if c, _ := e.syncState(t, "alice", srcColl); c != srcCtag {
					t.Error("a refused MOVE/COPY changed the source collection's getctag")
				}
			}
			if after := e.bobObjects(t); after != bobBefore {
				t.Errorf("bob's collections changed: %d objects, were %d", after, bobBefore)
			}
		})
	}
}

// bobObjects counts the objects in all of bob's collections, read from
// the store directly.
func (e *davEnv) bobObjects(t *testing.T) int {
	t.Helper()
	ctx := t.Context()
	n := 0
	for _, k := range []backend.CollectionKind{backend.KindCalendar, backend.KindAddressBook} {
		cols, err := e.store.ListCollections(ctx, e.users["bob"].ID, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			if err := e.store.ListObjects(ctx, c.ID, false, func(backend.Object) error { n++; return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	return n
}
