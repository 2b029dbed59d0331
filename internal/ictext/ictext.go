// Package ictext holds the TEXT escapes that iCalendar (RFC 5545 3.3.11)
// and vCard (RFC 6350 3.4, RFC 2426 4) share, so that caldav, carddav and
// the time engine read an escaped value the same way. It imports only the
// standard library: the time engine, which may use nothing of dav, calls
// it too.
package ictext

import "strings"

// Unescape resolves the escapes \\ \; \, \n and \N of a TEXT value. Any
// other backslash stays as it is: UIDs and unknown properties are taken
// as written apart from the escapes, which is why go-ical's Prop.Text
// (which rejects unknown escapes and splits at unescaped commas) does not
// serve. A value without a backslash, nearly every one, is returned as it
// is without allocating: UIDs are unescaped for every component a
// calendar-query reads.
func Unescape(s string) string {
	if strings.IndexByte(s, '\\') < 0 {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			switch s[i+1] {
			case '\\', ';', ',':
				b.WriteByte(s[i+1])
				i++
				continue
			case 'n', 'N':
				b.WriteByte('\n')
				i++
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}
