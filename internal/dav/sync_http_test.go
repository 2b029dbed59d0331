package dav_test

import (
	"encoding/xml"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
	"github.com/pgdav/pgdav/internal/davtest"
	"github.com/pgdav/pgdav/internal/server"
)

// The sync-collection REPORT (RFC 6578) over HTTP, on calendars, address
// books and their homes.

const (
	syncCal  = "/calendars/alice/default/"
	syncBook = "/addressbooks/alice/default/"
)

// The create → sync → change and delete → sync cycle, on a calendar and
// on an address book, with the tokens checked against PROPFIND's.
func TestSyncCollection(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	for _, tc := range []struct {
		coll, ext, ct, contentType string
		body                       func(uid, text string) string
	}{
		{syncCal, ".ics", davtest.CTCal, "text/calendar", davtest.Event},
		{syncBook, ".vcf", davtest.CTCard, "text/vcard", davtest.Card},
	} {
		t.Run(tc.coll, func(t *testing.T) {
			href := func(n string) string { return e.Href(tc.coll + n + tc.ext) }
			// A new collection: no member, the token PROPFIND shows.
			first := e.Sync(t, "alice", tc.coll, davtest.SyncXML("", "1", "", davtest.EtagProps))
			if len(first.Responses) != 0 {
				t.Fatalf("empty collection: %s", first.Raw)
			}
			if _, tok := e.SyncState(t, "alice", tc.coll); tok != first.Token {
				t.Fatalf("sync-token %s, PROPFIND says %s", first.Token, tok)
			}
			etags := map[string]string{}
			for _, n := range []string{"a", "b", "c"} {
				etags[href(n)] = e.Put(t, "alice", tc.coll+n+tc.ext, tc.body("sync-"+n, n), tc.ct)
			}
			initial := e.Sync(t, "alice", tc.coll, davtest.SyncXML("", "1", "", davtest.EtagProps))
			davtest.Golden(t, "sync-collection/initial"+tc.ext+".xml", &davtest.Resp{Req: "sync-collection " + tc.coll, Body: initial.Raw})
			if got := initial.Members(t); !maps.Equal(got, etags) {
				t.Fatalf("initial sync = %v, want %v", got, etags)
			}
			for _, r := range initial.Responses {
				if ct := r.Found(t, davtest.DName("getcontenttype")).Text; !strings.HasPrefix(ct, tc.contentType) {
					t.Errorf("%s: getcontenttype %q", r.Href, ct)
				}
			}
			if len(initial.Deleted(t)) != 0 {
				t.Fatal("an initial sync reports deletions")
			}
			ctag, tok := e.SyncState(t, "alice", tc.coll)
			if tok != initial.Token {
				t.Fatalf("sync-token %s, PROPFIND says %s", initial.Token, tok)
			}
			// Nothing changed: nothing reported, the same token.
			again := e.Sync(t, "alice", tc.coll, davtest.SyncXML(initial.Token, "1", "", davtest.EtagProps))
			if len(again.Responses) != 0 || again.Token != initial.Token {
				t.Fatalf("unchanged: %s", again.Raw)
			}

			e.Put(t, "alice", tc.coll+"a"+tc.ext, tc.body("sync-a", "a2"), tc.ct)
			aTag := e.Put(t, "alice", tc.coll+"a"+tc.ext, tc.body("sync-a", "a3"), tc.ct)
			e.Do(t, "alice", "DELETE", tc.coll+"b"+tc.ext, "").Want(t, http.StatusNoContent)
			dTag := e.Put(t, "alice", tc.coll+"d"+tc.ext, tc.body("sync-d", "d"), tc.ct)
			e.Put(t, "alice", tc.coll+"e"+tc.ext, tc.body("sync-e", "e"), tc.ct)
			e.Do(t, "alice", "DELETE", tc.coll+"e"+tc.ext, "").Want(t, http.StatusNoContent)
			delta := e.Sync(t, "alice", tc.coll, davtest.SyncXML(initial.Token, "1", "", davtest.EtagProps))
			if got, want := delta.Members(t), map[string]string{href("a"): aTag, href("d"): dTag}; !maps.Equal(got, want) {
				t.Fatalf("delta members = %v, want %v", got, want)
			}
			// e was created and deleted since: RFC 6578 3.5.2 lets it be reported as deleted.
			if got := delta.Deleted(t); !slices.Equal(got, []string{href("b"), href("e")}) {
				t.Fatalf("delta deletions = %v", got)
			}
			if ctag2, tok := e.SyncState(t, "alice", tc.coll); tok != delta.Token || ctag2 == ctag || delta.Token == initial.Token {
				t.Fatalf("after changes: token %s (PROPFIND %s), getctag %s → %s", delta.Token, tok, ctag, ctag2)
			}
			// The old token still works and gives the same delta.
			old := e.Sync(t, "alice", tc.coll, davtest.SyncXML(initial.Token, "1", "", davtest.EtagProps))
			if !maps.Equal(old.Members(t), delta.Members(t)) || !slices.Equal(old.Deleted(t), delta.Deleted(t)) || old.Token != delta.Token {
				t.Fatalf("the old token again: %s", old.Raw)
			}
			// A property change gives a new token and no member.
			e.Do(t, "alice", "PROPPATCH", tc.coll, davtest.ProppatchSet(`<D:displayname>Renamed</D:displayname>`)).Want(t, http.StatusMultiStatus)
			props := e.Sync(t, "alice", tc.coll, davtest.SyncXML(delta.Token, "1", "", davtest.EtagProps))
			if len(props.Responses) != 0 || props.Token == delta.Token {
				t.Fatalf("after PROPPATCH: %s", props.Raw)
			}
			// A client that applies every answer ends with the collection.
			v := davtest.SyncView{}
			e.Pull(t, "alice", tc.coll, "", v, 0)
			if want := e.Truth(t, "alice", tc.coll); !maps.Equal(v, want) {
				t.Fatalf("view %v, collection %v", v, want)
			}
		})
	}
}

