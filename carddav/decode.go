package carddav

import (
	"bytes"
	"errors"
	"io"
	"strings"

	"github.com/emersion/go-vcard"
	"github.com/pgdav/pgdav/internal/dav"
)

// utf8BOM is the byte order mark some Windows tools put before the data.
var utf8BOM = []byte("\uFEFF")

// decodeCard parses a body holding exactly one vCard (RFC 6352 5.1). It
// is forgiving where clients are (a UTF-8 BOM, blank lines or whitespace
// around the card, LF instead of CRLF, a missing final line break,
// lower-case names, folding with tabs, grouped properties) and never
// changes data: the caller stores the client's bytes verbatim.
func decodeCard(data []byte) (vcard.Card, error) {
	trimmed, first, err := dav.TrimText(data, "vCards are UTF-8 (RFC 6350 3.1)", invalidData)
	if err != nil {
		return nil, err
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
