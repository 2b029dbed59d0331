package dav

import "bytes"

// ControlAt returns the offset of the first control character in an
// iCalendar or vCard body that its grammar does not allow, or -1. RFC
// 5545 3.1 and RFC 6350 3.3 allow none of U+0000–U+001F and U+007F
// except HTAB in names, parameters and values; LF ends a line, and so
// does CR directly before LF (or at the very end of the body). Such a
// character cannot travel in XML 1.0 either, so a REPORT would have to
// answer other bytes than GET for one ETag.
func ControlAt(data []byte) int {
	for i, c := range data {
		switch {
		case c >= 0x20 && c != 0x7f, c == '\t', c == '\n':
		case c == '\r' && (i+1 == len(data) || data[i+1] == '\n'):
		default:
			return i
		}
	}
	return -1
}

// ContentLineAt names the place of offset i in a body of content lines
// for an error message: the number of its physical line (counted from 1)
// and the name of the content line it belongs to, unfolded (a line that
// starts with a space or HTAB continues the one before, RFC 5545 3.1).
func ContentLineAt(data []byte, i int) (line int, name string) {
	i = min(max(i, 0), len(data))
	line = 1 + bytes.Count(data[:i], []byte{'\n'})
	start := bytes.LastIndexByte(data[:i], '\n') + 1
	for start > 0 && start < len(data) && (data[start] == ' ' || data[start] == '\t') {
		start = bytes.LastIndexByte(data[:start-1], '\n') + 1
	}
	end := start
	for end < len(data) && end < i && data[end] != ';' && data[end] != ':' && data[end] != '\n' && data[end] != '\r' {
		end++
	}
	return line, Clip(string(data[start:end]))
}
