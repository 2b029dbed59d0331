package caldav

import (
	"bytes"
	"strings"

	"github.com/pgdav/pgdav/internal/dav"
)

// Limits of the syntax scan. They bound what go-ical's decoder would
// otherwise spend on hostile input, and sit far above anything a client
// writes.
const (
	// maxDepth bounds BEGIN nesting: go-ical decodes nested components by
	// recursion. Real objects nest three deep (VCALENDAR, VEVENT, VALARM;
	// RFC 9073 VLOCATION likewise).
	maxDepth = 16
	// maxParamValue bounds one parameter value, and paramBudget the sum of
	// their squares: go-ical builds parameter values a byte at a time, in
	// time quadratic in their length (about 0.14 ns per byte squared: a
	// 64 KiB value cost 0.4 s, a 1 MiB one would cost minutes). The budget
	// caps that at some 150 ms per object. The longest values clients
	// write, Apple's X-APPLE-MAPKIT-HANDLE, have a few hundred bytes.
	maxParamValue = 16 << 10
	paramBudget   = 4 * maxParamValue * maxParamValue
)

// scanCalendar checks the content-line syntax of an iCalendar stream (RFC
// 5545 3.1) and its BEGIN/END structure before go-ical sees it, so that
// errors name a line, go-ical's panics on malformed parameters (a value
// running to the end of the line, text after a closing quote) cannot be
// reached, and the limits above hold. data must not start with a BOM;
// first is the number of its first line.
func scanCalendar(data []byte, first int) error {
	s := scanner{}
	err := eachContentLine(data, first, s.line)
	if err != nil {
		return err
	}
	if n := len(s.stack); n > 0 {
		open := s.stack[n-1]
		return invalidData("BEGIN:%s on line %d has no END:%s", open.name, open.line, open.name)
	}
	if s.top == 0 {
		return invalidData("no BEGIN:VCALENDAR found")
	}
	return nil
}

type openComponent struct {
	name string // clipped for messages
	full string
	line int
}

type scanner struct {
	stack []openComponent
	top   int // top-level components seen
	quad  int // sum of squared parameter value lengths
}

// line checks one unfolded content line: name *(";" param) ":" value.
func (s *scanner) line(num int, l []byte) error {
	i := bytes.IndexAny(l, ";:")
	if i < 0 {
		return invalidData("line %d: %s has no ':' (a content line is NAME[;PARAM=VALUE]:VALUE)", num, dav.QuoteShort(string(l)))
	}
	if i == 0 {
		return invalidData("line %d: the property name is empty", num)
	}
	name := dav.Clip(strings.ToUpper(string(l[:i])))
	valueAt, err := s.params(num, name, l, i)
	if err != nil {
		return err
	}
	// The value exactly as go-ical will see it: not trimmed.
	return s.structure(num, name, l[valueAt:])
}

// params checks the parameters starting at l[i] and returns where the
// property value starts.
func (s *scanner) params(num int, name string, l []byte, i int) (int, error) {
	for l[i] == ';' {
		i++
		j := i
		for j < len(l) && l[j] != '=' && l[j] != ';' && l[j] != ':' {
			j++
		}
		if j == len(l) || l[j] != '=' {
			return 0, invalidData("line %d: parameter %s of %s has no '=VALUE'", num, dav.QuoteShort(string(l[i:j])), name)
		}
		if j == i {
			return 0, invalidData("line %d: a parameter of %s has an empty name", num, name)
		}
		i = j + 1
		for {
			start := i
			if i < len(l) && l[i] == '"' {
				k := bytes.IndexByte(l[i+1:], '"')
				if k < 0 {
					return 0, invalidData("line %d: a quoted parameter value of %s has no closing '\"'", num, name)
				}
				i += k + 2
			} else {
				for i < len(l) && l[i] != ';' && l[i] != ',' && l[i] != ':' {
					if l[i] == '"' {
						return 0, invalidData("line %d: a '\"' inside an unquoted parameter value of %s", num, name)
					}
					i++
				}
			}
			if n := i - start; n > maxParamValue {
				return 0, invalidData("line %d: a parameter value of %s has %d bytes; the limit is %d", num, name, n, maxParamValue)
			} else if s.quad += n * n; s.quad > paramBudget {
				return 0, invalidData("line %d: too many long parameter values", num)
			}
			if i == len(l) {
				return 0, invalidData("line %d: %s has no ':' before its value", num, name)
			}
			if l[i] != ',' {
				break
			}
			i++
		}
		if l[i] != ';' && l[i] != ':' {
			return 0, invalidData("line %d: unexpected %q after a quoted parameter value of %s", num, l[i], name)
		}
	}
	return i + 1, nil
}

// structure follows BEGIN and END (RFC 5545 3.4, 3.6): properly nested,
// exactly one top-level component, and that one a VCALENDAR.
func (s *scanner) structure(num int, name string, value []byte) error {
	depth := len(s.stack)
	switch name {
	case "BEGIN":
		comp := strings.ToUpper(string(value))
		switch {
		case comp == "":
			return invalidData("line %d: BEGIN without a component name", num)
		case depth == 0 && s.top > 0:
			return invalidData("line %d: a second top-level component (BEGIN:%s); a calendar object resource holds exactly one VCALENDAR", num, dav.Clip(comp))
		case depth == 0 && comp != "VCALENDAR":
			return invalidData("line %d: expected BEGIN:VCALENDAR, found BEGIN:%s", num, dav.Clip(comp))
		case depth >= maxDepth:
			return invalidData("line %d: components nested more than %d deep", num, maxDepth)
		}
		if depth == 0 {
			s.top++
		}
		s.stack = append(s.stack, openComponent{dav.Clip(comp), comp, num})
	case "END":
		if depth == 0 {
			return invalidData("line %d: END:%s without a matching BEGIN", num, dav.Clip(string(value)))
		}
		open := s.stack[depth-1]
		if !strings.EqualFold(open.full, string(value)) {
			return invalidData("line %d: END:%s does not close BEGIN:%s from line %d", num, dav.Clip(string(value)), open.name, open.line)
		}
		s.stack = s.stack[:depth-1]
	default:
		if depth == 0 && s.top == 0 {
			return invalidData("line %d: expected BEGIN:VCALENDAR, found %s", num, name)
		}
		if depth == 0 {
			return invalidData("line %d: %s after END:VCALENDAR", num, name)
		}
	}
	return nil
}

// eachContentLine calls fn for every non-empty content line of data,
// unfolded (RFC 5545 3.1: a line break followed by a space or a tab
// continues the line, even an empty one, exactly as go-ical reads it),
// with the number of the physical line it starts on, counting from
// first. Lines may end in CRLF or a bare LF.
func eachContentLine(data []byte, first int, fn func(num int, line []byte) error) error {
	var buf []byte // the logical line being assembled, when folded
	var cur []byte // the logical line so far (aliases data or buf)
	start, num := 0, first-1
	flush := func() error {
		if len(cur) == 0 {
			return nil
		}
		err := fn(start, cur)
		cur, buf = nil, buf[:0]
		return err
	}
	for len(data) > 0 {
		num++
		var phys []byte
		phys, data, _ = bytes.Cut(data, []byte{'\n'})
		phys = bytes.TrimSuffix(phys, []byte{'\r'})
		if len(phys) > 0 && (phys[0] == ' ' || phys[0] == '\t') && num > first {
			if len(buf) == 0 {
				buf = append(buf, cur...)
			}
			buf = append(buf, phys[1:]...)
			cur = buf
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		cur, start = phys, num
	}
	return flush()
}
