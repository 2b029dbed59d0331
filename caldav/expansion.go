package caldav

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math"
	"strings"
	"time"

	"github.com/emersion/go-ical"

	"github.com/pgdav/pgdav/caldav/internal/ictime"
	"github.com/pgdav/pgdav/internal/dav"
)

// An expansion is CALDAV:expand (RFC 4791 9.6.5) worked out when an object
// is written, for the objects whose times are exact (objectTimes): the
// VCALENDAR's header, the text of each component that expandRecurrences
// would emit, and for each instance of a recurring master its times and a
// template of its text. Answering an expand request then means choosing
// the items that overlap the range and filling in three times — no
// parsing, no recurrence evaluation. It is stored next to the object
// (objects.expansion) and valid only inside the window of its times;
// TestExpansionMatchesRender holds it equal, byte for byte, to
// render.
type expansion struct {
	within TimeRange
	header string   // BEGIN:VCALENDAR and its properties
	texts  []string // component texts; templates hold the markers below
	items  []expansionItem
	floats bool // a floating time or DATE was read: valid in its zone only
}

// expansionItem is one component of the answer: a non-recurring
// component or an instance.
type expansionItem struct {
	text       int  // index into texts
	template   bool // text has markers for DTSTART, DTEND, RECURRENCE-ID
	always     bool // kept whatever the range (X- components)
	start, end time.Time
	rid        time.Time
}

// Markers stand for the three UTC values of an instance in a template.
// They have the length of a UTC DATE-TIME, so lines fold where they
// would with the real values, and hold NUL, which stored data never
// does (decodeCalendar refuses it).
const (
	markerStart = "\x00START---------\x00"
	markerEnd   = "\x00END-----------\x00"
	markerRID   = "\x00RECURRENCE-ID-\x00"
)

const expansionVersion = 2

// errNoExpansion means the object's expansion is not computed ahead: the
// answer would depend on more than its bytes, or its text could not be
// templated. The full renderer answers for it.
var errNoExpansion = errors.New("no stored expansion")

// buildExpansion computes the expansion of cal over within, mirroring
// expandRecurrences with floating as the zone of floating times: like the
// times it is stored with, it answers only queries in that zone.
func buildExpansion(cal *ical.Calendar, within TimeRange, floating *time.Location) (*expansion, error) {
	tc := ictime.NewContext(cal, floating)
	head := encodeICalendar(&ical.Component{Name: cal.Name, Props: cal.Props})
	x := &expansion{within: within, header: strings.TrimSuffix(head, "END:"+cal.Name+"\r\n")}
	addText := func(s string) int {
		x.texts = append(x.texts, s)
		return len(x.texts) - 1
	}
	// What rendering the whole window would write, bounded as
	// expandRecurrences bounds its answer.
	size := 0
	tooBig := func(item expansionItem) bool {
		size += len(x.texts[item.text])
		return size > maxExpandBytes
	}
	sizes := map[*ical.Component]int{}
	for _, c := range cal.Children {
		switch {
		case c.Name == ical.CompTimezone:
		case isRecurrenceType(c.Name) && isOverride(c) && recurringMaster(cal.Component, c) != nil:
			// emitted among its master's instances
		case isRecurrenceType(c.Name) && isRecurring(c):
			templates := map[*ical.Component]int{}
			var failed error
			err := tc.Instances(c, within, func(in ictime.Instance) bool {
				if c.Name == ical.CompToDo && !tc.TodoIsPeriod(in) {
					failed = errNoExpansion // a 9.9 row that is not an overlap
					return false
				}
				item := expansionItem{start: in.Start, end: in.End, rid: in.RecurrenceID}
				if in.Overridden || in.AllDay {
					if size+instanceSize(sizes, c, in) > maxExpandBytes {
						failed = errNoExpansion
						return false
					}
					item.text = addText(encodeICalendar(instanceComponent(tc, c, in, floating)))
					if tooBig(item) {
						failed = errNoExpansion
						return false
					}
					x.items = append(x.items, item)
					return true
				}
				src := in.Comp
				if src == nil {
					src = c
				}
				i, ok := templates[src]
				if !ok {
					t, err := instanceTemplate(tc, src, in)
					if err != nil {
						failed = err
						return false
					}
					i = addText(t)
					templates[src] = i
				}
				item.text, item.template = i, true
				if tooBig(item) {
					failed = errNoExpansion
					return false
				}
				x.items = append(x.items, item)
				return true
			})
			if err == nil {
				err = failed
			}
			if err != nil {
				return nil, err
			}
		case isRecurrenceType(c.Name):
			o, err := tc.Times(c)
			if err != nil {
				return nil, err
			}
			switch {
			case c.Name == ical.CompToDo && !tc.TodoIsPeriod(ictime.Instance{Start: o.Start, End: o.End, Comp: c}):
				return nil, errNoExpansion // a 9.9 row that is not an overlap
			case !o.HasStart:
				continue // a VEVENT or VJOURNAL without DTSTART matches no range (RFC 4791 9.9)
			}
			x.items = append(x.items, expansionItem{text: addText(encodeICalendar(standalone(tc, c))), start: o.Start, end: o.End})
		default: // X- components; VFREEBUSY has no stored times
			if c.Name == ical.CompFreeBusy {
				return nil, errNoExpansion
			}
			x.items = append(x.items, expansionItem{text: addText(encodeICalendar(standalone(tc, c))), always: true})
		}
	}
	x.floats = tc.Floats()
	return x, nil
}

