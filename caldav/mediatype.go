package caldav

import (
	"strings"

	"github.com/pgdav/pgdav/internal/dav"
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
	mt, params := dav.ParseMediaType(contentType)
	var kind bodyKind
	switch mt {
	case "text/calendar":
		kind = bodyCalendar
	case "application/octet-stream", "text/plain":
		kind = bodyGeneric
	default:
		return 0, precondition(condSupportedData,
			"media type %s is not supported here; send iCalendar as text/calendar", dav.QuoteShort(mt))
	}
	if cs, other := dav.OtherCharset(params); other {
		return 0, precondition(condSupportedData, "charset %s is not supported; send iCalendar as UTF-8 (RFC 5545 3.1.4)", dav.QuoteShort(cs))
	}
	return kind, nil
}
