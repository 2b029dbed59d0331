package caldav

import (
	"strings"
)

// bodyKind says how a PUT's Content-Type bears on validating its body.
type bodyKind int

const (
	// bodyCalendar: text/calendar, or no Content-Type at all.
	bodyCalendar bodyKind = iota
	// bodyGeneric: application/octet-stream or text/plain, labels some
	// tools (curl -T, scripts, old sync tools) put on any upload. pgdav
	// takes such a body only if it parses as iCalendar; if it does not,
	// the answer is supported-calendar-data (the media type is what is
	// wrong), not valid-calendar-data.
	bodyGeneric
)

// checkMediaType applies the supported-calendar-data precondition (RFC
// 4791 5.3.2.1, 5.2.4) to a PUT's Content-Type: text/calendar (RFC 5545
// 8.1) with any parameters (charset, component, method, quoted or not, any
// case), and a charset only if it is UTF-8 or its subset US-ASCII, the
// charset RFC 5545 3.1.4 makes the default.
func checkMediaType(contentType string) (bodyKind, error) {
	if strings.TrimSpace(contentType) == "" {
		return bodyCalendar, nil // RFC 9110 8.3: the recipient may assume; we assume iCalendar
	}
	mt, params := parseMediaType(contentType)
	var kind bodyKind
	switch mt {
	case "text/calendar":
		kind = bodyCalendar
	case "application/octet-stream", "text/plain":
		kind = bodyGeneric
	default:
		return 0, precondition(condSupportedData,
			"media type %s is not supported here; send iCalendar as text/calendar", quoteShort(mt))
	}
	for _, cs := range params["charset"] {
		if !strings.EqualFold(cs, "utf-8") && !strings.EqualFold(cs, "us-ascii") {
			return 0, precondition(condSupportedData,
				"charset %s is not supported; send iCalendar as UTF-8 (RFC 5545 3.1.4)", quoteShort(cs))
		}
	}
	return kind, nil
}

// parseMediaType splits a Content-Type value into its lower-cased media
// type and its parameters (names lower-cased, values unquoted, every
// occurrence kept). It is more forgiving than mime.ParseMediaType, which
// gives up on a stray ";" or a repeated parameter and loses the charset
// with it; here each parameter is judged on its own.
func parseMediaType(s string) (string, map[string][]string) {
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
