package caldav_test

import (
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pgdav/pgdav/internal/davtest"
)

// Issue 15 item 2: bounded work per request, for calendar objects. Each
// pathological object goes through PUT and, when stored, through an
// expand calendar-query and a free-busy query; the allocations of each
// request stay under a bound (runtime.MemStats, not a clock) and the
// answer is a refusal naming its precondition or the right result.

// allocBound is what one request may allocate, server and client
// together: before the fix, one of these PUTs allocated 13 GB.
const allocBound = 96 << 20

// everySecond is a YEARLY rule whose BYxxx lists name every second of
// the year: 31 million candidates a year.
var everySecond = "FREQ=YEARLY;BYMONTH=" + numList(1, 12) + ";BYMONTHDAY=" + numList(1, 31) +
	";BYDAY=MO,TU,WE,TH,FR,SA,SU;BYHOUR=" + numList(0, 23) + ";BYMINUTE=" + numList(0, 59) + ";BYSECOND=" + numList(0, 59)

func numList(lo, hi int) string {
	var s []string
	for i := lo; i <= hi; i++ {
		s = append(s, strconv.Itoa(i))
	}
	return strings.Join(s, ",")
}

// ruleEvent is a VEVENT with the given DTSTART line and extra lines.
func ruleEvent(uid, dtstart string, lines ...string) string {
	all := []string{"BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//tests//EN",
		"BEGIN:VEVENT", "UID:" + uid, "DTSTAMP:20260101T000000Z", dtstart, "SUMMARY:" + uid}
	all = append(all, lines...)
	return davtest.CRLF(append(all, "END:VEVENT", "END:VCALENDAR")...)
}

// allocated runs fn and returns the bytes allocated meanwhile.
func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

func expandQuery(start, end string) string {
	return `<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/>` +
		`<C:calendar-data><C:expand start="` + start + `" end="` + end + `"/></C:calendar-data></D:prop>` +
		`<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"><C:time-range start="` + start +
		`" end="` + end + `"/></C:comp-filter></C:comp-filter></C:filter></C:calendar-query>`
}

func freeBusyQuery(start, end string) string {
	return `<C:free-busy-query xmlns:C="urn:ietf:params:xml:ns:caldav"><C:time-range start="` + start + `" end="` + end + `"/></C:free-busy-query>`
}

