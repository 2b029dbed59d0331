package ictime

import (
	"fmt"
	"sync/atomic"
)

// errTooManyInstances (an ErrTooComplex) is a set that has, or a range
// that holds, more than MaxInstances instances.
var errTooManyInstances = fmt.Errorf("%w: more than %d instances", ErrTooComplex, MaxInstances)

// The time engine's bounds. Every recurrence question (does this set
// overlap a range, what are its instances in a range, where does it
// end) is answered within a fixed budget counted in units of work, not
// in time, so one object costs the same on every machine and the limit
// is the same at PUT as in a REPORT.
//
// A unit is one period of a rule visited, one day of a period examined,
// one candidate read, one BYSETPOS position applied, or one instance of
// the set produced. A period's candidates are never listed: a YEARLY rule
// with every BYMONTH, BYMONTHDAY, BYDAY, BYHOUR, BYMINUTE and BYSECOND has
// 31 million of them a year, and BYSETPOS=-1 is read as the last by its
// index. So memory stays at a few kilobytes per rule whatever the rule,
// and time is proportional to the units spent.
const (
	// maxRecurWork is the budget of one question about one recurrence
	// set, shared by its RRULEs and EXRULEs: some 50 ms of one core.
	maxRecurWork = 1_000_000

	// maxObjectWork bounds all the questions one request asks about one
	// object (a filter with many time-ranges, its alarms, an expand):
	// once spent, every further question is too complex.
	maxObjectWork = 4 * maxRecurWork

	// maxRequestWork bounds the questions one request asks about all
	// its objects together (a calendar-query over a calendar of many
	// costly rules, each within its own budget): ten objects' worth,
	// some seconds of one core, and far beyond what a query over a
	// hundred thousand ordinary events spends.
	maxRequestWork = 10 * maxObjectWork

	// MaxInstances is CALDAV:max-instances (RFC 4791 5.2.8): a finite
	// recurrence set may have at most this many instances (PUT refuses
	// more), and one answer lists at most this many instances of one
	// object (an expand or free-busy range holding more of an infinite
	// set answers that object without expansion). A daily series of 27
	// years fits.
	MaxInstances = 10000
)

// recurWorkDone counts every unit spent since the process started, for
// tests that show work is bounded without timing it.
var recurWorkDone atomic.Int64

// recurBudget is the work left for one question.
type recurBudget struct {
	left  int64
	spent int64
	owner *Context // charged on close
}

func newRecurBudget() *recurBudget { return &recurBudget{left: maxRecurWork} }

// Work is what one request may spend on all its objects
// (maxRequestWork units). Once it is spent, every further question of
// the request is too complex, so its objects are answered the way a
// costly one is. It is not safe for concurrent use: one request answers
// its objects one by one.
type Work struct{ left int64 }

// NewWork returns the budget of one request.
func NewWork() *Work { return &Work{left: maxRequestWork} }

// Charge makes every question tc answers spend from w too; a nil w
// leaves tc with its own object's budget only (PUT checks each object
// alone).
func (tc *Context) Charge(w *Work) { tc.request = w }

// budget returns the budget of one question about tc's object: the
// question's own, or what is left of the object's or the request's if
// that is less.
func (tc *Context) budget() *recurBudget {
	if !tc.workSet {
		tc.workLeft, tc.workSet = maxObjectWork, true
	}
	b := newRecurBudget()
	b.left = min(b.left, tc.workLeft)
	if tc.request != nil {
		b.left = min(b.left, tc.request.left)
	}
	b.owner = tc
	return b
}

// spend takes n units and reports whether the budget still holds.
func (b *recurBudget) spend(n int64) bool {
	b.left -= n
	b.spent += n
	return b.left >= 0
}

// close adds what the question spent to recurWorkDone and to its
// object's account.
func (b *recurBudget) close() {
	recurWorkDone.Add(b.spent)
	if b.owner != nil {
		b.owner.workLeft -= b.spent
		if b.owner.request != nil {
			b.owner.request.left -= b.spent
		}
	}
}

func (b *recurBudget) exhausted() bool { return b.left < 0 }

func (b *recurBudget) err() error {
	return fmt.Errorf("%w: it needs more than %d units of work", ErrTooComplex, maxRecurWork)
}