// The data properties come shaped as the type's REPORTs shape them:
// calendar-data with a comp selection, address-data converted to another
// vCard version; other properties in the order asked, unknown ones 404;
// dead properties of the members included.
func TestSyncCollectionData(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	e.Put(t, "alice", syncCal+"ev.ics", davtest.Event("data-ev", "Meeting"), davtest.CTCal)
	e.Put(t, "alice", syncBook+"c.vcf", davtest.Card("data-c", "Carol"), davtest.CTCard)
	e.Do(t, "alice", "PROPPATCH", syncCal+"ev.ics", davtest.ProppatchSet(`<X:note xmlns:X="urn:example:x">hello</X:note>`)).Want(t, http.StatusMultiStatus)

	calData := `<C:calendar-data><C:comp name="VCALENDAR"><C:prop name="VERSION"/><C:comp name="VEVENT"><C:prop name="SUMMARY"/><C:prop name="UID"/></C:comp></C:comp></C:calendar-data>`
	multiget := `<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` + calData +
		`</D:prop><D:href>` + e.Href(syncCal+"ev.ics") + `</D:href></C:calendar-multiget>`
	want := e.Do(t, "alice", "REPORT", syncCal, multiget).Multistatus(t).Response(t, e.Href(syncCal+"ev.ics")).Found(t, davtest.CName("calendar-data")).Text
	if strings.Contains(want, "DTSTART") || !strings.Contains(want, "SUMMARY:Meeting") {
		t.Fatalf("calendar-multiget's projection: %q", want)
	}
	a := e.Sync(t, "alice", syncCal, davtest.SyncXML("", "1", "", `<X:note xmlns:X="urn:example:x"/>`, calData, `<D:getetag/>`, `<D:displayname/>`))
	r := a.Response(t, e.Href(syncCal+"ev.ics"))
	if got := r.Found(t, davtest.CName("calendar-data")).Text; got != want {
		t.Errorf("calendar-data in sync:\n%q\nin calendar-multiget:\n%q", got, want)
	}
	if note := r.Found(t, xml.Name{Space: "urn:example:x", Local: "note"}); note.Text != "hello" {
		t.Errorf("dead property: %q", note.Text)
	}
	if r.PropStatus(davtest.DName("displayname")) != http.StatusNotFound {
		t.Errorf("displayname of a member: %d, want 404", r.PropStatus(davtest.DName("displayname")))
	}
	var order []string
	for _, p := range r.Propstats[0].Props {
		order = append(order, p.Name.Local)
	}
	if !slices.Equal(order, []string{"note", "calendar-data", "getetag"}) {
		t.Errorf("200 propstat lists %v, want the order asked", order)
	}
	// The whole object, as stored, when calendar-data asks for no part.
	whole := e.Sync(t, "alice", syncCal, davtest.SyncXML("", "", "", `<C:calendar-data/>`)).Response(t, e.Href(syncCal+"ev.ics"))
	if got := whole.Found(t, davtest.CName("calendar-data")).Text; davtest.ToCRLF(got) != davtest.Event("data-ev", "Meeting") {
		t.Errorf("whole calendar-data %q", got)
	}

	// address-data as vCard 4.0 (the card is 3.0), as addressbook-multiget returns it.
	adData := `<CR:address-data content-type="text/vcard" version="4.0"/>`
	mg := `<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/>` +
		strings.ReplaceAll(adData, "CR:", "C:") + `</D:prop><D:href>` + e.Href(syncBook+"c.vcf") + `</D:href></C:addressbook-multiget>`
	wantCard := e.Do(t, "alice", "REPORT", syncBook, mg).Multistatus(t).Response(t, e.Href(syncBook+"c.vcf")).Found(t, davtest.CRName("address-data")).Text
	if !strings.Contains(wantCard, "VERSION:4.0") {
		t.Fatalf("addressbook-multiget did not convert: %q", wantCard)
	}
	ab := e.Sync(t, "alice", syncBook, davtest.SyncXML("", "1", "", `<D:getetag/>`, adData)).Response(t, e.Href(syncBook+"c.vcf"))
	if got := ab.Found(t, davtest.CRName("address-data")).Text; got != wantCard {
		t.Errorf("address-data in sync:\n%q\nin addressbook-multiget:\n%q", got, wantCard)
	}

	// The type's refusals of a data request come before any answer.
	e.Do(t, "alice", "REPORT", syncCal, davtest.SyncXML("", "1", "", `<C:calendar-data content-type="application/json"/>`)).
		Condition(t, http.StatusForbidden, davtest.CName("supported-calendar-data"))
	e.Do(t, "alice", "REPORT", syncBook, davtest.SyncXML("", "1", "", `<CR:address-data version="2.1"/>`)).
		Condition(t, http.StatusForbidden, davtest.CRName("supported-address-data-conversion"))
}

