package dav

// Text helpers shared by the CalDAV and CardDAV request checks: both
// parse forgiving Content-Type values and quote pieces of a client's body
// in error messages.

import (
	"bytes"
	"fmt"
	"strings"
	"unicode/utf8"
)

// ParseMediaType splits a Content-Type value into its lower-cased media
// type and its parameters (names lower-cased, values unquoted, every
// occurrence kept). It is more forgiving than mime.ParseMediaType, which
// gives up on a stray ";" or a repeated parameter and loses the charset
// with it; here each parameter is judged on its own.
func ParseMediaType(s string) (string, map[string][]string) {
	parts := splitUnquoted(s, ';')
	mt := strings.ToLower(strings.TrimSpace(parts[0]))
	params := make(map[string][]string)
	for _, p := range parts[1:] {
		name, value, ok := strings.Cut(p, "=")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		value = strings.TrimSpace(value)
		if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
			value = strings.ReplaceAll(value[1:len(value)-1], `\`, "")
		}
		params[name] = append(params[name], value)
	}
	return mt, params
}

// splitUnquoted splits s at every sep that is not inside a quoted string.
func splitUnquoted(s string, sep byte) []string {
	var parts []string
	start, quoted := 0, false
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			quoted = !quoted
		case sep:
			if !quoted {
				parts = append(parts, s[start:i])
				start = i + 1
			}
		}
	}
	return append(parts, s[start:])
}

// OtherCharset returns the first charset parameter of a Content-Type
// (params from ParseMediaType) that is neither UTF-8 nor its subset
// US-ASCII: iCalendar and vCard are UTF-8 (RFC 5545 3.1.4, RFC 6350
// 3.1), and pgdav stores the bytes as sent.
func OtherCharset(params map[string][]string) (string, bool) {
	for _, cs := range params["charset"] {
		if !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
			return cs, true
		}
	}
	return "", false
}

// InvalidUTF8At returns the offset of the first byte that is not valid
// UTF-8.
func InvalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// QuoteShort quotes s for a message, cut to a readable length.
func QuoteShort(s string) string {
	if i := cutAt(s); i < len(s) {
		return fmt.Sprintf("%q…", s[:i])
	}
	return fmt.Sprintf("%q", s)
}

// Clip cuts a name or value from the body to a readable length for a
// message.
func Clip(s string) string {
	if i := cutAt(s); i < len(s) {
		return s[:i] + "…"
	}
	return s
}

// cutAt returns where Clip and QuoteShort cut s: at most 60 bytes, at the
// start of a character.
func cutAt(s string) int {
	const max = 60
	if len(s) <= max {
		return len(s)
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}

// utf8BOM is the byte order mark some Windows tools put before the data.
var utf8BOM = []byte("\uFEFF")

// TrimText checks and trims the body of an iCalendar or vCard PUT, UTF-8
// text (RFC 5545 3.1.4, RFC 6350 3.1) read line by line. A byte order
// mark is dropped (RFC 3629 6: it is not part of the text), and so is
// white space around the data: go-ical and go-vcard read a
// whitespace-only line after END as a continuation of it. first is the
// number of the line the data starts on in the body as sent, for
// messages. A body that is not UTF-8, holds a NUL byte or is empty is
// refused with invalid, the protocol's valid-data precondition; utf8Rule
// names the RFC that makes the format UTF-8.
func TrimText(data []byte, utf8Rule string, invalid func(format string, args ...any) *Error) (trimmed []byte, first int, err error) {
	data = bytes.TrimPrefix(data, utf8BOM)
	if !utf8.Valid(data) {
		return nil, 0, invalid("the body is not valid UTF-8 (byte %d); %s", InvalidUTF8At(data), utf8Rule)
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, 0, invalid("the body contains a NUL byte (byte %d); the text allows no control characters but tab", i)
	}
	data = bytes.TrimRight(data, " \t\r\n")
	trimmed = bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) == 0 {
		return nil, 0, invalid("the body is empty")
	}
	return trimmed, 1 + bytes.Count(data[:len(data)-len(trimmed)], []byte{'\n'}), nil
}
