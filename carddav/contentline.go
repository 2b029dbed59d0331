package carddav

import (
	"bytes"
	"strings"
	"unicode/utf8"

	"github.com/pgdav/pgdav/internal/ictext"
)

// vcardLine is one content line of a stored vCard (RFC 6350 3.3, RFC 2425
// 5.8.1): [group "."] name *(";" param) ":" value. The REPORTs read cards
// with it: the filter matcher, the index extraction (the two must read
// values identically), address-data selection and version conversion.
// go-vcard is not used for these because it resolves only some escapes
// and skips lines it cannot parse without a word.
type vcardLine struct {
	group string // as written; "" for none
	name  string // upper case
	// spelled is the name as written (X-ABLabel), kept by String when
	// it is still the same name.
	spelled string
	params  []vcardParam
	value   string // as written: escapes unresolved
	// raw is the line exactly as stored: its physical lines with their
	// folding and line ends.
	raw string
}

// vcardParam is one parameter. A bare token (vCard 2.1's "TEL;CELL:",
// which some 3.0 writers still produce) has the name "" and counts as a
// TYPE value.
type vcardParam struct {
	name   string // upper case
	values []string
	quoted bool // a value was quoted; String quotes them all again
}

// vcardData is a parsed card: its content lines, BEGIN and END included,
// in order.
type vcardData struct {
	lines   []vcardLine
	version string // the first VERSION value, trimmed
}

// parseVCard splits stored card data into content lines. It accepts what
// ValidateCard accepts (a BOM, LF or CRLF, blank lines, folding with a
// space or a tab) and skips, rather than fails on, a line without a
// colon, so a card stored under older rules is still readable.
func parseVCard(data []byte) *vcardData {
	text := string(bytes.TrimPrefix(data, utf8BOM)) // one copy; lines are slices of it
	c := &vcardData{lines: make([]vcardLine, 0, 16)}
	var (
		start    = -1 // where the current line starts in text; -1: none
		single   string
		folded   strings.Builder
		isFolded bool
	)
	flush := func(end int) {
		if start < 0 {
			return
		}
		logical := single
		if isFolded {
			logical = folded.String()
		}
		if l, ok := parseContentLine(logical); ok {
			l.raw = text[start:end]
			if l.name == "VERSION" && c.version == "" {
				c.version = strings.TrimSpace(l.value)
			}
			c.lines = append(c.lines, l)
		}
		start, isFolded = -1, false
	}
	for off := 0; off < len(text); {
		next := len(text)
		if i := strings.IndexByte(text[off:], '\n'); i >= 0 {
			next = off + i + 1
		}
		phys := strings.TrimSuffix(strings.TrimSuffix(text[off:next], "\n"), "\r")
		switch {
		case len(phys) > 0 && (phys[0] == ' ' || phys[0] == '\t') && start >= 0:
			if !isFolded {
				folded.Reset()
				folded.WriteString(single)
				isFolded = true
			}
			folded.WriteString(phys[1:])
		case strings.TrimSpace(phys) == "":
			flush(off)
		default:
			flush(off)
			start, single = off, phys
		}
		off = next
	}
	flush(len(text))
	return c
}

// parseContentLine parses one unfolded content line.
func parseContentLine(s string) (vcardLine, bool) {
	var l vcardLine
	i := strings.IndexAny(s, ".;:")
	if i < 0 {
		return l, false
	}
	if s[i] == '.' {
		l.group, s = s[:i], s[i+1:]
		if i = strings.IndexAny(s, ";:"); i < 0 {
			return l, false
		}
	}
	l.spelled = strings.TrimSpace(s[:i])
	l.name = strings.ToUpper(l.spelled)
	if l.name == "" {
		return l, false
	}
	s = s[i:]
	for len(s) > 0 && s[0] == ';' {
		s = s[1:]
		var p vcardParam
		var ok bool
		p, s, ok = parseParam(s)
		if !ok {
			return l, false
		}
		if p.name != "" || len(p.values) > 0 {
			l.params = append(l.params, p)
		}
	}
	if len(s) == 0 || s[0] != ':' {
		return l, false
	}
	l.value = s[1:]
	return l, true
}

// parseParam parses one parameter after its ";": up to the ";" or ":"
// that ends it, outside quotes.
func parseParam(s string) (vcardParam, string, bool) {
	var p vcardParam
	end := strings.IndexAny(s, "=;:")
	if end < 0 {
		return p, s, false
	}
	if s[end] != '=' { // a bare token
		if tok := strings.TrimSpace(s[:end]); tok != "" {
			p.values = []string{tok}
		}
		return p, s[end:], true
	}
	p.name = strings.ToUpper(strings.TrimSpace(s[:end]))
	s = s[end+1:]
	for {
		var v string
		if len(s) > 0 && s[0] == '"' {
			q := strings.IndexByte(s[1:], '"')
			if q < 0 {
				return p, s, false
			}
			v, s = s[1:1+q], s[q+2:]
			p.quoted = true
		} else {
			e := strings.IndexAny(s, ",;:")
			if e < 0 {
				return p, s, false
			}
			v, s = s[:e], s[e:]
		}
		p.values = append(p.values, v)
		if len(s) == 0 || s[0] != ',' {
			return p, s, true
		}
		s = s[1:]
	}
}