// Tokens pgdav cannot serve get DAV:valid-sync-token: 403, and 400 for
// Thunderbird on address books (docs/clients.md "Invalid sync tokens").
// Other requests: any
// Depth, a missing or infinite sync-level, and the refusals.
func TestSyncCollectionErrors(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice", "bob")
	ctx := t.Context()
	e.Put(t, "alice", syncCal+"a.ics", davtest.Event("err-a", "A"), davtest.CTCal)
	e.Put(t, "alice", syncCal+"b.ics", davtest.Event("err-b", "B"), davtest.CTCal)
	e.Put(t, "alice", syncBook+"a.vcf", davtest.Card("err-a", "A"), davtest.CTCard)
	_, calToken := e.SyncState(t, "alice", syncCal)
	_, bookToken := e.SyncState(t, "alice", syncBook)
	_, bobToken := e.SyncState(t, "bob", "/calendars/bob/default/")
	cal, err := e.Store.GetCollection(ctx, e.Users["alice"].ID, backend.KindCalendar, "default")
	if err != nil {
		t.Fatal(err)
	}
	thunderbird := "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.5.2"
	for _, tc := range []struct {
		name, path, token, ua string
		status                int
	}{
		{"garbage", syncCal, "nonsense", "", 403},
		{"Apple's invented UUID", syncBook, "b905a5fd-ce23-4190-9be3-236969d071a8", "", 403},
		{"another server's", syncCal, "http://invalid.example/sync/999999", "", 403},
		{"another collection's", syncCal, bookToken, "", 403},
		{"another user's", syncCal, bobToken, "", 403},
		{"a home's", syncCal, "urn:pgdav:sync:home:1:calendar:00", "", 403},
		{"from the future", syncCal, fmt.Sprintf("urn:pgdav:sync:%d:99", cal.ID), "", 403},
		{"non-canonical", syncCal, strings.Replace(calToken, ":sync:", ":sync:0", 1), "", 403},
		{"bad page cursor", syncCal, calToken + ":!!", "", 403},
		{"Thunderbird, address book", syncBook, "http://invalid.example/sync/999999", thunderbird, 400},
		{"Thunderbird, calendar", syncCal, "http://invalid.example/sync/999999", thunderbird, 403},
	} {
		var h []string
		if tc.ua != "" {
			h = append(h, tc.ua)
		}
		r := e.Do(t, "alice", "REPORT", tc.path, davtest.SyncXML(tc.token, "1", "", davtest.EtagProps), h...)
		r.Condition(t, tc.status, davtest.DName("valid-sync-token"))
	}
	// Below the pruned point: expired. b.ics's deletion is pruned, the
	// floor becomes its revision: tokens from before it are refused,
	// tokens from it on still work.
	e.Do(t, "alice", "DELETE", syncCal+"b.ics", "").Want(t, http.StatusNoContent)
	_, afterDelete := e.SyncState(t, "alice", syncCal)
	// Age the tombstones in the database rather than waiting for them to age.
	e.AgeTombstones(t)
	if n, err := e.Store.PruneTombstones(ctx, 30*time.Minute); err != nil || n != 1 {
		t.Fatalf("PruneTombstones = %d, %v", n, err)
	}
	e.Do(t, "alice", "REPORT", syncCal, davtest.SyncXML(calToken, "1", "", davtest.EtagProps)).Condition(t, http.StatusForbidden, davtest.DName("valid-sync-token"))
	e.Do(t, "alice", "REPORT", syncBook, davtest.SyncXML(bookToken, "1", "", davtest.EtagProps), thunderbird).Want(t, http.StatusMultiStatus)
	if a := e.Sync(t, "alice", syncCal, davtest.SyncXML(afterDelete, "1", "", davtest.EtagProps)); len(a.Responses) != 0 {
		t.Fatalf("the token at the pruned point: %s", a.Raw)
	}
	e.Put(t, "alice", syncCal+"b.ics", davtest.Event("err-b", "B"), davtest.CTCal)

	// Any Depth, no Depth, no sync-level, infinite: the same answer.
	want := e.Sync(t, "alice", syncCal, davtest.SyncXML("", "1", "", davtest.EtagProps)).Members(t)
	for _, tc := range []struct{ level, depth string }{
		{"1", "0"}, {"1", "1"}, {"1", "infinity"}, {"1", "bogus"}, {"", "1"}, {"infinite", "1"}, {"infinite", ""},
	} {
		var h []string
		if tc.depth != "" {
			h = append(h, "Depth: "+tc.depth)
		}
		if got := e.Sync(t, "alice", syncCal, davtest.SyncXML("", tc.level, "", davtest.EtagProps), h...).Members(t); !maps.Equal(got, want) {
			t.Errorf("sync-level %q, Depth %q: %v, want %v", tc.level, tc.depth, got, want)
		}
	}
	// The body: no prop asks for nothing (an empty propstat per member).
	bare := e.Sync(t, "alice", syncCal, `<sync-collection xmlns="DAV:"><sync-token/></sync-collection>`)
	if len(bare.Responses) != 2 || len(bare.Responses[0].Propstats) != 1 || len(bare.Responses[0].Propstats[0].Props) != 0 {
		t.Errorf("no prop: %s", bare.Raw)
	}
	for _, body := range []string{
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>2</D:sync-level></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-token/></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:limit><D:nresults>0</D:nresults></D:limit></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:limit><D:nresults>x</D:nresults></D:limit></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:limit/></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token><D:href/></D:sync-token></D:sync-collection>`,
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/>`,
	} {
		e.Do(t, "alice", "REPORT", syncCal, body).Want(t, http.StatusBadRequest)
	}
	// Not on an object (RFC 3253 3.6: DAV:supported-report), nor on
	// another user's collection, nor on the principal.
	e.Do(t, "alice", "REPORT", syncCal+"a.ics", davtest.SyncXML("", "1", "", davtest.EtagProps)).Condition(t, http.StatusForbidden, davtest.DName("supported-report"))
	e.Do(t, "alice", "REPORT", "/principals/alice/", davtest.SyncXML("", "1", "", davtest.EtagProps)).Condition(t, http.StatusForbidden, davtest.DName("supported-report"))
	e.Do(t, "alice", "REPORT", "/calendars/bob/default/", davtest.SyncXML("", "1", "", davtest.EtagProps)).Want(t, http.StatusForbidden)
	e.Do(t, "alice", "REPORT", "/calendars/alice/none/", davtest.SyncXML("", "1", "", davtest.EtagProps)).Want(t, http.StatusNotFound)
}

