package main

import (
	"strings"
	"testing"
	"time"
)

func TestOccurrencesAcrossDST(t *testing.T) {
	start := time.Date(2025, 3, 24, 9, 0, 0, 0, berlin) // Monday before the DST change
	e := &event{start: start, end: start.Add(time.Hour), rrule: &rule{freq: "WEEKLY", interval: 1, count: 4}}
	e.exdates = []time.Time{start.AddDate(0, 0, 14)}
	e.override = &override{recurrenceID: start.AddDate(0, 0, 21), start: start.AddDate(0, 0, 22), end: start.AddDate(0, 0, 22).Add(time.Hour)}
	occ := occurrences(e)
	if len(occ) != 3 {
		t.Fatalf("got %d occurrences, want 3", len(occ))
	}
	if got := occ[1].s.UTC(); !got.Equal(time.Date(2025, 3, 31, 7, 0, 0, 0, time.UTC)) {
		t.Errorf("second instance at %v, want 07:00Z (09:00 CEST)", got)
	}
	if !occ[2].s.Equal(e.override.start) {
		t.Errorf("override not applied: %v", occ[2].s)
	}
	u := &event{start: start, end: start.Add(time.Hour), rrule: &rule{freq: "DAILY", interval: 2, until: start.AddDate(0, 0, 6).UTC()}}
	if n := len(occurrences(u)); n != 4 {
		t.Errorf("DAILY;INTERVAL=2;UNTIL=+6d: %d instances, want 4", n)
	}
}

func TestMatchAllDayAndTodo(t *testing.T) {
	ws, we := month(2026, 2)
	inside := &event{allDay: true, start: time.Date(2026, 2, 10, 0, 0, 0, 0, time.UTC), end: time.Date(2026, 2, 11, 0, 0, 0, 0, time.UTC)}
	if m := matchEvent(inside, ws, we); !m.certain {
		t.Error("all-day event inside the month not certain")
	}
	edge := &event{allDay: true, start: time.Date(2026, 1, 31, 0, 0, 0, 0, time.UTC), end: time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)}
	if m := matchEvent(edge, ws, we); m.certain || !m.possible {
		t.Errorf("all-day event on the last day before the window: %+v, want possible only", m)
	}
	todo := &event{todo: true, start: time.Date(2026, 1, 30, 0, 0, 0, 0, time.UTC), end: time.Date(2026, 2, 2, 0, 0, 0, 0, time.UTC)}
	if m := matchEvent(todo, ws, we); !m.certain {
		t.Error("to-do due inside the window does not match")
	}
}

func TestChecksReportWrongAnswers(t *testing.T) {
	must := map[string]bool{"a.ics": true, "b.ics": true}
	kind := func(string) string { return "k" }
	if p := compareSets([]string{"a.ics", "b.ics"}, must, must, kind); p != "" {
		t.Errorf("right answer reported wrong: %s", p)
	}
	if p := compareSets([]string{"a.ics", "c.ics"}, must, must, kind); !strings.Contains(p, "missing 1") || !strings.Contains(p, "extra 1") {
		t.Errorf("wrong answer not reported: %q", p)
	}
	day := time.Date(2026, 2, 1, 0, 0, 0, 0, time.UTC)
	certain := []interval{{day.Add(9 * time.Hour), day.Add(10 * time.Hour)}}
	got, err := busyPeriods("BEGIN:VFREEBUSY\r\nFREEBUSY;FBTYPE=BUSY:20260201T090000Z/PT30M,\r\n 20260201T093000Z/20260201T100000Z\r\nEND:VFREEBUSY\r\n")
	if err != nil {
		t.Fatal(err)
	}
	if p := checkBusy(got, certain, certain); p != "" {
		t.Errorf("right busy time reported wrong: %s", p)
	}
	if p := checkBusy(got[:1], certain, certain); p == "" {
		t.Error("half the busy time missing, not reported")
	}
}

func TestDatasetDeterministic(t *testing.T) {
	a, b := generate(500, 100, 3), generate(500, 100, 3)
	kinds := map[string]int{}
	for i := range a.events {
		if a.events[i].data != b.events[i].data {
			t.Fatalf("event %d differs between runs", i)
		}
		kinds[strings.SplitN(a.events[i].kind, "-", 2)[0]]++
	}
	if kinds["recur"] < 40 || kinds["todo"] < 25 || kinds["single"] < 300 {
		t.Errorf("kinds %v far from 75/15/10 %%", kinds)
	}
}