// is reports whether the line is property name (upper case), in any
// group.
func (l *vcardLine) is(name string) bool { return l.name == name }

// param returns the values of the parameter name (upper case), bare
// tokens counting as TYPE; ok is false when the line has none.
func (l *vcardLine) param(name string) (values []string, ok bool) {
	for _, p := range l.params {
		if p.name == name || (p.name == "" && name == "TYPE") {
			ok = true
			for _, v := range p.values {
				// TYPE=work,voice and type=work;type=voice alike; a
				// quoted "work,voice" too.
				values = append(values, strings.Split(v, ",")...)
			}
		}
	}
	return values, ok
}

// hasType reports whether the line has the TYPE value t (any case).
func (l *vcardLine) hasType(t string) bool {
	vs, _ := l.param("TYPE")
	for _, v := range vs {
		if strings.EqualFold(strings.TrimSpace(v), t) {
			return true
		}
	}
	return false
}

// escapeText is the inverse of ictext.Unescape for one text component.
func escapeText(s string) string {
	return strings.NewReplacer(`\`, `\\`, ",", `\,`, ";", `\;`, "\r\n", `\n`, "\n", `\n`).Replace(s)
}

// splitUnescaped splits a raw value at every sep not escaped with a
// backslash; the parts keep their escapes.
func splitUnescaped(s string, sep byte) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case sep:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// componentProps are the properties whose components are matched one by
// one besides the whole value: structured values (RFC 6350 6.2.2 N,
// 6.3.1 ADR, 6.6.4 ORG, ";" between components, "," between values of
// one component) and lists (6.2.3 NICKNAME, 6.7.1 CATEGORIES).
var componentProps = map[string]bool{"N": true, "ADR": true, "ORG": true, "NICKNAME": true, "CATEGORIES": true}

// subjects returns what a text-match compares with (RFC 6352 10.5.4) for
// this property: the whole value with its escapes resolved and, for the
// properties in componentProps, each non-empty component. A property
// instance matches when any of them does, so "equals Doe" finds
// N:Doe;Jane;;; (docs/compatibility.md). The first subject is always the
// whole value.
func (l *vcardLine) subjects() []string {
	whole := ictext.Unescape(l.value)
	out := []string{whole}
	if !componentProps[l.name] {
		return out
	}
	for _, comp := range splitUnescaped(l.value, ';') {
		for _, v := range splitUnescaped(comp, ',') {
			if v = strings.TrimSpace(ictext.Unescape(v)); v != "" && v != whole {
				out = append(out, v)
			}
		}
	}
	return out
}

// foldLine folds a content line into lines of at most 75 octets (RFC
// 6350 3.2), never inside a UTF-8 sequence, each ending with CRLF.
func foldLine(b *strings.Builder, line string) {
	const max = 75
	first := true
	for {
		limit := max
		if !first {
			limit = max - 1 // the leading space counts
		}
		if len(line) <= limit {
			if !first {
				b.WriteByte(' ')
			}
			b.WriteString(line)
			b.WriteString("\r\n")
			return
		}
		cut := limit
		for cut > 0 && !utf8.RuneStart(line[cut]) {
			cut--
		}
		if cut == 0 {
			cut = limit
		}
		if !first {
			b.WriteByte(' ')
		}
		b.WriteString(line[:cut])
		b.WriteString("\r\n")
		line = line[cut:]
		first = false
	}
}

// String returns the line unfolded, as it would be written: group, name,
// parameters (quoted when needed) and value.
func (l *vcardLine) String() string {
	var b strings.Builder
	if l.group != "" {
		b.WriteString(l.group)
		b.WriteByte('.')
	}
	if strings.EqualFold(l.spelled, l.name) {
		b.WriteString(l.spelled)
	} else {
		b.WriteString(l.name)
	}
	for _, p := range l.params {
		b.WriteByte(';')
		if p.name != "" {
			b.WriteString(p.name)
			b.WriteByte('=')
		}
		for i, v := range p.values {
			if i > 0 {
				b.WriteByte(',')
			}
			if p.quoted || strings.ContainsAny(v, ",;:") {
				b.WriteString(`"` + strings.ReplaceAll(v, `"`, "'") + `"`)
			} else {
				b.WriteString(v)
			}
		}
	}
	b.WriteByte(':')
	b.WriteString(l.value)
	return b.String()
}
