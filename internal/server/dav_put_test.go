package server

import (
	"bytes"
	"encoding/xml"
	"html"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
)

var strongETag = regexp.MustCompile(`^"[^"\s]+"$`)

// PUT stores the client's bytes as they are and answers with their strong
// ETag, the same string GET and PROPFIND give; identical bytes keep it.
func TestDAVPutVerbatim(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	long := "DESCRIPTION:" + strings.Repeat("Lorem ipsum dolor sit amet, ", 6)
	for _, tc := range []struct {
		name, path, ct, body, wantCT string
	}{
		{"event", "/calendars/alice/default/e1.ics", ctCal, event("v-1", "Plain"), "text/calendar; charset=utf-8; component=vevent"},
		{"folded, odd case, X- properties", "/calendars/alice/default/e2.ics", "Content-Type: text/calendar",
			crlf("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Odd//Client//EN", "X-WR-CALNAME:Mine", "BEGIN:VEVENT", "UID:v-2",
				"dtstamp:20260101T000000Z", "DTSTART;TZID=Europe/Berlin:20260105T100000", "SUMMARY:Grüße, \\; escaped",
				long[:75], " "+long[75:], "X-APPLE-TRAVEL-ADVISORY-BEHAVIOR:AUTOMATIC", "END:VEVENT", "END:VCALENDAR"),
			"text/calendar; charset=utf-8; component=vevent"},
		{"LF line ends, no final newline", "/calendars/alice/default/e3.ics", "",
			"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:x\nBEGIN:VTODO\nUID:v-3\nSUMMARY:LF\nEND:VTODO\nEND:VCALENDAR", "text/calendar; charset=utf-8; component=vtodo"},
		{"vCard 3.0", "/addressbooks/alice/default/c1.vcf", ctCard, card("v-c1", "Ann Example"), "text/vcard; charset=utf-8"},
		{"vCard 4.0", "/addressbooks/alice/default/c2.vcf", "Content-Type: text/vcard; version=4.0",
			crlf("BEGIN:VCARD", "VERSION:4.0", "UID:urn:uuid:v-c2", "FN:Bo Example", "EMAIL;TYPE=work:bo@example.org", "END:VCARD"), "text/vcard; charset=utf-8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var hdr []string
			if tc.ct != "" {
				hdr = append(hdr, tc.ct)
			}
			r := e.do(t, "alice", "PUT", tc.path, tc.body, hdr...).want(t, http.StatusCreated)
			etag := r.Header.Get("ETag")
			if !strongETag.MatchString(etag) {
				t.Fatalf("ETag %q is not a quoted strong tag", etag)
			}
			g := e.do(t, "alice", "GET", tc.path, "").want(t, http.StatusOK)
			if !bytes.Equal(g.Body, []byte(tc.body)) {
				t.Errorf("GET returns %q, want the bytes sent %q", g.Body, tc.body)
			}
			if g.Header.Get("ETag") != etag {
				t.Errorf("GET ETag %q, PUT said %q", g.Header.Get("ETag"), etag)
			}
			if g.Header.Get("Content-Type") != tc.wantCT {
				t.Errorf("Content-Type %q, want %q", g.Header.Get("Content-Type"), tc.wantCT)
			}
			if p, _ := e.propOf(t, "alice", tc.path, dName("getetag")); p == nil || p.Text != etag {
				t.Errorf("getetag %v, want %q", p, etag)
			}
			// The same bytes again: 204, the same tag.
			if again := e.do(t, "alice", "PUT", tc.path, tc.body, hdr...).want(t, http.StatusNoContent); again.Header.Get("ETag") != etag {
				t.Errorf("unchanged PUT: ETag %q, want %q", again.Header.Get("ETag"), etag)
			}
			// Other bytes: 204, another tag.
			nl := "\n"
			if strings.Contains(tc.body, "\r\n") {
				nl = "\r\n"
			}
			changed := strings.Replace(tc.body, "UID:", "X-CHANGED:1"+nl+"UID:", 1)
			c := e.do(t, "alice", "PUT", tc.path, changed, hdr...).want(t, http.StatusNoContent)
			if c.Header.Get("ETag") == etag || !strongETag.MatchString(c.Header.Get("ETag")) {
				t.Errorf("changed PUT: ETag %q (was %q)", c.Header.Get("ETag"), etag)
			}
			if g := e.do(t, "alice", "GET", tc.path, ""); !bytes.Equal(g.Body, []byte(changed)) {
				t.Errorf("GET after the change returns %q", g.Body)
			}
		})
	}
	// PUT outside a collection.
	e.do(t, "alice", "PUT", "/calendars/alice/missing/x.ics", event("v-x", "x"), ctCal).want(t, http.StatusConflict)
	e.do(t, "alice", "PUT", "/calendars/alice/default/", event("v-y", "x"), ctCal).want(t, http.StatusMethodNotAllowed)
}

