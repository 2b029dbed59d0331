package server

import (
	"encoding/xml"
	"net/http"
	"testing"
)

// The xml:lang of a dead property, its own or inherited from an element
// around it in the PROPPATCH, is stored with it and returned by PROPFIND
// (RFC 4918 4.3, 4.4). On 803505d an inherited one was lost.
func TestDAVDeadPropertyLang(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	lang := xml.Name{Space: "http://www.w3.org/XML/1998/namespace", Local: "lang"}
	for _, tc := range []struct {
		name  string
		local string // the property's name in urn:lang
		body  string
		want  string
	}{
		{"own", "own", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop><X:own xmlns:X="urn:lang" xml:lang="fr">Bonjour</X:own></D:prop></D:set></D:propertyupdate>`, "fr"},
		{"from prop", "prop", `<D:propertyupdate xmlns:D="DAV:"><D:set><D:prop xml:lang="en-GB"><X:prop xmlns:X="urn:lang">Colour</X:prop></D:prop></D:set></D:propertyupdate>`, "en-GB"},
		{"from set", "set", `<D:propertyupdate xmlns:D="DAV:"><D:set xml:lang="de"><D:prop><X:set xmlns:X="urn:lang">Farbe</X:set></D:prop></D:set></D:propertyupdate>`, "de"},
		{"from the root", "root", `<D:propertyupdate xmlns:D="DAV:" xml:lang="it"><D:set><D:prop><X:root xmlns:X="urn:lang">Colore</X:root></D:prop></D:set></D:propertyupdate>`, "it"},
		{"own wins", "wins", `<D:propertyupdate xmlns:D="DAV:" xml:lang="it"><D:set><D:prop xml:lang="en"><X:wins xmlns:X="urn:lang" xml:lang="es">Color</X:wins></D:prop></D:set></D:propertyupdate>`, "es"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/calendars/alice/default/", "/principals/alice/"} {
				e.do(t, "alice", "PROPPATCH", path, tc.body).want(t, http.StatusMultiStatus)
				n := xml.Name{Space: "urn:lang", Local: tc.local}
				p, status := e.propOf(t, "alice", path, n)
				if status != http.StatusOK {
					t.Fatalf("%s: %s is %d", path, nameStr(n), status)
				}
				if got, ok := p.attr(lang); !ok || got != tc.want {
					t.Errorf("%s: xml:lang %q (%v), want %q", path, got, ok, tc.want)
				}
				all := e.do(t, "alice", "PROPFIND", path, `<propfind xmlns="DAV:"><allprop/></propfind>`, "Depth: 0").multistatus(t).response(t, e.href(path))
				if got, ok := all.found(t, n).attr(lang); !ok || got != tc.want {
					t.Errorf("%s allprop: xml:lang %q (%v), want %q", path, got, ok, tc.want)
				}
			}
		})
	}
}
