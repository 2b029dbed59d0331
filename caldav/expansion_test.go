package caldav

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/pgdav/pgdav/internal/dav"
)

// TestExpansionMatchesRender holds the stored expansion equal, byte for
// byte, to what the full renderer answers for an expand request, over
// the differential test's generated objects (zones, custom VTIMEZONEs,
// EXDATEs, overrides moved in and out, infinite rules, alarms, free-busy
// types), random ranges and ranges whose edges sit on instance edges.
func TestExpansionMatchesRender(t *testing.T) {
	t.Parallel()
	rng := rand.New(rand.NewPCG(9, 4))
	zones := []*time.Location{time.UTC, mustZone(t, "Europe/Berlin"), mustZone(t, "Pacific/Kiritimati")}
	now := time.Date(2026, 11, 21, 12, 0, 0, 0, time.UTC)
	objects, stored, compared := 0, 0, 0
	for i := range 1500 {
		data := genObject(rng, i)
		cal, err := decodeCalendar([]byte(data))
		if err != nil {
			t.Fatal(err)
		}
		objects++
		zone := zones[i%len(zones)]
		times := storedTimes(cal, now, zone)
		if times == nil || times.Expansion == nil {
			continue
		}
		stored++
		x, err := readExpansion(times.Expansion)
		if err != nil {
			t.Fatalf("object %d: %v", i, err)
		}
		for k := range 6 {
			lo := time.Date(2024, 6, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(rng.Int64N(int64(5 * 365 * 24 * time.Hour)))).Truncate(time.Second)
			tr := TimeRange{Start: lo, End: lo.Add(time.Duration(1+rng.IntN(60*24*60)) * time.Minute)}
			if k >= 3 && len(times.Instances) > 0 {
				iv := times.Instances[rng.IntN(len(times.Instances))]
				e := []time.Time{iv.Start, iv.End}[k%2]
				d := time.Duration(1+rng.IntN(3*24*60)) * time.Minute
				tr = TimeRange{Start: e, End: e.Add(d)}
				if k == 5 {
					tr = TimeRange{Start: e.Add(-d), End: e}
				}
			}
			if !x.covers(tr) {
				continue
			}
			cd := &calendarDataRequest{expand: &tr}
			want, err := cd.render([]byte(data), zone)
			if err != nil {
				t.Fatalf("object %d: render: %v", i, err)
			}
			if got := x.render(tr); got != dav.EscapeText(want) {
				t.Fatalf("object %d over %v..%v: stored expansion\n%s\nrenderer\n%s\nobject\n%s", i, tr.Start, tr.End, got, want, data)
			}
			compared++
		}
	}
	t.Logf("%d objects, %d with a stored expansion, %d ranges compared", objects, stored, compared)
	if stored < objects/4 || compared < stored {
		t.Fatalf("too few stored expansions (%d of %d) or comparisons (%d)", stored, objects, compared)
	}
}

// FuzzReadExpansion: stored bytes that are not what marshal wrote are
// an error or render something, never a panic.
func FuzzReadExpansion(f *testing.F) {
	cal, err := decodeCalendar([]byte(genObject(rand.New(rand.NewPCG(1, 1)), 0)))
	if err != nil {
		f.Fatal(err)
	}
	if x, err := buildExpansion(cal, TimeRange{}, time.UTC); err == nil {
		b, err := x.marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add([]byte{expansionVersion, 1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		x, err := readExpansion(b)
		if err != nil {
			return
		}
		tr := TimeRange{Start: time.Unix(0, 0), End: time.Unix(1<<40, 0)}
		_ = x.covers(tr)
		_ = x.render(tr)
	})
}

// appendUTC writes what AppendFormat(utcLayout) writes.
func TestAppendUTC(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(3, 4))
	stamps := []int64{0, -1, 1, 253402300799, 253402300800, -62167219200, -62167219201, 1774224000}
	for range 10000 {
		stamps = append(stamps, r.Int64N(2*253402300800)-253402300800)
	}
	for _, ts := range stamps {
		want := string(time.Unix(ts, 0).UTC().AppendFormat(nil, utcLayout))
		if got := string(appendUTC(nil, ts)); got != want {
			t.Fatalf("appendUTC(%d) = %q, want %q", ts, got, want)
		}
	}
}
