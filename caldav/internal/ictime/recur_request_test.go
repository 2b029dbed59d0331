package ictime

import (
	"errors"
	"testing"
)

// TestRequestWork: a request's budget bounds the work of all its objects
// together. Every object here is within its own budget (each question
// costs maxRecurWork and fails as too complex), yet once the request has
// spent maxRequestWork, a further object costs nearly nothing.
func TestRequestWork(t *testing.T) {
	cal := tcal(t, "BEGIN:VEVENT\nUID:c\nDTSTART:20260101T000000Z\nRRULE:FREQ=MINUTELY;INTERVAL=120;BYHOUR=1\nEND:VEVENT")
	tr := rng(t, "40000101T000000Z", "40000102T000000Z")
	ask := func(w *Work) error {
		tc := NewContext(cal, nil)
		tc.Charge(w)
		return tc.Instances(cal.Children[0], tr, func(Instance) bool { return true })
	}
	w := NewWork()
	questions := 0
	for w.left > 0 && questions <= maxRequestWork/maxRecurWork+1 {
		if err := ask(w); !errors.Is(err, ErrTooComplex) {
			t.Fatalf("question %d: %v, want too complex", questions, err)
		}
		questions++
	}
	if w.left > 0 {
		t.Fatalf("%d questions of %d units each left %d of the request's budget", questions, maxRecurWork, w.left)
	}
	if want := maxRequestWork / maxRecurWork; questions < want || questions > want+1 {
		t.Errorf("the request answered %d questions in full, want %d", questions, want)
	}
	if w.left < -maxRecurWork {
		t.Errorf("the request overspent: %d units left", w.left)
	}
	before := w.left
	if err := ask(w); !errors.Is(err, ErrTooComplex) {
		t.Errorf("after the budget: %v, want too complex", err)
	}
	if spent := before - w.left; spent > 16 {
		t.Errorf("a question after the request's budget cost %d units", spent)
	}
	// Without a request's budget (PUT), each object has its own.
	if err := ask(nil); !errors.Is(err, ErrTooComplex) {
		t.Errorf("without a request budget: %v", err)
	}
}