// Paging: nresults, the server's cap, and pages that end inside the one
// revision an import gives all its members; every page's token continues
// without gap or repeat, also when members change between pages.
func TestSyncCollectionPaging(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	e, _ := davtest.NewWithServer(t, server.Config{SyncMaxResults: 7}, "alice")
	cal, err := e.Store.GetCollection(ctx, e.Users["alice"].ID, backend.KindCalendar, "default")
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		e.Put(t, "alice", fmt.Sprintf("%sp%d.ics", syncCal, i), davtest.Event(fmt.Sprintf("page-%d", i), "x"), davtest.CTCal)
	}
	var writes []backend.ObjectWrite
	for i := range 20 {
		uid := fmt.Sprintf("imp-%02d", i)
		writes = append(writes, backend.ObjectWrite{Name: uid + ".ics", UID: uid, Data: []byte(davtest.Event(uid, "imported")),
			Component: "VEVENT", ContentType: "text/calendar; charset=utf-8; component=vevent"})
	}
	if _, err := e.Store.ImportObjects(ctx, cal.ID, writes); err != nil {
		t.Fatal(err)
	}
	for i := 3; i < 6; i++ {
		e.Put(t, "alice", fmt.Sprintf("%sp%d.ics", syncCal, i), davtest.Event(fmt.Sprintf("page-%d", i), "x"), davtest.CTCal)
	}
	truth := e.Truth(t, "alice", syncCal)
	for _, limit := range []int{0, 1, 2, 5, 7, 100} {
		v := davtest.SyncView{}
		_, pages := e.Pull(t, "alice", syncCal, "", v, limit)
		if !maps.Equal(v, truth) {
			t.Fatalf("nresults %d: view of %d members, collection %d", limit, len(v), len(truth))
		}
		size := 7 // the server's cap
		if limit > 0 && limit < size {
			size = limit
		}
		want := (26 + size - 1) / size
		if pages != want {
			t.Errorf("nresults %d: %d pages, want %d", limit, pages, want)
		}
	}

	// Changes between the pages of a first sync.
	a := e.Sync(t, "alice", syncCal, davtest.SyncXML("", "1", davtest.SyncLimit(5), davtest.EtagProps))
	if !a.Truncated(t, e.Href(syncCal)) || len(a.Members(t)) != 5 {
		t.Fatalf("first page: %s", a.Raw)
	}
	v := davtest.SyncView(a.Members(t))
	e.Put(t, "alice", syncCal+"p0.ics", davtest.Event("page-0", "changed"), davtest.CTCal)
	e.Put(t, "alice", syncCal+"imp-19.ics", davtest.Event("imp-19", "changed"), davtest.CTCal)
	e.Do(t, "alice", "DELETE", syncCal+"imp-10.ics", "").Want(t, http.StatusNoContent)
	e.Put(t, "alice", syncCal+"new.ics", davtest.Event("page-new", "new"), davtest.CTCal)
	e.Pull(t, "alice", syncCal, a.Token, v, 3)
	if want := e.Truth(t, "alice", syncCal); !maps.Equal(v, want) {
		t.Fatalf("after changes between pages: view %v\ncollection %v", v, want)
	}
}

