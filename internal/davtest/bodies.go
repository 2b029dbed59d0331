package davtest

import (
	"encoding/xml"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// PropfindXML asks for the named properties, each declaring its own
// namespace on itself as Apple's clients do.
func PropfindXML(names ...xml.Name) string {
	var b strings.Builder
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + `<A:propfind xmlns:A="DAV:"><A:prop>`)
	for _, n := range names {
		if n.Space == "" {
			fmt.Fprintf(&b, `<%s/>`, n.Local)
		} else {
			fmt.Fprintf(&b, `<X:%s xmlns:X="%s"/>`, n.Local, n.Space)
		}
	}
	b.WriteString(`</A:prop></A:propfind>`)
	return b.String()
}

// Propfind sends a PROPFIND for names and returns the parsed answer.
func (e *Env) Propfind(t *testing.T, user, path, depth string, names ...xml.Name) *Multistatus {
	t.Helper()
	return e.Do(t, user, "PROPFIND", path, PropfindXML(names...), "Depth: "+depth, "Content-Type: application/xml; charset=utf-8").Multistatus(t)
}

// PropOf reads one property of one resource with a Depth 0 PROPFIND.
func (e *Env) PropOf(t *testing.T, user, path string, n xml.Name) (*Node, int) {
	t.Helper()
	return e.Propfind(t, user, path, "0", n).Response(t, e.Href(path)).Prop(n)
}

// SyncState reads a collection's getctag and sync-token.
func (e *Env) SyncState(t *testing.T, user, path string) (ctag, token string) {
	t.Helper()
	r := e.Propfind(t, user, path, "0", CSName("getctag"), DName("sync-token")).Response(t, e.Href(path))
	return r.Found(t, CSName("getctag")).Text, r.Found(t, DName("sync-token")).Text
}

// ProppatchSet is a PROPPATCH body that sets props (XML fragments).
func ProppatchSet(props ...string) string {
	return `<?xml version="1.0" encoding="utf-8"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>` +
		strings.Join(props, "") + `</D:prop></D:set></D:propertyupdate>`
}

// CRLF joins lines with CRLF, as every client sends iCalendar and vCard.
func CRLF(lines ...string) string { return strings.Join(lines, "\r\n") + "\r\n" }

// Event is a one-hour VEVENT on 2026-01-05 10:00 UTC.
func Event(uid, summary string) string {
	return CRLF("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//tests//EN",
		"BEGIN:VEVENT", "UID:"+uid, "DTSTAMP:20260101T000000Z", "DTSTART:20260105T100000Z",
		"DTEND:20260105T110000Z", "SUMMARY:"+summary, "END:VEVENT", "END:VCALENDAR")
}

// Todo is a VTODO without dates.
func Todo(uid, summary string) string {
	return CRLF("BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//pgdav//tests//EN",
		"BEGIN:VTODO", "UID:"+uid, "DTSTAMP:20260101T000000Z", "SUMMARY:"+summary, "END:VTODO", "END:VCALENDAR")
}

// Card is a vCard 3.0 with FN and N.
func Card(uid, fn string) string {
	return CRLF("BEGIN:VCARD", "VERSION:3.0", "UID:"+uid, "FN:"+fn, "N:"+fn+";;;;", "END:VCARD")
}

// CTCal and CTCard are the Content-Type headers clients send with PUT.
const (
	CTCal  = "Content-Type: text/calendar; charset=utf-8"
	CTCard = "Content-Type: text/vcard; charset=utf-8"
)

// Put stores a resource and returns its ETag header.
func (e *Env) Put(t *testing.T, user, path, body string, headers ...string) string {
	t.Helper()
	r := e.Do(t, user, "PUT", path, body, headers...).Want(t, http.StatusCreated, http.StatusNoContent)
	etag := r.Header.Get("ETag")
	if etag == "" {
		t.Fatalf("%s: no ETag", r.Req)
	}
	return etag
}

// Report sends a REPORT with an XML body and, unless depth is "", a Depth
// header.
func (e *Env) Report(t *testing.T, user, path, depth, body string, headers ...string) *Resp {
	t.Helper()
	h := append([]string{"Content-Type: application/xml; charset=utf-8"}, headers...)
	if depth != "" {
		h = append(h, "Depth: "+depth)
	}
	return e.Do(t, user, "REPORT", path, body, h...)
}

// ToCRLF turns a stored-with-LF test file into what clients send.
func ToCRLF(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}
