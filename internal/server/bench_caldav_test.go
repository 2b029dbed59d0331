package server

// Issue 4 performance: a one-month calendar-query with getetag, and a
// 100-href calendar-multiget with calendar-data, over real HTTP, on
// calendars of 10 000 and 100 000 objects (15 % recurring, spread over
// three years). The query reads candidates from the span index, not the
// calendar, so its cost should barely grow with the calendar's size.
//
//	go test -run '^$' -bench 'CalendarQueryMonth|CalendarMultiget100' -benchtime 20x ./internal/server/

import (
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
	"github.com/pgdav/pgdav/caldav"
)

type caldavBench struct {
	srv    *httptest.Server
	client *http.Client
	names  []string
}

// newCalDAVBench fills calendar "big" of user "bench" with n events:
// 85 % single one-hour events in Europe/Berlin over 2025–2027, 15 %
// weekly series (half with COUNT=20, half infinite).
func newCalDAVBench(b *testing.B, n int) *caldavBench {
	b.Helper()
	ctx := b.Context()
	store := backendtest.New(b)
	hash, err := testPasswordHash()
	if err != nil {
		b.Fatal(err)
	}
	p, err := store.CreatePrincipal(ctx, backend.Principal{Name: "bench"}, hash, nil)
	if err != nil {
		b.Fatal(err)
	}
	coll, err := store.CreateCollection(ctx, p.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "big"}, nil)
	if err != nil {
		b.Fatal(err)
	}
	typ := caldav.NewType(1<<20, store)
	rng := rand.New(rand.NewPCG(1, 2))
	base := time.Date(2025, 1, 1, 8, 0, 0, 0, time.UTC)
	cb := &caldavBench{}
	var batch []backend.ObjectWrite
	for i := range n {
		start := base.Add(time.Duration(rng.IntN(3*365*24)) * time.Hour)
		rule := ""
		if i%100 < 15 {
			rule = "RRULE:FREQ=WEEKLY\r\n"
			if i%2 == 0 {
				rule = "RRULE:FREQ=WEEKLY;COUNT=20\r\n"
			}
		}
		uid := fmt.Sprintf("bench-%d@pgdav.test", i)
		data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//bench//EN\r\nBEGIN:VEVENT\r\n" +
			"UID:" + uid + "\r\nDTSTAMP:20250101T000000Z\r\n" +
			"DTSTART;TZID=Europe/Berlin:" + start.Format("20060102T150405") + "\r\nDURATION:PT1H\r\n" + rule +
			"SUMMARY:Event number " + fmt.Sprint(i) + "\r\nLOCATION:Room " + fmt.Sprint(i%40) + "\r\n" +
			"DESCRIPTION:A description long enough to look like a real event's text.\r\n" +
			"END:VEVENT\r\nEND:VCALENDAR\r\n"
		meta, err := typ.ValidateObject([]byte(data), "text/calendar", &coll)
		if err != nil {
			b.Fatal(err)
		}
		name := fmt.Sprintf("%08d.ics", i)
		cb.names = append(cb.names, name)
		batch = append(batch, backend.ObjectWrite{CollectionID: coll.ID, Name: name, Data: []byte(data),
			UID: meta.UID, Component: meta.Component, ContentType: meta.ContentType, Span: meta.Span, Times: meta.Times})
		if len(batch) == 5000 || i == n-1 {
			if _, err := store.ImportObjects(ctx, coll.ID, batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	s := New(Config{AuthCacheTTL: time.Hour}, store)
	s.SetReady()
	cb.srv = httptest.NewServer(s)
	b.Cleanup(cb.srv.Close)
	cb.client = cb.srv.Client()
	return cb
}

func (cb *caldavBench) report(b *testing.B, body string) int {
	req, _ := http.NewRequest("REPORT", cb.srv.URL+"/calendars/bench/big/", strings.NewReader(body))
	req.SetBasicAuth("bench", testPassword)
	req.Header.Set("Depth", "1")
	resp, err := cb.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	data, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusMultiStatus {
		b.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	return strings.Count(string(data), "<D:response>")
}

const monthQuery = `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">` +
	`<D:prop><D:getetag/></D:prop><C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT">` +
	`<C:time-range start="20260301T000000Z" end="20260401T000000Z"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`

func BenchmarkCalendarQueryMonth(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			cb := newCalDAVBench(b, n)
			matches := 0
			for b.Loop() {
				matches = cb.report(b, monthQuery)
			}
			b.ReportMetric(float64(matches), "matches")
		})
	}
}

func BenchmarkCalendarMultiget100(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		b.Run(fmt.Sprintf("N=%d", n), func(b *testing.B) {
			cb := newCalDAVBench(b, n)
			var q strings.Builder
			q.WriteString(`<C:calendar-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/><C:calendar-data/></D:prop>`)
			for i := range 100 {
				q.WriteString("<D:href>/calendars/bench/big/" + cb.names[(i*7919)%n] + "</D:href>")
			}
			q.WriteString(`</C:calendar-multiget>`)
			for b.Loop() {
				if got := cb.report(b, q.String()); got != 100 {
					b.Fatalf("%d responses, want 100", got)
				}
			}
		})
	}
}
