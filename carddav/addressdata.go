package carddav

import (
	"net/http"
	"strings"

	"github.com/pgdav/pgdav/internal/dav"
)

// alwaysReturned are the properties address-data keeps whatever the
// selection (RFC 6352 10.4.2): without them the result is no vCard
// (BEGIN, END, VERSION) or cannot be told from another card (UID).
var alwaysReturned = map[string]bool{"BEGIN": true, "END": true, "VERSION": true, "UID": true}

// renderAddressData returns the address-data (RFC 6352 10.4) of a card
// for req. c, when not nil, is data already parsed. With no selection and
// no other version asked, it is the stored bytes exactly; otherwise the
// card is converted (convert.go) and the selected properties kept, in
// their order, as stored when not converted.
func renderAddressData(req *addressDataRequest, data []byte, c *vcardData) string {
	if req.props == nil && req.version == "" {
		return string(data)
	}
	if c == nil {
		c = parseVCard(data)
	}
	lines := c.lines
	if req.version != "" && req.version != c.version {
		lines = convertVCard(c, req.version)
	} else if req.props == nil {
		return string(data)
	}
	var b strings.Builder
	b.Grow(len(data))
	for i := range lines {
		l := &lines[i]
		sel, ok := selectLine(req.props, l)
		if !ok {
			continue
		}
		switch {
		case sel != nil && sel.noValue:
			nl := *l
			nl.value = ""
			foldLine(&b, nl.String())
		case l.raw != "":
			b.WriteString(l.raw)
			if !strings.HasSuffix(l.raw, "\n") {
				b.WriteString("\r\n")
			}
		default:
			foldLine(&b, l.String())
		}
	}
	return b.String()
}

// selectLine reports whether a line is returned for the selection props
// (nil: all), and the selector that chose it, if any.
func selectLine(props []propSelector, l *vcardLine) (*propSelector, bool) {
	if props == nil || alwaysReturned[l.name] {
		return nil, true
	}
	for i := range props {
		p := &props[i]
		if p.name == l.name && (p.group == "" || upperASCIIEqual(l.group, p.group)) {
			return p, true
		}
	}
	return nil, false
}

// addressDataProp is the address-data property of one card.
func addressDataProp(req *addressDataRequest, data []byte, c *vcardData) dav.Prop {
	name := dav.CardDAVName("address-data")
	if data == nil {
		return dav.Prop{Name: name, Status: http.StatusNotFound}
	}
	return dav.Prop{Name: name, Status: http.StatusOK, Text: renderAddressData(req, data, c)}
}
