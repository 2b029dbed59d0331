package ictime

import (
	"strconv"
	"strings"
	"time"
)

// This file parses the iCalendar value types the time engine reads: DATE,
// DATE-TIME, DURATION, PERIOD and UTC-OFFSET (RFC 5545 3.3). go-ical's own
// Prop.DateTime and Prop.Duration are not used: they know no VTIMEZONE,
// cannot tell floating from UTC, and reject forms clients do send.

// dtKind tells the four forms of a DATE or DATE-TIME value (RFC 5545
// 3.3.4, 3.3.5).
type dtKind uint8

const (
	kindUTC      dtKind = iota // 19980119T070000Z
	kindZoned                  // TZID=America/New_York:19980119T020000
	kindFloating               // 19980118T230000: the zone is chosen by the reader
	kindDate                   // 19980118: a whole day, floating too
)

// fixed reports whether the value names one instant whatever the
// floating zone is.
func (k dtKind) fixed() bool { return k == kindUTC || k == kindZoned }

// dtValue is one DATE or DATE-TIME value with the zone it is read in.
// wall holds the wall-clock fields in a time.Time whose location is UTC
// (a "naive" time): recurrence rules are expanded on these fields, so a
// 10:00 meeting stays at 10:00 local across daylight-saving changes.
type dtValue struct {
	wall time.Time
	kind dtKind
	zone tzZone // kindUTC: tzUTC; kindFloating and kindDate: the floating zone
}

// instant returns the value as a UTC instant.
func (v dtValue) instant() time.Time { return v.zone.utc(v.wall) }

// parseICalTime parses a DATE (YYYYMMDD) or DATE-TIME (YYYYMMDDTHHMMSS,
// with a trailing Z for UTC) value into naive wall-clock fields. Lower-case
// t and z are accepted; second 60 (a leap second) reads as 59 as RFC 5545
// 3.3.5 suggests.
func parseICalTime(s string) (wall time.Time, date, utc bool, err error) {
	s = strings.TrimSpace(s)
	bad := func() (time.Time, bool, bool, error) {
		return time.Time{}, false, false, valueError("", "%s is not an iCalendar DATE or DATE-TIME (RFC 5545 3.3.4, 3.3.5)", quote(s))
	}
	switch {
	case len(s) == 8:
		date = true
	case len(s) == 15 && (s[8] == 'T' || s[8] == 't'):
	case len(s) == 16 && (s[8] == 'T' || s[8] == 't') && (s[15] == 'Z' || s[15] == 'z'):
		utc = true
	default:
		return bad()
	}
	num := func(i, n int) int {
		v := 0
		for _, c := range []byte(s[i : i+n]) {
			if c < '0' || c > '9' {
				return -1
			}
			v = v*10 + int(c-'0')
		}
		return v
	}
	y, mo, d := num(0, 4), num(4, 2), num(6, 2)
	h, mi, sec := 0, 0, 0
	if !date {
		h, mi, sec = num(9, 2), num(11, 2), num(13, 2)
	}
	if y < 0 || mo < 1 || mo > 12 || d < 1 || d > daysIn(y, time.Month(mo)) || h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 60 {
		return bad()
	}
	if sec == 60 {
		sec = 59
	}
	return time.Date(y, time.Month(mo), d, h, mi, sec, 0, time.UTC), date, utc, nil
}

// daysIn returns the number of days of month m in year y.
func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// icalDuration is a DURATION value (RFC 5545 3.3.6). Days (and weeks) are
// nominal: they move the wall clock, so P1D across a daylight-saving
// change lasts 23 or 25 hours; the rest is exact.
type icalDuration struct {
	days int
	secs int64
}

// maxDurationDays bounds a DURATION: more than about 270 years would
// overflow time.Duration and no calendar means it.
const maxDurationDays = 100000

// isZero reports a zero duration.
func (d icalDuration) isZero() bool { return d.days == 0 && d.secs == 0 }

// negative reports whether the duration points into the past.
func (d icalDuration) negative() bool {
	return int64(d.days)*86400+d.secs < 0
}

// approx returns the duration as an exact span, a day counted as 24 h.
func (d icalDuration) approx() time.Duration {
	return time.Duration(int64(d.days)*86400+d.secs) * time.Second
}