// A refused PUT answers 403 with the RFC's precondition element (412 for
// a failed If-Match / If-None-Match) and changes nothing: the old bytes,
// the old ETag, the old getctag.
func TestDAVPutPreconditions(t *testing.T) {
	t.Parallel()
	const limit = 4096
	e := newDAVEnv(t, envConfig{maxResourceSize: limit}, "alice")
	alice := e.users["alice"]
	if _, err := e.store.CreateCollection(t.Context(), alice.ID,
		backend.Collection{Kind: backend.KindCalendar, Slug: "events", Components: []string{"VEVENT"}}, nil); err != nil {
		t.Fatal(err)
	}
	const (
		cal    = "/calendars/alice/default/"
		events = "/calendars/alice/events/"
		ab     = "/addressbooks/alice/default/"
	)
	e.put(t, "alice", cal+"taken%20uid.ics", event("uid-taken", "Holder"), ctCal)
	e.put(t, "alice", ab+"taken.vcf", card("card-taken", "Holder"), ctCard)
	big := event("big", strings.Repeat("x", limit))
	bigCard := card("big-card", strings.Repeat("y", limit))
	notCal := "this is not iCalendar\r\n"

	for _, tc := range []struct {
		name    string
		coll    string
		ext     string
		old     string
		body    string
		headers []string
		chunked bool
		status  int
		cond    xml.Name
		href    string // the no-uid-conflict href
	}{
		{"garbage", cal, ".ics", event("p-1", "old"), notCal, []string{ctCal}, false, 403, cName("valid-calendar-data"), ""},
		{"unterminated", cal, ".ics", event("p-2", "old"), "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:p-2\r\n", []string{ctCal}, false, 403, cName("valid-calendar-data"), ""},
		{"two UIDs", cal, ".ics", event("p-3", "old"), crlf("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:x", "BEGIN:VEVENT", "UID:a", "DTSTART:20260101T000000Z", "END:VEVENT", "BEGIN:VEVENT", "UID:b", "DTSTART:20260102T000000Z", "END:VEVENT", "END:VCALENDAR"), []string{ctCal}, false, 403, cName("valid-calendar-object-resource"), ""},
		{"METHOD", cal, ".ics", event("p-4", "old"), strings.Replace(event("p-4", "new"), "VERSION:2.0", "VERSION:2.0\r\nMETHOD:REQUEST", 1), []string{ctCal}, false, 403, cName("valid-calendar-object-resource"), ""},
		{"VTODO in a VEVENT calendar", events, ".ics", event("p-5", "old"), todo("p-5", "new"), []string{ctCal}, false, 403, cName("supported-calendar-component"), ""},
		{"media type", cal, ".ics", event("p-6", "old"), event("p-6", "new"), []string{"Content-Type: application/json"}, false, 403, cName("supported-calendar-data"), ""},
		{"charset", cal, ".ics", event("p-7", "old"), event("p-7", "new"), []string{"Content-Type: text/calendar; charset=iso-8859-1"}, false, 403, cName("supported-calendar-data"), ""},
		{"UID conflict", cal, ".ics", event("p-8", "old"), event("uid-taken", "new"), []string{ctCal}, false, 403, cName("no-uid-conflict"), cal + "taken%20uid.ics"},
		{"too large", cal, ".ics", event("p-9", "old"), big, []string{ctCal}, false, 403, cName("max-resource-size"), ""},
		{"too large, chunked", cal, ".ics", event("p-10", "old"), big, []string{ctCal}, true, 403, cName("max-resource-size"), ""},
		{"If-Match mismatch", cal, ".ics", event("p-11", "old"), event("p-11", "new"), []string{ctCal, `If-Match: "not-the-etag"`}, false, 412, xml.Name{}, ""},
		{"If-None-Match *", cal, ".ics", event("p-12", "old"), event("p-12", "new"), []string{ctCal, "If-None-Match: *"}, false, 412, xml.Name{}, ""},
		{"card garbage", ab, ".vcf", card("p-13", "Old"), notCal, []string{ctCard}, false, 403, crName("valid-address-data"), ""},
		{"card without END", ab, ".vcf", card("p-14", "Old"), "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:p-14\r\nFN:x\r\n", []string{ctCard}, false, 403, crName("valid-address-data"), ""},
		{"card UID conflict", ab, ".vcf", card("p-15", "Old"), card("card-taken", "New"), []string{ctCard}, false, 403, crName("no-uid-conflict"), ab + "taken.vcf"},
		{"card too large", ab, ".vcf", card("p-16", "Old"), bigCard, []string{ctCard}, false, 403, crName("max-resource-size"), ""},
		{"card too large, chunked", ab, ".vcf", card("p-17", "Old"), bigCard, []string{ctCard}, true, 403, crName("max-resource-size"), ""},
		{"card If-Match", ab, ".vcf", card("p-18", "Old"), card("p-18", "New"), []string{ctCard, `If-Match: "nope"`}, false, 412, xml.Name{}, ""},
		{"card If-None-Match *", ab, ".vcf", card("p-19", "Old"), card("p-19", "New"), []string{ctCard, "If-None-Match: *"}, false, 412, xml.Name{}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.coll + strings.ReplaceAll(tc.name, " ", "-") + tc.ext
			ct := ctCal
			if tc.ext == ".vcf" {
				ct = ctCard
			}
			oldTag := e.put(t, "alice", path, tc.old, ct)
			ctag, token := e.syncState(t, "alice", tc.coll)

			var body io.Reader = strings.NewReader(tc.body)
			if tc.chunked {
				body = io.MultiReader(strings.NewReader(tc.body))
			}
			r := e.send(t, "alice", "PUT", e.base+path, body, tc.headers...)
			if tc.cond.Local != "" {
				c := r.condition(t, tc.status, tc.cond)
				if tc.href != "" {
					if got := c.hrefs(); len(got) != 1 || (got[0] != tc.href && got[0] != e.srv.URL+tc.href) {
						t.Errorf("%s names %q, want %s", nameStr(tc.cond), got, tc.href)
					}
				}
			} else {
				r.want(t, tc.status)
			}
			if r.Header.Get("ETag") != "" {
				t.Errorf("a refused PUT sent ETag %q", r.Header.Get("ETag"))
			}
			g := e.do(t, "alice", "GET", path, "").want(t, http.StatusOK)
			if string(g.Body) != tc.old || g.Header.Get("ETag") != oldTag {
				t.Errorf("after the refused PUT: %q %s, want the old bytes and %s", g.Body, g.Header.Get("ETag"), oldTag)
			}
			if c, s := e.syncState(t, "alice", tc.coll); c != ctag || s != token {
				t.Errorf("getctag/sync-token changed by a refused PUT: %s→%s, %s→%s", ctag, c, token, s)
			}
			// Refused on a new name, it creates nothing.
			fresh := tc.coll + "fresh-" + strings.ReplaceAll(tc.name, " ", "-") + tc.ext
			hdr := tc.headers
			if tc.name == "If-None-Match *" || tc.name == "card If-None-Match *" {
				return // succeeds on a new name, by definition
			}
			e.send(t, "alice", "PUT", e.base+fresh, strings.NewReader(tc.body), hdr...).want(t, tc.status)
			e.do(t, "alice", "GET", fresh, "").want(t, http.StatusNotFound)
		})
	}
	if p, _ := e.propOf(t, "alice", cal, cName("max-resource-size")); p == nil || p.Text != strconv.Itoa(limit) {
		t.Errorf("max-resource-size %v, want %d", p, limit)
	}
}

