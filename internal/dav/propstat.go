package dav

import (
	"encoding/xml"
	"io"
	"net/http"
	"strconv"
)

// Prop is one property of one resource in a multistatus response.
type Prop struct {
	Name xml.Name
	// Status is the property's status: 200 found, 404 not found, 403
	// forbidden, 424 failed dependency, 409 conflict, …
	Status int
	// Inner is the property value as XML content, already escaped,
	// written between the start and end tags of Name. It may use the
	// prefixes D, C, CR, CS and ICAL declared on the root, e.g.
	// `<D:href>/principals/alice/</D:href>`. Empty means an empty element.
	Inner string
	// Text, when set instead of Inner, is the value as character data,
	// not yet escaped: it is escaped (EscapeText's rules) as it is
	// written, so a large value such as calendar-data is not first
	// copied into an escaped string.
	Text string
	// Raw, when set, is the complete property element as self-contained
	// XML (a dead property as stored, declaring every namespace it uses);
	// it is written verbatim instead of Name and Inner.
	Raw string
	// Error, when set, is XML content for a <D:error> element in the
	// property's propstat (RFC 4918 §14.22), e.g.
	// `<D:cannot-modify-protected-property/>`, with the fixed prefixes.
	// Properties with the same status but different Error go into
	// separate propstats.
	Error string
}

// propstatKey identifies one propstat of a response.
type propstatKey struct {
	status int
	err    string
}

// propstats writes the propstats of responses, reusing its scratch space
// so that a streamed answer allocates nothing per response.
type propstats struct {
	keys []propstatKey
}

// write writes one <D:propstat> per distinct status (and error): 200
// first, then the others in ascending order (Thunderbird CardDAV reads
// only the first <D:status> of a response: docs/clients.md "The first
// status of a response wins"), each listing its
// properties in the order given. With minimal, 404s are left out (RFC
// 8144 §2.1); a response left without any propstat gets an empty 200 one,
// since RFC 4918 §14.24 requires propstat or status in every response.
func (ps *propstats) write(w io.StringWriter, props []Prop, minimal bool) {
	ps.keys = ps.keys[:0]
	for i := range props {
		k := propstatKey{props[i].Status, props[i].Error}
		if minimal && k.status == http.StatusNotFound {
			continue
		}
		if !containsKey(ps.keys, k) {
			ps.keys = append(ps.keys, k)
		}
	}
	sortKeys(ps.keys)
	if len(ps.keys) == 0 {
		w.WriteString("<D:propstat><D:prop/>")
		writeStatus(w, http.StatusOK)
		w.WriteString("</D:propstat>")
		return
	}
	for _, k := range ps.keys {
		w.WriteString("<D:propstat><D:prop>")
		for i := range props {
			if props[i].Status == k.status && props[i].Error == k.err {
				writeProp(w, &props[i])
			}
		}
		w.WriteString("</D:prop>")
		writeStatus(w, k.status)
		if k.err != "" {
			w.WriteString("<D:error>")
			w.WriteString(k.err)
			w.WriteString("</D:error>")
		}
		w.WriteString("</D:propstat>")
	}
}

// writePropstats writes the propstats of one response, in full (no
// minimal mode), e.g. inside an mkcol-response (RFC 5689 §5.2).
func writePropstats(w io.StringWriter, props []Prop) {
	var ps propstats
	ps.write(w, props, false)
}

func writeProp(w io.StringWriter, p *Prop) {
	if p.Raw != "" {
		w.WriteString(p.Raw)
		return
	}
	if p.Name.Local == "" {
		return
	}
	writeStartName(w, p.Name)
	if p.Inner == "" && p.Text == "" {
		w.WriteString("/>")
		return
	}
	w.WriteString(">")
	if p.Text != "" {
		_ = writeEscaped(w, p.Text, false)
	} else {
		w.WriteString(p.Inner)
	}
	writeEndName(w, p.Name)
}

// statusLines holds "HTTP/1.1 200 OK" and its kind for every code
// net/http knows, so writing a status allocates nothing.
var statusLines = func() (t [600]string) {
	for code := range t {
		if text := http.StatusText(code); text != "" {
			t[code] = "HTTP/1.1 " + strconv.Itoa(code) + " " + text
		}
	}
	return t
}()

// statusLine returns the status line of code exactly as "HTTP/1.1 200 OK":
// clients such as Thunderbird compare the text literally (docs/clients.md
// "Status lines are compared literally").
func statusLine(code int) string {
	if code >= 0 && code < len(statusLines) && statusLines[code] != "" {
		return statusLines[code]
	}
	return "HTTP/1.1 " + strconv.Itoa(code) + " Unknown"
}

func writeStatus(w io.StringWriter, code int) {
	w.WriteString("<D:status>")
	w.WriteString(statusLine(code))
	w.WriteString("</D:status>")
}

func containsKey(keys []propstatKey, k propstatKey) bool {
	for _, x := range keys {
		if x == k {
			return true
		}
	}
	return false
}

// sortKeys orders propstats with 200 first and the rest by ascending
// status, keeping first-seen order among equals. The slice is a handful
// long; insertion sort does not allocate.
func sortKeys(s []propstatKey) {
	rank := func(k propstatKey) int {
		if k.status == http.StatusOK {
			return -1
		}
		return k.status
	}
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && rank(s[j]) < rank(s[j-1]); j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}