func TestBoundedCalendarObjects(t *testing.T) {
	e := davtest.New(t, davtest.Config{}, "alice")
	const dt = "DTSTART:20260105T100000Z"
	for _, tc := range []struct {
		name    string
		body    string
		status  int
		cond    string
		from    string // expand and free-busy range, when stored
		to      string
		want    []string // in the expanded calendar-data
		notWant []string
	}{
		{name: "every second, BYSETPOS=-1", body: ruleEvent("s1", dt, "DURATION:PT1S", "RRULE:"+everySecond+";BYSETPOS=-1"),
			status: http.StatusCreated, from: "20261231T000000Z", to: "20270101T000000Z",
			want: []string{"DTSTART:20261231T235959Z", "RECURRENCE-ID:20261231T235959Z"}, notWant: []string{"RRULE"}},
		{name: "every second, BYSETPOS=1,-1", body: ruleEvent("s2", dt, "DURATION:PT1S", "RRULE:"+everySecond+";BYSETPOS=1,-1"),
			status: http.StatusCreated, from: "20261231T000000Z", to: "20270101T000001Z",
			want: []string{"DTSTART:20261231T235959Z", "DTSTART:20270101T000000Z"}, notWant: []string{"RRULE"}},
		{name: "every second of the year, COUNT", body: ruleEvent("s3", dt, "RRULE:"+everySecond+";COUNT=3"),
			status: http.StatusCreated, from: "20260105T100000Z", to: "20260106T000000Z",
			want: []string{"DTSTART:20260105T100001Z", "DTSTART:20260105T100002Z"}, notWant: []string{"DTSTART:20260105T100003Z"}},
		{name: "SECONDLY without COUNT", body: ruleEvent("s4", dt, "RRULE:FREQ=SECONDLY"),
			status: http.StatusCreated, from: "20260106T000000Z", to: "20260109T000000Z",
			// 259 200 instances: more than one answer lists, so unexpanded.
			want: []string{"RRULE:FREQ=SECONDLY"}, notWant: []string{"RECURRENCE-ID"}},
		{name: "COUNT beyond max-instances", body: ruleEvent("c1", dt, "RRULE:FREQ=DAILY;COUNT=10001"),
			status: http.StatusForbidden, cond: "max-instances"},
		{name: "UNTIL beyond max-instances", body: ruleEvent("c2", dt, "RRULE:FREQ=HOURLY;UNTIL=20280101T000000Z"),
			status: http.StatusForbidden, cond: "max-instances"},
		{name: "COUNT of a huge rule", body: ruleEvent("c3", dt, "RRULE:"+everySecond+";COUNT=1000000"),
			status: http.StatusForbidden, cond: "max-instances"},
		{name: "a rule that never meets", body: ruleEvent("n1", dt, "RRULE:FREQ=SECONDLY;INTERVAL=2;BYSECOND=1"),
			status: http.StatusForbidden, cond: "valid-calendar-data"},
		{name: "year 0", body: ruleEvent("d1", "DTSTART:00000601T000000Z"),
			status: http.StatusForbidden, cond: "min-date-time"},
		{name: "ends after 9999", body: ruleEvent("d2", "DTSTART:99991231T230000Z", "DURATION:PT2H"),
			status: http.StatusForbidden, cond: "max-date-time"},
		{name: "year 1 and 9999 inside", body: ruleEvent("d3", "DTSTART:00010102T000000Z", "RRULE:FREQ=YEARLY;UNTIL=99990101T000000Z;INTERVAL=1000"),
			status: http.StatusCreated, from: "30010101T000000Z", to: "30020101T000000Z", want: []string{"DTSTART:30010102T000000Z"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := "/calendars/alice/default/" + strings.ReplaceAll(tc.name, " ", "-") + ".ics"
			var r *davtest.Resp
			if n := allocated(func() { r = e.Do(t, "alice", "PUT", path, tc.body, davtest.CTCal) }); n > allocBound {
				t.Errorf("PUT allocated %d MiB", n>>20)
			}
			if tc.status != http.StatusCreated {
				r.Condition(t, tc.status, davtest.CName(tc.cond))
				return
			}
			r.Want(t, http.StatusCreated)
			var ms *davtest.Multistatus
			if n := allocated(func() {
				ms = e.Do(t, "alice", "REPORT", "/calendars/alice/default/", expandQuery(tc.from, tc.to), "Depth: 1").Multistatus(t)
			}); n > allocBound {
				t.Errorf("expand allocated %d MiB", n>>20)
			}
			data := ms.Response(t, e.Href(path)).Found(t, davtest.CName("calendar-data")).Text
			for _, s := range tc.want {
				if !strings.Contains(data, s) {
					t.Errorf("calendar-data lacks %s:\n%.2000s", s, data)
				}
			}
			for _, s := range tc.notWant {
				if strings.Contains(data, s) {
					t.Errorf("calendar-data has %s:\n%.2000s", s, data)
				}
			}
			if n := allocated(func() {
				e.Do(t, "alice", "REPORT", "/calendars/alice/default/", freeBusyQuery(tc.from, tc.to), "Depth: 1").Want(t, http.StatusOK)
			}); n > allocBound {
				t.Errorf("free-busy allocated %d MiB", n>>20)
			}
			e.Do(t, "alice", "DELETE", path, "").Want(t, http.StatusNoContent)
		})
	}
}

// TestExpandBesideSecondlyEvent: one SECONDLY event without COUNT in a
// calendar used to make every expand query over it answer 500. The
// query answers 207; the other objects are expanded as before, the
// SECONDLY one is answered as stored.
func TestExpandBesideSecondlyEvent(t *testing.T) {
	e := davtest.New(t, davtest.Config{}, "alice")
	e.Put(t, "alice", "/calendars/alice/default/daily.ics",
		ruleEvent("daily", "DTSTART:20260105T100000Z", "DTEND:20260105T110000Z", "RRULE:FREQ=DAILY"), davtest.CTCal)
	e.Put(t, "alice", "/calendars/alice/default/secondly.ics", ruleEvent("secondly", "DTSTART:20260105T100000Z", "RRULE:FREQ=SECONDLY"), davtest.CTCal)
	e.Put(t, "alice", "/calendars/alice/default/single.ics", davtest.Event("single", "single"), davtest.CTCal)
	ms := e.Do(t, "alice", "REPORT", "/calendars/alice/default/", expandQuery("20260105T000000Z", "20260108T000000Z"), "Depth: 1").Multistatus(t)
	daily := ms.Response(t, e.Href("/calendars/alice/default/daily.ics")).Found(t, davtest.CName("calendar-data")).Text
	for day := 5; day <= 7; day++ {
		if s := fmt.Sprintf("RECURRENCE-ID:202601%02dT100000Z", day); !strings.Contains(daily, s) {
			t.Errorf("daily event lacks %s:\n%s", s, daily)
		}
	}
	if n := strings.Count(daily, "BEGIN:VEVENT"); n != 3 {
		t.Errorf("daily event: %d instances, want 3", n)
	}
	single := ms.Response(t, e.Href("/calendars/alice/default/single.ics")).Found(t, davtest.CName("calendar-data")).Text
	if !strings.Contains(single, "DTSTART:20260105T100000Z") {
		t.Errorf("single event:\n%s", single)
	}
	secondly := ms.Response(t, e.Href("/calendars/alice/default/secondly.ics")).Found(t, davtest.CName("calendar-data")).Text
	if !strings.Contains(secondly, "RRULE:FREQ=SECONDLY") {
		t.Errorf("secondly event, want it unexpanded:\n%.1000s", secondly)
	}
	fb := e.Do(t, "alice", "REPORT", "/calendars/alice/default/", freeBusyQuery("20260105T000000Z", "20260108T000000Z"), "Depth: 1").Want(t, http.StatusOK)
	if !strings.Contains(string(fb.Body), "20260105T100000Z/20260105T110000Z") {
		t.Errorf("free-busy lacks the daily event:\n%s", fb.Body)
	}
}

