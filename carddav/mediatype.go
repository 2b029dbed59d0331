package carddav

import (
	"strings"

	"github.com/pgdav/pgdav/internal/dav"
)

// bodyKind says how a PUT's Content-Type bears on validating its body.
type bodyKind int

const (
	// bodyVCard: text/vcard (RFC 6350 10.1), its older name text/x-vcard,
	// or no Content-Type at all.
	bodyVCard bodyKind = iota
	// bodyDirectory: text/directory (RFC 2425), the media type of vCard
	// 3.0 (RFC 2426); accepted for 3.0 cards only.
	bodyDirectory
	// bodyGeneric: application/octet-stream or text/plain, which some
	// tools put on any upload; the body is taken only if it parses as a
	// vCard, and otherwise the media type is what is reported.
	bodyGeneric
)

// checkMediaType applies the supported-address-data precondition (RFC
// 6352 6.3.2.1) to a PUT's Content-Type: a vCard media type with any
// parameters, a charset only if UTF-8 or US-ASCII (RFC 6350 3.1 and RFC
// 2426 make UTF-8 the vCard charset), and a version parameter, if given,
// of 3.0 or 4.0. A version parameter that differs from the body's VERSION
// is not refused: the body is what is stored and what pgdav reads.
func checkMediaType(contentType string) (bodyKind, error) {
	if strings.TrimSpace(contentType) == "" {
		return bodyVCard, nil
	}
	mt, params := dav.ParseMediaType(contentType)
	var kind bodyKind
	switch mt {
	case "text/vcard", "text/x-vcard":
		kind = bodyVCard
	case "text/directory":
		kind = bodyDirectory
	case "application/octet-stream", "text/plain":
		kind = bodyGeneric
	default:
		return 0, precondition(condSupportedData,
			"media type %s is not supported here; send vCards as text/vcard", dav.QuoteShort(mt))
	}
	if cs, other := dav.OtherCharset(params); other {
		return 0, precondition(condSupportedData, "charset %s is not supported; send vCards as UTF-8 (RFC 6350 3.1)", dav.QuoteShort(cs))
	}
	for _, v := range params["version"] {
		if v != "3.0" && v != "4.0" {
			return 0, precondition(condSupportedData,
				"vCard version %s is not supported (3.0 or 4.0)", dav.QuoteShort(v))
		}
	}
	return kind, nil
}
