package integration

import (
	"bytes"
	"cmp"
	"context"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"
	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/caldav"
	"github.com/emersion/go-webdav/carddav"
)

// TestGoWebDAVClients drives a real `pgdav serve` with go-webdav's CalDAV
// and CardDAV clients, at the root and below --base-path /dav: discovery,
// listing, creating, reading, conditional updates, deleting, and another
// user's attempts on the first user's data.
//
// It uses the client functions built on PROPFIND, GET, PUT, DELETE and
// OPTIONS; the REPORTs (QueryCalendar, MultiGetCalendar, QueryAddressBook,
// MultiGetAddressBook, SyncCollection) are driven by TestGoWebDAVReports
// (gowebdav_reports_test.go). Left out: DiscoverContextURL (DNS SRV records,
// none on loopback) and ReadDir with recursive=true (Depth: infinity, which
// pgdav refuses by design). The clients cannot send If-Match (their PUT has
// a TODO for it), so conditional writes are raw requests through the same
// authenticating HTTP client.
func TestGoWebDAVClients(t *testing.T) {
	t.Parallel()
	for _, base := range []string{"", "/dav"} {
		t.Run("base="+cmp.Or(base, "/"), func(t *testing.T) {
			t.Parallel()
			data := newDataDir(t)
			mustCLI(t, data, "alice-pw\n", "user", "add", "alice", "--email", "alice@example.org", "--password-stdin")
			mustCLI(t, data, "bob-pw\n", "user", "add", "bob", "--email", "bob@example.org", "--password-stdin")
			var s *server
			if base == "" {
				s = startServer(t, data)
			} else {
				s = startServer(t, data, "--base-path", base)
			}
			e := &e2e{t: t, s: s, base: base, ctx: t.Context()}
			e.calendarFlow()
			e.addressBookFlow()
		})
	}
}

// e2e is one server under test and the base path it was started with.
type e2e struct {
	t    *testing.T
	s    *server
	base string
	ctx  context.Context
}

// httpClient authenticates every request as user.
func (e *e2e) httpClient(user, password string) webdav.HTTPClient {
	return webdav.HTTPClientWithBasicAuth(&http.Client{Timeout: 30 * time.Second}, user, password)
}

// endpoint is the context path clients are configured with.
func (e *e2e) endpoint() string { return e.s.URL + e.base + "/" }

// path is p below the base path.
func (e *e2e) path(p string) string { return e.base + p }

