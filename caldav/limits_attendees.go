package caldav

import (
	"github.com/emersion/go-ical"
)

// maxAttendeesPerInstance bounds the ATTENDEEs of one instance: a
// recurrence set's master or one of its overrides (RFC 4791 5.2.9). Each
// attendee is a scheduling message when the organizer changes the event
// (RFC 6638 3.2), so the bound caps the work one PUT can start; a
// thousand seats an all-hands meeting.
const maxAttendeesPerInstance = 1000

const condMaxAttendees = "max-attendees-per-instance"

// checkAttendees refuses an instance with more than
// maxAttendeesPerInstance attendees (RFC 4791 5.3.2.1). Attendees of a
// VALARM are the recipients of an e-mail alarm, not of the instance.
func checkAttendees(cal *ical.Calendar) error {
	for _, c := range cal.Children {
		if !isRecurrenceType(c.Name) {
			continue
		}
		if n := len(c.Props[ical.PropAttendee]); n > maxAttendeesPerInstance {
			return precondition(condMaxAttendees,
				"%s has %d attendees in one instance; this server allows at most %d (CALDAV:max-attendees-per-instance)",
				c.Name, n, maxAttendeesPerInstance)
		}
	}
	return nil
}
