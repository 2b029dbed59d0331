package main

import (
	"sort"
	"time"
)

// The ground truth: davload expands its own (simple) rules and applies
// RFC 4791 section 9.9 itself. It shares no code with any server.

// maxInstances bounds a series; the generator never emits more.
const maxInstances = 1000

// instances lists the start times a rule produces from start (before
// EXDATE and overrides). Steps are in wall-clock days of start's zone,
// so a weekly 09:00 meeting stays at 09:00 across DST changes.
func instances(start time.Time, r *rule) []time.Time {
	step := r.interval
	if r.freq == "WEEKLY" {
		step *= 7
	}
	var out []time.Time
	for k := 0; k < maxInstances; k++ {
		t := start.AddDate(0, 0, k*step)
		if r.count > 0 && k >= r.count {
			break
		}
		if !r.until.IsZero() && t.After(r.until) {
			break
		}
		out = append(out, t)
	}
	return out
}

// interval is a half-open time span [s, e).
type interval struct{ s, e time.Time }

// occurrences lists the event's instances after EXDATE and overrides.
func occurrences(e *event) []interval {
	d := e.end.Sub(e.start)
	if e.rrule == nil {
		return []interval{{e.start, e.end}}
	}
	var out []interval
	for _, t := range instances(e.start, e.rrule) {
		skip := false
		for _, x := range e.exdates {
			skip = skip || x.Equal(t)
		}
		if skip {
			continue
		}
		if e.override != nil && e.override.recurrenceID.Equal(t) {
			out = append(out, interval{e.override.start, e.override.end})
			continue
		}
		out = append(out, interval{t, t.Add(d)})
	}
	return out
}

// Floating (all-day) times may be read in any zone from UTC-12 to UTC+14;
// RFC 4791 leaves the choice to the server (calendar-timezone), so an
// answer is accepted either way when the zone matters.
const (
	floatEarliest = -14 * time.Hour
	floatLatest   = 12 * time.Hour
)

func overlaps(s, e, ws, we time.Time) bool { return s.Before(we) && e.After(ws) }

// match says whether the event must (certain) or may (possible) be in a
// calendar-query answer for [ws, we), and how many expanded instances it
// contributes (min and max).
type match struct {
	certain, possible bool
	minInst, maxInst  int
}

func matchEvent(e *event, ws, we time.Time) match {
	switch {
	case e.todo:
		// VTODO with DTSTART and DUE (RFC 4791 9.9).
		in := (ws.Before(e.end) || !e.start.Before(ws)) && (we.After(e.start) || !we.Before(e.end))
		if in {
			return match{true, true, 1, 1}
		}
		return match{}
	case e.allDay:
		a := overlaps(e.start.Add(floatEarliest), e.end.Add(floatEarliest), ws, we)
		b := overlaps(e.start.Add(floatLatest), e.end.Add(floatLatest), ws, we)
		// in for some offset in (ws-end, we-start) ∩ [earliest, latest]
		lo, hi := ws.Sub(e.end), we.Sub(e.start)
		possible := lo < floatLatest && hi > floatEarliest && lo < hi
		m := match{certain: a && b, possible: possible}
		if m.certain {
			m.minInst = 1
		}
		if m.possible {
			m.maxInst = 1
		}
		return m
	}
	n := 0
	for _, o := range occurrences(e) {
		if overlaps(o.s, o.e, ws, we) {
			n++
		}
	}
	return match{n > 0, n > 0, n, n}
}

// truth is the expected answer of a calendar-query over one window.
type truth struct {
	must, may        map[string]*event // may includes must
	minInst, maxInst int
}

func queryTruth(ds *dataset, ws, we time.Time) *truth {
	t := &truth{must: map[string]*event{}, may: map[string]*event{}}
	for _, e := range ds.events {
		m := matchEvent(e, ws, we)
		if m.certain {
			t.must[e.name] = e
		}
		if m.possible {
			t.may[e.name] = e
		}
		t.minInst += m.minInst
		t.maxInst += m.maxInst
	}
	return t
}

// busyTruth returns, for a free-busy-query over [ws, we), the busy time
// that must be reported (certain) and the most that may be (widest), both
// merged and clipped to the window. VTODOs are not busy time.
func busyTruth(ds *dataset, ws, we time.Time) (certain, widest []interval) {
	for _, e := range ds.events {
		if e.todo {
			continue
		}
		if e.allDay {
			c := interval{e.start.Add(floatLatest), e.end.Add(floatEarliest)}
			if c.s.Before(c.e) {
				certain = append(certain, c)
			}
			widest = append(widest, interval{e.start.Add(floatEarliest), e.end.Add(floatLatest)})
			continue
		}
		for _, o := range occurrences(e) {
			certain = append(certain, o)
			widest = append(widest, o)
		}
	}
	return clip(merge(certain), ws, we), clip(merge(widest), ws, we)
}

// merge sorts and unions intervals.
func merge(in []interval) []interval {
	s := append([]interval(nil), in...)
	sort.Slice(s, func(i, j int) bool { return s[i].s.Before(s[j].s) })
	var out []interval
	for _, iv := range s {
		if !iv.s.Before(iv.e) {
			continue
		}
		if n := len(out); n > 0 && !iv.s.After(out[n-1].e) {
			if iv.e.After(out[n-1].e) {
				out[n-1].e = iv.e
			}
			continue
		}
		out = append(out, iv)
	}
	return out
}

func clip(in []interval, ws, we time.Time) []interval {
	var out []interval
	for _, iv := range in {
		if iv.s.Before(ws) {
			iv.s = ws
		}
		if iv.e.After(we) {
			iv.e = we
		}
		if iv.s.Before(iv.e) {
			out = append(out, iv)
		}
	}
	return out
}

func measure(in []interval) time.Duration {
	var d time.Duration
	for _, iv := range in {
		d += iv.e.Sub(iv.s)
	}
	return d
}

// intersect returns the overlap of two merged, sorted interval lists.
func intersect(a, b []interval) []interval {
	var out []interval
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		s, e := a[i].s, a[i].e
		if b[j].s.After(s) {
			s = b[j].s
		}
		if b[j].e.Before(e) {
			e = b[j].e
		}
		if s.Before(e) {
			out = append(out, interval{s, e})
		}
		if a[i].e.Before(b[j].e) {
			i++
		} else {
			j++
		}
	}
	return out
}

// month returns the UTC window of month m (1-12) of year y.
func month(y, m int) (time.Time, time.Time) {
	s := time.Date(y, time.Month(m), 1, 0, 0, 0, 0, time.UTC)
	return s, s.AddDate(0, 1, 0)
}