// TestCostlyRequestsBesideOthers: costly requests (the PUTs and queries
// above, several at once) and ordinary ones from another user are all
// answered, each costly one within its budget, none failing the others.
// Work is bounded by count (the engine's budget), so no clock is read.
func TestCostlyRequestsBesideOthers(t *testing.T) {
	e := davtest.New(t, davtest.Config{}, "alice", "bob")
	e.Put(t, "alice", "/calendars/alice/default/secondly.ics", ruleEvent("secondly", "DTSTART:20260105T100000Z", "RRULE:FREQ=SECONDLY"), davtest.CTCal)
	e.Put(t, "bob", "/calendars/bob/default/a.ics", davtest.Event("a", "a"), davtest.CTCal)
	const costly, ordinary = 6, 30
	type result struct {
		kind   string
		status int
	}
	results := make(chan result, costly+ordinary)
	var wg sync.WaitGroup
	for i := range costly {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if i%2 == 0 {
				body := ruleEvent(fmt.Sprintf("c%d", i), "DTSTART:20260105T100000Z", "RRULE:"+everySecond+";BYSETPOS=-1,1,-2,2")
				r := e.Do(t, "alice", "PUT", fmt.Sprintf("/calendars/alice/default/c%d.ics", i), body, davtest.CTCal)
				results <- result{"costly", r.Status}
				return
			}
			r := e.Do(t, "alice", "REPORT", "/calendars/alice/default/", expandQuery("20260105T000000Z", "20260120T000000Z"), "Depth: 1")
			results <- result{"costly", r.Status}
		}()
	}
	for range ordinary {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := e.Do(t, "bob", "GET", "/calendars/bob/default/a.ics", "")
			results <- result{"ordinary", r.Status}
		}()
	}
	wg.Wait()
	close(results)
	counts := map[string]int{}
	for r := range results {
		switch {
		case r.kind == "ordinary" && r.status == http.StatusOK,
			r.kind == "costly" && (r.status == http.StatusCreated || r.status == http.StatusMultiStatus):
			counts[r.kind]++
		default:
			t.Errorf("%s request: status %d", r.kind, r.status)
		}
	}
	if counts["costly"] != costly || counts["ordinary"] != ordinary {
		t.Errorf("answered %v, want %d costly and %d ordinary", counts, costly, ordinary)
	}
}

// TestCalendarLimitsAdvertised: the limits PUT enforces are the live
// properties of a calendar (RFC 4791 5.2.6–5.2.9).
func TestCalendarLimitsAdvertised(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	r := e.Propfind(t, "alice", "/calendars/alice/default/", "0",
		davtest.CName("max-instances"), davtest.CName("min-date-time"), davtest.CName("max-date-time"), davtest.CName("max-attendees-per-instance")).
		Response(t, e.Href("/calendars/alice/default/"))
	for name, want := range map[string]string{"max-instances": "10000", "min-date-time": "00010101T000000Z",
		"max-date-time": "99991231T235959Z", "max-attendees-per-instance": "1000"} {
		if got := r.Found(t, davtest.CName(name)).Text; got != want {
			t.Errorf("%s = %q, want %q", name, got, want)
		}
	}
}

// TestPUTRefusesTooManyAttendees: an instance with more attendees than
// the calendar advertises is 403 max-attendees-per-instance (RFC 4791
// 5.3.2.1), and nothing is stored.
func TestPUTRefusesTooManyAttendees(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice")
	attendees := func(n int) []string {
		lines := make([]string, n)
		for i := range lines {
			lines[i] = fmt.Sprintf("ATTENDEE:mailto:a%d@example.org", i)
		}
		return lines
	}
	e.Put(t, "alice", "/calendars/alice/default/seats.ics", ruleEvent("seats", "DTSTART:20260105T100000Z", attendees(1000)...))
	over := ruleEvent("crowd", "DTSTART:20260105T100000Z", attendees(1001)...)
	r := e.Do(t, "alice", "PUT", "/calendars/alice/default/crowd.ics", over, "Content-Type: text/calendar")
	r.Condition(t, http.StatusForbidden, davtest.CName("max-attendees-per-instance"))
	e.Do(t, "alice", "GET", "/calendars/alice/default/crowd.ics", "").Want(t, http.StatusNotFound)
}
