package caldav

import (
	"errors"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/internal/dav"
)

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
		case err != nil && !strings.Contains(errorMessage(err), "CALDAV:") && tt.cond != condValidData:
			t.Errorf("%q: message %q does not name the limit", tt.lines, errorMessage(err))
		}
	}
}
