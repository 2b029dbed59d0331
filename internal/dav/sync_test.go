package dav

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

func TestParseSyncCollection(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, body string
		want       syncRequest
		props      []xml.Name
		status     int
	}{
		{name: "DAVx5", body: `<?xml version='1.0' encoding='UTF-8' ?><sync-collection xmlns="DAV:"><sync-token></sync-token><sync-level>1</sync-level><prop><getetag /><resourcetype /></prop></sync-collection>`,
			props: []xml.Name{DAVName("getetag"), DAVName("resourcetype")}},
		{name: "token trimmed, OS X 10.7 without sync-level", body: `<A:sync-collection xmlns:A="DAV:"><A:sync-token>
			urn:pgdav:sync:1:2 </A:sync-token><A:prop><A:getetag/></A:prop></A:sync-collection>`,
			want: syncRequest{token: "urn:pgdav:sync:1:2"}, props: []xml.Name{DAVName("getetag")}},
		{name: "infinite, limit, data, duplicates once", body: `<D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:sync-token/><D:sync-level>infinite</D:sync-level>
			<D:limit><D:nresults> 25 </D:nresults></D:limit><D:prop><C:calendar-data><C:comp name="VCALENDAR"/></C:calendar-data><D:getetag/><D:getetag/></D:prop><D:unknown/></D:sync-collection>`,
			want: syncRequest{infinite: true, limit: 25}, props: []xml.Name{CalDAVName("calendar-data"), DAVName("getetag")}},
		{name: "huge nresults", body: `<sync-collection xmlns="DAV:"><sync-token/><limit><nresults>99999999999999</nresults></limit></sync-collection>`,
			want: syncRequest{limit: MaxNResults}},
		{name: "empty", body: ``, status: 400},
		{name: "other root", body: `<propfind xmlns="DAV:"/>`, status: 400},
		{name: "level 2", body: `<sync-collection xmlns="DAV:"><sync-token/><sync-level>2</sync-level></sync-collection>`, status: 400},
		{name: "two tokens", body: `<sync-collection xmlns="DAV:"><sync-token/><sync-token/></sync-collection>`, status: 400},
		{name: "nresults 0", body: `<sync-collection xmlns="DAV:"><limit><nresults>0</nresults></limit></sync-collection>`, status: 400},
		{name: "nresults -1", body: `<sync-collection xmlns="DAV:"><limit><nresults>-1</nresults></limit></sync-collection>`, status: 400},
		{name: "limit without nresults", body: `<sync-collection xmlns="DAV:"><limit/></sync-collection>`, status: 400},
		{name: "element in token", body: `<sync-collection xmlns="DAV:"><sync-token><x/></sync-token></sync-collection>`, status: 400},
		{name: "truncated", body: `<sync-collection xmlns="DAV:"><sync-token>`, status: 400},
		{name: "text after", body: `<sync-collection xmlns="DAV:"/>x`, status: 400},
	} {
		req, err := parseSyncCollection([]byte(tc.body))
		if tc.status != 0 {
			if de, ok := err.(*Error); !ok || de.Status != tc.status {
				t.Errorf("%s: err = %v, want %d", tc.name, err, tc.status)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		var names []xml.Name
		for _, p := range req.props {
			names = append(names, p.Name)
		}
		if req.token != tc.want.token || req.infinite != tc.want.infinite || req.limit != tc.want.limit || len(names) != len(tc.props) {
			t.Errorf("%s: %+v, props %v", tc.name, req, names)
			continue
		}
		for i := range names {
			if names[i] != tc.props[i] {
				t.Errorf("%s: props %v, want %v", tc.name, names, tc.props)
			}
		}
	}
}

func TestSyncTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id, seq int64
		after   string
	}{{1, 0, ""}, {42, 7, ""}, {9223372036854775807, 9223372036854775807, ""}, {3, 5, "imp-001.ics"}, {3, 5, "ünï cödé:/?#.vcf"}} {
		tok := syncPageToken(tc.id, tc.seq, tc.after)
		if strings.ContainsAny(tok, " /?#[]@") || !strings.HasPrefix(tok, "urn:") {
			t.Errorf("token %q is not an opaque URN", tok)
		}
		id, seq, after, ok := parseSyncToken(tok)
		if !ok || id != tc.id || seq != tc.seq || after != tc.after {
			t.Errorf("%q → %d %d %q %v", tok, id, seq, after, ok)
		}
	}
	for _, bad := range []string{"", "urn:pgdav:sync:", "urn:pgdav:sync:1", "urn:pgdav:sync:1:", "urn:pgdav:sync:0:1", "urn:pgdav:sync:-1:1",
		"urn:pgdav:sync:1:-1", "urn:pgdav:sync:01:1", "urn:pgdav:sync:+1:1", "urn:pgdav:sync:1:1:", "urn:pgdav:sync:1:1:*",
		"urn:pgdav:sync:1:1:YQ=", "urn:pgdav:sync:home:1:calendar:00", "URN:PGDAV:SYNC:1:1", "http://invalid.example/sync/1",
		"b905a5fd-ce23-4190-9be3-236969d071a8", "urn:pgdav:sync:1:99999999999999999999"} {
		if _, _, _, ok := parseSyncToken(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Sync tokens come from clients: anything parses without panic, and what
// is accepted is exactly a token syncPageToken makes.
func FuzzParseSyncToken(f *testing.F) {
	for _, s := range []string{"urn:pgdav:sync:1:2", "urn:pgdav:sync:1:2:YQ", "urn:pgdav:sync:home:1:calendar:ab", "", "http://invalid.example/sync/999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, seq, after, ok := parseSyncToken(s)
		if ok && syncPageToken(id, seq, after) != s {
			t.Fatalf("%q accepted as %d %d %q, which is %q", s, id, seq, after, syncPageToken(id, seq, after))
		}
	})
}

func FuzzParseSyncCollection(f *testing.F) {
	addFixtureSeeds(f)
	f.Add(`<sync-collection xmlns="DAV:"><sync-token/><sync-level>1</sync-level><limit><nresults>3</nresults></limit><prop><getetag/></prop></sync-collection>`)
	f.Fuzz(func(t *testing.T, body string) {
		req, err := parseSyncCollection([]byte(body))
		if err != nil {
			if de, ok := err.(*Error); !ok || de.Status != http.StatusBadRequest && de.Status != http.StatusRequestEntityTooLarge {
				t.Fatalf("error %T %v is not a 400 *Error", err, err)
			}
			return
		}
		if req.limit < 0 || req.limit > MaxNResults {
			t.Fatalf("limit %d", req.limit)
		}
	})
}

// Home tokens name the owner, the kind and a revision of the home's
// change log; the digests pgdav gave homes before (24 hex digits where
// the revision is) never parse, so their clients list the home again.
func TestHomeSyncTokens(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		id   int64
		kind backend.CollectionKind
		seq  int64
	}{{1, backend.KindCalendar, 0}, {42, backend.KindAddressBook, 7}, {9223372036854775807, backend.KindCalendar, 9223372036854775807}} {
		tok := homeSyncToken(tc.id, tc.kind, tc.seq)
		if strings.ContainsAny(tok, " /?#[]@") || !strings.HasPrefix(tok, "urn:") {
			t.Errorf("token %q is not an opaque URN", tok)
		}
		if _, _, _, ok := parseSyncToken(tok); ok {
			t.Errorf("home token %q read as a collection's", tok)
		}
		id, kind, seq, ok := parseHomeSyncToken(tok)
		if !ok || id != tc.id || kind != tc.kind || seq != tc.seq {
			t.Errorf("%q → %d %s %d %v", tok, id, kind, seq, ok)
		}
	}
	for _, bad := range []string{"", "urn:pgdav:sync:home:", "urn:pgdav:sync:home:1:calendar", "urn:pgdav:sync:home:1:calendar:",
		// digests of the home's state, as pgdav issued them before 0008
		"urn:pgdav:sync:home:1:calendar:3f2a9c0b11d4e5f60718293a", "urn:pgdav:sync:home:1:calendar:000000000000000000000123",
		"urn:pgdav:sync:home:1:calendar:123456789012345678901234",
		"urn:pgdav:sync:home:0:calendar:1", "urn:pgdav:sync:home:1:calendars:1", "urn:pgdav:sync:home:1:Calendar:1",
		"urn:pgdav:sync:home:1:calendar:-1", "urn:pgdav:sync:home:1:calendar:01", "urn:pgdav:sync:home:01:calendar:1",
		"urn:pgdav:sync:home:1:calendar:1:", "urn:pgdav:sync:home:1:calendar:1:YQ", "urn:pgdav:sync:1:1"} {
		if _, _, _, ok := parseHomeSyncToken(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

// Home tokens come from clients too: anything parses without panic, and
// what is accepted is exactly a token homeSyncToken makes.
func FuzzParseHomeSyncToken(f *testing.F) {
	for _, s := range []string{"urn:pgdav:sync:home:1:calendar:2", "urn:pgdav:sync:home:7:addressbook:0",
		"urn:pgdav:sync:home:1:calendar:3f2a9c0b11d4e5f60718293a", "", "urn:pgdav:sync:1:2"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, kind, seq, ok := parseHomeSyncToken(s)
		if ok && homeSyncToken(id, kind, seq) != s {
			t.Fatalf("%q accepted as %d %s %d, which is %q", s, id, kind, seq, homeSyncToken(id, kind, seq))
		}
	})
}