func (e *e2e) calClient(user, password string) *caldav.Client {
	e.t.Helper()
	c, err := caldav.NewClient(e.httpClient(user, password), e.endpoint())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

func (e *e2e) cardClient(user, password string) *carddav.Client {
	e.t.Helper()
	c, err := carddav.NewClient(e.httpClient(user, password), e.endpoint())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// raw sends a request the clients have no function for and returns the
// status, the headers and the body.
func (e *e2e) raw(hc webdav.HTTPClient, method, path string, header map[string]string, body string) (int, http.Header, string) {
	e.t.Helper()
	req, err := http.NewRequestWithContext(e.ctx, method, e.s.URL+path, strings.NewReader(body))
	if err != nil {
		e.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := hc.Do(req)
	if err != nil {
		e.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatalf("%s %s: reading the body: %v", method, path, err)
	}
	return resp.StatusCode, resp.Header, string(b)
}

// statusOf is the HTTP status of a go-webdav client error, whose message
// starts with it ("404 Not Found: …"), or 0.
func statusOf(err error) int {
	if err == nil {
		return 0
	}
	code, _, _ := strings.Cut(err.Error(), " ")
	n, _ := strconv.Atoi(code)
	return n
}

// wantStatus fails unless err is a client error with one of the statuses.
func (e *e2e) wantStatus(what string, err error, statuses ...int) {
	e.t.Helper()
	if !slices.Contains(statuses, statusOf(err)) {
		e.t.Errorf("%s: err = %v, want status %v", what, err, statuses)
	}
}

// wantBase fails unless href is an absolute path below the base path.
func (e *e2e) wantBase(what, href string) {
	e.t.Helper()
	if !strings.HasPrefix(href, e.base+"/") || strings.Contains(href, "://") {
		e.t.Errorf("%s = %q: not a path below %q", what, href, e.base+"/")
	}
}

// newEvent is a one-hour event; go-ical encodes it deterministically, so
// encodeCal gives the exact bytes the client PUTs.
func newEvent(uid, summary string) *ical.Calendar {
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropProductID, "-//pgdav//integration test//EN")
	ev := ical.NewEvent()
	start := time.Date(2025, 6, 2, 9, 0, 0, 0, time.UTC)
	ev.Props.SetText(ical.PropUID, uid)
	ev.Props.SetDateTime(ical.PropDateTimeStamp, start.Add(-24*time.Hour))
	ev.Props.SetDateTime(ical.PropDateTimeStart, start)
	ev.Props.SetDateTime(ical.PropDateTimeEnd, start.Add(time.Hour))
	ev.Props.SetText(ical.PropSummary, summary)
	cal.Children = append(cal.Children, ev.Component)
	return cal
}

func encodeCal(t *testing.T, cal *ical.Calendar) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := ical.NewEncoder(&b).Encode(cal); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func newCard(uid, name string) vcard.Card {
	card := vcard.Card{}
	card.SetValue(vcard.FieldVersion, "4.0")
	card.SetValue(vcard.FieldUID, uid)
	card.SetValue(vcard.FieldFormattedName, name)
	card.SetName(&vcard.Name{FamilyName: name, GivenName: "Test"})
	card.SetValue(vcard.FieldEmail, strings.ToLower(name)+"@example.org")
	return card
}

func encodeCard(t *testing.T, card vcard.Card) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := vcard.NewEncoder(&b).Encode(card); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

const mkcalendarBody = `<?xml version="1.0" encoding="utf-8"?>
<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">
  <D:set><D:prop>
    <D:displayname>Work</D:displayname>
    <C:supported-calendar-component-set><C:comp name="VEVENT"/></C:supported-calendar-component-set>
  </D:prop></D:set>
</C:mkcalendar>`

func (e *e2e) calendarFlow() {
	t, ctx := e.t, e.ctx
	alice := e.calClient("alice", "alice-pw")
	aliceHTTP := e.httpClient("alice", "alice-pw")

	// Discovery: context path → principal → calendar home.
	principal, err := alice.FindCurrentUserPrincipal(ctx)
	if err != nil {
		t.Fatalf("FindCurrentUserPrincipal: %v", err)
	}
	if principal != e.path("/principals/alice/") {
		t.Fatalf("principal = %q, want %q", principal, e.path("/principals/alice/"))
	}
	home, err := alice.FindCalendarHomeSet(ctx, principal)
	if err != nil {
		t.Fatalf("FindCalendarHomeSet: %v", err)
	}
	if home != e.path("/calendars/alice/") {
		t.Fatalf("calendar home = %q, want %q", home, e.path("/calendars/alice/"))
	}

	// The default calendar made by `user add`, with its name.
	cals, err := alice.FindCalendars(ctx, home)
	if err != nil {
		t.Fatalf("FindCalendars: %v", err)
	}
	if len(cals) != 1 || cals[0].Path != e.path("/calendars/alice/default/") || cals[0].Name != "Calendar" ||
		!slices.Contains(cals[0].SupportedComponentSet, "VEVENT") || cals[0].MaxResourceSize <= 0 {
		t.Fatalf("FindCalendars = %+v, want the default calendar \"Calendar\"", cals)
	}

	// MKCALENDAR (no client function for it), then the client sees it.
	work := e.path("/calendars/alice/work/")
	if code, _, body := e.raw(aliceHTTP, "MKCALENDAR", work, map[string]string{"Content-Type": "application/xml; charset=utf-8"}, mkcalendarBody); code != http.StatusCreated {
		t.Fatalf("MKCALENDAR %s = %d\n%s", work, code, body)
	}
	if cals, err = alice.FindCalendars(ctx, home); err != nil {
		t.Fatalf("FindCalendars: %v", err)
	}
	var found *caldav.Calendar
	for i := range cals {
		e.wantBase("calendar path", cals[i].Path)
		if cals[i].Path == work {
			found = &cals[i]
		}
	}
	if len(cals) != 2 || found == nil || found.Name != "Work" || !slices.Equal(found.SupportedComponentSet, []string{"VEVENT"}) {
		t.Fatalf("FindCalendars after MKCALENDAR = %+v", cals)
	}

	// PUT, then GET: same bytes, same ETag.
	eventPath := work + "standup.ics"
	cal := newEvent("standup-1@example.org", "Stand-up")
	sent := encodeCal(t, cal)
	put, err := alice.PutCalendarObject(ctx, eventPath, cal)
	if err != nil {
		t.Fatalf("PutCalendarObject: %v", err)
	}
	if put.ETag == "" || put.Path != eventPath {
		t.Fatalf("PutCalendarObject = %+v, want an ETag and path %q (from Location)", put, eventPath)
	}
	got, err := alice.GetCalendarObject(ctx, eventPath)
	if err != nil {
		t.Fatalf("GetCalendarObject: %v", err)
	}
	if got.ETag != put.ETag || got.Path != eventPath || !bytes.Equal(encodeCal(t, got.Data), sent) {
		t.Fatalf("GetCalendarObject = %+v (ETag %q), want ETag %q and the data PUT", got, got.ETag, put.ETag)
	}
	if code, hd, body := e.raw(aliceHTTP, "GET", eventPath, nil, ""); code != 200 || body != string(sent) || hd.Get("ETag") != strconv.Quote(put.ETag) {
		t.Fatalf("raw GET = %d, ETag %s, body:\n%s\nwant the bytes PUT:\n%s", code, hd.Get("ETag"), body, sent)
	}
	// ReadDir is a Depth-1 PROPFIND: the event is listed with its tag.
	files, err := alice.ReadDir(ctx, work, false)
	if err != nil {
		t.Fatalf("ReadDir: %v", err)
	}
	listed := false
	for _, fi := range files {
		e.wantBase("ReadDir path", fi.Path)
		if fi.Path == eventPath {
			listed = fi.ETag == put.ETag && fi.Size == int64(len(sent)) && !fi.IsDir
		}
	}
	if len(files) != 2 || !listed {
		t.Fatalf("ReadDir(%s) = %+v, want the calendar and the event with ETag %q", work, files, put.ETag)
	}

	// Update with If-Match; a stale tag then fails with 412.
	updated := encodeCal(t, newEvent("standup-1@example.org", "Stand-up (moved)"))
	hdr := map[string]string{"Content-Type": "text/calendar; charset=utf-8", "If-Match": strconv.Quote(put.ETag)}
	code, hd, body := e.raw(aliceHTTP, "PUT", eventPath, hdr, string(updated))
	if code != http.StatusNoContent || hd.Get("ETag") == "" || hd.Get("ETag") == strconv.Quote(put.ETag) {
		t.Fatalf("PUT with If-Match = %d, ETag %q\n%s", code, hd.Get("ETag"), body)
	}
	newTag, _ := strconv.Unquote(hd.Get("ETag"))
	if code, _, body := e.raw(aliceHTTP, "PUT", eventPath, hdr, string(sent)); code != http.StatusPreconditionFailed {
		t.Fatalf("PUT with a stale If-Match = %d, want 412\n%s", code, body)
	}
	if code, _, _ := e.raw(aliceHTTP, "DELETE", eventPath, map[string]string{"If-Match": strconv.Quote(put.ETag)}, ""); code != http.StatusPreconditionFailed {
		t.Fatalf("DELETE with a stale If-Match = %d, want 412", code)
	}
	if got, err = alice.GetCalendarObject(ctx, eventPath); err != nil || got.ETag != newTag || !bytes.Equal(encodeCal(t, got.Data), updated) {
		t.Fatalf("after the update: %+v, %v; want ETag %q and the new data", got, err, newTag)
	}

	// Another user sees and changes nothing of alice's, through the client.
	e.otherUserIsLockedOut(home, work, eventPath, newTag)

	// DELETE (RemoveAll), then 404; the calendar goes the same way.
	if err := alice.RemoveAll(ctx, eventPath); err != nil {
		t.Fatalf("RemoveAll(%s): %v", eventPath, err)
	}
	_, err = alice.GetCalendarObject(ctx, eventPath)
	e.wantStatus("GetCalendarObject after delete", err, http.StatusNotFound)
	e.wantStatus("RemoveAll again", alice.RemoveAll(ctx, eventPath), http.StatusNotFound)
	if err := alice.RemoveAll(ctx, work); err != nil {
		t.Fatalf("RemoveAll(%s): %v", work, err)
	}
	_, err = alice.ReadDir(ctx, work, false)
	e.wantStatus("ReadDir of the deleted calendar", err, http.StatusNotFound)
	if cals, err = alice.FindCalendars(ctx, home); err != nil || len(cals) != 1 || cals[0].Path != e.path("/calendars/alice/default/") {
		t.Fatalf("FindCalendars after deleting %s = %+v, %v", work, cals, err)
	}
}

// otherUserIsLockedOut checks that bob, logged in, can neither read nor
// write alice's calendar, and that her event is unchanged afterwards.
func (e *e2e) otherUserIsLockedOut(aliceHome, aliceCal, aliceEvent, etag string) {
	t, ctx := e.t, e.ctx
	bob := e.calClient("bob", "bob-pw")
	principal, err := bob.FindCurrentUserPrincipal(ctx)
	if err != nil || principal != e.path("/principals/bob/") {
		t.Fatalf("bob's principal = %q, %v", principal, err)
	}
	bobHome, err := bob.FindCalendarHomeSet(ctx, principal)
	if err != nil {
		t.Fatal(err)
	}
	if cals, err := bob.FindCalendars(ctx, bobHome); err != nil || len(cals) != 1 || cals[0].Path != e.path("/calendars/bob/default/") {
		t.Fatalf("bob's calendars = %+v, %v", cals, err)
	}

	denied := []int{http.StatusForbidden, http.StatusNotFound}
	_, err = bob.FindCalendarHomeSet(ctx, e.path("/principals/alice/"))
	e.wantStatus("bob: FindCalendarHomeSet(alice)", err, denied...)
	_, err = bob.FindCalendars(ctx, aliceHome)
	e.wantStatus("bob: FindCalendars(alice's home)", err, denied...)
	_, err = bob.ReadDir(ctx, aliceCal, false)
	e.wantStatus("bob: ReadDir(alice's calendar)", err, denied...)
	_, err = bob.GetCalendarObject(ctx, aliceEvent)
	e.wantStatus("bob: GetCalendarObject(alice's event)", err, denied...)
	_, err = bob.PutCalendarObject(ctx, aliceEvent, newEvent("standup-1@example.org", "Hijacked"))
	e.wantStatus("bob: PutCalendarObject over alice's event", err, denied...)
	_, err = bob.PutCalendarObject(ctx, aliceCal+"planted.ics", newEvent("planted@example.org", "Planted"))
	e.wantStatus("bob: PutCalendarObject into alice's calendar", err, denied...)
	e.wantStatus("bob: RemoveAll(alice's event)", bob.RemoveAll(ctx, aliceEvent), denied...)
	e.wantStatus("bob: RemoveAll(alice's calendar)", bob.RemoveAll(ctx, aliceCal), denied...)
	code, _, _ := e.raw(e.httpClient("bob", "bob-pw"), "MKCALENDAR", e.path("/calendars/alice/bobs/"), nil, "")
	if !slices.Contains(denied, code) {
		t.Errorf("bob: MKCALENDAR in alice's home = %d, want 403 or 404", code)
	}

	alice := e.calClient("alice", "alice-pw")
	if got, err := alice.GetCalendarObject(ctx, aliceEvent); err != nil || got.ETag != etag {
		t.Fatalf("alice's event after bob's attempts: %+v, %v; want ETag %q", got, err, etag)
	}
	files, err := alice.ReadDir(ctx, aliceCal, false)
	if err != nil || len(files) != 2 {
		t.Fatalf("alice's calendar after bob's attempts: %+v, %v; want only her event", files, err)
	}
}

func (e *e2e) addressBookFlow() {
	t, ctx := e.t, e.ctx
	alice := e.cardClient("alice", "alice-pw")
	aliceHTTP := e.httpClient("alice", "alice-pw")
	if err := alice.HasSupport(ctx); err != nil {
		t.Fatalf("HasSupport (OPTIONS): %v", err)
	}
	principal, err := alice.FindCurrentUserPrincipal(ctx)
	if err != nil || principal != e.path("/principals/alice/") {
		t.Fatalf("FindCurrentUserPrincipal = %q, %v", principal, err)
	}
	home, err := alice.FindAddressBookHomeSet(ctx, principal)
	if err != nil || home != e.path("/addressbooks/alice/") {
		t.Fatalf("FindAddressBookHomeSet = %q, %v; want %q", home, err, e.path("/addressbooks/alice/"))
	}
	books, err := alice.FindAddressBooks(ctx, home)
	if err != nil {
		t.Fatalf("FindAddressBooks: %v", err)
	}
	if len(books) != 1 || books[0].Path != e.path("/addressbooks/alice/default/") || books[0].Name != "Contacts" ||
		!books[0].SupportsAddressData("text/vcard", "4.0") || !books[0].SupportsAddressData("text/vcard", "3.0") {
		t.Fatalf("FindAddressBooks = %+v, want the default address book \"Contacts\"", books)
	}

	cardPath := books[0].Path + "carol.vcf"
	card := newCard("carol-1@example.org", "Carol")
	sent := encodeCard(t, card)
	put, err := alice.PutAddressObject(ctx, cardPath, card)
	if err != nil {
		t.Fatalf("PutAddressObject: %v", err)
	}
	if put.ETag == "" || put.Path != cardPath {
		t.Fatalf("PutAddressObject = %+v, want an ETag and path %q", put, cardPath)
	}
	got, err := alice.GetAddressObject(ctx, cardPath)
	if err != nil {
		t.Fatalf("GetAddressObject: %v", err)
	}
	if got.ETag != put.ETag || got.Path != cardPath || !bytes.Equal(encodeCard(t, got.Card), sent) {
		t.Fatalf("GetAddressObject = %+v, want ETag %q and the card PUT", got, put.ETag)
	}
	if code, _, body := e.raw(aliceHTTP, "GET", cardPath, nil, ""); code != 200 || body != string(sent) {
		t.Fatalf("raw GET = %d\n%s\nwant the bytes PUT:\n%s", code, body, sent)
	}

	updated := encodeCard(t, newCard("carol-1@example.org", "Caroline"))
	hdr := map[string]string{"Content-Type": "text/vcard; charset=utf-8", "If-Match": strconv.Quote(put.ETag)}
	code, hd, body := e.raw(aliceHTTP, "PUT", cardPath, hdr, string(updated))
	if code != http.StatusNoContent || hd.Get("ETag") == "" || hd.Get("ETag") == strconv.Quote(put.ETag) {
		t.Fatalf("PUT with If-Match = %d, ETag %q\n%s", code, hd.Get("ETag"), body)
	}
	newTag, _ := strconv.Unquote(hd.Get("ETag"))
	if code, _, body := e.raw(aliceHTTP, "PUT", cardPath, hdr, string(sent)); code != http.StatusPreconditionFailed {
		t.Fatalf("PUT with a stale If-Match = %d, want 412\n%s", code, body)
	}
	if got, err = alice.GetAddressObject(ctx, cardPath); err != nil || got.ETag != newTag || !bytes.Equal(encodeCard(t, got.Card), updated) {
		t.Fatalf("after the update: %+v, %v; want ETag %q", got, err, newTag)
	}

	bob := e.cardClient("bob", "bob-pw")
	denied := []int{http.StatusForbidden, http.StatusNotFound}
	_, err = bob.FindAddressBooks(ctx, home)
	e.wantStatus("bob: FindAddressBooks(alice's home)", err, denied...)
	_, err = bob.GetAddressObject(ctx, cardPath)
	e.wantStatus("bob: GetAddressObject(alice's card)", err, denied...)
	_, err = bob.PutAddressObject(ctx, cardPath, newCard("carol-1@example.org", "Mallory"))
	e.wantStatus("bob: PutAddressObject over alice's card", err, denied...)
	e.wantStatus("bob: RemoveAll(alice's card)", bob.RemoveAll(ctx, cardPath), denied...)

	if err := alice.RemoveAll(ctx, cardPath); err != nil {
		t.Fatalf("RemoveAll(%s): %v", cardPath, err)
	}
	_, err = alice.GetAddressObject(ctx, cardPath)
	e.wantStatus("GetAddressObject after delete", err, http.StatusNotFound)
	if code, _, _ := e.raw(aliceHTTP, "GET", cardPath, nil, ""); code != http.StatusNotFound {
		t.Fatalf("raw GET after delete = %d, want 404", code)
	}
	if _, err := alice.Stat(ctx, books[0].Path); err != nil {
		t.Fatalf("the address book went with its card: %v", err)
	}
}
