package carddav

import (
	"strings"

	"github.com/pgdav/pgdav/internal/ictext"
)

// Conversion between vCard 3.0 (RFC 2426) and 4.0 (RFC 6350) for
// address-data with a version attribute (RFC 6352 10.4). Cards are stored
// as received; a client that asks for the other version gets this
// conversion, which covers the properties clients exchange: VERSION,
// FN and N (each made up from the other when missing, as the target
// version requires), TYPE parameters (3.0 TYPE=pref and 4.0 PREF=1, 3.0's
// EMAIL TYPE=INTERNET, the ADR and TEL types 4.0 dropped), inline PHOTO,
// LOGO, SOUND and KEY (3.0 ENCODING=b with TYPE, 4.0 data: URIs), URIs
// (VALUE=uri), dates and timestamps (BDAY, ANNIVERSARY, REV: 3.0's
// extended ISO 8601 and Apple's X-APPLE-OMIT-YEAR, 4.0's basic format and
// --MMDD), GEO, and group cards (4.0 KIND and MEMBER, Apple's
// X-ADDRESSBOOKSERVER-KIND and -MEMBER). Groups (item1.EMAIL), unknown
// and X- properties and parameters are kept as they are.

// convertVCard returns c's lines converted to version to ("3.0" or
// "4.0"), to be written with vcardLine.String.
func convertVCard(c *vcardData, to string) []vcardLine {
	up := to == "4.0"
	out := make([]vcardLine, 0, len(c.lines)+2)
	var hasFN, hasN, hasKind bool
	var fn, n, org string
	for i := range c.lines {
		l := &c.lines[i]
		switch l.name {
		case "FN":
			hasFN, fn = true, l.value
		case "N":
			hasN, n = true, l.value
		case "ORG":
			if org == "" {
				org = l.value
			}
		case "KIND":
			hasKind = true
		}
	}
	for i := range c.lines {
		l := c.lines[i]
		l.raw = ""
		l.params = cloneParams(l.params)
		keep := true
		if up {
			keep = toV4(&l, hasKind)
		} else {
			keep = toV3(&l)
		}
		if !keep {
			continue
		}
		out = append(out, l)
		if l.name != "VERSION" {
			continue
		}
		// The property the target version requires, right after VERSION.
		switch {
		case up && !hasFN:
			out = append(out, vcardLine{name: "FN", value: nameFromN(n, org)})
		case !up && !hasN:
			out = append(out, vcardLine{name: "N", value: escapeText(ictext.Unescape(fn)) + ";;;;"})
		}
	}
	return out
}

// toV4 converts one line of a 3.0 card; false drops it.
func toV4(l *vcardLine, hasKind bool) bool {
	l.dropParam("CHARSET")
	switch l.name {
	case "VERSION":
		l.value = "4.0"
		return true
	case "NAME", "PROFILE":
		return false // text/directory framing, not in vCard 4
	case "X-ADDRESSBOOKSERVER-KIND":
		if hasKind {
			return false
		}
		l.name, l.value = "KIND", strings.ToLower(strings.TrimSpace(l.value))
	case "X-ADDRESSBOOKSERVER-MEMBER":
		l.name = "MEMBER"
	case "PHOTO", "LOGO", "SOUND", "KEY":
		binaryToV4(l)
	case "BDAY", "ANNIVERSARY", "DEATHDATE":
		l.value = basicDate(l.value)
		if year, ok := l.param("X-APPLE-OMIT-YEAR"); ok && len(year) > 0 && strings.HasPrefix(l.value, year[0]) && len(l.value) >= 8 {
			l.value = "--" + l.value[4:]
			l.dropParam("X-APPLE-OMIT-YEAR")
		}
	case "REV":
		l.value = basicDate(l.value)
	case "GEO":
		if lat, lon, ok := strings.Cut(l.value, ";"); ok && !strings.HasPrefix(strings.ToLower(l.value), "geo:") {
			l.value = "geo:" + strings.TrimSpace(lat) + "," + strings.TrimSpace(lon)
		}
	}
	typesToV4(l)
	return true
}

// toV3 converts one line of a 4.0 card; false drops it.
func toV3(l *vcardLine) bool {
	l.dropParam("PID")
	switch l.name {
	case "VERSION":
		l.value = "3.0"
		return true
	case "CLIENTPIDMAP":
		return false // vCard 4 synchronisation (RFC 6350 7), meaningless in 3.0
	case "KIND":
		k := strings.ToLower(strings.TrimSpace(l.value))
		if k == "individual" || k == "" {
			return false // the 3.0 default
		}
		l.name, l.value = "X-ADDRESSBOOKSERVER-KIND", k
	case "MEMBER":
		l.name = "X-ADDRESSBOOKSERVER-MEMBER"
	case "PHOTO", "LOGO", "SOUND", "KEY":
		binaryToV3(l)
	case "BDAY", "DEATHDATE":
		dateToV3(l)
	case "ANNIVERSARY":
		dateToV3(l)
		l.name = "X-ANNIVERSARY"
	case "REV":
		l.value = extendedDate(l.value)
	case "GEO":
		if rest, ok := cutPrefixFold(l.value, "geo:"); ok {
			if lat, lon, ok := strings.Cut(rest, ","); ok {
				l.value = lat + ";" + lon
			}
		}
	case "TEL":
		if v, ok := l.param("VALUE"); ok && len(v) > 0 {
			if rest, isTel := cutPrefixFold(l.value, "tel:"); isTel {
				l.value = rest
			}
			l.dropParam("VALUE")
		}
	}
	typesToV3(l)
	return true
}