// sync-collection is advertised on calendars, address books and both
// homes, and nowhere else.
func TestSyncCollectionAdvertised(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	e.Put(t, "alice", syncCal+"a.ics", davtest.Event("adv-a", "A"), davtest.CTCal)
	for path, want := range map[string]bool{
		syncCal: true, syncBook: true, "/calendars/alice/": true, "/addressbooks/alice/": true,
		syncCal + "a.ics": false, "/principals/alice/": false, "/": false,
	} {
		set, _ := e.PropOf(t, "alice", path, davtest.DName("supported-report-set"))
		found := 0
		for _, sr := range set.All(davtest.DName("supported-report")) {
			if sr.Child(davtest.DName("report")).Child(davtest.DName("sync-collection")) != nil {
				found++
			}
		}
		if (found == 1) != want || found > 1 {
			t.Errorf("%s: sync-collection advertised %d times, want %v", path, found, want)
		}
	}
}

// A home's members are its collections: the first sync lists them with
// the properties asked, a token of an unchanged home gets nothing, and a
// change in the home (a collection created, deleted, changed) is the
// next delta (sync_home_test.go has the rest).
func TestSyncCollectionHome(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice", "bob")
	const home = "/calendars/alice/"
	props := []string{`<D:displayname/>`, `<CS:getctag xmlns:CS="http://calendarserver.org/ns/"/>`, `<D:sync-token/>`, `<D:resourcetype/>`}
	first := e.Sync(t, "alice", home, davtest.SyncXML("", "1", "", props...))
	if got := first.Members(t); len(got) != 1 || first.Response(t, e.Href(syncCal)).Found(t, davtest.DName("displayname")).Text != "Calendar" {
		t.Fatalf("home sync: %s", first.Raw)
	}
	r := first.Response(t, e.Href(syncCal))
	if ctag, tok := e.SyncState(t, "alice", syncCal); r.Found(t, davtest.CSName("getctag")).Text != ctag || r.Found(t, davtest.DName("sync-token")).Text != tok {
		t.Errorf("the calendar's getctag and sync-token differ from PROPFIND's:\n%s", first.Raw)
	}
	same := e.Sync(t, "alice", home, davtest.SyncXML(first.Token, "1", "", props...))
	if len(same.Responses) != 0 || same.Token != first.Token {
		t.Fatalf("unchanged home: %s", same.Raw)
	}
	// Another home's token, and a member change in the home.
	bobs := e.Sync(t, "bob", "/calendars/bob/", davtest.SyncXML("", "1", "", props...))
	e.Do(t, "alice", "REPORT", home, davtest.SyncXML(bobs.Token, "1", "", props...)).Condition(t, http.StatusForbidden, davtest.DName("valid-sync-token"))
	e.Do(t, "alice", "REPORT", "/addressbooks/alice/", davtest.SyncXML(first.Token, "1", "", props...)).Condition(t, http.StatusForbidden, davtest.DName("valid-sync-token"))
	e.Do(t, "alice", "REPORT", home, davtest.SyncXML(first.Token, "1", "", props...), "Depth: 1").Want(t, http.StatusMultiStatus)
	e.Put(t, "alice", syncCal+"a.ics", davtest.Event("home-a", "A"), davtest.CTCal)
	changed := e.Sync(t, "alice", home, davtest.SyncXML(first.Token, "1", "", props...))
	if got := changed.Members(t); len(got) != 1 || changed.Token == first.Token {
		t.Fatalf("after a PUT: %s", changed.Raw)
	}
	if ctag, _ := e.SyncState(t, "alice", syncCal); changed.Response(t, e.Href(syncCal)).Found(t, davtest.CSName("getctag")).Text != ctag {
		t.Errorf("the changed calendar's getctag is not the new one:\n%s", changed.Raw)
	}
	e.Do(t, "alice", "MKCALENDAR", home+"work/", "").Want(t, http.StatusCreated)
	second := e.Sync(t, "alice", home, davtest.SyncXML("", "1", "", props...))
	if got := second.Members(t); len(got) != 2 || second.Token == first.Token {
		t.Fatalf("after MKCALENDAR: %s", second.Raw)
	}
	e.Do(t, "alice", "DELETE", home+"work/", "").Want(t, http.StatusNoContent)
	gone := e.Sync(t, "alice", home, davtest.SyncXML(second.Token, "1", "", props...))
	if got := gone.Deleted(t); len(gone.Responses) != 1 || !slices.Equal(got, []string{e.Href(home + "work/")}) {
		t.Fatalf("after DELETE: %s", gone.Raw)
	}
	// sync-level infinite: each collection with 403 sync-traversal-supported.
	inf := e.Sync(t, "alice", home, davtest.SyncXML("", "infinite", "", props...))
	for _, rn := range inf.Root.All(davtest.DName("response")) {
		st := rn.Child(davtest.DName("status"))
		if st == nil || davtest.ParseStatus(t, st.Text) != http.StatusForbidden || rn.Child(davtest.DName("error")).Child(davtest.DName("sync-traversal-supported")) == nil || rn.Child(davtest.DName("propstat")) != nil {
			t.Errorf("infinite home sync:\n%s", inf.Raw)
		}
	}
	// The address book home alike; a limit below the number of
	// collections pages the answer (RFC 6578 3.6).
	book := e.Sync(t, "alice", "/addressbooks/alice/", davtest.SyncXML("", "1", "", `<D:displayname/>`))
	if len(book.Members(t)) != 1 {
		t.Fatalf("address book home: %s", book.Raw)
	}
	e.Do(t, "alice", "MKCOL", "/addressbooks/alice/more/", "").Want(t, http.StatusCreated)
	page := e.Sync(t, "alice", "/addressbooks/alice/", davtest.SyncXML("", "1", davtest.SyncLimit(1), `<D:displayname/>`))
	if len(page.Members(t)) != 1 || !page.Truncated(t, e.Href("/addressbooks/alice/")) {
		t.Fatalf("address book home, nresults 1: %s", page.Raw)
	}
	rest := e.Sync(t, "alice", "/addressbooks/alice/", davtest.SyncXML(page.Token, "1", davtest.SyncLimit(1), `<D:displayname/>`))
	if len(rest.Members(t)) != 1 || rest.Truncated(t, e.Href("/addressbooks/alice/")) {
		t.Fatalf("address book home, second page: %s", rest.Raw)
	}
}

