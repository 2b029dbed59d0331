package server

import (
	"fmt"
	"maps"
	"net/http"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// snapshot is every collection and object of a user as the store holds
// them: "kind/slug" → display name and sync_seq, "kind/slug/name" → ETag.
func (e *davEnv) snapshot(t *testing.T, user string) map[string]string {
	t.Helper()
	ctx := t.Context()
	out := map[string]string{}
	for _, k := range []backend.CollectionKind{backend.KindCalendar, backend.KindAddressBook} {
		cols, err := e.store.ListCollections(ctx, e.users[user].ID, k)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range cols {
			key := string(k) + "/" + c.Slug
			out[key] = fmt.Sprintf("%q seq %d", c.DisplayName, c.SyncSeq)
			if err := e.store.ListObjects(ctx, c.ID, false, func(o backend.Object) error {
				out[key+"/"+o.Name] = o.ETag
				return nil
			}); err != nil {
				t.Fatal(err)
			}
		}
	}
	return out
}

// Conditional requests on every method (RFC 9110 13.1, RFC 4918 10.4):
// each method honours If-Match, If-None-Match and the If header, checked
// when it writes, and a failed condition is 412 with nothing changed.
func TestDAVConditionsEveryMethod(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	host := strings.TrimPrefix(e.srv.URL, "http://")
	mkcolAB := `<?xml version="1.0" encoding="utf-8"?><D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`
	rename := proppatchSet(`<D:displayname>renamed</D:displayname>`)

	// Placeholders: {c} a calendar of the case holding e.ics, {b} a second
	// one holding e.ics of the same UID, {ab} an address book holding
	// e.vcf, {new} and {abnew} free URLs in the homes; {etag} e.ics's ETag
	// in {c} unquoted, {qetag} quoted, {betag} b's; {host} the server's
	// host. Bodies "v2" and "new" are events of e.ics's UID and another.
	for i, tc := range []struct {
		name, method, path string
		headers            []string
		body               string
		status             int
	}{
		// DELETE of a collection.
		{"DELETE calendar If-Match nomatch", "DELETE", "{c}", []string{`If-Match: "nomatch"`}, "", 412},
		{"DELETE calendar If-Match object's tag", "DELETE", "{c}", []string{`If-Match: {qetag}`}, "", 412},
		{"DELETE calendar If-None-Match *", "DELETE", "{c}", []string{`If-None-Match: *`}, "", 412},
		{"DELETE calendar If-Match *", "DELETE", "{c}", []string{`If-Match: *`}, "", 204},
		{"DELETE calendar If-None-Match list", "DELETE", "{c}", []string{`If-None-Match: "x"`}, "", 204},
		{"DELETE address book If-Match nomatch", "DELETE", "{ab}", []string{`If-Match: "nomatch"`}, "", 412},
		{"DELETE calendar If etag", "DELETE", "{c}", []string{`If: (["nomatch"])`}, "", 412},
		{"DELETE calendar If lock token", "DELETE", "{c}", []string{`If: (<urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2>)`}, "", 412},
		{"DELETE calendar If no-lock", "DELETE", "{c}", []string{`If: (<DAV:no-lock>)`}, "", 412},
		{"DELETE calendar If Not lock token", "DELETE", "{c}", []string{`If: (Not <urn:uuid:181d4fae-7d8c-11d0-a765-00a0c91e6bf2>)`}, "", 204},
		{"DELETE calendar If one list of two holds", "DELETE", "{c}", []string{`If: (<urn:x:lock>) (Not <DAV:no-lock>)`}, "", 204},
		{"DELETE calendar If tagged member's tag", "DELETE", "{c}", []string{`If: <{c}e.ics> (["{etag}"])`}, "", 204},
		{"DELETE calendar If tagged member, absolute", "DELETE", "{c}", []string{`If: <http://{host}{c}e.ics> (["{etag}"])`}, "", 204},
		{"DELETE calendar If tagged member's stale tag", "DELETE", "{c}", []string{`If: <http://{host}{c}e.ics> (["stale"])`}, "", 412},
		{"DELETE calendar If tagged missing resource", "DELETE", "{c}", []string{`If: <{c}missing.ics> (["{etag}"])`}, "", 412},
		{"DELETE calendar If tagged another host", "DELETE", "{c}", []string{`If: <http://other.example{c}e.ics> (["{etag}"])`}, "", 412},
		{"DELETE calendar If malformed", "DELETE", "{c}", []string{`If: (["x"]`}, "", 400},

		// DELETE and PUT of an object.
		{"DELETE object If stale", "DELETE", "{c}e.ics", []string{`If: (["stale"])`}, "", 412},
		{"DELETE object If-None-Match current", "DELETE", "{c}e.ics", []string{`If-None-Match: {qetag}`}, "", 412},
		{"DELETE object If current", "DELETE", "{c}e.ics", []string{`If: (["{etag}"])`}, "", 204},
		{"DELETE object If weak current", "DELETE", "{c}e.ics", []string{`If: ([W/"{etag}"])`}, "", 204},
		{"PUT If stale", "PUT", "{c}e.ics", []string{ctCal, `If: (["stale"])`}, "v2", 412},
		{"PUT If lock token", "PUT", "{c}e.ics", []string{ctCal, `If: (<opaquelocktoken:e71d4fae-5dec-22d6-fea5-00a0c91e6be4>)`}, "v2", 412},
		{"PUT If current", "PUT", "{c}e.ics", []string{ctCal, `If: (["{etag}"])`}, "v2", 204},
		{"PUT If current and Not lock", "PUT", "{c}e.ics", []string{ctCal, `If: (["{etag}"] Not <urn:x:lock>)`}, "v2", 204},
		{"PUT If tagged Request-URI stale", "PUT", "{c}e.ics", []string{ctCal, `If: <{c}e.ics> (["stale"])`}, "v2", 412},
		{"PUT If on a new name", "PUT", "{c}new.ics", []string{ctCal, `If: (["{etag}"])`}, "new", 412},
		{"PUT If Not on a new name", "PUT", "{c}new.ics", []string{ctCal, `If: (Not ["{etag}"])`}, "new", 201},

		// PROPPATCH.
		{"PROPPATCH calendar If-Match nomatch", "PROPPATCH", "{c}", []string{`If-Match: "nomatch"`}, rename, 412},
		{"PROPPATCH calendar If lock token", "PROPPATCH", "{c}", []string{`If: (<urn:x:lock>)`}, rename, 412},
		{"PROPPATCH calendar If-None-Match *", "PROPPATCH", "{c}", []string{`If-None-Match: *`}, rename, 412},
		{"PROPPATCH calendar If-Match *", "PROPPATCH", "{c}", []string{`If-Match: *`}, rename, 207},
		{"PROPPATCH object If-Match stale", "PROPPATCH", "{c}e.ics", []string{`If-Match: "stale"`}, proppatchSet(`<X:n xmlns:X="urn:x">1</X:n>`), 412},
		{"PROPPATCH object If stale", "PROPPATCH", "{c}e.ics", []string{`If: (["stale"])`}, proppatchSet(`<X:n xmlns:X="urn:x">1</X:n>`), 412},
		{"PROPPATCH object If-Match current", "PROPPATCH", "{c}e.ics", []string{`If-Match: {qetag}`}, proppatchSet(`<X:n xmlns:X="urn:x">1</X:n>`), 207},
		{"PROPPATCH refused instruction and failed condition", "PROPPATCH", "{c}", []string{`If-Match: "nomatch"`}, proppatchSet(`<D:getetag>"1"</D:getetag>`), 412},

		// MKCALENDAR and MKCOL.
		{"MKCALENDAR If-None-Match * on an existing URL", "MKCALENDAR", "{c}", []string{`If-None-Match: *`}, "", 412},
		{"MKCALENDAR If-Match * on a new URL", "MKCALENDAR", "{new}", []string{`If-Match: *`}, "", 412},
		{"MKCALENDAR If on a new URL", "MKCALENDAR", "{new}", []string{`If: (["x"])`}, "", 412},
		{"MKCALENDAR If lock on a new URL", "MKCALENDAR", "{new}", []string{`If: (<urn:x:lock>)`}, "", 412},
		{"MKCALENDAR If-None-Match * on a new URL", "MKCALENDAR", "{new}", []string{`If-None-Match: *`}, "", 201},
		{"MKCOL If-Match * on a new URL", "MKCOL", "{abnew}", []string{`If-Match: *`}, mkcolAB, 412},
		{"MKCOL If-None-Match * on an existing URL", "MKCOL", "{ab}", []string{`If-None-Match: *`}, mkcolAB, 412},

		// MOVE and COPY: the source's conditions, and the destination's
		// through a tagged list.
		{"MOVE If stale", "MOVE", "{c}e.ics", []string{`Destination: {c}m.ics`, `If: (["stale"])`}, "", 412},
		{"COPY If stale", "COPY", "{c}e.ics", []string{`Destination: {b}m.ics`, `If: (["stale"])`}, "", 412},
		{"MOVE If Not current", "MOVE", "{c}e.ics", []string{`Destination: {c}m.ics`, `If: (Not ["{etag}"])`}, "", 412},
		{"MOVE If-None-Match *", "MOVE", "{c}e.ics", []string{`Destination: {c}m.ics`, `If-None-Match: *`}, "", 412},
		{"MOVE If current", "MOVE", "{c}e.ics", []string{`Destination: {c}m.ics`, `If: (["{etag}"])`}, "", 201},
		{"MOVE If destination's tag", "MOVE", "{c}e.ics", []string{`Destination: {b}e.ics`, `If: <{b}e.ics> (["{betag}"])`}, "", 204},
		{"MOVE If destination's stale tag", "MOVE", "{c}e.ics", []string{`Destination: {b}e.ics`, `If: <http://{host}{b}e.ics> (["stale"])`}, "", 412},
		{"COPY If destination's tag, Overwrite F", "COPY", "{c}e.ics", []string{`Destination: {b}e.ics`, `Overwrite: F`, `If: <{b}e.ics> (["{betag}"])`}, "", 412},
		{"MOVE If destination absent", "MOVE", "{c}e.ics", []string{`Destination: {c}n.ics`, `If: <{c}n.ics> (["{etag}"])`}, "", 412},
		{"MOVE If destination absent, Not", "MOVE", "{c}e.ics", []string{`Destination: {c}n.ics`, `If: <{c}n.ics> (Not ["{etag}"])`}, "", 201},
		{"MOVE If two tagged lists, the source's holds", "MOVE", "{c}e.ics", []string{`Destination: {c}n.ics`, `If: <{c}n.ics> (["{etag}"]) <{c}e.ics> (["{etag}"])`}, "", 201},
		{"COPY onto a UID holder, If stale", "COPY", "{c}e.ics", []string{`Destination: {b}n.ics`, `If: (["stale"])`}, "", 412},

		// GET and HEAD.
		{"GET If stale", "GET", "{c}e.ics", []string{`If: (["stale"])`}, "", 412},
		{"GET If current", "GET", "{c}e.ics", []string{`If: (["{etag}"])`}, "", 200},
		{"HEAD If-Match stale", "HEAD", "{c}e.ics", []string{`If-Match: "stale"`}, "", 412},
		{"GET calendar If-None-Match *", "GET", "{c}", []string{`If-None-Match: *`}, "", 304},
		{"GET calendar If-Match list", "GET", "{c}", []string{`If-Match: "x"`}, "", 412},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, b, ab := fmt.Sprintf("/calendars/alice/t%d/", i), fmt.Sprintf("/calendars/alice/t%d-b/", i), fmt.Sprintf("/addressbooks/alice/t%d/", i)
			newc, newab := fmt.Sprintf("/calendars/alice/t%d-new/", i), fmt.Sprintf("/addressbooks/alice/t%d-new/", i)
			e.do(t, "alice", "MKCALENDAR", c, "").want(t, http.StatusCreated)
			e.do(t, "alice", "MKCALENDAR", b, "").want(t, http.StatusCreated)
			e.do(t, "alice", "MKCOL", ab, mkcolAB).want(t, http.StatusCreated)
			uid := fmt.Sprintf("cond-%d", i)
			etag := e.put(t, "alice", c+"e.ics", event(uid, "one"), ctCal)
			betag := e.put(t, "alice", b+"e.ics", event(uid, "other"), ctCal)
			e.put(t, "alice", ab+"e.vcf", card(uid, "Card"), ctCard)
			subst := strings.NewReplacer("{c}", e.href(c), "{b}", e.href(b), "{ab}", e.href(ab),
				"{qetag}", etag, "{etag}", strings.Trim(etag, `"`), "{betag}", strings.Trim(betag, `"`), "{host}", host)
			path := strings.NewReplacer("{c}", c, "{b}", b, "{ab}", ab, "{new}", newc, "{abnew}", newab).Replace(tc.path)
			var hdr []string
			for _, h := range tc.headers {
				hdr = append(hdr, subst.Replace(h))
			}
			body := tc.body
			switch body {
			case "v2":
				body = event(uid, "v2")
			case "new":
				body = event(uid+"-new", "new")
			}
			before := e.snapshot(t, "alice")
			r := e.do(t, "alice", tc.method, path, body, hdr...).want(t, tc.status)
			if tc.status >= 400 {
				if after := e.snapshot(t, "alice"); !maps.Equal(before, after) {
					t.Errorf("a refused %s changed the store:\nbefore %v\nafter  %v", tc.method, before, after)
				}
				if r.Header.Get("ETag") != "" && tc.method != "GET" && tc.method != "HEAD" {
					t.Errorf("a refused %s sent ETag %q", tc.method, r.Header.Get("ETag"))
				}
			}
		})
	}
}