// instanceTemplate renders an instance of src as instanceComponent does,
// with markers for its times.
func instanceTemplate(tc *ictime.Context, src *ical.Component, in ictime.Instance) (string, error) {
	c := standalone(tc, src)
	set := func(name, marker string) {
		p := ical.NewProp(name)
		p.Value = marker
		c.Props.Set(p)
	}
	set(ical.PropDateTimeStart, markerStart)
	hasEnd := len(c.Props[ical.PropDateTimeEnd]) > 0
	if hasEnd {
		set(ical.PropDateTimeEnd, markerEnd)
	}
	if len(c.Props[ical.PropDue]) > 0 {
		return "", errNoExpansion // VTODOs have no stored times
	}
	if !in.RecurrenceID.IsZero() {
		set(ical.PropRecurrenceID, markerRID)
	}
	markers := 1
	if hasEnd {
		markers++
	}
	if !in.RecurrenceID.IsZero() {
		markers++
	}
	s := encodeICalendar(c)
	if strings.Count(s, markerStart) != 1 || hasEnd != (strings.Count(s, markerEnd) == 1) ||
		in.RecurrenceID.IsZero() != (strings.Count(s, markerRID) == 0) || strings.Count(s, "\x00") != 2*markers {
		return "", errNoExpansion // a marker was folded apart
	}
	return s, nil
}

// The stored form (marshal) is read in place by renderStored, without
// decoding it into values: a version byte; the window's bounds; the
// VCALENDAR header and the component texts, already escaped for XML
// character data (dav.EscapeText) since they only ever go into a
// multistatus, as length-prefixed strings; then the items as fixed-size
// records of flags, text index and three times in Unix seconds.
const (
	itemSize   = 1 + 4 + 3*8
	noTime     = math.MinInt64 // an unbounded bound, or no RECURRENCE-ID
	flagTmpl   = 1
	flagAlways = 2
)

// unixOf is t in Unix seconds for storage, noTime for the zero time; ok
// is false for a time with a fraction of a second, which iCalendar does
// not have and the stored form cannot hold.
func unixOf(t time.Time) (int64, bool) {
	if t.IsZero() {
		return noTime, true
	}
	return t.Unix(), t.Nanosecond() == 0
}

