package ictime

import (
	"fmt"
	"strconv"
	"unicode/utf8"
)

// ValueError is a value the engine cannot read: a DATE, DATE-TIME,
// DURATION, PERIOD, UTC-OFFSET or RECUR value that does not parse, or a
// VTIMEZONE without what RFC 5545 3.6.5 requires. Its text is written for
// the client: it names the value (quoted, cut to a readable length) and
// the RFC 5545 section it breaks.
type ValueError struct {
	// Prop is the property the value was read from, "" for a value
	// read on its own (a RECUR value names RRULE in the text).
	Prop string
	msg  string
}

func (e *ValueError) Error() string { return e.msg }

// valueError returns a ValueError of property prop.
func valueError(prop, format string, args ...any) *ValueError {
	return &ValueError{Prop: prop, msg: fmt.Sprintf(format, args...)}
}

// quote quotes a value for a message; clip cuts a name or value. Both
// keep at most 60 bytes, cut at the start of a character, and mark the
// cut with "…": the engine's messages read as the DAV layer's.
func quote(s string) string {
	c, cut := shorten(s)
	if cut {
		return strconv.Quote(c) + "…"
	}
	return strconv.Quote(c)
}

func clip(s string) string {
	if c, cut := shorten(s); cut {
		return c + "…"
	}
	return s
}

func shorten(s string) (string, bool) {
	const most = 60
	if len(s) <= most {
		return s, false
	}
	i := most
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], true
}
