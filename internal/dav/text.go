package dav

// Text helpers shared by the CalDAV and CardDAV request checks: both
// parse forgiving Content-Type values and quote pieces of a client's body
// in error messages.

import (
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
