package carddav

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/emersion/go-vcard"
)

// utf8BOM is the byte order mark some Windows tools put before the data.
var utf8BOM = []byte("\uFEFF")

// decodeCard parses a body holding exactly one vCard (RFC 6352 5.1). It
// is forgiving where clients are (a UTF-8 BOM, blank lines or whitespace
// around the card, LF instead of CRLF, a missing final line break,
// lower-case names, folding with tabs, grouped properties) and never
// changes data: the caller stores the client's bytes verbatim.
func decodeCard(data []byte) (vcard.Card, error) {
	data = bytes.TrimPrefix(data, utf8BOM) // RFC 3629 6: a BOM is not part of the text
	if !utf8.Valid(data) {
		return nil, invalidData("the body is not valid UTF-8 (byte %d); vCards are UTF-8 (RFC 6350 3.1)", invalidUTF8At(data))
	}
	if i := bytes.IndexByte(data, 0); i >= 0 {
		return nil, invalidData("the body contains a NUL byte (byte %d)", i)
	}
	data = bytes.TrimRight(data, " \t\r\n")
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	first := 1 + bytes.Count(data[:len(data)-len(trimmed)], []byte{'\n'})
	if len(trimmed) == 0 {
		return nil, invalidData("the body is empty")
	}
	unfolded, err := unfoldCard(trimmed, first)
	if err != nil {
		return nil, err
	}
	return decodeChecked(unfolded)
}

// decodeChecked runs go-vcard's decoder on data that unfoldCard accepted
// and requires exactly one card. A panic (none is known) becomes
// valid-address-data, not a crash.
func decodeChecked(data []byte) (card vcard.Card, err error) {
	defer func() {
		if r := recover(); r != nil {
			card, err = nil, invalidData("not a valid vCard: %v", r)
		}
	}()
	dec := vcard.NewDecoder(bytes.NewReader(data))
	card, err = dec.Decode()
	if err != nil {
		return nil, invalidData("not a valid vCard: %s", strings.TrimPrefix(err.Error(), "vcard: "))
	}
	if _, err := dec.Decode(); !errors.Is(err, io.EOF) {
		return nil, invalidData("content after END:VCARD; an address object resource holds exactly one vCard (RFC 6352 5.1)")
	}
	return card, nil
}

// invalidUTF8At returns the offset of the first byte that is not valid
// UTF-8.
func invalidUTF8At(data []byte) int {
	for i := 0; i < len(data); {
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(data)
}

// quoteShort quotes s for a message, cut to a readable length.
func quoteShort(s string) string {
	if i := cutAt(s); i < len(s) {
		return fmt.Sprintf("%q…", s[:i])
	}
	return fmt.Sprintf("%q", s)
}

// clip cuts a name or value from the body to a readable length for a
// message.
func clip(s string) string {
	if i := cutAt(s); i < len(s) {
		return s[:i] + "…"
	}
	return s
}

// cutAt returns where clip and quoteShort cut s: at most 60 bytes, at the
// start of a character.
func cutAt(s string) int {
	const max = 60
	if len(s) <= max {
		return len(s)
	}
	i := max
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return i
}
