package dav_test

import (
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/internal/davtest"
)

// The client fixtures replayed: each client's own request, headers and
// body, against what its code needs (docs/clients.md "Invalid sync
// tokens", "Depth and sync-level on sync-collection").
func TestSyncCollectionClientFixtures(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	vars := map[string]string{"calendar": syncCal, "addressbook": syncBook, "calendar_home": "/calendars/alice/"}
	calItem := e.Href(syncCal + "item.ics")
	e.Put(t, "alice", syncCal+"item.ics", davtest.Event("fx-item", "one"), davtest.CTCal)
	e.Put(t, "alice", syncBook+"card.vcf", davtest.Card("fx-card", "Card"), davtest.CTCard)

	replay := func(name string) *davtest.Resp {
		t.Helper()
		return e.Replay(t, "alice", davtest.LoadFixture(t, name, vars))
	}
	parse := func(r *davtest.Resp) davtest.SyncAnswer {
		t.Helper()
		ms := r.Multistatus(t)
		kids := ms.Root.Children
		if kids[len(kids)-1].Name != davtest.DName("sync-token") {
			t.Fatalf("%s: no sync-token at the end:\n%s", r.Req, r.Body)
		}
		return davtest.SyncAnswer{Multistatus: ms, Token: kids[len(kids)-1].Text}
	}
	// Apple Calendar: initial (Depth 1), incremental, after delete, invalid, no sync-level.
	for _, name := range []string{"apple-macos-calendar-16-report-sync-collection-initial.http", "apple-macos-calendar-31-report-sync-collection-no-sync-level.http",
		"apple-ios-calendar-14-report-sync-collection-initial.http", "thunderbird-calendar-07-report-sync-collection-initial.http"} {
		a := parse(replay(name))
		r := a.Response(t, calItem)
		if !strings.HasPrefix(r.Found(t, davtest.DName("getcontenttype")).Text, "text/calendar") || r.Found(t, davtest.DName("getetag")).Text == "" {
			t.Errorf("%s: %s", name, a.Raw)
		}
		vars["sync_token"], vars["sync_token|xml-escaped"] = a.Token, davtest.XMLText(a.Token)
	}
	tag := e.Put(t, "alice", syncCal+"item.ics", davtest.Event("fx-item", "two"), davtest.CTCal)
	vars["item_href"] = calItem
	for _, name := range []string{"apple-macos-calendar-23-report-sync-collection-incremental.http", "thunderbird-calendar-13-report-sync-collection-incremental.http"} {
		a := parse(replay(name))
		if got := a.Members(t); !maps.Equal(got, map[string]string{calItem: tag}) {
			t.Errorf("%s: %v", name, got)
		}
	}
	e.Do(t, "alice", "DELETE", syncCal+"item.ics", "").Want(t, http.StatusNoContent)
	for _, name := range []string{"apple-macos-calendar-25-report-sync-collection-after-delete.http", "thunderbird-calendar-17-report-sync-collection-after-delete.http"} {
		if got := parse(replay(name)).Deleted(t); !slices.Equal(got, []string{calItem}) {
			t.Errorf("%s: deleted %v", name, got)
		}
	}
	replay("apple-macos-calendar-26-report-sync-collection-invalid-token.http").Condition(t, http.StatusForbidden, davtest.DName("valid-sync-token"))
	replay("thunderbird-calendar-18-report-sync-collection-invalid-token.http").Condition(t, http.StatusForbidden, davtest.DName("valid-sync-token"))
	vars["home_sync_token"] = "" // first as an initial sync, then with its token
	home := parse(replay("apple-macos-calendar-19-report-sync-collection-home.http"))
	if home.Response(t, e.Href(syncCal)).Found(t, davtest.CSName("getctag")).Text == "" {
		t.Errorf("home sync: %s", home.Raw)
	}
	vars["home_sync_token"] = home.Token
	if got := parse(replay("apple-macos-calendar-19-report-sync-collection-home.http")); len(got.Responses) != 0 {
		t.Errorf("home sync with its own token: %s", got.Raw)
	}
	// The calendar changes (as Apple's steps 11-13 change it): the same
	// token now gets a delta holding that calendar with its new getctag.
	e.Do(t, "alice", "PROPPATCH", syncCal, davtest.ProppatchSet(`<I:calendar-color xmlns:I="http://apple.com/ns/ical/">#FF0000FF</I:calendar-color>`)).Want(t, http.StatusMultiStatus)
	delta := parse(replay("apple-macos-calendar-19-report-sync-collection-home.http"))
	if ctag, _ := e.SyncState(t, "alice", syncCal); len(delta.Responses) != 1 || delta.Response(t, e.Href(syncCal)).Found(t, davtest.CSName("getctag")).Text != ctag {
		t.Errorf("home sync after a change of the calendar: %s", delta.Raw)
	}

	// Address books: Apple Contacts, DAVx5 (Depth 0), Thunderbird (address-data, 400 on a bad token).
	cardHref := e.Href(syncBook + "card.vcf")
	for _, name := range []string{"apple-contacts-08-report-sync-collection-initial.http", "davx5-21-report-sync-collection-initial.http"} {
		a := parse(replay(name))
		if a.Response(t, cardHref).Found(t, davtest.DName("getetag")).Text == "" {
			t.Errorf("%s: %s", name, a.Raw)
		}
		vars["sync_token"], vars["sync_token|xml-escaped"] = a.Token, davtest.XMLText(a.Token)
	}
	cardTag := e.Put(t, "alice", syncBook+"card.vcf", davtest.Card("fx-card", "Card 2"), davtest.CTCard)
	for _, name := range []string{"apple-contacts-13-report-sync-collection-incremental.http", "davx5-23-report-sync-collection-incremental.http"} {
		if got := parse(replay(name)).Members(t); !maps.Equal(got, map[string]string{cardHref: cardTag}) {
			t.Errorf("%s: %v", name, got)
		}
	}
	tb := parse(replay("thunderbird-carddav-11-report-sync-collection.http"))
	if r := tb.Response(t, cardHref); davtest.ToCRLF(r.Found(t, davtest.CRName("address-data")).Text) != davtest.Card("fx-card", "Card 2") {
		t.Errorf("Thunderbird's address-data: %s", tb.Raw)
	}
	e.Do(t, "alice", "DELETE", syncBook+"card.vcf", "").Want(t, http.StatusNoContent)
	vars["card_href"] = cardHref
	if got := parse(replay("thunderbird-carddav-13-report-sync-collection-after-delete.http")).Deleted(t); !slices.Equal(got, []string{cardHref}) {
		t.Errorf("Thunderbird after delete: %v", got)
	}
	replay("apple-contacts-14-report-sync-collection-invented-token.http").Condition(t, http.StatusForbidden, davtest.DName("valid-sync-token"))
	replay("davx5-24-report-sync-collection-invalid-token.http").Condition(t, http.StatusForbidden, davtest.DName("valid-sync-token"))
	replay("thunderbird-carddav-14-report-sync-collection-invalid-token.http").Condition(t, http.StatusBadRequest, davtest.DName("valid-sync-token"))
}
