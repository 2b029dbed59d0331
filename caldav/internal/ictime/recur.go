package ictime

import (
	"errors"
	"fmt"
	"math/bits"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// This file is pgdav's RRULE engine (RFC 5545 3.3.10). It expands a rule
// on naive wall-clock fields, so the caller decides how each wall time
// maps to UTC (RFC 5545 3.3.10: an instance is read like an explicit
// DATE-TIME in DTSTART's zone). It is its own code rather than
// teambition/rrule-go because a server needs three things that library
// does not give: a bound on the work one rule may cost (a rule can
// iterate for ever without producing an instance), jumping straight to a
// far-away query range for rules without COUNT, and wall-clock expansion
// independent of *time.Location (VTIMEZONE-only zones). rrule-go is used
// in the tests as a reference.

// ErrTooComplex is returned (wrapped) when a recurrence would need more
// than its work budget (recurBudget), or more than MaxInstances
// instances, to answer a question: e.g. COUNT=1000000 of a daily rule
// queried 3000 years later, or a SECONDLY rule whose BYxxx parts never
// match. The caller decides what a query does with such an object;
// ObjectSpan treats it as unbounded, the overlap tests as a match.
var ErrTooComplex = errors.New("recurrence too complex to evaluate")

// MaxYear ends every rule: instances after year 9999 cannot be
// written as iCalendar values.
const MaxYear = 9999

type recurFreq int

const (
	freqSecondly recurFreq = iota
	freqMinutely
	freqHourly
	freqDaily
	freqWeekly
	freqMonthly
	freqYearly
)

var freqNames = map[string]recurFreq{
	"SECONDLY": freqSecondly, "MINUTELY": freqMinutely, "HOURLY": freqHourly,
	"DAILY": freqDaily, "WEEKLY": freqWeekly, "MONTHLY": freqMonthly, "YEARLY": freqYearly,
}

// unit returns the length of one period of a sub-daily frequency.
func (f recurFreq) unit() time.Duration {
	switch f {
	case freqSecondly:
		return time.Second
	case freqMinutely:
		return time.Minute
	case freqHourly:
		return time.Hour
	}
	return 24 * time.Hour
}

var weekdayNames = map[string]time.Weekday{
	"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday,
	"TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday,
}

// recurWeekday is one BYDAY item: a weekday with an optional ordinal
// (1MO, -1SU; 0 for none).
type recurWeekday struct {
	n  int
	wd time.Weekday
}

// recurRule is a parsed RECUR value.
type recurRule struct {
	freq      recurFreq
	interval  int
	count     int // 0: none
	hasCount  bool
	until     time.Time // naive fields as written
	untilDate bool
	untilUTC  bool
	hasUntil  bool

	bySecond, byMinute, byHour []int
	byDay                      []recurWeekday
	byMonthDay, byYearDay      []int
	byWeekNo, byMonth          []int
	bySetPos                   []int
	wkst                       time.Weekday

	// zeroInterval: INTERVAL=0, which RFC 5545 3.3.10 does not allow.
	// Stored rules read it as 1; PUT refuses it (CheckRule).
	zeroInterval bool
}

// infinite reports whether the rule repeats for ever.
func (r *recurRule) infinite() bool { return !r.hasCount && !r.hasUntil }

// maxRecurList bounds a BYxxx list; real rules have a handful of items.
const maxRecurList = 400

// parseRecur parses a RECUR value (RFC 5545 3.3.10). Parts may come in
// any order and in any case. X- parts and RSCALE=GREGORIAN/SKIP (RFC
// 7529, whose default OMIT is what this engine does) are ignored; any
// other unknown part, a missing FREQ, a part given twice or a value out
// of range makes the rule invalid.
func parseRecur(s string) (*recurRule, error) {
	r := &recurRule{interval: 1, wkst: time.Monday}
	bad := func(format string, args ...any) (*recurRule, error) {
		return nil, valueError("", "RRULE %s: %s (RFC 5545 3.3.10)", quote(s), fmt.Sprintf(format, args...))
	}
	seen := map[string]bool{}
	hasFreq := false
	for _, part := range strings.Split(strings.TrimSpace(s), ";") {
		if part == "" {
			continue
		}
		name, value, ok := strings.Cut(part, "=")
		name = strings.ToUpper(strings.TrimSpace(name))
		value = strings.ToUpper(strings.TrimSpace(value))
		if !ok {
			return bad("%s has no value", clip(part))
		}
		if seen[name] {
			return bad("%s given twice", clip(name))
		}
		seen[name] = true
		var err error
		switch name {
		case "FREQ":
			f, ok := freqNames[value]
			if !ok {
				return bad("unknown FREQ %s", clip(value))
			}
			r.freq, hasFreq = f, true
		case "INTERVAL":
			n, e := strconv.Atoi(value)
			if e != nil || n < 0 || n > 1000000 {
				return bad("INTERVAL must be a positive integer")
			}
			r.interval = max(n, 1) // INTERVAL=0 from old writers means 1
			r.zeroInterval = n == 0
		case "COUNT":
			n, e := strconv.Atoi(value)
			if e != nil || n < 0 {
				return bad("COUNT must be a positive integer")
			}
			r.count, r.hasCount = n, true
		case "UNTIL":
			r.until, r.untilDate, r.untilUTC, err = parseICalTime(value)
			if err != nil {
				return bad("UNTIL is not a DATE or DATE-TIME")
			}
			r.hasUntil = true
		case "BYSECOND":
			r.bySecond, err = recurInts(value, 0, 60, false)
		case "BYMINUTE":
			r.byMinute, err = recurInts(value, 0, 59, false)
		case "BYHOUR":
			r.byHour, err = recurInts(value, 0, 23, false)
		case "BYMONTHDAY":
			r.byMonthDay, err = recurInts(value, 1, 31, true)
		case "BYYEARDAY":
			r.byYearDay, err = recurInts(value, 1, 366, true)
		case "BYWEEKNO":
			r.byWeekNo, err = recurInts(value, 1, 53, true)
		case "BYMONTH":
			r.byMonth, err = recurInts(value, 1, 12, false)
		case "BYSETPOS":
			r.bySetPos, err = recurInts(value, 1, 366, true)
		case "BYDAY":
			r.byDay, err = recurWeekdays(value)
		case "WKST":
			wd, ok := weekdayNames[value]
			if !ok {
				return bad("unknown WKST %s", clip(value))
			}
			r.wkst = wd
		case "RSCALE":
			if value != "GREGORIAN" {
				return bad("only RSCALE=GREGORIAN is supported (RFC 7529)")
			}
		case "SKIP":
		default:
			if !strings.HasPrefix(name, "X-") {
				return bad("unknown rule part %s", clip(name))
			}
		}
		if err != nil {
			return bad("%s: %v", name, err)
		}
	}
	if !hasFreq {
		return bad("FREQ is missing")
	}
	for i, v := range r.bySecond {
		if v == 60 { // a leap second reads as second 59 (RFC 5545 3.3.5)
			r.bySecond[i] = 59
		}
	}
	return r, nil
}

// recurInts parses a BYxxx list of integers in [lo, hi], or also in
// [-hi, -lo] when signed.
func recurInts(s string, lo, hi int, signed bool) ([]int, error) {
	items := strings.Split(s, ",")
	if len(items) > maxRecurList {
		return nil, fmt.Errorf("more than %d items", maxRecurList)
	}
	var out []int
	for _, it := range items {
		n, err := strconv.Atoi(strings.TrimSpace(it))
		a := n
		if a < 0 && signed {
			a = -a
		}
		if err != nil || a < lo || a > hi {
			return nil, fmt.Errorf("%s is out of range", clip(it))
		}
		if !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out, nil
}

// recurWeekdays parses a BYDAY list such as MO,WE or 1MO,-1FR.
func recurWeekdays(s string) ([]recurWeekday, error) {
	items := strings.Split(s, ",")
	if len(items) > maxRecurList {
		return nil, fmt.Errorf("more than %d items", maxRecurList)
	}
	var out []recurWeekday
	for _, it := range items {
		it = strings.TrimSpace(it)
		if len(it) < 2 {
			return nil, fmt.Errorf("%s is not a weekday", clip(it))
		}
		wd, ok := weekdayNames[it[len(it)-2:]]
		if !ok {
			return nil, fmt.Errorf("%s is not a weekday", clip(it))
		}
		n := 0
		if num := it[:len(it)-2]; num != "" {
			v, err := strconv.Atoi(num)
			if err != nil || v == 0 || v < -53 || v > 53 {
				return nil, fmt.Errorf("%s has a bad ordinal", clip(it))
			}
			n = v
		}
		if w := (recurWeekday{n, wd}); !slices.Contains(out, w) {
			out = append(out, w)
		}
	}
	return out, nil
}

// recurIter produces the instances of one rule from a DTSTART, as naive
// wall-clock times in increasing order. The rule is applied period by
// period (a year for YEARLY, a week for WEEKLY, an hour for HOURLY…):
// the candidate days of the period pass the BYxxx day filters, get the
// times of day, BYSETPOS picks among them, and COUNT counts what is at or
// after DTSTART. Whether a BYxxx part expands or limits (the table in RFC
// 5545 3.3.10) falls out of this: a part finer than the period selects
// among the period's candidates, a coarser one filters them.
type recurIter struct {
	r      *recurRule
	start  time.Time
	freq   recurFreq
	step   int   // INTERVAL, in periods
	k      int64 // index of the next period
	base   time.Time
	months uint16 // BYMONTH as a bit set; 0 = any
	plain  uint8  // BYDAY weekdays without ordinal
	nth    []recurWeekday
	days   []int // BYMONTHDAY, possibly defaulted from DTSTART
	hours  []int // the times of day for DAILY and coarser
	mins   []int
	secs   []int
	// The candidates of the current period. A sub-daily period lists
	// them (buf: at most 60×60 for HOURLY); a calendar period holds its
	// days and reads candidate i as day i/len(times), time i%len(times)
	// (cand), so one with millions of candidates (every second of a
	// year) costs its days, not its candidates.
	buf    []time.Time
	pdays  []time.Time
	calPer bool  // the period's candidates are pdays × times
	ncand  int   // candidates in the period
	sel    []int // BYSETPOS's picks, by index, when selOn; else [at, ncand)
	selOn  bool  // sel applies
	at     int   // next index into sel, or the next candidate
	budget *recurBudget
	years  [2]*recurYear
	yearAt int
	count  int
	done   bool
}

// newRecurIter prepares the expansion of r from the naive DTSTART start;
// date is true for a DATE DTSTART, whose rule then ignores BYHOUR,
// BYMINUTE and BYSECOND (RFC 5545 3.3.10).
func newRecurIter(r *recurRule, start time.Time, date bool) *recurIter {
	it := &recurIter{r: r, start: start, freq: r.freq, step: r.interval, budget: newRecurBudget()}
	if date && it.freq < freqDaily {
		// Sub-daily rules on a DATE (invalid) step by whole days.
		it.step = max(1, int(int64(r.interval)*int64(it.freq.unit())/int64(24*time.Hour)))
		it.freq = freqDaily
	}
	for _, m := range r.byMonth {
		it.months |= 1 << m
	}
	for _, d := range r.byDay {
		if d.n == 0 || !it.ordinalScope() {
			it.plain |= 1 << d.wd
		} else {
			it.nth = append(it.nth, d)
		}
	}
	it.days = r.byMonthDay
	if len(r.byWeekNo) == 0 && len(r.byYearDay) == 0 && len(r.byMonthDay) == 0 && len(r.byDay) == 0 {
		// What the rule does not say is taken from DTSTART.
		switch it.freq {
		case freqYearly:
			if len(r.byMonth) == 0 {
				it.months = 1 << start.Month()
			}
			it.days = []int{start.Day()}
		case freqMonthly:
			it.days = []int{start.Day()}
		case freqWeekly:
			it.plain = 1 << start.Weekday()
		}
	}
	pick := func(by []int, dflt int) []int {
		if date {
			return []int{0}
		}
		if len(by) == 0 {
			return []int{dflt}
		}
		// Sorted and distinct (BYSECOND=59,60 is one second), so that
		// candidate order is time order.
		return slices.Compact(slices.Sorted(slices.Values(by)))
	}
	it.hours = pick(r.byHour, start.Hour())
	it.mins = pick(r.byMinute, start.Minute())
	it.secs = pick(r.bySecond, start.Second())
	y, m, d := start.Date()
	switch it.freq {
	case freqYearly:
		it.base = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
	case freqMonthly:
		it.base = time.Date(y, m, 1, 0, 0, 0, 0, time.UTC)
	case freqWeekly:
		back := (int(start.Weekday()) - int(r.wkst) + 7) % 7
		it.base = time.Date(y, m, d-back, 0, 0, 0, 0, time.UTC)
	case freqDaily:
		it.base = time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	default:
		it.base = start.Truncate(it.freq.unit())
	}
	return it
}

// ordinalScope reports whether a BYDAY ordinal means something for this
// rule: the nth weekday of the month (MONTHLY, or YEARLY with BYMONTH) or
// of the year (YEARLY). Elsewhere RFC 5545 forbids it; it is read as the
// plain weekday.
func (it *recurIter) ordinalScope() bool {
	return it.freq == freqMonthly || (it.freq == freqYearly && len(it.r.byWeekNo) == 0)
}

// seek moves the iterator so that it skips periods that end before the
// naive time target. Only rules without COUNT can skip: COUNT needs every
// earlier instance counted. A period before the target is kept, so the
// caller still filters.
func (it *recurIter) seek(target time.Time) {
	if it.r.hasCount || !target.After(it.start) {
		return
	}
	var k int64
	switch it.freq {
	case freqYearly:
		k = int64(target.Year()-it.base.Year()) / int64(it.step)
	case freqMonthly:
		months := (target.Year()-it.base.Year())*12 + int(target.Month()-it.base.Month())
		k = int64(months) / int64(it.step)
	case freqWeekly:
		k = (dayNumber(target) - dayNumber(it.base)) / int64(7*it.step)
	case freqDaily:
		k = (dayNumber(target) - dayNumber(it.base)) / int64(it.step)
	default:
		k = (target.Unix() - it.base.Unix()) / it.stride()
	}
	if k-1 > it.k {
		it.k = k - 1
		it.clearPeriod()
	}
}

// clearPeriod forgets the candidates of the current period.
func (it *recurIter) clearPeriod() {
	it.buf, it.pdays, it.sel = it.buf[:0], it.pdays[:0], it.sel[:0]
	it.calPer, it.selOn, it.ncand, it.at = false, false, 0, 0
}

// cand returns candidate i of the current period.
func (it *recurIter) cand(i int) time.Time {
	if !it.calPer {
		return it.buf[i]
	}
	nm, ns := len(it.mins), len(it.secs)
	per := len(it.hours) * nm * ns
	d, j := it.pdays[i/per], i%per
	return d.Add(time.Duration(it.hours[j/(nm*ns)])*time.Hour + time.Duration(it.mins[j/ns%nm])*time.Minute + time.Duration(it.secs[j%ns])*time.Second)
}

// take returns the next candidate of the current period, if any.
func (it *recurIter) take() (time.Time, bool) {
	if it.selOn {
		if it.at >= len(it.sel) {
			return time.Time{}, false
		}
		it.at++
		return it.cand(it.sel[it.at-1]), true
	}
	if it.at >= it.ncand {
		return time.Time{}, false
	}
	if it.at == 0 && it.cand(0).Before(it.start) {
		// The period holding DTSTART: skip what precedes it by
		// bisection, not one candidate at a time.
		it.at = sort.Search(it.ncand, func(i int) bool { return !it.cand(i).Before(it.start) })
		it.budget.spend(int64(bits.Len(uint(it.ncand))))
		if it.at >= it.ncand {
			return time.Time{}, false
		}
	}
	it.at++
	return it.cand(it.at - 1), true
}

// next returns the next instance, or false at the end of the rule. It
// fails with ErrTooComplex when its budget (recurBudget) is spent.
func (it *recurIter) next() (time.Time, bool, error) {
	for {
		for {
			if !it.budget.spend(1) {
				return time.Time{}, false, it.budget.err()
			}
			t, ok := it.take()
			if !ok {
				break
			}
			if t.Before(it.start) {
				continue
			}
			if it.r.hasCount && it.count >= it.r.count {
				it.done = true
				return time.Time{}, false, nil
			}
			it.count++
			return t, true, nil
		}
		if it.done {
			return time.Time{}, false, nil
		}
		it.clearPeriod()
		it.period()
		if it.budget.exhausted() {
			return time.Time{}, false, it.budget.err()
		}
	}
}

// period fills buf with the candidates of period k and moves to the next
// period worth looking at.
func (it *recurIter) period() {
	k := it.k
	it.k++
	var first time.Time // start of the period
	ndays := 1
	switch it.freq {
	case freqYearly:
		y := it.base.Year() + int(k)*it.step
		if y > MaxYear || k*int64(it.step) > MaxYear {
			it.done = true
			return
		}
		first = time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC)
		ndays = 365
		if daysIn(y, time.February) == 29 {
			ndays = 366
		}
	case freqMonthly:
		mi := int64(it.base.Month()-1) + k*int64(it.step)
		if mi/12 > MaxYear {
			it.done = true
			return
		}
		first = time.Date(it.base.Year()+int(mi/12), time.Month(mi%12)+1, 1, 0, 0, 0, 0, time.UTC)
		if it.months != 0 && it.months&(1<<first.Month()) == 0 {
			return
		}
		ndays = daysIn(first.Year(), first.Month())
	case freqWeekly, freqDaily:
		n := k * int64(it.step)
		if it.freq == freqWeekly {
			n *= 7
		}
		if n > MaxYear*366 {
			it.done = true
			return
		}
		first = it.base.AddDate(0, 0, int(n))
		if it.freq == freqWeekly {
			ndays = 7
		} else if it.months != 0 && it.months&(1<<first.Month()) == 0 {
			// A day in a month BYMONTH excludes: go to the next month
			// in one step, not one period per day.
			next := dayNumber(time.Date(first.Year(), first.Month()+1, 1, 0, 0, 0, 0, time.UTC))
			it.k = max(it.k, (next-dayNumber(it.base)+int64(it.step)-1)/int64(it.step))
			return
		}
	default:
		it.subDaily(k)
		return
	}
	if first.Year() > MaxYear {
		it.done = true
		return
	}
	y, m, md := first.Date()
	yd, wd := first.YearDay(), first.Weekday()
	yi := it.year(y)
	for i := 0; i < ndays; {
		// A day costs one unit of the budget, a month BYMONTH excludes
		// one as a whole.
		it.budget.spend(1)
		mlen := yi.mlen[m]
		if it.months != 0 && it.months&(1<<m) == 0 {
			// Skip the rest of a month BYMONTH excludes.
			n := min(mlen-md+1, ndays-i)
			i, md, yd, wd = i+n, md+n, yd+n, (wd+time.Weekday(n))%7
		} else {
			if it.dayMatches(yi, m, md, yd, wd) {
				it.pdays = append(it.pdays, time.Date(y, m, md, 0, 0, 0, 0, time.UTC))
			}
			i, md, yd, wd = i+1, md+1, yd+1, (wd+1)%7
		}
		if md > mlen {
			md, m = 1, m+1
			if m > 12 {
				y, m, yd = y+1, 1, 1
				yi = it.year(y)
			}
		}
	}
	it.calPer = true
	it.ncand = len(it.pdays) * len(it.hours) * len(it.mins) * len(it.secs)
	it.setPos()
}

// recurYear is what day filtering needs to know about one year.
type recurYear struct {
	y     int
	ylen  int
	mlen  [13]int
	w1    int // day of the year (1-based, maybe <= 0) that starts week 1
	weeks int // weeks in the year: 52 or 53
}

// year returns the facts of year y, from a two-entry cache: a period
// touches at most two years.
func (it *recurIter) year(y int) *recurYear {
	for _, c := range it.years {
		if c != nil && c.y == y {
			return c
		}
	}
	c := &recurYear{y: y, ylen: 365}
	if daysIn(y, time.February) == 29 {
		c.ylen = 366
	}
	for m := time.January; m <= time.December; m++ {
		c.mlen[m] = daysIn(y, m)
	}
	c.w1 = week1Day(y, it.r.wkst)
	c.weeks = (c.ylen + week1Day(y+1, it.r.wkst) - c.w1) / 7
	it.years[it.yearAt], it.yearAt = c, 1-it.yearAt
	return c
}

// week1Day returns the day of year y (1-based; 0 or less in the
// previous December) on which week 1 starts: the week, starting on wkst,
// that has at least four days of y (RFC 5545 3.3.10, ISO 8601).
func week1Day(y int, wkst time.Weekday) int {
	delta := (int(time.Date(y, 1, 1, 0, 0, 0, 0, time.UTC).Weekday()) - int(wkst) + 7) % 7
	if delta <= 3 {
		return 1 - delta
	}
	return 8 - delta
}

// subDaily fills the candidates of period k of an HOURLY, MINUTELY or
// SECONDLY rule. A day or hour the rule excludes is skipped as a whole,
// so a rule limited to one day a year costs a step per day, not one per
// second.
func (it *recurIter) subDaily(k int64) {
	stride := it.stride()
	if k > (MaxYear*366*86400)/stride {
		it.done = true
		return
	}
	p := time.Unix(it.base.Unix()+k*stride, 0).UTC()
	it.budget.spend(1) // a second unit besides next's: a sub-daily period converts its instant
	if p.Year() > MaxYear {
		it.done = true
		return
	}
	// skipTo moves k to the first period at or after t.
	skipTo := func(t time.Time) {
		n := (t.Unix() - it.base.Unix() + stride - 1) / stride
		it.k = max(it.k, n)
	}
	py, pm, pd := p.Date()
	if it.months != 0 && it.months&(1<<pm) == 0 {
		skipTo(time.Date(py, pm+1, 1, 0, 0, 0, 0, time.UTC))
		return
	}
	if !it.dayMatches(it.year(py), pm, pd, p.YearDay(), p.Weekday()) {
		skipTo(truncDay(p).AddDate(0, 0, 1))
		return
	}
	if len(it.r.byHour) > 0 && !slices.Contains(it.r.byHour, p.Hour()) {
		if it.freq != freqHourly {
			skipTo(p.Truncate(time.Hour).Add(time.Hour))
		}
		return
	}
	if it.freq == freqSecondly && len(it.r.byMinute) > 0 && !slices.Contains(it.r.byMinute, p.Minute()) {
		skipTo(p.Truncate(time.Minute).Add(time.Minute))
		return
	}
	switch it.freq {
	case freqHourly:
		for _, m := range it.mins {
			for _, s := range it.secs {
				it.buf = append(it.buf, p.Add(time.Duration(m)*time.Minute+time.Duration(s)*time.Second))
			}
		}
	case freqMinutely:
		if len(it.r.byMinute) > 0 && !slices.Contains(it.r.byMinute, p.Minute()) {
			return
		}
		for _, s := range it.secs {
			it.buf = append(it.buf, p.Add(time.Duration(s)*time.Second))
		}
	default:
		if len(it.r.bySecond) > 0 && !slices.Contains(it.r.bySecond, p.Second()) {
			return
		}
		it.buf = append(it.buf, p)
	}
	it.ncand = len(it.buf)
	it.budget.spend(int64(it.ncand))
	it.setPos()
}

// stride returns the seconds between two periods of a sub-daily rule.
func (it *recurIter) stride() int64 {
	return int64(it.step) * int64(it.freq.unit()/time.Second)
}

// setPos applies BYSETPOS to the candidates of one period: it picks
// their indexes, so a period is never listed whole.
func (it *recurIter) setPos() {
	if len(it.r.bySetPos) == 0 || it.ncand == 0 {
		return
	}
	n := it.ncand
	it.budget.spend(int64(len(it.r.bySetPos)))
	for _, p := range it.r.bySetPos {
		i := p - 1
		if p < 0 {
			i = n + p
		}
		if i >= 0 && i < n {
			it.sel = append(it.sel, i)
		}
	}
	slices.Sort(it.sel)
	it.sel = slices.Compact(it.sel)
	it.selOn = true
}

// dayMatches applies the day-level BYxxx parts (BYMONTH, BYWEEKNO,
// BYYEARDAY, BYMONTHDAY, BYDAY) to day md of month m, day yd of the
// year yi, weekday wd.
func (it *recurIter) dayMatches(yi *recurYear, m time.Month, md, yd int, wd time.Weekday) bool {
	if it.months != 0 && it.months&(1<<m) == 0 {
		return false
	}
	r := it.r
	if len(r.byWeekNo) > 0 {
		var w, nw int
		if yd < yi.w1 { // the last week of the previous year
			w = it.year(yi.y - 1).weeks
			nw = w
		} else {
			w, nw = (yd-yi.w1)/7+1, yi.weeks
			if w > nw { // week 1 of the next year
				w, nw = 1, it.year(yi.y+1).weeks
			}
		}
		if !slices.ContainsFunc(r.byWeekNo, func(v int) bool { return v == w || v == w-nw-1 }) {
			return false
		}
	}
	if len(r.byYearDay) > 0 && !slices.ContainsFunc(r.byYearDay, func(v int) bool { return v == yd || v == yd-yi.ylen-1 }) {
		return false
	}
	mlen := yi.mlen[m]
	if len(it.days) > 0 && !slices.ContainsFunc(it.days, func(v int) bool { return v == md || v == md-mlen-1 }) {
		return false
	}
	if it.plain == 0 && len(it.nth) == 0 {
		return true
	}
	if it.plain&(1<<wd) != 0 {
		return true
	}
	for _, n := range it.nth {
		if n.wd != wd {
			continue
		}
		if it.freq == freqMonthly || len(r.byMonth) > 0 {
			if n.n == (md-1)/7+1 || n.n == -((mlen-md)/7+1) {
				return true
			}
		} else if n.n == (yd-1)/7+1 || n.n == -((yi.ylen-yd)/7+1) {
			return true
		}
	}
	return false
}
