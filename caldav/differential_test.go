package caldav

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
	"github.com/pgdav/pgdav/caldav/internal/ictime"
)

// TestTimeRangeIndexIsExact is the differential test of RFC 4791 9.9 over
// the index: for a generated calendar (single, all-day and recurring
// events in several zones, floating and with custom VTIMEZONEs, EXDATEs,
// overridden instances moved into and out of ranges, infinite rules,
// alarms up to a week before, to-dos of every 9.9 shape, journals), the
// path the REPORT takes — the SQL pre-filter on the stored span, then the
// exact evaluator on the candidates — returns exactly what the exact
// evaluator returns over every object, for many random windows, several
// component filters and several floating zones.
func TestTimeRangeIndexIsExact(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := backendtest.New(t)
	hash, _ := backend.HashPassword("x")
	p, err := store.CreatePrincipal(ctx, backend.Principal{Name: "diff"}, hash, nil)
	if err != nil {
		t.Fatal(err)
	}
	coll, err := store.CreateCollection(ctx, p.ID, backend.Collection{Kind: backend.KindCalendar, Slug: "c"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	typ := NewType(1<<20, store)

	const n = 2000
	rng := rand.New(rand.NewPCG(42, 7))
	parsed := map[string]*ical.Calendar{}
	var batch []backend.ObjectWrite
	var edges []time.Time // where stored instances start and end
	for i := range n {
		data := genObject(rng, i)
		meta, err := typ.ValidateObject([]byte(data), "text/calendar", &coll)
		if err != nil {
			t.Fatalf("generated object %d is invalid: %v\n%s", i, err, data)
		}
		name := fmt.Sprintf("o%04d.ics", i)
		batch = append(batch, backend.ObjectWrite{CollectionID: coll.ID, Name: name, Data: []byte(data),
			UID: meta.UID, Component: meta.Component, ContentType: meta.ContentType, Span: meta.Span, Times: meta.Times})
		if parsed[name], err = decodeCalendar([]byte(data)); err != nil {
			t.Fatal(err)
		}
		if meta.Times != nil {
			for _, iv := range meta.Times.Instances {
				edges = append(edges, iv.Start, iv.End)
			}
		}
	}
	if _, err := store.ImportObjects(ctx, coll.ID, batch); err != nil {
		t.Fatal(err)
	}

	zones := []*time.Location{time.UTC, mustZone(t, "Pacific/Kiritimati"), mustZone(t, "Pacific/Pago_Pago"), mustZone(t, "Europe/Berlin")}
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	windows, candidatesTotal, matchesTotal, decidedTotal, fbWindows := 0, 0, 0, 0, 0
	for w := range 200 {
		start := base.Add(time.Duration(rng.Int64N(int64(4 * 365 * 24 * time.Hour)))).Truncate(time.Minute)
		tr := TimeRange{Start: start, End: start.Add(time.Duration(1+rng.Int64N(int64(40*24*time.Hour))) + time.Minute).Truncate(time.Second)} // a time-range has seconds (RFC 4791 9.9)
		switch {
		case w >= 120: // an edge of a stored instance on an edge of the window
			e, d := edges[rng.IntN(len(edges))], time.Duration(1+rng.IntN(3*24*60))*time.Minute
			tr = TimeRange{Start: e, End: e.Add(d)}
			if w%2 == 0 {
				tr = TimeRange{Start: e.Add(-d), End: e}
			}
		case w%10 == 0:
			tr.Start = time.Time{} // open start
		case w%10 == 1:
			tr.End = time.Time{} // open end (iOS, DAVx5)
		}
		comp := []string{"VEVENT", "VEVENT", "VTODO", "VJOURNAL", "ALARM"}[w%5]
		filter := &compFilter{Name: "VCALENDAR"}
		if comp == "ALARM" {
			filter.Comps = []*compFilter{{Name: "VEVENT", Comps: []*compFilter{{Name: "VALARM", TimeRange: &tr}}}}
		} else {
			filter.Comps = []*compFilter{{Name: comp, TimeRange: &tr}}
		}
		floating := zones[w%len(zones)]

		want := map[string]bool{}
		for name, cal := range parsed {
			ok, err := filter.matches(ictime.NewContext(cal, floating), cal)
			if err != nil {
				t.Fatalf("exact evaluation of %s: %v", name, err)
			}
			if ok {
				want[name] = true
			}
		}
		comps, span, exact := filter.plan()
		if exact || span == nil {
			t.Fatalf("plan of a time-range filter: exact=%v span=%v", exact, span)
		}
		q := backend.CalendarQuery{CollectionID: coll.ID, Components: comps, Range: &backend.TimeRange{Span: backend.Span{Start: span.Start, End: span.End}}}
		// run answers q as the REPORT does: rows SQL decided are
		// matches, the others are evaluated exactly.
		run := func(path string) (candidates, decided int) {
			t.Helper()
			got := map[string]bool{}
			err := store.QueryCalendarObjects(ctx, q, func(o backend.Object) error {
				candidates++
				if o.Decided {
					decided++
					got[o.Name] = true
					return nil
				}
				cal := parsed[o.Name]
				ok, err := filter.matches(ictime.NewContext(cal, floating), cal)
				if ok {
					got[o.Name] = true
				}
				return err
			})
			if err != nil {
				t.Fatal(err)
			}
			if missing, extra := diffKeys(want, got); len(missing)+len(extra) > 0 {
				t.Fatalf("window %d %s %v..%v floating %s: %s lost %v and invented %v",
					w, comp, tr.Start, tr.End, floating, path, missing, extra)
			}
			return candidates, decided
		}
		candidates, _ := run("the index path")
		if filter.timeOnly() {
			q.Range.Decide = &backend.Decision{Zone: zoneKey(floating)}
			_, decided := run("SQL's decisions")
			decidedTotal += decided
		}
		if comp == "VEVENT" && !tr.Start.IsZero() && !tr.End.IsZero() {
			checkFreeBusy(t, store, coll.ID, parsed, tr, floating)
			fbWindows++
		}
		windows++
		candidatesTotal += candidates
		matchesTotal += len(want)
	}
	t.Logf("%d windows over %d objects: %d matches, %d SQL candidates in all (the pre-filter read %.1f%% of the objects per query); "+
		"SQL decided %d matches alone; free-busy compared on %d windows",
		windows, n, matchesTotal, candidatesTotal, 100*float64(candidatesTotal)/float64(windows*n), decidedTotal, fbWindows)
	if decidedTotal == 0 || fbWindows == 0 {
		t.Fatal("the SQL-decided paths were not exercised")
	}
}

// checkFreeBusy compares free-busy over tr computed from every object
// with what the REPORT computes: PostgreSQL's merged periods of the
// objects with exact stored times plus the evaluation of the others.
func checkFreeBusy(t *testing.T, store *backend.Store, collID int64, parsed map[string]*ical.Calendar, tr TimeRange, floating *time.Location) {
	t.Helper()
	want := map[string][]period{}
	for _, cal := range parsed {
		if err := collectBusy(ictime.NewContext(cal, floating), cal, tr, want); err != nil {
			t.Fatal(err)
		}
	}
	got := map[string][]period{}
	bt, err := store.FreeBusy(t.Context(), collID, []string{"VEVENT", "VFREEBUSY"},
		backend.Interval{Start: tr.Start, End: tr.End}, zoneKey(floating), func(o backend.Object) error {
			cal := parsed[o.Name]
			return collectBusy(ictime.NewContext(cal, floating), cal, tr, got)
		})
	if err != nil {
		t.Fatal(err)
	}
	for _, iv := range bt.Busy {
		got["BUSY"] = append(got["BUSY"], period{iv.Start, iv.End})
	}
	for _, iv := range bt.Tentative {
		got["BUSY-TENTATIVE"] = append(got["BUSY-TENTATIVE"], period{iv.Start, iv.End})
	}
	for _, typ := range []string{"BUSY", "BUSY-TENTATIVE"} {
		w, g := coalesce(want[typ]), coalesce(got[typ])
		if !slices.EqualFunc(w, g, func(a, b period) bool { return a.start.Equal(b.start) && a.end.Equal(b.end) }) {
			t.Fatalf("free-busy %s over %v..%v (floating %s): want %v\ngot %v", typ, tr.Start, tr.End, floating, w, g)
		}
	}
}

func mustZone(t *testing.T, name string) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func diffKeys(want, got map[string]bool) (missing, extra []string) {
	for k := range want {
		if !got[k] {
			missing = append(missing, k)
		}
	}
	for k := range got {
		if !want[k] {
			extra = append(extra, k)
		}
	}
	slices.Sort(missing)
	slices.Sort(extra)
	return missing, extra
}

// customZone is a VTIMEZONE with a TZID no database knows: its rules come
// from the resource alone.
const customZone = "BEGIN:VTIMEZONE\r\nTZID:My Zone\r\n" +
	"BEGIN:DAYLIGHT\r\nDTSTART:20000404T020000\r\nRRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=4\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\n" +
	"BEGIN:STANDARD\r\nDTSTART:20001026T020000\r\nRRULE:FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n"

// genZone picks how a generated object writes its local times.
type genZone struct {
	tzid  string // "" for floating, "Z" for UTC
	vtz   string // a VTIMEZONE to include
	loc   *time.Location
	label string
}

func pickZone(rng *rand.Rand) genZone {
	berlin, _ := time.LoadLocation("Europe/Berlin")
	ny, _ := time.LoadLocation("America/New_York")
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	zones := []genZone{
		{tzid: "Europe/Berlin", loc: berlin},
		{tzid: "America/New_York", loc: ny},
		{tzid: "Asia/Tokyo", loc: tokyo},
		{tzid: "W. Europe Standard Time", loc: berlin},
		{tzid: "My Zone", vtz: customZone, loc: ny},
		{tzid: "Z", loc: time.UTC},
		{tzid: "", loc: time.UTC}, // floating
	}
	return zones[rng.IntN(len(zones))]
}

// dt writes a DATE-TIME property in zone z.
func dt(name string, z genZone, t time.Time) string {
	switch z.tzid {
	case "Z":
		return name + ":" + t.UTC().Format("20060102T150405Z")
	case "":
		return name + ":" + t.Format("20060102T150405")
	}
	return name + ";TZID=" + z.tzid + ":" + t.Format("20060102T150405")
}

// genObject writes one calendar object resource. Local times are built
// as wall-clock values (time.Time in UTC standing for the zone's clock).
func genObject(rng *rand.Rand, i int) string {
	uid := fmt.Sprintf("gen-%d@pgdav.test", i)
	z := pickZone(rng)
	start := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).
		Add(time.Duration(rng.IntN(5*365*24)) * time.Hour).Add(time.Duration(rng.IntN(4)) * 15 * time.Minute)
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//differential//EN\r\n")
	if z.vtz != "" {
		b.WriteString(z.vtz)
	}
	line := func(s string) { b.WriteString(s + "\r\n") }
	switch k := rng.IntN(20); {
	case k < 13: // events
		allDay := rng.IntN(6) == 0
		recurring := rng.IntN(4) == 0
		var master strings.Builder
		ml := func(s string) { master.WriteString(s + "\r\n") }
		ml("BEGIN:VEVENT")
		ml("UID:" + uid)
		ml("DTSTAMP:20240101T000000Z")
		switch rng.IntN(6) { // the RFC 4791 7.10 free-busy types
		case 0:
			ml("TRANSP:TRANSPARENT")
		case 1:
			ml("STATUS:TENTATIVE")
		case 2:
			ml("STATUS:CANCELLED")
		}
		step := 24 * time.Hour
		if allDay {
			start = start.Truncate(24 * time.Hour)
			ml("DTSTART;VALUE=DATE:" + start.Format("20060102"))
			if rng.IntN(2) == 0 {
				ml("DTEND;VALUE=DATE:" + start.AddDate(0, 0, 1+rng.IntN(3)).Format("20060102"))
			}
		} else {
			ml(dt("DTSTART", z, start))
			switch rng.IntN(4) {
			case 0:
				ml(dt("DTEND", z, start.Add(time.Duration(1+rng.IntN(48))*30*time.Minute)))
			case 1:
				ml(fmt.Sprintf("DURATION:PT%dM", 15*(1+rng.IntN(12))))
			case 2:
				ml("DURATION:P1D")
			case 3: // zero duration
			}
		}
		count := 0
		if recurring {
			freq := []string{"DAILY", "WEEKLY", "MONTHLY"}[rng.IntN(3)]
			step = map[string]time.Duration{"DAILY": 24 * time.Hour, "WEEKLY": 7 * 24 * time.Hour, "MONTHLY": 0}[freq]
			rule := "RRULE:FREQ=" + freq
			switch rng.IntN(3) {
			case 0:
				count = 2 + rng.IntN(30)
				rule += fmt.Sprintf(";COUNT=%d", count)
			case 1:
				until := start.AddDate(0, 0, 5+rng.IntN(200))
				if allDay {
					rule += ";UNTIL=" + until.Format("20060102")
				} else {
					rule += ";UNTIL=" + until.Format("20060102T150405Z")
				}
			case 2: // infinite
			}
			if freq == "MONTHLY" && start.Day() > 28 {
				rule += ";BYMONTHDAY=1"
			}
			ml(rule)
			if rng.IntN(3) == 0 && step > 0 {
				ex := start.Add(step * time.Duration(1+rng.IntN(3)))
				if allDay {
					ml("EXDATE;VALUE=DATE:" + ex.Format("20060102"))
				} else {
					ml(dt("EXDATE", z, ex))
				}
			}
		}
		if rng.IntN(3) == 0 {
			ml("BEGIN:VALARM")
			ml("ACTION:DISPLAY")
			ml("DESCRIPTION:reminder")
			switch rng.IntN(4) {
			case 0:
				ml("TRIGGER:-PT15M")
			case 1:
				ml("TRIGGER:-P7D")
			case 2:
				ml("TRIGGER;RELATED=END:PT5M")
				ml("REPEAT:2")
				ml("DURATION:PT10M")
			case 3:
				ml("TRIGGER;VALUE=DATE-TIME:" + start.Add(-72*time.Hour).UTC().Format("20060102T150405Z"))
			}
			ml("END:VALARM")
		}
		ml("END:VEVENT")
		b.WriteString(master.String())
		// An overridden instance, moved by up to ten days either way.
		if recurring && step > 0 && !allDay && rng.IntN(2) == 0 {
			k := 1 + rng.IntN(3)
			if count == 0 || k < count {
				orig := start.Add(step * time.Duration(k))
				moved := orig.Add(time.Duration(rng.IntN(481)-240) * time.Hour)
				line("BEGIN:VEVENT")
				line("UID:" + uid)
				line("DTSTAMP:20240101T000000Z")
				line(dt("RECURRENCE-ID", z, orig))
				line(dt("DTSTART", z, moved))
				line("DURATION:PT1H")
				if rng.IntN(2) == 0 {
					line("STATUS:TENTATIVE")
				}
				line("END:VEVENT")
			}
		}
	case k < 17: // to-dos: every row of the 9.9 VTODO table
		line("BEGIN:VTODO")
		line("UID:" + uid)
		line("DTSTAMP:20240101T000000Z")
		shape := rng.IntN(8)
		if shape&1 != 0 {
			line(dt("DTSTART", z, start))
		}
		if shape&2 != 0 {
			if shape&1 != 0 && rng.IntN(2) == 0 {
				line("DURATION:PT2H")
			} else {
				line(dt("DUE", z, start.Add(time.Duration(1+rng.IntN(72))*time.Hour)))
			}
		}
		if shape&4 != 0 {
			line("COMPLETED:" + start.Add(time.Duration(rng.IntN(100))*time.Hour).UTC().Format("20060102T150405Z"))
		}
		if rng.IntN(2) == 0 {
			line("CREATED:" + start.Add(-time.Duration(rng.IntN(100))*time.Hour).UTC().Format("20060102T150405Z"))
		}
		line("END:VTODO")
	default: // journals
		line("BEGIN:VJOURNAL")
		line("UID:" + uid)
		line("DTSTAMP:20240101T000000Z")
		switch rng.IntN(3) {
		case 0:
			line("DTSTART;VALUE=DATE:" + start.Format("20060102"))
		case 1:
			line(dt("DTSTART", z, start))
		}
		line("END:VJOURNAL")
	}
	b.WriteString("END:VCALENDAR\r\n")
	return b.String()
}
