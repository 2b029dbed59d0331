package ictime

import (
	"strings"
	"sync"
	"time"
	_ "time/tzdata" // IANA zones also where the system has no /usr/share/zoneinfo
)

// tzZone is a time zone as the time engine needs it: wall clock to UTC
// and back. It is implemented by IANA locations, by the resource's own
// VTIMEZONE components and by UTC.
type tzZone interface {
	// offset returns the UTC offset in seconds east of UTC in force at
	// the instant t.
	offset(t time.Time) int
	// utc converts naive wall-clock fields to an instant (RFC 5545
	// 3.3.5: a time that occurs twice is the first occurrence, a time
	// in a gap is read with the offset before the gap).
	utc(wall time.Time) time.Time
	// wall converts an instant to naive wall-clock fields.
	wall(t time.Time) time.Time
}

// tzFixed is a zone with one offset; tzUTC is UTC.
type tzFixed int

var tzUTC tzZone = tzFixed(0)

func (z tzFixed) offset(time.Time) int { return int(z) }
func (z tzFixed) utc(w time.Time) time.Time {
	return w.Add(-time.Duration(z) * time.Second)
}
func (z tzFixed) wall(t time.Time) time.Time {
	return t.UTC().Add(time.Duration(z) * time.Second)
}

// tzLocation is an IANA zone from Go's time package.
type tzLocation struct{ loc *time.Location }

func (z tzLocation) offset(t time.Time) int {
	_, off := t.In(z.loc).Zone()
	return off
}
func (z tzLocation) utc(w time.Time) time.Time { return utcFromWall(z, w) }
func (z tzLocation) wall(t time.Time) time.Time {
	return t.UTC().Add(time.Duration(z.offset(t)) * time.Second)
}

// utcFromWall converts wall-clock fields to an instant in z following RFC
// 5545 3.3.5. Offsets in force a day and a half around the time are the
// candidates; one that maps back to itself is valid. With two valid ones
// (the repeated hour when clocks go back) the earlier instant wins; with
// none (the skipped hour when clocks go forward) the offset before the
// gap is used, so 02:30 on a spring-forward night in New York is 03:30
// EDT.
func utcFromWall(z tzZone, w time.Time) time.Time {
	var cands [4]int
	cands[0] = z.offset(w.Add(-36 * time.Hour))
	cands[1] = z.offset(w.Add(36 * time.Hour))
	cands[2] = z.offset(w.Add(-time.Duration(cands[0]) * time.Second))
	cands[3] = z.offset(w.Add(-time.Duration(cands[1]) * time.Second))
	var best time.Time
	found := false
	maxOff := cands[0]
	for _, o := range cands {
		maxOff = max(maxOff, o)
		u := w.Add(-time.Duration(o) * time.Second)
		if z.offset(u) == o && (!found || u.Before(best)) {
			best, found = u, true
		}
	}
	if found {
		return best
	}
	before := z.offset(w.Add(-time.Duration(maxOff) * time.Second))
	return w.Add(-time.Duration(before) * time.Second)
}

// ianaZones caches time.LoadLocation, which reads and parses the zone
// data on every call. Only names that load are kept, so the cache is
// bounded by the size of the database however many odd TZIDs clients
// send.
var ianaZones sync.Map // string → *time.Location

// loadIANA returns the IANA zone name, or nil. "Local" and "" are not
// zones a calendar can mean: they name the server's own.
func loadIANA(name string) *time.Location {
	if name == "" || strings.EqualFold(name, "local") || len(name) > 64 {
		return nil
	}
	if l, ok := ianaZones.Load(name); ok {
		return l.(*time.Location)
	}
	loc, err := time.LoadLocation(name)
	if err != nil {
		return nil
	}
	ianaZones.Store(name, loc)
	return loc
}

// LookupTZID maps a TZID that no VTIMEZONE of the resource defines to a
// zone: an IANA name ("Europe/Berlin"), a Windows name ("W. Europe
// Standard Time", CLDR windowsZones), or a vendor-prefixed IANA name
// ("/mozilla.org/20070129_1/Europe/Berlin",
// "/softwarestudio.org/Olson_20011030_5/America/New_York"). It returns
// nil for anything else.
func LookupTZID(tzid string) *time.Location {
	name := strings.Trim(strings.TrimSpace(tzid), `"`)
	if loc := loadIANA(name); loc != nil {
		return loc
	}
	if iana, ok := windowsZones[strings.ToLower(name)]; ok {
		return loadIANA(iana)
	}
	// A prefixed name: the longest tail of two or three path elements
	// that is an IANA name ("America/Argentina/Buenos_Aires" before
	// "Argentina/Buenos_Aires").
	parts := strings.Split(strings.Trim(name, "/"), "/")
	for n := min(3, len(parts)-1); n >= 1; n-- {
		if loc := loadIANA(strings.Join(parts[len(parts)-n:], "/")); loc != nil {
			return loc
		}
	}
	return nil
}

// zoneFor returns the zone a TZID parameter names in this resource: its
// own VTIMEZONE first (RFC 5545 3.2.19), then LookupTZID. An unknown TZID
// without a VTIMEZONE gives nil: the caller reads the value as floating
// rather than failing the whole query.
func (tc *Context) zoneFor(tzid string) tzZone {
	if z, ok := tc.zones[tzid]; ok {
		return z
	}
	var z tzZone
	if comp := tc.vtimezones[tzid]; comp != nil {
		if v := parseVTimezone(comp); v != nil {
			z = v
		}
	}
	if z == nil {
		if loc := LookupTZID(tzid); loc != nil {
			z = tzLocation{loc}
		}
	}
	if len(tc.zones) < 256 {
		tc.zones[tzid] = z
	}
	return z
}