// If-Match and If-None-Match on PUT (RFC 9110 13.1).
func TestDAVPutConditional(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	p := "/calendars/alice/default/cond.ics"
	v1 := event("cond-1", "one")
	r := e.do(t, "alice", "PUT", p, v1, ctCal, "If-None-Match: *").want(t, http.StatusCreated)
	tag := r.Header.Get("ETag")
	for _, tc := range []struct {
		header string
		status int
	}{
		{"If-None-Match: *", 412},
		{"If-Match: \"wrong\"", 412},
		{"If-None-Match: " + tag, 412},
		{"If-Match: " + tag, 204},
		{"If-Match: W/" + tag, 204},                  // W/ stripped, opaque parts compared
		{"If-Match: \"a\", " + tag + ", \"b\"", 204}, // a list
		{"If-Match: *", 204},
		{"If-Match: " + strings.Trim(tag, `"`), 204},          // unquoted
		{`If-Match: \"` + strings.Trim(tag, `"`) + `\"`, 204}, // old Evolution's escapes
		{"If-None-Match: \"other\"", 204},
	} {
		r := e.do(t, "alice", "PUT", p, v1, ctCal, tc.header)
		if r.Status != tc.status {
			t.Errorf("%s: %d, want %d", tc.header, r.Status, tc.status)
		}
	}
	// If-Match on a missing resource fails and creates nothing.
	e.do(t, "alice", "PUT", "/calendars/alice/default/none.ics", event("cond-2", "x"), ctCal, "If-Match: *").want(t, http.StatusPreconditionFailed)
	e.do(t, "alice", "GET", "/calendars/alice/default/none.ics", "").want(t, http.StatusNotFound)
	// Unconditional writes (Thunderbird CardDAV) need no precondition.
	e.do(t, "alice", "PUT", p, event("cond-1", "two"), ctCal).want(t, http.StatusNoContent)
}

