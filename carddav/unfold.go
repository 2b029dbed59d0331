package carddav

import (
	"bytes"
	"strings"

	"github.com/pgdav/pgdav/internal/dav"
)

// unfoldCard returns data with folded lines joined (RFC 6350 3.2, RFC 2425
// 5.8.1: a line break followed by a space or a tab continues the line),
// one content line per LF-terminated line, after checking each line's
// shape and the BEGIN/END structure so that errors name a line.
//
// go-vcard unfolds by string concatenation, in time quadratic in the
// length of a folded value, which an inline PHOTO makes long. Unfolding
// here first makes that linear. It also skips lines it cannot parse
// without a word, which here are errors instead.
func unfoldCard(data []byte, first int) ([]byte, error) {
	out := make([]byte, 0, len(data))
	var s structure
	start, num := 0, first-1
	lineAt := -1 // where the current logical line starts in out
	flush := func() error {
		if lineAt < 0 {
			return nil
		}
		line := out[lineAt:]
		lineAt = -1
		if len(line) == 0 {
			return nil
		}
		if err := s.line(start, line); err != nil {
			return err
		}
		out = append(out, '\n')
		return nil
	}
	for len(data) > 0 {
		num++
		var phys []byte
		phys, data, _ = bytes.Cut(data, []byte{'\n'})
		phys = bytes.TrimSuffix(phys, []byte{'\r'})
		if len(phys) > 0 && (phys[0] == ' ' || phys[0] == '\t') && lineAt >= 0 {
			out = append(out, phys[1:]...)
			continue
		}
		if err := flush(); err != nil {
			return nil, err
		}
		lineAt, start = len(out), num
		out = append(out, phys...)
	}
	if err := flush(); err != nil {
		return nil, err
	}
	return out, s.end()
}

// structure follows BEGIN:VCARD and END:VCARD: exactly one card, nothing
// around it, nothing nested in it.
type structure struct {
	begun, ended int    // line numbers; 0 = not yet
	version      string // the VERSION value, once seen
}

// line checks one unfolded content line: [group "."] name *(";" param)
// ":" value, with the name as go-vcard finds it.
func (s *structure) line(num int, l []byte) error {
	colon := bytes.IndexByte(l, ':')
	if colon < 0 && s.version == "2.1" {
		// Likely a quoted-printable soft line break, which only vCard
		// 2.1 has: report the version, not the line.
		return unsupported21()
	}
	if colon < 0 {
		return invalidData("line %d: %s has no ':' (a content line is NAME[;PARAM=VALUE]:VALUE)", num, dav.QuoteShort(string(l)))
	}
	rest := l
	if i := bytes.IndexAny(rest, ".;:"); rest[i] == '.' {
		rest = rest[i+1:] // the group (RFC 6350 3.3), e.g. "item1."
	}
	name := dav.Clip(strings.ToUpper(string(rest[:bytes.IndexAny(rest, ";:")])))
	if name == "" {
		return invalidData("line %d: the property name is empty", num)
	}
	value := ""
	if name == "BEGIN" || name == "END" || name == "VERSION" {
		value = dav.Clip(strings.ToUpper(strings.TrimSpace(string(l[colon+1:]))))
	}
	if name == "VERSION" && s.version == "" {
		s.version = value
	}
	switch {
	case name == "BEGIN" && s.begun == 0:
		if value != "VCARD" {
			return invalidData("line %d: expected BEGIN:VCARD, found BEGIN:%s", num, value)
		}
		s.begun = num
	case name == "BEGIN" && s.ended == 0:
		return invalidData("line %d: BEGIN:%s inside the vCard begun on line %d; nested vCards are not supported", num, value, s.begun)
	case name == "BEGIN":
		return invalidData("line %d: a second vCard; an address object resource holds exactly one (RFC 6352 5.1)", num)
	case s.begun == 0:
		return invalidData("line %d: expected BEGIN:VCARD, found %s", num, name)
	case s.ended != 0:
		return invalidData("line %d: %s after END:VCARD", num, name)
	case name == "END":
		if value != "VCARD" {
			return invalidData("line %d: END:%s does not close BEGIN:VCARD from line %d", num, value, s.begun)
		}
		s.ended = num
	}
	return nil
}

// end checks that the card was closed.
func (s *structure) end() error {
	switch {
	case s.begun == 0:
		return invalidData("no BEGIN:VCARD found")
	case s.ended == 0:
		return invalidData("BEGIN:VCARD on line %d has no END:VCARD", s.begun)
	}
	return nil
}