// removedV4Types are TYPE values RFC 6350 dropped (Appendix A.2).
var removedV4Types = map[string]map[string]bool{
	"EMAIL": {"internet": true, "x400": true},
	"ADR":   {"dom": true, "intl": true, "postal": true, "parcel": true},
	"LABEL": {"dom": true, "intl": true, "postal": true, "parcel": true},
	"TEL":   {"msg": true, "bbs": true, "modem": true, "car": true, "isdn": true, "pcs": true},
}

// typesToV4 turns 3.0 TYPE values into 4.0 ones: lower case, "pref"
// becomes PREF=1, and the values vCard 4 dropped go.
func typesToV4(l *vcardLine) {
	types, ok := l.param("TYPE")
	if !ok {
		return
	}
	l.dropParam("TYPE")
	var keep []string
	pref := false
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "":
		case t == "pref":
			pref = true
		case removedV4Types[l.name][t]:
		default:
			keep = append(keep, t)
		}
	}
	if len(keep) > 0 {
		l.params = append(l.params, vcardParam{name: "TYPE", values: keep})
	}
	if pref {
		if _, has := l.param("PREF"); !has {
			l.params = append(l.params, vcardParam{name: "PREF", values: []string{"1"}})
		}
	}
}

// typesToV3 turns 4.0 TYPE values and PREF into 3.0 ones: upper case,
// PREF=1 becomes TYPE=PREF, and an EMAIL gets TYPE=INTERNET (RFC 2426
// 3.3.2's default, which Apple writes out).
func typesToV3(l *vcardLine) {
	types, _ := l.param("TYPE")
	prefs, hasPref := l.param("PREF")
	if len(types) == 0 && !hasPref && l.name != "EMAIL" {
		return
	}
	l.dropParam("TYPE")
	l.dropParam("PREF")
	var out []string
	seen := map[string]bool{}
	add := func(t string) {
		if t = strings.ToUpper(strings.TrimSpace(t)); t != "" && !seen[t] {
			seen[t] = true
			out = append(out, t)
		}
	}
	if l.name == "EMAIL" {
		add("INTERNET")
	}
	for _, t := range types {
		add(t)
	}
	if hasPref && len(prefs) > 0 && strings.TrimSpace(prefs[0]) == "1" {
		add("PREF")
	}
	if len(out) > 0 {
		l.params = append(l.params, vcardParam{name: "TYPE", values: out})
	}
}

// binaryToV4 turns 3.0 inline data (ENCODING=b, TYPE=JPEG) into a 4.0
// data: URI (RFC 6350 6.2.4), and drops VALUE=uri, the 4.0 default.
func binaryToV4(l *vcardLine) {
	enc, _ := l.param("ENCODING")
	if len(enc) > 0 && (strings.EqualFold(enc[0], "b") || strings.EqualFold(enc[0], "base64")) {
		types, _ := l.param("TYPE")
		mt := mediaTypeOf(l.name, types, l.value)
		l.dropParam("ENCODING")
		l.dropParam("TYPE")
		l.dropParam("VALUE")
		l.value = "data:" + mt + ";base64," + strings.Join(strings.Fields(l.value), "")
		return
	}
	if v, ok := l.param("VALUE"); ok && len(v) > 0 && strings.EqualFold(v[0], "uri") {
		l.dropParam("VALUE")
		if types, ok := l.param("TYPE"); ok && len(types) > 0 {
			l.dropParam("TYPE")
			l.params = append(l.params, vcardParam{name: "MEDIATYPE", values: []string{mediaTypeOf(l.name, types, "")}})
		}
	}
}

// binaryToV3 turns a 4.0 data: URI into 3.0 inline data and marks other
// URIs VALUE=uri.
func binaryToV3(l *vcardLine) {
	l.dropParam("MEDIATYPE")
	if rest, ok := cutPrefixFold(l.value, "data:"); ok {
		meta, payload, found := strings.Cut(rest, ",")
		if found && strings.HasSuffix(strings.ToLower(meta), ";base64") {
			mt := strings.TrimSuffix(strings.TrimSuffix(meta, ";base64"), ";BASE64")
			l.dropParam("VALUE")
			l.dropParam("TYPE")
			l.params = append(l.params, vcardParam{name: "ENCODING", values: []string{"b"}})
			if _, sub, ok := strings.Cut(mt, "/"); ok && sub != "" {
				l.params = append(l.params, vcardParam{name: "TYPE", values: []string{strings.ToUpper(sub)}})
			}
			l.value = payload
			return
		}
	}
	if strings.Contains(l.value, ":") {
		if _, ok := l.param("VALUE"); !ok {
			l.params = append(l.params, vcardParam{name: "VALUE", values: []string{"uri"}})
		}
	}
}

