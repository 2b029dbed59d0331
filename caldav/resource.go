package caldav

import (
	"slices"
	"strings"

	"github.com/emersion/go-ical"
	"github.com/pgdav/pgdav/internal/dav"
	"github.com/pgdav/pgdav/internal/ictext"
)

// maxUID bounds a UID in bytes. Nothing in RFC 5545 does; the store keeps
// UIDs unique per collection in an index whose entries must stay well
// under 2.7 KB, and real UIDs (UUIDs, Exchange's hex blobs) are far
// shorter.
const maxUID = 2048

// checkVersion applies RFC 5545 3.7.4: VERSION is required (else the data
// is not valid iCalendar) and must allow 2.0, the only version CalDAV
// stores (RFC 4791 5.2.4; else the media type is not supported).
// "min;max" is read as its maximum. PRODID, also required by RFC 5545
// 3.6, is not checked: pgdav never reads it and stores data verbatim, so
// its absence in hand-written or script-made files costs nothing.
func checkVersion(cal *ical.Calendar) error {
	p := cal.Props.Get(ical.PropVersion)
	if p == nil {
		return invalidData("VCALENDAR has no VERSION property (RFC 5545 3.7.4)")
	}
	v := strings.TrimSpace(p.Value)
	if i := strings.LastIndexByte(v, ';'); i >= 0 {
		v = strings.TrimSpace(v[i+1:])
	}
	if v != "2.0" {
		return precondition(condSupportedData, "iCalendar VERSION %s is not supported (only 2.0)", dav.QuoteShort(p.Value))
	}
	return nil
}

// checkObjectResource applies the rules of RFC 4791 4.1 to a calendar and
// returns its UID and component type.
func checkObjectResource(cal *ical.Calendar, allowed []string) (ObjectInfo, error) {
	if m := cal.Props.Get(ical.PropMethod); m != nil {
		return ObjectInfo{}, invalidObject(
			"METHOD:%s makes this an iTIP message; a calendar object resource must not have METHOD (RFC 4791 4.1)", dav.Clip(m.Value))
	}
	var comps []*ical.Component
	var types []string
	for _, c := range cal.Children {
		switch {
		case c.Name == ical.CompTimezone:
			// Time zones travel with the components that use them. A TZID
			// without its VTIMEZONE is not refused (RFC 4791 4.1 wants
			// one): clients send IANA names and expect them understood.
			continue
		case strings.HasPrefix(c.Name, "X-"):
			continue // RFC 4791 5.3.3: experimental components are kept, not judged
		case c.Name == ical.CompAlarm:
			return ObjectInfo{}, invalidData("VALARM must be inside a VEVENT or VTODO (RFC 5545 3.6.6)")
		case c.Name == ical.CompTimezoneStandard || c.Name == ical.CompTimezoneDaylight:
			return ObjectInfo{}, invalidData("%s must be inside a VTIMEZONE (RFC 5545 3.6.5)", c.Name)
		}
		comps = append(comps, c)
		if !slices.Contains(types, c.Name) {
			types = append(types, c.Name)
		}
	}
	switch {
	case len(types) == 0:
		return ObjectInfo{}, invalidObject("the calendar has no VEVENT, VTODO, VJOURNAL or VFREEBUSY component")
	case len(types) > 1:
		return ObjectInfo{}, invalidObject(
			"components of more than one type (%s); store each type in its own resource (RFC 4791 4.1)", dav.Clip(strings.Join(types, ", ")))
	}
	comp, err := checkComponentSupported(types[0], allowed)
	if err != nil {
		return ObjectInfo{}, err
	}
	uid, err := commonUID(comps)
	if err != nil {
		return ObjectInfo{}, err
	}
	if err := checkRecurrenceIDs(comps); err != nil {
		return ObjectInfo{}, err
	}
	return ObjectInfo{UID: uid, Component: comp}, nil
}

// commonUID returns the UID of the components, which RFC 4791 4.1 wants
// to be one and the same (components with other UIDs belong in other
// resources); RFC 5545 3.8.4.7 requires exactly one UID per component.
func commonUID(comps []*ical.Component) (string, error) {
	var uid string
	for i, c := range comps {
		var own string
		for _, p := range c.Props.Values(ical.PropUID) {
			v := ictext.Unescape(p.Value)
			switch {
			case strings.TrimSpace(v) == "":
				continue
			case own != "" && v != own:
				return "", invalidData("%s has more than one UID (%s and %s); RFC 5545 3.8.4.7 allows one", c.Name, dav.QuoteShort(own), dav.QuoteShort(v))
			}
			own = v
		}
		switch {
		case own == "":
			return "", invalidObject("%s has no UID (RFC 5545 3.8.4.7, RFC 4791 4.1)", c.Name)
		case len(own) > maxUID:
			return "", invalidObject("the UID has %d bytes; pgdav accepts at most %d", len(own), maxUID)
		case i > 0 && own != uid:
			return "", invalidObject(
				"components with different UIDs (%s and %s); store each UID in its own resource (RFC 4791 4.1)", dav.QuoteShort(uid), dav.QuoteShort(own))
		}
		uid = own
	}
	return uid, nil
}

// checkRecurrenceIDs applies RFC 4791 4.1 and RFC 5545 3.8.4.4 to the
// components of one UID: at most one master (no RECURRENCE-ID) and one
// override per RECURRENCE-ID. Overrides without a master are allowed (RFC
// 4791 4.1). RECURRENCE-IDs are compared as written, with their TZID: two
// spellings of one instant are not recognised as the same instance.
func checkRecurrenceIDs(comps []*ical.Component) error {
	seen := make(map[string]bool)
	for _, c := range comps {
		rids := c.Props.Values(ical.PropRecurrenceID)
		key := "" // the master
		switch len(rids) {
		case 0:
		case 1:
			r := rids[0]
			key = strings.ToUpper(r.Params.Get(ical.PropTimezoneID)) + "|" + strings.ToUpper(strings.TrimSpace(r.Value))
		default:
			return invalidData("%s has more than one RECURRENCE-ID; RFC 5545 3.8.4.4 allows one", c.Name)
		}
		if seen[key] {
			if key == "" {
				return invalidObject("two %s components without RECURRENCE-ID; a resource has one master component (RFC 4791 4.1)", c.Name)
			}
			return invalidObject("two %s components with RECURRENCE-ID %s; each instance may be overridden once (RFC 5545 3.8.4.4)",
				c.Name, dav.QuoteShort(rids[0].Value))
		}
		seen[key] = true
	}
	return nil
}
