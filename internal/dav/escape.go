package dav

import (
	"io"
	"strings"
	"unicode/utf8"
)

// asciiEscape holds, for each ASCII byte, what character data needs in its
// place: "" for a byte written as it is. XML 1.0 §2.2 allows only tab, LF
// and CR below U+0020; the others cannot be written at all, not even as
// character references, so they become U+FFFD.
var asciiEscape = func() (t [utf8.RuneSelf]string) {
	for c := range 0x20 {
		t[c] = "\uFFFD"
	}
	t['\t'] = ""
	t['\n'] = ""
	// XML 1.0 §2.11: a parser turns a raw CR (and CRLF) into LF, so the
	// CRLF line ends of calendar-data and address-data survive only as
	// a character reference.
	t['\r'] = "&#13;"
	t['&'] = "&amp;"
	t['<'] = "&lt;"
	t['>'] = "&gt;"
	t['"'] = "&quot;"
	return t
}()

// plainByte marks the bytes written as they are in character data and
// attribute values alike: ASCII other than the controls and & < > ".
var plainByte = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = asciiEscape[c] == ""
	}
	return t
}()

// nextEscape finds the first byte of s that cannot be written as it is:
// its index, the width of the character there, and its replacement. i is
// -1 when s needs no escaping. In attribute values (attr) tab and LF are
// escaped too, because XML 1.0 §3.3.3 normalises them to spaces there.
func nextEscape(s string, attr bool) (i, width int, esc string) {
	for i = 0; i < len(s); {
		// Runs of bytes that are always written as they are (most of
		// any calendar-data) are skipped by one table lookup each.
		for i < len(s) && plainByte[s[i]] {
			i++
		}
		if i == len(s) {
			break
		}
		c := s[i]
		if c < utf8.RuneSelf {
			if e := asciiEscape[c]; e != "" {
				return i, 1, e
			}
			if attr && (c == '\n' || c == '\t') {
				if c == '\n' {
					return i, 1, "&#10;"
				}
				return i, 1, "&#9;"
			}
			i++
			continue
		}
		r, w := utf8.DecodeRuneInString(s[i:])
		// Invalid UTF-8 decodes as RuneError of width 1 (a literal
		// U+FFFD has width 3 and is kept); U+FFFE and U+FFFF are not
		// XML characters (XML 1.0 §2.2). Surrogates never decode.
		if (r == utf8.RuneError && w == 1) || r == 0xFFFE || r == 0xFFFF {
			return i, w, "\uFFFD"
		}
		i += w
	}
	return -1, 0, ""
}

// EscapeText escapes s for XML character data and attribute values: & < >
// and " become entity references, CR becomes &#13; so that CRLF survives a
// parser's line-end normalisation (XML 1.0 §2.11), and anything XML 1.0
// cannot carry (control characters other than tab, LF and CR, U+FFFE,
// U+FFFF, invalid UTF-8) becomes U+FFFD. Tab and LF stay literal. It
// returns s itself, without allocating, when nothing needs escaping.
func EscapeText(s string) string {
	i, _, _ := nextEscape(s, false)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/8 + 8)
	_ = writeEscaped(&b, s, false)
	return b.String()
}

// WriteEscaped writes s to w escaped as EscapeText does, in runs of the
// original string, so nothing is allocated: the multistatus writer uses it
// for every href and callers may use it for large values such as
// calendar-data.
func WriteEscaped(w io.StringWriter, s string) error {
	return writeEscaped(w, s, false)
}

// escapeAttr is EscapeText for attribute values that must come back
// unchanged: it also writes tab and LF as character references.
func escapeAttr(s string) string {
	i, _, _ := nextEscape(s, true)
	if i < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	_ = writeEscaped(&b, s, true)
	return b.String()
}

func writeEscaped(w io.StringWriter, s string, attr bool) error {
	for len(s) > 0 {
		i, width, esc := nextEscape(s, attr)
		if i < 0 {
			_, err := w.WriteString(s)
			return err
		}
		if i > 0 {
			if _, err := w.WriteString(s[:i]); err != nil {
				return err
			}
		}
		if _, err := w.WriteString(esc); err != nil {
			return err
		}
		s = s[i+width:]
	}
	return nil
}