// A PUT, COPY or MOVE that would replace an object with data of another
// UID is refused with 403 no-uid-conflict naming the resource it would
// replace (RFC 4791 5.3.2.1, RFC 6352 6.3.2.1), and nothing changes.
func TestDAVNoUIDConflictOnReplace(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	for _, p := range []string{"/calendars/alice/other/", "/addressbooks/alice/other/"} {
		m := "MKCALENDAR"
		if strings.HasPrefix(p, "/addressbooks") {
			m = "MKCOL"
		}
		e.do(t, "alice", m, p, "").want(t, http.StatusCreated)
	}
	for i, tc := range []struct {
		name, method string
		src, target  string // src: created first for COPY/MOVE; target: exists with UID "old"
		cond         string
	}{
		{"PUT event", "PUT", "", "/calendars/alice/default/p.ics", "no-uid-conflict"},
		{"PUT card", "PUT", "", "/addressbooks/alice/default/p.vcf", "no-uid-conflict"},
		{"PUT event If-Match", "PUT", "", "/calendars/alice/default/pm.ics", "no-uid-conflict"},
		{"MOVE event across calendars", "MOVE", "/calendars/alice/default/m.ics", "/calendars/alice/other/m.ics", "no-uid-conflict"},
		{"MOVE event in one calendar", "MOVE", "/calendars/alice/default/m1.ics", "/calendars/alice/default/m2.ics", "no-uid-conflict"},
		{"COPY event", "COPY", "/calendars/alice/default/c.ics", "/calendars/alice/other/c.ics", "no-uid-conflict"},
		{"MOVE card", "MOVE", "/addressbooks/alice/default/m.vcf", "/addressbooks/alice/other/m.vcf", "no-uid-conflict"},
		{"COPY card", "COPY", "/addressbooks/alice/default/c.vcf", "/addressbooks/alice/other/c.vcf", "no-uid-conflict"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			isCard := strings.HasSuffix(tc.target, ".vcf")
			mk := func(uid string) (string, string) {
				if isCard {
					return card(uid, "Card "+uid), ctCard
				}
				return event(uid, "Event "+uid), ctCal
			}
			old, ct := mk(fmt.Sprintf("old-%d", i))
			oldTag := e.put(t, "alice", tc.target, old, ct)
			newer, _ := mk(fmt.Sprintf("new-%d", i))
			var hdr []string
			if tc.src != "" {
				e.put(t, "alice", tc.src, newer, ct)
				hdr = append(hdr, "Destination: "+e.href(tc.target), "Overwrite: T")
			} else {
				hdr = append(hdr, ct)
				if strings.HasSuffix(tc.name, "If-Match") {
					hdr = append(hdr, "If-Match: "+oldTag)
				}
			}
			before := e.snapshot(t, "alice")
			path, body := tc.target, newer
			if tc.src != "" {
				path, body = tc.src, ""
			}
			r := e.do(t, "alice", tc.method, path, body, hdr...)
			name := cName(tc.cond)
			if isCard {
				name = crName(tc.cond)
			}
			c := r.condition(t, http.StatusForbidden, name)
			want := e.href(tc.target)
			if got := c.hrefs(); len(got) != 1 || (got[0] != want && got[0] != e.srv.URL+want) {
				t.Errorf("%s names %q, want %s", tc.cond, got, want)
			}
			if after := e.snapshot(t, "alice"); !maps.Equal(before, after) {
				t.Errorf("a refused %s changed the store:\nbefore %v\nafter  %v", tc.method, before, after)
			}
			if g := e.do(t, "alice", "GET", tc.target, "").want(t, http.StatusOK); string(g.Body) != old || g.Header.Get("ETag") != oldTag {
				t.Errorf("the target changed: %q %s", g.Body, g.Header.Get("ETag"))
			}
			// The same UID replaces as before.
			if tc.src == "" {
				same := strings.NewReplacer("Card ", "Renamed ", "Event ", "Renamed ").Replace(old)
				e.do(t, "alice", "PUT", tc.target, same, ct).want(t, http.StatusNoContent)
			}
		})
	}
}