// Tokens come from the database: one server's token works on a second
// server on the same database, and after a restart (a new store and a
// new server on the same database), in both directions.
func TestSyncTokensAcrossNodesAndRestarts(t *testing.T) {
	t.Parallel()
	e, conn := davtest.NewWithServer(t, server.Config{}, "alice")
	// A second node: its own pool to the same database, its own server.
	open := func() *backend.Store { return backendtest.Open(t, conn) }
	second := e.OtherNode(t, open(), server.Config{})
	e.Put(t, "alice", syncCal+"a.ics", davtest.Event("node-a", "A"), davtest.CTCal)
	first := e.Sync(t, "alice", syncCal, davtest.SyncXML("", "1", "", davtest.EtagProps))
	e.Put(t, "alice", syncCal+"b.ics", davtest.Event("node-b", "B"), davtest.CTCal)
	other := second.Sync(t, "alice", syncCal, davtest.SyncXML(first.Token, "1", "", davtest.EtagProps))
	if got := other.Members(t); len(got) != 1 || got[e.Href(syncCal+"b.ics")] == "" {
		t.Fatalf("second node, first node's token: %s", other.Raw)
	}
	second.Put(t, "alice", syncCal+"c.ics", davtest.Event("node-c", "C"), davtest.CTCal)
	back := e.Sync(t, "alice", syncCal, davtest.SyncXML(other.Token, "1", "", davtest.EtagProps))
	if got := back.Members(t); len(got) != 1 || got[e.Href(syncCal+"c.ics")] == "" {
		t.Fatalf("first node, second node's token: %s", back.Raw)
	}
	// A restart: the second node stops, its pool closes, a new process
	// (a new pool and a new server) answers a token from before.
	second.HTTP.Close()
	second.Store.Close()
	third := e.OtherNode(t, open(), server.Config{})
	again := third.Sync(t, "alice", syncCal, davtest.SyncXML(first.Token, "1", "", davtest.EtagProps))
	if got := again.Members(t); len(got) != 2 {
		t.Fatalf("after a restart, a token from before it: %s", again.Raw)
	}
	if again.Token != back.Token {
		t.Fatalf("the same state, two tokens: %s and %s", again.Token, back.Token)
	}
}
