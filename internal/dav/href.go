package dav

import (
	"net/http"
	"strings"
	"unicode"
	"unicode/utf8"
)

// pathLiteral marks the bytes EncodePath writes as they are: RFC 3986
// §3.3 pchar (unreserved, sub-delims, ":" and "@") and the "/" between
// segments.
var pathLiteral = func() (t [256]bool) {
	for c := 'a'; c <= 'z'; c++ {
		t[c] = true
	}
	for c := 'A'; c <= 'Z'; c++ {
		t[c] = true
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = true
	}
	for _, c := range "-._~" + "!$&'()*+,;=" + ":@" + "/" {
		t[c] = true
	}
	return t
}()

const upperHex = "0123456789ABCDEF"

// EncodePath percent-encodes a decoded absolute path in pgdav's one
// canonical form (docs/clients.md "One canonical href encoding"): every
// byte outside RFC 3986 pchar and "/" becomes %XX with upper-case hex
// (§2.1), so space is %20, "%" is %25, "?" and "#" are encoded and
// non-ASCII is encoded byte by byte as UTF-8 (§2.5); "@", "+", ":", "&" and
// "=" stay literal, as DAVx5 and CFNetwork send them. The input is decoded
// text, so EncodePath is not idempotent: "%41" is a name of three
// characters and becomes "%2541". Clients compare hrefs as strings, so the
// same resource must always be written the same way.
func EncodePath(decoded string) string {
	n := 0
	for i := 0; i < len(decoded); i++ {
		if !pathLiteral[decoded[i]] {
			n++
		}
	}
	if n == 0 {
		return decoded
	}
	b := make([]byte, 0, len(decoded)+2*n)
	for i := 0; i < len(decoded); i++ {
		c := decoded[i]
		if pathLiteral[c] {
			b = append(b, c)
		} else {
			b = append(b, '%', upperHex[c>>4], upperHex[c&15])
		}
	}
	return string(b)
}

// DecodeHref turns an href from a request body or a Request-URI into a
// decoded, cleaned absolute path (RFC 4918 §8.3, RFC 3986 §5.2.4):
//   - an absolute URL ("https://host:8443/path") yields its path; the
//     caller decides whether the host matters;
//   - a query or fragment is dropped;
//   - percent-encoded and raw text are both accepted (Thunderbird sends
//     %40, %2B, %3A; DAVx5 raw @:+); a "%" not followed by two hex digits
//     is taken literally, and "+" is never a space (that is form
//     encoding, not URI syntax);
//   - duplicate slashes are collapsed; a trailing slash is kept and
//     reported, since collections' hrefs end with "/";
//   - "." and ".." segments (also encoded), NUL and other control
//     characters, invalid UTF-8 and characters XML cannot carry are
//     rejected, as are relative references.
//
// Errors are *Error with status 400.
func DecodeHref(href string) (path string, trailingSlash bool, err error) {
	s := strings.Trim(href, " \t\r\n")
	absoluteURL := false
	if i := schemeLen(s); i > 0 && strings.HasPrefix(s[i:], "://") {
		absoluteURL = true
		rest := s[i+3:]
		j := strings.IndexAny(rest, "/?#")
		if j < 0 {
			j = len(rest)
		}
		s = rest[j:]
	}
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	if s == "" && absoluteURL {
		s = "/" // RFC 3986 §6.2.3: "http://host" is "http://host/"
	}
	if !strings.HasPrefix(s, "/") {
		return "", false, Errorf(http.StatusBadRequest, "href %q is not an absolute path", href)
	}
	dec := percentDecode(s)
	if !utf8.ValidString(dec) {
		return "", false, Errorf(http.StatusBadRequest, "href %q is not UTF-8", href)
	}
	for _, r := range dec {
		if unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
			return "", false, Errorf(http.StatusBadRequest, "href %q holds a control character", href)
		}
	}
	trailingSlash = strings.HasSuffix(dec, "/")
	var b strings.Builder
	b.Grow(len(dec))
	for seg := range strings.SplitSeq(dec, "/") {
		switch seg {
		case "":
			continue
		case ".", "..":
			return "", false, Errorf(http.StatusBadRequest, "href %q holds a dot segment", href)
		}
		b.WriteByte('/')
		b.WriteString(seg)
	}
	if b.Len() == 0 || trailingSlash {
		b.WriteByte('/')
		trailingSlash = true
	}
	if b.Len() == len(dec) {
		// Already clean: return the decoded string, not a copy.
		return dec, trailingSlash, nil
	}
	return b.String(), trailingSlash, nil
}

// schemeLen returns the length of an RFC 3986 §3.1 scheme at the start of
// s (ALPHA *( ALPHA / DIGIT / "+" / "-" / "." )) when a ":" follows it,
// else 0.
func schemeLen(s string) int {
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.'):
		case i > 0 && c == ':':
			return i
		default:
			return 0
		}
	}
	return 0
}

// percentDecode decodes %XX escapes; a "%" without two hex digits after
// it stays literal, which is how clients that do not encode at all send
// a name containing "%".
func percentDecode(s string) string {
	i := strings.IndexByte(s, '%')
	if i < 0 {
		return s
	}
	b := make([]byte, 0, len(s))
	b = append(b, s[:i]...)
	for ; i < len(s); i++ {
		c := s[i]
		if c == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		b = append(b, c)
	}
	return string(b)
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// SplitPath splits a decoded path into its segments, without empty ones:
// "/calendars/alice/work/" is ["calendars" "alice" "work"].
func SplitPath(path string) []string {
	var segs []string
	for seg := range strings.SplitSeq(path, "/") {
		if seg != "" {
			segs = append(segs, seg)
		}
	}
	return segs
}