// mediaTypeOf is the media type of inline data from a 3.0 TYPE value
// (JPEG, image/png), else sniffed from the base64 data.
func mediaTypeOf(prop string, types []string, b64 string) string {
	for _, t := range types {
		t = strings.ToLower(strings.TrimSpace(t))
		switch {
		case t == "" || t == "pref":
			continue
		case strings.Contains(t, "/"):
			return t
		case t == "jpg":
			t = "jpeg"
		}
		switch prop {
		case "SOUND":
			return "audio/" + t
		case "KEY":
			return "application/" + t
		}
		return "image/" + t
	}
	switch b := strings.TrimSpace(b64); {
	case strings.HasPrefix(b, "/9j/"):
		return "image/jpeg"
	case strings.HasPrefix(b, "iVBOR"):
		return "image/png"
	case strings.HasPrefix(b, "R0lGOD"):
		return "image/gif"
	}
	return "application/octet-stream"
}

// dateToV3 writes a 4.0 date in 3.0's extended form; a date without a
// year (--MMDD) gets Apple's year 1604 and X-APPLE-OMIT-YEAR, which
// Apple Contacts and DAVx5 understand.
func dateToV3(l *vcardLine) {
	if v, ok := l.param("VALUE"); ok && len(v) > 0 && strings.EqualFold(v[0], "text") {
		return
	}
	v := strings.TrimSpace(l.value)
	if len(v) == 6 && strings.HasPrefix(v, "--") && allDigits(v[2:]) {
		l.value = "1604-" + v[2:4] + "-" + v[4:6]
		l.params = append(l.params, vcardParam{name: "X-APPLE-OMIT-YEAR", values: []string{"1604"}})
		return
	}
	l.value = extendedDate(v)
}

// basicDate writes an ISO 8601 extended date or date-time (3.0:
// 1985-04-12, 1985-04-12T10:22:00Z, -05:00 offsets) in the basic form of
// RFC 6350 4.3 (19850412, 19850412T102200Z, -0500). Anything else is kept.
func basicDate(v string) string {
	v = strings.TrimSpace(v)
	date, clock, hasTime := strings.Cut(v, "T")
	if len(date) != 10 || date[4] != '-' || date[7] != '-' || !allDigits(date[:4]+date[5:7]+date[8:]) {
		return v
	}
	out := date[:4] + date[5:7] + date[8:]
	if hasTime {
		out += "T" + strings.ReplaceAll(clock, ":", "")
	}
	return out
}

// extendedDate is the inverse of basicDate: 19850412T102200Z becomes
// 1985-04-12T10:22:00Z. Anything else is kept.
func extendedDate(v string) string {
	v = strings.TrimSpace(v)
	date, clock, hasTime := strings.Cut(v, "T")
	if len(date) != 8 || !allDigits(date) {
		return v
	}
	out := date[:4] + "-" + date[4:6] + "-" + date[6:]
	if !hasTime {
		return out
	}
	i := strings.IndexAny(clock, "Z+-")
	t, zone := clock, ""
	if i >= 0 {
		t, zone = clock[:i], clock[i:]
	}
	if len(t) >= 6 && allDigits(t[:6]) {
		t = t[:2] + ":" + t[2:4] + ":" + t[4:]
	}
	if len(zone) == 5 && (zone[0] == '+' || zone[0] == '-') && allDigits(zone[1:]) {
		zone = zone[:3] + ":" + zone[3:]
	}
	return out + "T" + t + zone
}

// nameFromN makes an FN for a 3.0 card without one: the given and family
// names of N, else the organisation.
func nameFromN(n, org string) string {
	parts := splitUnescaped(n, ';')
	var words []string
	for _, i := range []int{3, 1, 2, 0, 4} { // prefix, given, additional, family, suffix
		if i < len(parts) {
			if p := strings.TrimSpace(ictext.Unescape(parts[i])); p != "" {
				words = append(words, strings.ReplaceAll(p, ",", " "))
			}
		}
	}
	if len(words) == 0 && org != "" {
		words = append(words, ictext.Unescape(splitUnescaped(org, ';')[0]))
	}
	return escapeText(strings.Join(words, " "))
}

func (l *vcardLine) dropParam(name string) {
	out := l.params[:0]
	for _, p := range l.params {
		if p.name != name && !(p.name == "" && name == "TYPE") {
			out = append(out, p)
		}
	}
	l.params = out
}

func cloneParams(ps []vcardParam) []vcardParam {
	if ps == nil {
		return nil
	}
	out := make([]vcardParam, len(ps))
	for i, p := range ps {
		out[i] = vcardParam{name: p.name, values: append([]string(nil), p.values...), quoted: p.quoted}
	}
	return out
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}
