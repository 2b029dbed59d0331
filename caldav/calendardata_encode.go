package caldav

import (
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

// encodeICalendar writes a component as iCalendar text (RFC 5545 3.1):
// CRLF line ends, lines folded at 75 octets without splitting a
// character. It is not go-ical's Encoder, which refuses what partial
// retrieval legitimately produces (a VEVENT without DTSTAMP, a VCALENDAR
// without PRODID: RFC 4791 9.6 allows such data in responses) and does
// not fold. go-ical keeps no property order, so properties are written
// sorted by name (VERSION and PRODID first in VCALENDAR), each name's
// values in their original order; subcomponents keep theirs.
func encodeICalendar(c *ical.Component) string {
	var b strings.Builder
	writeComponent(&b, c)
	return b.String()
}

func writeComponent(b *strings.Builder, c *ical.Component) {
	writeFolded(b, "BEGIN:"+c.Name)
	for _, name := range propertyOrder(c) {
		for i := range c.Props[name] {
			writeFolded(b, contentLine(&c.Props[name][i]))
		}
	}
	for _, ch := range c.Children {
		writeComponent(b, ch)
	}
	writeFolded(b, "END:"+c.Name)
}

// propertyOrder returns the property names of c in the order they are
// written.
func propertyOrder(c *ical.Component) []string {
	names := make([]string, 0, len(c.Props))
	for name := range c.Props {
		names = append(names, name)
	}
	first := map[string]int{}
	if c.Name == ical.CompCalendar {
		first = map[string]int{ical.PropVersion: 1, ical.PropProductID: 2}
	}
	slices.SortFunc(names, func(a, b string) int {
		fa, fb := first[a], first[b]
		switch {
		case fa != 0 && fb != 0:
			return fa - fb
		case fa != 0:
			return -1
		case fb != 0:
			return 1
		}
		return strings.Compare(a, b)
	})
	return names
}

// contentLine renders a property as an unfolded content line without
// its line break: NAME;PARAM=VALUE,VALUE:value. Parameters are sorted
// by name; values holding ":", ";" or "," are quoted (RFC 5545 3.2). A
// DQUOTE cannot occur in a decoded parameter value and is replaced by
// "'" should it ever.
func contentLine(p *ical.Prop) string {
	var b strings.Builder
	b.WriteString(p.Name)
	params := make([]string, 0, len(p.Params))
	for name := range p.Params {
		params = append(params, name)
	}
	slices.Sort(params)
	for _, name := range params {
		b.WriteString(";" + name + "=")
		for i, v := range p.Params[name] {
			if i > 0 {
				b.WriteByte(',')
			}
			v = strings.ReplaceAll(v, `"`, "'")
			if strings.ContainsAny(v, ";:,") {
				b.WriteString(`"` + v + `"`)
			} else {
				b.WriteString(v)
			}
		}
	}
	b.WriteByte(':')
	b.WriteString(p.Value)
	return b.String()
}

// writeFolded writes one content line with CRLF, folded so that no line
// exceeds 75 octets (RFC 5545 3.1); continuation lines start with a
// space.
func writeFolded(b *strings.Builder, line string) {
	const limit = 75
	width := limit
	for len(line) > width {
		cut := width
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n ")
		line = line[cut:]
		width = limit - 1
	}
	b.WriteString(line)
	b.WriteString("\r\n")
}
