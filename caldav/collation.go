package caldav

import (
	"net/http"
	"strings"

	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"

	"github.com/pgdav/pgdav/internal/dav"
)

// Collation identifiers (RFC 4790 9.2, 9.3; RFC 5051).
const (
	collationASCIICasemap   = "i;ascii-casemap"
	collationOctet          = "i;octet"
	collationUnicodeCasemap = "i;unicode-casemap"
)

// supportedCollations is the value of CALDAV:supported-collation-set
// (RFC 4791 7.5.1): the two every server must support and RFC 5051's
// Unicode one, which matches "Straße" against "STRASSE" and "É" against
// "é" where i;ascii-casemap only folds A-Z.
var supportedCollations = []string{collationASCIICasemap, collationOctet, collationUnicodeCasemap}

// parseCollation maps a collation attribute to a supported identifier.
// An absent attribute and RFC 4790 3.1's "default" mean i;ascii-casemap
// (RFC 4791 7.5). Identifiers are compared case-insensitively (RFC 4790
// 3.1 makes them case-insensitive); wildcards (RFC 4790 3.2) are not
// allowed in CalDAV (RFC 4791 7.5) and so are unsupported like any
// other unknown name: 403 CALDAV:supported-collation.
func parseCollation(attr string, present bool) (string, error) {
	if !present {
		return collationASCIICasemap, nil
	}
	name := strings.ToLower(strings.TrimSpace(attr))
	switch name {
	case "default":
		return collationASCIICasemap, nil
	case collationASCIICasemap, collationOctet, collationUnicodeCasemap:
		return name, nil
	}
	return "", dav.NewError(http.StatusForbidden, dav.CalDAVName("supported-collation"),
		"collation %s is not supported (supported: %s)", dav.QuoteShort(attr), strings.Join(supportedCollations, ", "))
}

// collationKey returns s prepared for a substring match under the
// collation: unchanged for i;octet, ASCII letters upper-cased for
// i;ascii-casemap (RFC 4790 9.2), and for i;unicode-casemap the Unicode
// compatibility caseless form NFKD(fold(NFKD(fold(NFD(s))))) (Unicode
// 3.13, D146). RFC 5051 itself title-cases with the simple mappings of
// UnicodeData.txt and then applies NFKD; full case folding is a superset
// that also equates ß with ss and ſ with s, which is what users expect
// when they search.
func collationKey(collation, s string) string {
	switch collation {
	case collationOctet:
		return s
	case collationUnicodeCasemap:
		fold := cases.Fold()
		s = norm.NFD.String(s)
		s = norm.NFKD.String(fold.String(s))
		return norm.NFKD.String(fold.String(s))
	default:
		return asciiUpper(s)
	}
}

// asciiUpper maps a-z to A-Z and leaves every other byte alone, as
// i;ascii-casemap does (RFC 4790 9.2): it works on octets, so non-ASCII
// UTF-8 sequences pass through unchanged.
func asciiUpper(s string) string {
	i := strings.IndexFunc(s, func(r rune) bool { return 'a' <= r && r <= 'z' })
	if i < 0 {
		return s
	}
	b := []byte(s)
	for j := i; j < len(b); j++ {
		if c := b[j]; 'a' <= c && c <= 'z' {
			b[j] = c - 'a' + 'A'
		}
	}
	return string(b)
}