// marshal encodes the expansion for storage; errNoExpansion when a time
// has a fraction of a second.
func (x *expansion) marshal() ([]byte, error) {
	b := []byte{expansionVersion}
	ok := true
	putTime := func(t time.Time) {
		v, exact := unixOf(t)
		ok = ok && exact
		b = binary.BigEndian.AppendUint64(b, uint64(v))
	}
	putString := func(s string) {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	putTime(x.within.Start)
	putTime(x.within.End)
	putString(dav.EscapeText(x.header))
	b = binary.AppendUvarint(b, uint64(len(x.texts)))
	for _, s := range x.texts {
		putString(escapeTemplate(s))
	}
	b = binary.AppendUvarint(b, uint64(len(x.items)))
	for _, it := range x.items {
		var flags byte
		if it.template {
			flags |= flagTmpl
		}
		if it.always {
			flags |= flagAlways
		}
		b = append(b, flags)
		b = binary.BigEndian.AppendUint32(b, uint32(it.text))
		putTime(it.start)
		putTime(it.end)
		putTime(it.rid)
	}
	if !ok {
		return nil, errNoExpansion
	}
	return b, nil
}

// escapeTemplate escapes a text for XML around its markers, which hold
// NUL and would not survive dav.EscapeText; escaping adds no NUL.
func escapeTemplate(s string) string {
	var b strings.Builder
	for {
		i := strings.IndexByte(s, 0)
		if i < 0 || i+len(markerStart) > len(s) {
			b.WriteString(dav.EscapeText(s))
			return b.String()
		}
		b.WriteString(dav.EscapeText(s[:i]))
		b.WriteString(s[i : i+len(markerStart)])
		s = s[i+len(markerStart):]
	}
}

var errBadExpansion = errors.New("malformed stored expansion")

// cmpErr is first, or err when there is no first.
func cmpErr(first, err error) error {
	if first != nil {
		return first
	}
	return err
}

// storedExpansion is a stored expansion read in place.
type storedExpansion struct {
	lo, hi int64    // the window, noTime for unbounded
	header []byte   // escaped
	texts  [][]byte // escaped
	items  []byte   // the records
}

// readExpansion checks the stored bytes and locates their parts, which
// stay in b.
func readExpansion(b []byte) (*storedExpansion, error) {
	if len(b) < 17 || b[0] != expansionVersion {
		return nil, errBadExpansion
	}
	x := &storedExpansion{lo: int64(binary.BigEndian.Uint64(b[1:])), hi: int64(binary.BigEndian.Uint64(b[9:]))}
	b = b[17:]
	next := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	str := func() ([]byte, bool) {
		n, ok := next()
		if !ok || n > uint64(len(b)) {
			return nil, false
		}
		s := b[:n:n]
		b = b[n:]
		return s, true
	}
	var ok bool
	if x.header, ok = str(); !ok {
		return nil, errBadExpansion
	}
	nt, ok := next()
	if !ok || nt > uint64(len(b)) {
		return nil, errBadExpansion
	}
	x.texts = make([][]byte, nt)
	for i := range x.texts {
		if x.texts[i], ok = str(); !ok {
			return nil, errBadExpansion
		}
	}
	ni, ok := next()
	if !ok || ni*itemSize != uint64(len(b)) {
		return nil, errBadExpansion
	}
	x.items = b
	for i := 0; i < len(b); i += itemSize {
		if binary.BigEndian.Uint32(b[i+1:]) >= uint32(nt) {
			return nil, errBadExpansion
		}
	}
	return x, nil
}

// covers reports whether the expansion answers for range tr: tr lies in
// its window and has whole seconds, as every CALDAV:expand range has.
func (x *storedExpansion) covers(tr TimeRange) bool {
	s, sok := unixOf(tr.Start)
	e, eok := unixOf(tr.End)
	return sok && eok && (x.lo == noTime || s != noTime && s >= x.lo) && (x.hi == noTime || e != noTime && e <= x.hi)
}

// render writes the calendar-data for an expand over tr, which covers
// must accept, escaped for XML: what dav.EscapeText of render's answer
// would be.
func (x *storedExpansion) render(tr TimeRange) string {
	s, _ := unixOf(tr.Start)
	e, _ := unixOf(tr.End)
	const tail = "END:VCALENDAR&#13;\n"
	// The size first, so the answer is built in one allocation: the
	// markers have the length of the values that replace them.
	size := len(x.header) + len(tail)
	for i := 0; i < len(x.items); i += itemSize {
		if r := x.items[i : i+itemSize]; x.included(r, s, e) {
			size += len(x.texts[binary.BigEndian.Uint32(r[1:])])
		}
	}
	var b strings.Builder
	b.Grow(size)
	b.Write(x.header)
	var buf [len(utcLayout)]byte
	for i := 0; i < len(x.items); i += itemSize {
		r := x.items[i : i+itemSize]
		if !x.included(r, s, e) {
			continue
		}
		text := x.texts[binary.BigEndian.Uint32(r[1:])]
		if r[0]&flagTmpl == 0 {
			b.Write(text)
			continue
		}
		for {
			j := bytes.IndexByte(text, 0)
			if j < 0 || j+len(markerStart) > len(text) {
				break
			}
			b.Write(text[:j])
			t := int64(binary.BigEndian.Uint64(r[5:]))
			switch string(text[j : j+len(markerStart)]) {
			case markerEnd:
				t = int64(binary.BigEndian.Uint64(r[13:]))
			case markerRID:
				t = int64(binary.BigEndian.Uint64(r[21:]))
			}
			b.Write(appendUTC(buf[:0], t))
			text = text[j+len(markerStart):]
		}
		b.Write(text)
	}
	b.WriteString(tail)
	return b.String()
}

// included reports whether item record r goes into an answer over
// [s, e).
func (x *storedExpansion) included(r []byte, s, e int64) bool {
	return r[0]&flagAlways != 0 ||
		overlapsUnix(s, e, int64(binary.BigEndian.Uint64(r[5:])), int64(binary.BigEndian.Uint64(r[13:])))
}

// overlapsUnix is TimeRange.overlaps in Unix seconds, noTime unbounded.
func overlapsUnix(s, e, start, end int64) bool {
	if end <= start { // an instant: S <= start < E
		return (s == noTime || s <= start) && (e == noTime || e > start)
	}
	return (s == noTime || s < end) && (e == noTime || e > start)
}

// appendUTC appends the Unix time t as an iCalendar UTC DATE-TIME
// (utcLayout), the digits written directly: time.Time.AppendFormat was a
// third of filling in an expansion. Years outside 0000–9999 take the
// general path.
func appendUTC(dst []byte, t int64) []byte {
	u := time.Unix(t, 0).UTC()
	y, mo, d := u.Date()
	if y < 0 || y > 9999 {
		return u.AppendFormat(dst, utcLayout)
	}
	h, mi, sec := u.Clock()
	two := func(dst []byte, v int) []byte { return append(dst, byte('0'+v/10), byte('0'+v%10)) }
	dst = two(dst, y/100)
	dst = two(dst, y%100)
	dst = two(dst, int(mo))
	dst = two(dst, d)
	dst = append(dst, 'T')
	dst = two(dst, h)
	dst = two(dst, mi)
	dst = two(dst, sec)
	return append(dst, 'Z')
}
