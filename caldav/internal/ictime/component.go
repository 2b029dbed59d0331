package ictime

import (
	"time"

	"github.com/emersion/go-ical"
)

// NewSpanContext prepares evaluation of cal with answers that hold for
// every floating zone (ObjectSpan, and the counts PUT limits): floating
// DATE-TIMEs and DATE values are read in UTC, and an EXDATE or
// RECURRENCE-ID whose match depends on the floating zone removes no
// instance, so bounds and counts are upper bounds.
func NewSpanContext(cal *ical.Calendar) *Context {
	tc := NewContext(cal, nil)
	tc.spanMode = true
	return tc
}

// Floats reports whether a floating DATE-TIME or a DATE value has been
// read: the answers so far then hold only in the context's floating zone.
func (tc *Context) Floats() bool { return tc.sawFloating }

// Times is what the engine read of one component's own times.
type Times struct {
	// HasStart: the component has a DTSTART (or, for an override, a
	// RECURRENCE-ID standing for it).
	HasStart bool
	// Recurring: a master whose RRULE or RDATE define a recurrence set.
	Recurring bool
	// Start and End are the component's own instance (UTC), ignoring
	// its recurrence: DTSTART to the RFC 4791 9.9 effective end, or for
	// a VTODO without DTSTART the times of its 9.9 row.
	Start, End time.Time
}

// Times reads the time properties of comp, a VEVENT, VTODO, VJOURNAL or
// VFREEBUSY. On an error the result holds what could be read, without
// the faulty property.
func (tc *Context) Times(comp *ical.Component) (Times, error) {
	var ci *compInfo
	var err error
	if comp.Name == ical.CompFreeBusy {
		ci, err = tc.freeBusyInfo(comp)
	} else {
		ci, err = tc.info(comp)
	}
	o := ci.ownOcc()
	return Times{HasStart: ci.hasStart, Recurring: ci.recurring(), Start: o.start, End: o.end}, err
}

// TodoIsPeriod reports whether a VTODO instance's RFC 4791 9.9 row is an
// overlap of [S, E) with one period or instant, as VEVENT rows are: DTSTART
// with a later DUE ((S < DUE OR S <= DTSTART) AND (E > DTSTART OR E >=
// DUE) reduces to S < DUE AND E > DTSTART), or DTSTART alone (S <= DTSTART
// AND E > DTSTART). The other rows close the range at E (E >= DUE), which
// no set of periods tested against [S, E) can express.
func (tc *Context) TodoIsPeriod(in Instance) bool {
	ci, err := tc.info(in.Comp)
	if err != nil {
		return false
	}
	switch ci.todoRow {
	case todoStartDue:
		return in.End.After(in.Start)
	case todoStart:
		return true
	}
	return false
}