// times returns the duration repeated n times.
func (d icalDuration) times(n int) icalDuration {
	return icalDuration{days: d.days * n, secs: d.secs * int64(n)}
}

// parseICalDuration parses a DURATION value such as -PT15M, P1D, P2W or
// P1DT2H30M. It is lenient where writers differ from the grammar: weeks
// may combine with days, and a bare "P" or "PT" segment without numbers is
// refused only if nothing at all follows.
func parseICalDuration(s string) (icalDuration, error) {
	orig := s
	bad := func() (icalDuration, error) {
		return icalDuration{}, valueError("", "%s is not an iCalendar DURATION (RFC 5545 3.3.6)", quote(orig))
	}
	s = strings.ToUpper(strings.TrimSpace(s))
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	if !strings.HasPrefix(s, "P") {
		return bad()
	}
	s = s[1:]
	var d icalDuration
	inTime, any := false, false
	for len(s) > 0 {
		if s[0] == 'T' {
			if inTime {
				return bad()
			}
			inTime, s = true, s[1:]
			continue
		}
		i := 0
		for i < len(s) && s[i] >= '0' && s[i] <= '9' {
			i++
		}
		if i == 0 || i == len(s) || i > 9 {
			return bad()
		}
		n, _ := strconv.ParseInt(s[:i], 10, 64)
		unit := s[i]
		s = s[i+1:]
		any = true
		switch {
		case !inTime && unit == 'W':
			d.days += int(n) * 7
		case !inTime && unit == 'D':
			d.days += int(n)
		case inTime && unit == 'H':
			d.secs += n * 3600
		case inTime && unit == 'M':
			d.secs += n * 60
		case inTime && unit == 'S':
			d.secs += n
		default:
			return bad()
		}
		if d.days > maxDurationDays || d.secs > maxDurationDays*86400 {
			return bad()
		}
	}
	if !any {
		return bad()
	}
	if neg {
		d.days, d.secs = -d.days, -d.secs
	}
	return d, nil
}

// addDuration adds d to the instant t whose wall clock is read in z:
// days first, on the wall clock, then the exact part (RFC 5545 3.3.6).
func addDuration(t time.Time, z tzZone, d icalDuration) time.Time {
	if d.days != 0 {
		t = z.utc(z.wall(t).AddDate(0, 0, d.days))
	}
	return t.Add(time.Duration(d.secs) * time.Second)
}

// parseUTCOffset parses a UTC-OFFSET value (RFC 5545 3.3.14) such as
// -0500 or +013045 into seconds east of UTC; +01:00 is accepted too.
func parseUTCOffset(s string) (int, error) {
	v := strings.ReplaceAll(strings.TrimSpace(s), ":", "")
	if len(v) != 5 && len(v) != 7 || (v[0] != '+' && v[0] != '-') {
		return 0, valueError("", "%s is not a UTC offset (RFC 5545 3.3.14)", quote(s))
	}
	n := 0
	parts := []int{}
	for i := 1; i < len(v); i += 2 {
		x, err := strconv.Atoi(v[i : i+2])
		if err != nil || x < 0 {
			return 0, valueError("", "%s is not a UTC offset (RFC 5545 3.3.14)", quote(s))
		}
		parts = append(parts, x)
	}
	n = parts[0]*3600 + parts[1]*60
	if len(parts) == 3 {
		n += parts[2]
	}
	if parts[0] > 23 || parts[1] > 59 {
		return 0, valueError("", "%s is not a UTC offset (RFC 5545 3.3.14)", quote(s))
	}
	if v[0] == '-' {
		n = -n
	}
	return n, nil
}

// SplitValues splits a multi-valued DATE, DATE-TIME or PERIOD property
// value at its commas (RFC 5545 3.1.2), dropping empty items.
func SplitValues(s string) []string {
	var out []string
	for _, v := range strings.Split(s, ",") {
		if v = strings.TrimSpace(v); v != "" {
			out = append(out, v)
		}
	}
	return out
}

// dayNumber returns the days since 1970-01-01 of a naive date.
func dayNumber(wall time.Time) int64 {
	u := wall.Unix()
	if u < 0 {
		return (u - 86399) / 86400
	}
	return u / 86400
}

// truncDay returns the naive midnight that starts the day of wall.
func truncDay(wall time.Time) time.Time {
	y, m, d := wall.Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}
