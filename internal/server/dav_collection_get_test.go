package server

import (
	"net/http"
	"strconv"
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