// GET and HEAD return the stored bytes with their validators, honour
// If-None-Match, and a collection is a short HTML listing.
func TestDAVGetHead(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	ev, vc := event("get-1", "Get"), card("get-c", "Get Card")
	before := time.Now().Add(-2 * time.Second)
	evTag := e.put(t, "alice", "/calendars/alice/default/get%20me.ics", ev, ctCal)
	vcTag := e.put(t, "alice", "/addressbooks/alice/default/c.vcf", vc, ctCard)
	e.put(t, "alice", "/calendars/alice/default/a&b%3Cc%3E.ics", event("get-2", "Escaped"), ctCal)

	for _, tc := range []struct {
		path, body, etag, ct string
	}{
		{"/calendars/alice/default/get%20me.ics", ev, evTag, "text/calendar; charset=utf-8; component=vevent"},
		{"/addressbooks/alice/default/c.vcf", vc, vcTag, "text/vcard; charset=utf-8"},
	} {
		g := e.do(t, "alice", "GET", tc.path, "").want(t, http.StatusOK)
		if string(g.Body) != tc.body || g.Header.Get("ETag") != tc.etag || g.Header.Get("Content-Type") != tc.ct {
			t.Errorf("GET %s: %q, ETag %q, Content-Type %q", tc.path, g.Body, g.Header.Get("ETag"), g.Header.Get("Content-Type"))
		}
		lm, err := http.ParseTime(g.Header.Get("Last-Modified"))
		if err != nil || lm.Before(before.Truncate(time.Second)) || lm.After(time.Now().Add(time.Minute)) {
			t.Errorf("GET %s: Last-Modified %q", tc.path, g.Header.Get("Last-Modified"))
		}
		h := e.do(t, "alice", "HEAD", tc.path, "").want(t, http.StatusOK)
		if len(h.Body) != 0 || h.Header.Get("ETag") != tc.etag || h.Header.Get("Content-Type") != tc.ct ||
			h.Header.Get("Content-Length") != strconv.Itoa(len(tc.body)) || h.Header.Get("Last-Modified") != g.Header.Get("Last-Modified") {
			t.Errorf("HEAD %s: body %q, headers %v", tc.path, h.Body, h.Header)
		}
		for _, inm := range []string{tc.etag, "*", `"x", ` + tc.etag} {
			for _, m := range []string{"GET", "HEAD"} {
				r := e.do(t, "alice", m, tc.path, "", "If-None-Match: "+inm).want(t, http.StatusNotModified)
				if len(r.Body) != 0 || r.Header.Get("ETag") != tc.etag {
					t.Errorf("%s If-None-Match %s: body %q, ETag %q", m, inm, r.Body, r.Header.Get("ETag"))
				}
			}
		}
		if r := e.do(t, "alice", "GET", tc.path, "", `If-None-Match: "other"`).want(t, http.StatusOK); string(r.Body) != tc.body {
			t.Errorf("If-None-Match other: %q", r.Body)
		}
	}
	e.do(t, "alice", "GET", "/calendars/alice/default/missing.ics", "").want(t, http.StatusNotFound)
	e.do(t, "alice", "HEAD", "/calendars/alice/default/missing.ics", "").want(t, http.StatusNotFound)

	// Collections: an HTML page linking the members by their hrefs.
	for _, tc := range []struct {
		path  string
		links []string
	}{
		{"/calendars/alice/default/", []string{"/calendars/alice/default/get%20me.ics", "/calendars/alice/default/a&b%3Cc%3E.ics"}},
		{"/calendars/alice/", []string{"/calendars/alice/default/"}},
		{"/addressbooks/alice/default/", []string{"/addressbooks/alice/default/c.vcf"}},
	} {
		g := e.do(t, "alice", "GET", tc.path, "").want(t, http.StatusOK)
		if ct := g.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET %s: Content-Type %q", tc.path, ct)
		}
		for _, l := range tc.links {
			if !strings.Contains(string(g.Body), `href="`+html.EscapeString(l)+`"`) {
				t.Errorf("GET %s: no link to %s in\n%s", tc.path, l, g.Body)
			}
		}
		if strings.Contains(string(g.Body), "<c>") {
			t.Errorf("GET %s: unescaped markup from a member name", tc.path)
		}
		if h := e.do(t, "alice", "HEAD", tc.path, "").want(t, http.StatusOK); len(h.Body) != 0 {
			t.Errorf("HEAD %s has a body", tc.path)
		}
	}
}
