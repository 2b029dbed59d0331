package server

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// Collections answer GET with a body (an HTML listing), so they define
// getcontenttype and getcontentlength (RFC 4918 15.4, 15.5: the
// Content-Type and length GET returns), by name, in allprop and in
// propname. On 803505d a collection had neither.
func TestDAVCollectionGetProps(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	e.put(t, "alice", "/calendars/alice/default/a.ics", event("cgp-a", "A"), ctCal)
	for _, path := range []string{"/", "/principals/", "/principals/alice/", "/calendars/alice/", "/calendars/alice/default/", "/addressbooks/alice/default/"} {
		t.Run(path, func(t *testing.T) {
			g := e.do(t, "alice", "GET", path, "").want(t, http.StatusOK)
			r := e.propfind(t, "alice", path, "0", dName("getcontenttype"), dName("getcontentlength")).response(t, e.href(path))
			if ct := r.found(t, dName("getcontenttype")).Text; ct != g.Header.Get("Content-Type") {
				t.Errorf("getcontenttype %q, GET Content-Type %q", ct, g.Header.Get("Content-Type"))
			}
			if cl := r.found(t, dName("getcontentlength")).Text; cl != strconv.Itoa(len(g.Body)) {
				t.Errorf("getcontentlength %s, GET body %d bytes", cl, len(g.Body))
			}
			all := e.do(t, "alice", "PROPFIND", path, `<propfind xmlns="DAV:"><allprop/></propfind>`, "Depth: 0").multistatus(t).response(t, e.href(path))
			if cl := all.found(t, dName("getcontentlength")).Text; cl != strconv.Itoa(len(g.Body)) {
				t.Errorf("allprop getcontentlength %s, GET body %d bytes", cl, len(g.Body))
			}
			names := e.do(t, "alice", "PROPFIND", path, `<propfind xmlns="DAV:"><propname/></propfind>`, "Depth: 0").multistatus(t).response(t, e.href(path))
			for _, n := range []string{"getcontenttype", "getcontentlength"} {
				if names.propStatus(dName(n)) != http.StatusOK {
					t.Errorf("propname lacks %s", n)
				}
			}
		})
	}
}

// A collection's listing names at most its first 100 members, in name
// order, so that GET and getcontentlength cost one small index probe
// whatever the collection's size; the length still matches the body.
func TestDAVCollectionListingBounded(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	for i := range 102 {
		e.put(t, "alice", fmt.Sprintf("/calendars/alice/default/e%03d.ics", i), event(fmt.Sprintf("lb-%d", i), "E"), ctCal)
	}
	path := "/calendars/alice/default/"
	g := e.do(t, "alice", "GET", path, "").want(t, http.StatusOK)
	body := string(g.Body)
	if n := strings.Count(body, "<li>"); n != 100 {
		t.Errorf("the listing names %d members, want 100", n)
	}
	if !strings.Contains(body, e.href(path+"e099.ics")) || strings.Contains(body, "e100.ics") {
		t.Errorf("the listing is not the first 100 names:\n%s", body)
	}
	if !strings.Contains(body, "Only the first 100 members are listed here.") {
		t.Errorf("the listing does not say it is cut:\n%s", body)
	}
	r := e.propfind(t, "alice", path, "0", dName("getcontentlength")).response(t, e.href(path))
	if cl := r.found(t, dName("getcontentlength")).Text; cl != strconv.Itoa(len(g.Body)) {
		t.Errorf("getcontentlength %s, GET body %d bytes", cl, len(g.Body))
	}
}
