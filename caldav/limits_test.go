package caldav

import (
	"errors"
	"runtime"
	"strings"
	"testing"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/caldav/internal/ictime/ictimetest"
	"github.com/pgdav/pgdav/internal/dav"
)

// tcal decodes the components in body (lines separated by \n) inside a
// VCALENDAR.
func tcal(t testing.TB, body string) *ical.Calendar {
	t.Helper()
	data := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//test//EN\r\n" +
		strings.ReplaceAll(strings.TrimSpace(body), "\n", "\r\n") + "\r\nEND:VCALENDAR\r\n"
	cal, err := decodeCalendar([]byte(data))
	if err != nil {
		t.Fatalf("decode: %v\n%s", err, data)
	}
	return cal
}

// TestCheckLimits: what PUT refuses because the engine could not answer
// for it in every query, and what it keeps.
func TestCheckLimits(t *testing.T) {
	for _, tt := range []struct {
		lines string
		cond  string // "" for accepted
	}{
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;COUNT=10000", ""},
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;COUNT=10001", condMaxInstances},
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;COUNT=10002\nEXDATE:20260105T100000Z,20260106T100000Z", ""},
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;UNTIL=20530101T000000Z", ""},
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;UNTIL=20600101T000000Z", condMaxInstances},
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY", ""},
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=SECONDLY", ""},
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", ""}, // ends in 9999 cheaply
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=SECONDLY;INTERVAL=2;BYSECOND=1", condValidData},
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY\nEXRULE:FREQ=SECONDLY;INTERVAL=2;BYSECOND=1", condValidData},
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;COUNT=10000000", condMaxInstances},
		{"DTSTART:00010101T000000Z", ""},
		{"DTSTART:00001231T235959Z", condMinDateTime},
		{"DTSTART:00010101T000000", condMinDateTime}, // floating: before year 1 east of UTC
		{"DTSTART;VALUE=DATE:00010102", ""},
		{"DTSTART;TZID=Europe/Berlin:00010101T000000", condMinDateTime},
		{"DTSTART:99991231T235959Z", ""},
		{"DTSTART:99991231T230000Z\nDURATION:PT2H", condMaxDateTime},
		{"DTSTART:99991231T200000", condMaxDateTime}, // floating: after 9999 west of UTC
		{"DTSTART:20260105T100000Z\nRRULE:FREQ=DAILY;UNTIL=00000101T000000Z", condMinDateTime},
		{"DTSTART:20260105T100000Z\nRDATE:20260106T100000Z,00000101T000000Z", condMinDateTime},
		{"DTSTART:20260105T100000Z\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER;VALUE=DATE-TIME:00000101T000000Z\nEND:VALARM", condMinDateTime},
		{"DTSTART:20260105T100000Z\nBEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-P3000D\nEND:VALARM", ""},
	} {
		cal := tcal(t, "BEGIN:VEVENT\nUID:c\nDTSTAMP:20260101T000000Z\n"+tt.lines+"\nEND:VEVENT")
		err := checkLimits(cal)
		var de *dav.Error
		switch {
		case tt.cond == "" && err != nil:
			t.Errorf("%q: %v", tt.lines, err)
		case tt.cond != "" && (!errors.As(err, &de) || de.Condition != dav.CalDAVName(tt.cond)):
			t.Errorf("%q: got %v, want %s", tt.lines, err, tt.cond)
		case err != nil && !strings.Contains(dav.MessageOf(err), "CALDAV:") && tt.cond != condValidData:
			t.Errorf("%q: message %q does not name the limit", tt.lines, dav.MessageOf(err))
		}
	}
}

// TestRuleCostAtPut: the 755-byte PUT that allocated 13 GB and ran 30 s
// (ValidateObject: parse, limits, span, stored times and expansion) now
// allocates little; every object's work stays in the budget.
func TestRuleCostAtPut(t *testing.T) {
	for _, rule := range []string{
		ictimetest.EverySecondOfTheYear + ";BYSETPOS=-1",
		ictimetest.EverySecondOfTheYear + ";BYSETPOS=1,-1,2,-2",
		ictimetest.EverySecondOfTheYear + ";COUNT=100",
		"FREQ=SECONDLY",
		"FREQ=DAILY;BYHOUR=" + ictimetest.IntList(0, 23) + ";BYMINUTE=" + ictimetest.IntList(0, 59) + ";BYSECOND=" + ictimetest.IntList(0, 59) + ";BYSETPOS=-1",
	} {
		body := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:x\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTAMP:20250101T000000Z\r\nDTSTART:20250101T000000Z\r\nRRULE:" + rule + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
		var before, after runtime.MemStats
		runtime.ReadMemStats(&before)
		_, err := (&Type{}).ValidateObject([]byte(body), "text/calendar", &backend.Collection{})
		runtime.ReadMemStats(&after)
		if err != nil {
			t.Errorf("%.60s: %v", rule, err)
		}
		if n := after.TotalAlloc - before.TotalAlloc; n > 16<<20 {
			t.Errorf("%.60s: %d MiB allocated", rule, n>>20)
		}
	}
}