// An If header's Resource-Tags are resolved like a Destination: below the
// base path, as an absolute URL on this host or as a path; a tag without
// the base path names nothing pgdav serves.
func TestDAVIfHeaderTagsBelowBasePath(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{basePath: "/dav"}, "alice")
	host := strings.TrimPrefix(e.srv.URL, "http://")
	for i, tc := range []struct {
		name, tag string
		status    int
	}{
		{"path below the base path", "/dav{c}e.ics", 204},
		{"percent-encoded", "/dav{c}%65.ics", 204},
		{"absolute URL", "http://{host}/dav{c}e.ics", 204},
		{"user name in another case", "/dav{C}e.ics", 204},
		{"without the base path", "{c}e.ics", 412},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fmt.Sprintf("/calendars/alice/b%d/", i)
			e.do(t, "alice", "MKCALENDAR", c, "").want(t, http.StatusCreated)
			etag := e.put(t, "alice", c+"e.ics", event(fmt.Sprintf("base-%d", i), "x"), ctCal)
			tag := strings.NewReplacer("{c}", c, "{C}", strings.Replace(c, "alice", "Alice", 1), "{host}", host).Replace(tc.tag)
			before := e.snapshot(t, "alice")
			e.do(t, "alice", "DELETE", c, "", "If: <"+tag+"> (["+etag+"])").want(t, tc.status)
			if tc.status != 204 {
				if after := e.snapshot(t, "alice"); !maps.Equal(before, after) {
					t.Errorf("a refused DELETE changed the store")
				}
			}
		})
	}
}
