package carddav

import (
	"strings"

	"github.com/emersion/go-vcard"

	"github.com/pgdav/pgdav/internal/dav"
)

// CardInfo is what the store indexes about an address object resource.
type CardInfo struct {
	// UID is the card's UID (RFC 6350 6.7.6, RFC 2426 3.6.7), as written.
	UID string
	// Version is the card's VERSION: "3.0" or "4.0".
	Version string
	// Kind is what the card describes: "individual" (the default),
	// "group", "org", "location" or another RFC 6350 6.1.4 token, lower
	// case; from vCard 4 KIND or Apple's X-ADDRESSBOOKSERVER-KIND.
	Kind string
}

// Names of the PUT preconditions (RFC 6352 6.3.2.1).
const (
	condSupportedData = "supported-address-data"
	condValidData     = "valid-address-data"
)

// maxUID bounds a UID in bytes. Nothing in the vCard RFCs does; the store
// keeps UIDs unique per address book in an index whose entries must stay
// well under 2.7 KB, and real UIDs are far shorter.
const maxUID = 2048

// ValidateCard checks a PUT body for an address book (RFC 6352 5.1,
// 6.3.2.1) and returns what to index. contentType is the request's
// Content-Type header value, possibly empty. data is only read: the caller
// stores it verbatim.
//
// Errors are *dav.Error with status 403 naming the first precondition of
// RFC 6352 6.3.2.1 found to fail, and a message saying what to change:
//   - supported-address-data: the media type is not a vCard type (or a
//     generic type whose body is not a vCard), the charset is not UTF-8,
//     or VERSION (or the version parameter) is not 3.0 or 4.0;
//   - valid-address-data: the body is not UTF-8 holding exactly one vCard,
//     holds a control character other than HTAB, or the card lacks
//     VERSION, UID (RFC 6352 5.1), or FN (4.0; a 3.0 card may have N
//     instead).
func ValidateCard(data []byte, contentType string) (CardInfo, error) {
	kind, err := checkMediaType(contentType)
	if err != nil {
		return CardInfo{}, err
	}
	card, err := decodeCard(data)
	if err != nil {
		if kind == bodyGeneric {
			mt, _ := dav.ParseMediaType(contentType)
			return CardInfo{}, precondition(condSupportedData,
				"the body, sent as %s, is not a vCard (%s); send vCards as text/vcard", mt, dav.MessageOf(err))
		}
		return CardInfo{}, err
	}
	version, err := cardVersion(card, kind)
	if err != nil {
		return CardInfo{}, err
	}
	if err := checkControls(data); err != nil {
		return CardInfo{}, err
	}
	uid, err := cardUID(card)
	if err != nil {
		return CardInfo{}, err
	}
	if err := checkName(card, version); err != nil {
		return CardInfo{}, err
	}
	return CardInfo{UID: uid, Version: version, Kind: cardKind(card)}, nil
}

// checkControls refuses control characters other than HTAB (RFC 6350
// 3.3: a value is WSP, VCHAR or non-ASCII), which decodeCard lets
// through so that cards stored before stay readable: XML 1.0 cannot
// carry them, so address-data in a REPORT would differ from the bytes
// GET returns under the same ETag.
func checkControls(data []byte) error {
	i := dav.ControlAt(data)
	if i < 0 {
		return nil
	}
	line, name := dav.ContentLineAt(data, i)
	return invalidData("line %d: %s holds the control character U+%04X; a vCard allows none but HTAB (RFC 6350 3.3)", line, name, data[i])
}

// cardVersion returns the card's VERSION (RFC 6350 6.7.9, RFC 2426 3.6.9),
// which must be 3.0 or 4.0: vCard 2.1 has no RFC, its own encodings and
// no UID requirement, and pgdav does not take it.
func cardVersion(card vcard.Card, kind bodyKind) (string, error) {
	f := card.Get(vcard.FieldVersion)
	if f == nil {
		return "", invalidData("the vCard has no VERSION property (RFC 6350 6.7.9)")
	}
	v := strings.TrimSpace(f.Value)
	switch {
	case v == "2.1":
		return "", unsupported21()
	case v != "3.0" && v != "4.0":
		return "", precondition(condSupportedData, "vCard version %s is not supported (3.0 or 4.0)", dav.QuoteShort(f.Value))
	case kind == bodyDirectory && v != "3.0":
		return "", precondition(condSupportedData,
			"text/directory is the vCard 3.0 media type (RFC 2425, RFC 2426); send vCard %s as text/vcard", v)
	}
	return v, nil
}

// unsupported21 is the answer to a vCard 2.1.
func unsupported21() error {
	return precondition(condSupportedData, "vCard 2.1 is not supported; send vCard 3.0 or 4.0")
}

// cardUID returns the card's UID. vCard 3.0 makes UID optional (RFC 2426
// 3.6.7) but CardDAV requires one (RFC 6352 5.1); RFC 6350 6.7.6 allows
// one at most.
func cardUID(card vcard.Card) (string, error) {
	var uid string
	for _, f := range card[vcard.FieldUID] {
		switch {
		case strings.TrimSpace(f.Value) == "":
			continue
		case uid != "" && f.Value != uid:
			return "", invalidData("the vCard has more than one UID (%s and %s)", dav.QuoteShort(uid), dav.QuoteShort(f.Value))
		}
		uid = f.Value
	}
	switch {
	case uid == "":
		return "", invalidData("the vCard has no UID; CardDAV requires one (RFC 6352 5.1)")
	case len(uid) > maxUID:
		return "", invalidData("the UID has %d bytes; pgdav accepts at most %d", len(uid), maxUID)
	}
	return uid, nil
}

// checkName requires FN of a vCard 4.0 (RFC 6350 6.2.1). A vCard 3.0 needs
// FN or N: RFC 2426 3.1.1 requires both, but either one names the contact,
// and sabre/vobject (behind sabre/dav, Nextcloud, Baikal) repairs a
// missing FN from N rather than refuse such cards from older tools. An
// empty FN counts as present: pgdav only needs the card to be storable.
func checkName(card vcard.Card, version string) error {
	if card.Get(vcard.FieldFormattedName) != nil {
		return nil
	}
	if version == "4.0" {
		return invalidData("the vCard 4.0 has no FN property (RFC 6350 6.2.1)")
	}
	if card.Get(vcard.FieldName) == nil {
		return invalidData("the vCard has neither FN nor N (RFC 2426 3.1.1 requires FN)")
	}
	return nil
}

// cardKind returns the card's kind: vCard 4 KIND (RFC 6350 6.1.4), else
// Apple's X-ADDRESSBOOKSERVER-KIND, which Apple Contacts writes into vCard
// 3.0 group cards, else "individual".
func cardKind(card vcard.Card) string {
	for _, name := range []string{vcard.FieldKind, "X-ADDRESSBOOKSERVER-KIND"} {
		if v := strings.ToLower(strings.TrimSpace(card.Value(name))); v != "" {
			return v
		}
	}
	return string(vcard.KindIndividual)
}

// precondition returns a 403 naming a CardDAV precondition (RFC 6352
// 6.3.2.1).
func precondition(cond, format string, args ...any) *dav.Error {
	return dav.Precondition(dav.NSCardDAV, cond, format, args...)
}

// invalidData is precondition(valid-address-data, …).
func invalidData(format string, args ...any) *dav.Error {
	return precondition(condValidData, format, args...)
}
