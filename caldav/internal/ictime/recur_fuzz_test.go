package ictime

import (
	"errors"
	"io/fs"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pgdav/pgdav/caldav/internal/ictime/ictimetest"
)

// FuzzTimeEngine runs the time engine over decoded random iCalendar:
// ComponentOverlaps, AlarmOverlaps, PropertyOverlaps, Instances and
// ObjectSpan must not panic nor run away (every question is bounded by
// maxRecurWork, every object by maxObjectWork), and whatever matches must
// lie in the span.
func FuzzTimeEngine(f *testing.F) {
	for _, dir := range []string{"testdata", caldavTestdata} {
		_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
			if err == nil && !d.IsDir() && strings.HasSuffix(path, ".ics") {
				b, err := os.ReadFile(path)
				if err != nil {
					f.Fatal(err)
				}
				f.Add(b, int64(1136073600), int64(86400*3), uint8(0))
			}
			return nil
		})
	}
	rnd := rand.New(rand.NewSource(3))
	for i := range 30 {
		f.Add([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\n"+strings.ReplaceAll(ictimetest.Object(rnd), "\n", "\r\n")+"END:VCALENDAR\r\n"), int64(1577836800+i*86400*40), int64(86400*(1+i)), uint8(i))
	}
	f.Add([]byte("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:20260101T000000Z\r\nRRULE:FREQ=SECONDLY;BYYEARDAY=366;BYMONTH=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"), int64(4102444800), int64(60), uint8(1))
	for _, body := range pathological {
		f.Add([]byte(body), int64(0), int64(-2), uint8(2))
	}
	f.Fuzz(func(t *testing.T, data []byte, from, length int64, zone uint8) {
		exerciseTimeEngine(t, data, from, length, zone)
	})
}

// pathological are inputs that once were, or could be, slow.
var pathological = []string{
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTIMEZONE\r\nTZID:Z\r\nBEGIN:STANDARD\r\nDTSTART:00010101T000000\r\nRRULE:FREQ=YEARLY;COUNT=100000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:STANDARD\r\nBEGIN:DAYLIGHT\r\nDTSTART:00010101T000000\r\nRRULE:FREQ=SECONDLY\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0200\r\nEND:DAYLIGHT\r\nBEGIN:DAYLIGHT\r\nDTSTART:00010101T000000\r\nRRULE:FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0300\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=Z:99990101T000000\r\nRRULE:FREQ=DAILY\r\nRDATE;TZID=Z:00010101T000000\r\nBEGIN:VALARM\r\nTRIGGER:-P1D\r\nREPEAT:99999\r\nDURATION:PT1S\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:19000101T000000Z\r\nRRULE:FREQ=SECONDLY;COUNT=99999\r\nBEGIN:VALARM\r\nTRIGGER:PT1S\r\nREPEAT:1000\r\nDURATION:P1D\r\nEND:VALARM\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nUID:x\r\nRECURRENCE-ID;RANGE=THISANDFUTURE:99990101T000000Z\r\nDTSTART:00010101T000000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:x\r\nDTSTART;VALUE=DATE:00010101\r\nRRULE:FREQ=MINUTELY;INTERVAL=7;BYSETPOS=-1,1;BYHOUR=3\r\nEXRULE:FREQ=SECONDLY\r\nDUE;VALUE=DATE:99991231\r\nEND:VTODO\r\nEND:VCALENDAR\r\n",
	// 31 million candidates a year, of which BYSETPOS keeps the last:
	// once 13 GB of allocations and 30 s for one PUT.
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:19000101T000000Z\r\nRRULE:" + ictimetest.EverySecondOfTheYear + ";BYSETPOS=-1,1,-100000\r\nBEGIN:VALARM\r\nTRIGGER:-PT1S\r\nEND:VALARM\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:19000101T000000Z\r\nRRULE:" + ictimetest.EverySecondOfTheYear + ";COUNT=5000\r\nEXRULE:" + ictimetest.EverySecondOfTheYear + ";BYSETPOS=2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
	// Never matches; a second per period.
	"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:19000101T000000Z\r\nRRULE:FREQ=SECONDLY;INTERVAL=2;BYSECOND=1\r\nRRULE:FREQ=SECONDLY;INTERVAL=2;BYSECOND=3\r\nEXRULE:FREQ=SECONDLY;INTERVAL=2;BYSECOND=5\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n",
}

// TestPathological runs the fuzz body on the pathological inputs; the
// work each run costs is bounded by the engine's budget
// (exerciseTimeEngine checks it).
func TestPathological(t *testing.T) {
	for i, body := range pathological {
		for _, length := range []int64{-1, -2, 86400 * 30} {
			exerciseTimeEngine(t, []byte(body), int64(i)*1e9, length, uint8(i))
		}
	}
}

// exerciseTimeEngine is the body of FuzzTimeEngine.
func exerciseTimeEngine(t *testing.T, data []byte, from, length int64, zone uint8) {
	{
		cal, err := decode(data)
		if err != nil {
			return
		}
		// Ranges between 1900 and 2200; length < 0 leaves an end open.
		from = 2208988800*-1 + mod(from, 300*365*86400)
		tr := Range{Start: time.Unix(from, 0).UTC()}
		if length >= 0 {
			tr.End = tr.Start.Add(time.Duration(1+mod(length, 400*86400)) * time.Second)
		} else if length%2 == 0 {
			tr = Range{End: tr.Start}
		}
		var loc *time.Location
		if zn := spanZones[int(zone)%len(spanZones)]; zn != "" {
			loc, _ = time.LoadLocation(zn)
		}
		before := recurWorkDone.Load()
		s, e, spanErr := ObjectSpan(cal)
		tc := NewContext(cal, loc)
		for _, c := range cal.Children {
			ok, err := tc.ComponentOverlaps(c, tr)
			if err == nil && ok && spanErr == nil && !inSpan(tr, s, e) {
				t.Fatalf("%s matches %v outside its span [%v, %v]", c.Name, tr, s, e)
			}
			for i := range c.Props {
				for _, p := range c.Props[i] {
					_, _ = tc.PropertyOverlaps(&p, tr)
					_, _, _ = tc.Resolve(&p)
				}
			}
			for _, a := range c.Children {
				ok, err := tc.AlarmOverlaps(c, a, tr)
				if err == nil && ok && spanErr == nil && !inSpan(tr, s, e) {
					t.Fatalf("alarm of %s matches %v outside its span [%v, %v]", c.Name, tr, s, e)
				}
			}
			n := 0
			err = tc.Instances(c, tr, func(in Instance) bool {
				n++
				return n < 1000
			})
			if err != nil && tr.End.IsZero() && !errors.Is(err, ErrTooComplex) {
				_ = err // malformed data: fine, an error is an answer
			}
		}
		// Two contexts (ObjectSpan's and the queries'), each with at
		// most maxObjectWork: the engine cannot run away, whatever the
		// input (the rules of a VTIMEZONE have budgets of their own).
		if spent := recurWorkDone.Load() - before; spent > 2*maxObjectWork+2*maxRecurWork {
			t.Fatalf("%d units of work, more than the budget", spent)
		}
	}
}

// mod is x mod m, never negative.
func mod(x, m int64) int64 {
	if x %= m; x < 0 {
		x += m
	}
	return x
}
