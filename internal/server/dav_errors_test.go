package server

import (
	"encoding/xml"
	"net/http"
	"strings"
	"testing"
)

const nsPgdav = "urn:pgdav:ns"

// A DAV:error body holds the precondition and, for people, a message in
// pgdav's namespace; DAV:responsedescription belongs to multistatus (RFC
// 4918 14.24), not to DAV:error (RFC 4918 16). On 803505d the message was
// a responsedescription.
func TestDAVErrorBodyMessage(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	for _, tc := range []struct {
		name              string
		method, path      string
		body              string
		headers           []string
		status            int
		cond              xml.Name
		messageContaining string
	}{
		{"Depth infinity", "PROPFIND", "/calendars/alice/", "", []string{"Depth: infinity"}, http.StatusForbidden, dName("propfind-finite-depth"), "infinity"},
		{"MKCALENDAR in the address book home", "MKCALENDAR", "/addressbooks/alice/x/", "", nil, http.StatusForbidden, cName("calendar-collection-location-ok"), "home"},
		{"unsupported report", "REPORT", "/principals/alice/", `<C:calendar-query xmlns:C="urn:ietf:params:xml:ns:caldav"/>`, nil, http.StatusForbidden, dName("supported-report"), "calendar-query"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(t, "alice", tc.method, tc.path, tc.body, tc.headers...)
			r.condition(t, tc.status, tc.cond)
			root := mustParseXML(t, r.Body)
			if root.child(dName("responsedescription")) != nil {
				t.Errorf("DAV:error holds a responsedescription\n%s", r.Body)
			}
			msg := root.child(xml.Name{Space: nsPgdav, Local: "message"})
			if msg == nil || !strings.Contains(msg.Text, tc.messageContaining) {
				t.Errorf("no {%s}message mentioning %q\n%s", nsPgdav, tc.messageContaining, r.Body)
			}
		})
	}
}

// Another user's resource is 403 with DAV:need-privileges (RFC 3744
// 7.1.1): the href and the privilege the method needs, on the resource
// or, to add or remove a member, on its parent (RFC 3744 3.9, 3.10). The
// body is the same whether the user or resource exists. On 803505d the
// answer was a plain-text 403.
func TestDAVNeedPrivileges(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice", "bob")
	e.put(t, "bob", "/calendars/bob/default/secret.ics", event("np-secret", "secret"), ctCal)
	e.put(t, "alice", "/calendars/alice/default/mine.ics", event("np-mine", "mine"), ctCal)
	for _, tc := range []struct {
		method    string
		path      string
		headers   []string
		href      string
		privilege string
	}{
		{"PROPFIND", "/calendars/bob/default/", []string{"Depth: 0"}, "/calendars/bob/default/", "read"},
		{"GET", "/calendars/bob/default/secret.ics", nil, "/calendars/bob/default/secret.ics", "read"},
		{"REPORT", "/calendars/bob/default/", nil, "/calendars/bob/default/", "read"},
		{"PROPPATCH", "/principals/bob/", nil, "/principals/bob/", "write-properties"},
		{"PUT", "/calendars/bob/default/secret.ics", []string{ctCal}, "/calendars/bob/default/secret.ics", "write-content"},
		{"DELETE", "/calendars/bob/default/secret.ics", nil, "/calendars/bob/default/", "unbind"},
		{"MOVE", "/calendars/bob/default/secret.ics", []string{"Destination: /calendars/alice/default/x.ics"}, "/calendars/bob/default/", "unbind"},
		{"COPY", "/calendars/bob/default/secret.ics", []string{"Destination: /calendars/alice/default/x.ics"}, "/calendars/bob/default/secret.ics", "read"},
		{"MKCALENDAR", "/calendars/bob/new/", nil, "/calendars/bob/", "bind"},
		{"MKCOL", "/addressbooks/bob/new/", nil, "/addressbooks/bob/", "bind"},
		// A Destination in another user's collection needs bind there.
		{"MOVE", "/calendars/alice/default/mine.ics", []string{"Destination: /calendars/bob/default/secret.ics"}, "/calendars/bob/default/", "bind"},
		{"COPY", "/calendars/alice/default/mine.ics", []string{"Destination: /calendars/bob/default/secret.ics"}, "/calendars/bob/default/", "bind"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			r := e.do(t, "alice", tc.method, tc.path, "", tc.headers...)
			np := r.condition(t, http.StatusForbidden, dName("need-privileges"))
			res := np.child(dName("resource"))
			if res == nil {
				t.Fatalf("need-privileges without a resource\n%s", r.Body)
			}
			if h := res.child(dName("href")); h == nil || h.Text != tc.href {
				t.Errorf("href %v, want %s\n%s", h, tc.href, r.Body)
			}
			if priv := res.child(dName("privilege")); priv == nil || priv.child(dName(tc.privilege)) == nil {
				t.Errorf("privilege, want DAV:%s\n%s", tc.privilege, r.Body)
			}
			// The same path for a user who does not exist, or for a
			// resource of bob's that does not: the same answer.
			for _, v := range [][2]string{{"/bob/", "/nob/"}, {"secret", "nosuch"}} {
				other, headers := strings.Replace(tc.path, v[0], v[1], 1), tc.headers
				if strings.HasPrefix(tc.path, "/calendars/alice/") {
					// The Destination is bob's: vary it instead.
					other, headers = tc.path, []string{strings.Replace(tc.headers[0], v[0], v[1], 1)}
				}
				if other == tc.path && strings.Join(headers, "") == strings.Join(tc.headers, "") {
					continue
				}
				o := e.do(t, "alice", tc.method, other, "", headers...)
				if o.Status != r.Status || strings.ReplaceAll(string(o.Body), v[1], v[0]) != string(r.Body) {
					t.Errorf("%s answers\n%s\nbut %s\n%s", tc.path, r.Body, other, o.Body)
				}
			}
		})
	}
}
