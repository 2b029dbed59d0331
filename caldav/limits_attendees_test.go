package caldav

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/internal/dav"
)

func TestCheckAttendees(t *testing.T) {
	attendees := func(n int) string {
		var b strings.Builder
		for i := range n {
			fmt.Fprintf(&b, "ATTENDEE:mailto:a%d@example.org\n", i)
		}
		return b.String()
	}
	alarm := "BEGIN:VALARM\nACTION:EMAIL\nTRIGGER:-PT5M\nSUMMARY:s\nDESCRIPTION:d\n" + attendees(maxAttendeesPerInstance+1) + "END:VALARM\n"
	for _, tt := range []struct {
		name, body string
		refused    bool
	}{
		{"at the limit", "BEGIN:VEVENT\nUID:a\nDTSTART:20260105T100000Z\n" + attendees(maxAttendeesPerInstance) + "END:VEVENT", false},
		{"one over", "BEGIN:VEVENT\nUID:a\nDTSTART:20260105T100000Z\n" + attendees(maxAttendeesPerInstance+1) + "END:VEVENT", true},
		{"an override over", "BEGIN:VEVENT\nUID:a\nDTSTART:20260105T100000Z\nRRULE:FREQ=DAILY\n" + attendees(3) + "END:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20260106T100000Z\nDTSTART:20260106T100000Z\n" + attendees(maxAttendeesPerInstance+1) + "END:VEVENT", true},
		{"each instance at the limit", "BEGIN:VEVENT\nUID:a\nDTSTART:20260105T100000Z\nRRULE:FREQ=DAILY\n" + attendees(maxAttendeesPerInstance) + "END:VEVENT\n" +
			"BEGIN:VEVENT\nUID:a\nRECURRENCE-ID:20260106T100000Z\nDTSTART:20260106T100000Z\n" + attendees(maxAttendeesPerInstance) + "END:VEVENT", false},
		{"a to-do over", "BEGIN:VTODO\nUID:a\n" + attendees(maxAttendeesPerInstance+1) + "END:VTODO", true},
		{"e-mail alarm recipients are not attendees", "BEGIN:VEVENT\nUID:a\nDTSTART:20260105T100000Z\n" + alarm + "END:VEVENT", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := checkAttendees(tcal(t, tt.body))
			var de *dav.Error
			switch {
			case !tt.refused && err != nil:
				t.Errorf("refused: %v", err)
			case tt.refused && (!errors.As(err, &de) || de.Condition != dav.CalDAVName(condMaxAttendees)):
				t.Errorf("got %v, want %s", err, condMaxAttendees)
			}
		})
	}
}
