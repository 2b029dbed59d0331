package dav

import (
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/backend"
)

// Depth is the value of the Depth header (RFC 4918 §10.2).
type Depth int

// The three depths. DepthInfinity is negative so that Depth0 and Depth1
// keep their numeric meaning.
const (
	Depth0        Depth = 0
	Depth1        Depth = 1
	DepthInfinity Depth = -1
)

// String returns the header form of d.
func (d Depth) String() string {
	switch d {
	case Depth0:
		return "0"
	case Depth1:
		return "1"
	case DepthInfinity:
		return "infinity"
	}
	return "invalid"
}

// ParseDepth reads the Depth header (RFC 4918 §10.2): "0", "1" or
// "infinity" in any case, with surrounding spaces. An absent or empty
// header yields def, which differs by method (§9.1: PROPFIND defaults to
// infinity; REPORT to 0, RFC 3253 §3.6). Anything else is an *Error 400.
func ParseDepth(r *http.Request, def Depth) (Depth, error) {
	v := strings.TrimSpace(r.Header.Get("Depth"))
	switch {
	case v == "":
		return def, nil
	case v == "0":
		return Depth0, nil
	case v == "1":
		return Depth1, nil
	case strings.EqualFold(v, "infinity"):
		return DepthInfinity, nil
	}
	return 0, Errorf(http.StatusBadRequest, "invalid Depth header %q", v)
}

// ParseETagHeader parses an If-Match or If-None-Match value (RFC 9110
// §13.1.1, §13.1.2) leniently (docs/clients.md "Entity tags: lenient
// in, one form out"): "*", a
// comma-separated list, W/ prefixes stripped (the opaque parts are
// compared), quotes optional, the \" escapes of old Evolution, and
// surrounding spaces. Tags are returned unquoted, as the store keeps them.
// It returns nil when the header is absent or empty.
func ParseETagHeader(v string) *backend.ETagSet {
	v = strings.ReplaceAll(v, `\"`, `"`)
	var set backend.ETagSet
	found := false
	for _, item := range splitOutsideQuotes(v) {
		item = strings.TrimSpace(item)
		if item == "*" {
			set.Any = true
			found = true
			continue
		}
		if len(item) > 2 && (item[0] == 'W' || item[0] == 'w') && item[1] == '/' {
			item = item[2:]
		}
		item = strings.TrimSpace(strings.Trim(strings.TrimSpace(item), `"`))
		if item == "" {
			continue
		}
		set.Tags = append(set.Tags, item)
		found = true
	}
	if !found {
		return nil
	}
	return &set
}

// splitOutsideQuotes splits v at the commas that are not inside a quoted
// entity tag (RFC 9110 §8.8.3 allows "," in the opaque part).
func splitOutsideQuotes(v string) []string {
	var parts []string
	quoted := false
	last := 0
	for i := 0; i < len(v); i++ {
		switch v[i] {
		case '"':
			quoted = !quoted
		case ',':
			if !quoted {
				parts = append(parts, v[last:i])
				last = i + 1
			}
		}
	}
	return append(parts, v[last:])
}

// Conditions builds the store's write preconditions from a request's
// If-Match and If-None-Match headers; a header given on several lines is
// one list (RFC 9110 §5.3).
func Conditions(r *http.Request) backend.Conditions {
	return backend.Conditions{
		IfMatch:     ParseETagHeader(strings.Join(r.Header.Values("If-Match"), ",")),
		IfNoneMatch: ParseETagHeader(strings.Join(r.Header.Values("If-None-Match"), ",")),
	}
}

// PreferMinimal reports whether the client asked for minimal answers:
// "Prefer: return=minimal" (RFC 8144 §2.1, RFC 7240 §4.2), among other
// comma-separated preferences or with parameters, including the
// malformed "return-minimal" macOS 10.9 sends, or "Brief: t" (the older
// header RFC 8144 §3 describes). Case is ignored.
func PreferMinimal(r *http.Request) bool {
	for _, b := range r.Header.Values("Brief") {
		if strings.EqualFold(strings.TrimSpace(b), "t") {
			return true
		}
	}
	for _, line := range r.Header.Values("Prefer") {
		for pref := range strings.SplitSeq(line, ",") {
			pref, _, _ = strings.Cut(pref, ";") // parameters
			pref = strings.TrimSpace(pref)
			if strings.EqualFold(pref, "return-minimal") {
				return true
			}
			name, value, ok := strings.Cut(pref, "=")
			if !ok || !strings.EqualFold(strings.TrimSpace(name), "return") {
				continue
			}
			value = strings.Trim(strings.TrimSpace(value), `"`)
			if strings.EqualFold(value, "minimal") {
				return true
			}
		}
	}
	return false
}

// QuoteETag returns the quoted form of a stored, unquoted strong entity
// tag (RFC 9110 §8.8.3), for the ETag header and DAV:getetag, which must
// be the identical string (docs/clients.md "Entity tags: lenient in, one
// form out").
func QuoteETag(tag string) string {
	return `"` + tag + `"`
}
