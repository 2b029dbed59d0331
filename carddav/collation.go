package carddav

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

// collation is one of the collations of text-match (RFC 6352 8.3, RFC
// 4790): each prepares both strings, and the match is then octet
// equality or substring on the prepared forms.
type collation int

const (
	// unicodeCasemap is RFC 5051 i;unicode-casemap, the default (RFC
	// 6352 8.3): case-insensitive for all of Unicode, and a character
	// with diacritics contains its base letter ("é" contains "e").
	unicodeCasemap collation = iota
	// asciiCasemap is RFC 4790 9.2 i;ascii-casemap: a-z and A-Z are
	// equal, every other octet only to itself.
	asciiCasemap
	// octet is RFC 4790 9.3 i;octet: octets compared as they are.
	octet
)

// collationNames are the supported-collation-set (RFC 6352 8.3.1), in the
// order it lists them.
var collationNames = []string{"i;ascii-casemap", "i;octet", "i;unicode-casemap"}

// parseCollation returns the collation named s (RFC 4790 3.1: names are
// compared case-insensitively).
func parseCollation(s string) (collation, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "i;unicode-casemap":
		return unicodeCasemap, true
	case "i;ascii-casemap":
		return asciiCasemap, true
	case "i;octet":
		return octet, true
	}
	return 0, false
}

// prepare returns s in the form the collation compares.
func (c collation) prepare(s string) string {
	switch c {
	case asciiCasemap:
		return asciiUpper(s)
	case octet:
		return s
	}
	return foldUnicode(s)
}

// asciiUpper maps a-z to A-Z and leaves every other octet alone.
func asciiUpper(s string) string {
	for i := 0; i < len(s); i++ {
		if 'a' <= s[i] && s[i] <= 'z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'a' <= b[j] && b[j] <= 'z' {
					b[j] -= 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// foldUnicode is the "titlecased canonicalized UTF-8" of RFC 5051 2: each
// character is replaced by its titlecase mapping and then by its
// decomposition (NFKD, which also decomposes Hangul syllables), repeated
// on the result until nothing changes. It works character by character,
// with no reordering across characters, so folding a string is folding
// each character and concatenating: substring, prefix, suffix and
// equality of the originals under i;octet or i;ascii-casemap therefore
// imply the same of their folded forms, which is what lets the store's
// index of folded values pre-filter every collation (see plan.go).
func foldUnicode(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return asciiUpper(s)
	}
	var b strings.Builder
	b.Grow(len(s) + len(s)/2)
	for _, r := range s {
		if r < utf8.RuneSelf {
			if 'a' <= r && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteByte(byte(r))
			continue
		}
		b.WriteString(foldRune(r))
	}
	return b.String()
}

// foldCache holds foldRune's answers for the characters seen so far.
var foldCache sync.Map // rune → string

// foldRune returns the folded form of one character.
func foldRune(r rune) string {
	if v, ok := foldCache.Load(r); ok {
		return v.(string)
	}
	s := foldRuneSlow(r, 0)
	foldCache.Store(r, s)
	return s
}

func foldRuneSlow(r rune, depth int) string {
	t := unicode.ToTitle(r) // UnicodeData's simple titlecase mapping
	d := norm.NFKD.String(string(t))
	if depth >= 8 || d == string(t) {
		if depth < 8 && unicode.ToTitle(t) != t {
			return foldRuneSlow(t, depth+1)
		}
		return string(t)
	}
	var b strings.Builder
	for _, x := range d {
		if x < utf8.RuneSelf {
			if 'a' <= x && x <= 'z' {
				x -= 'a' - 'A'
			}
			b.WriteRune(x)
			continue
		}
		b.WriteString(foldRuneSlow(x, depth+1))
	}
	return b.String()
}

// matchType is the match-type of a text-match (RFC 6352 10.5.4).
type matchType int

const (
	matchContains matchType = iota // the default
	matchEquals
	matchStartsWith
	matchEndsWith
)

func parseMatchType(s string) (matchType, bool) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "contains":
		return matchContains, true
	case "equals":
		return matchEquals, true
	case "starts-with":
		return matchStartsWith, true
	case "ends-with":
		return matchEndsWith, true
	}
	return 0, false
}

// matches reports whether subject, already prepared by the collation,
// matches needle, prepared the same way.
func (m matchType) matches(subject, needle string) bool {
	switch m {
	case matchEquals:
		return subject == needle
	case matchStartsWith:
		return strings.HasPrefix(subject, needle)
	case matchEndsWith:
		return strings.HasSuffix(subject, needle)
	}
	return strings.Contains(subject, needle)
}
