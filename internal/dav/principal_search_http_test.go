package dav_test

import (
	"encoding/xml"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/internal/davtest"
)

// principal-search-property-set (RFC 3744 9.5) lists only properties a
// principal answers, and principal-property-search (RFC 3744 9.4) finds
// the user's principal by each of them. On 803505d the set listed
// CS:email-address-set, which principals do not answer, and
// principal-property-search was refused.
func TestDAVPrincipalSearch(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice", "bob")
	set := davtest.MustParseXML(t, e.Do(t, "alice", "REPORT", "/principals/", `<A:principal-search-property-set xmlns:A="DAV:"/>`, "Depth: 0").Want(t, http.StatusOK).Body)
	if set.Name != davtest.DName("principal-search-property-set") {
		t.Fatalf("root %s", davtest.NameStr(set.Name))
	}
	var listed []xml.Name
	for _, sp := range set.All(davtest.DName("principal-search-property")) {
		listed = append(listed, sp.Child(davtest.DName("prop")).ChildNames()...)
	}
	if len(listed) == 0 {
		t.Fatal("no property listed")
	}
	search := func(test string, searches ...[2]string) string {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="utf-8"?><D:principal-property-search xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"` + test + `>`)
		for _, s := range searches {
			b.WriteString(`<D:property-search><D:prop>` + s[0] + `</D:prop><D:match>` + s[1] + `</D:match></D:property-search>`)
		}
		b.WriteString(`<D:prop><D:displayname/><C:calendar-home-set/></D:prop></D:principal-property-search>`)
		return b.String()
	}
	// Each listed property is answered by the principal and finds it
	// by a piece of its value, in any case.
	for _, n := range listed {
		t.Run(davtest.NameStr(n), func(t *testing.T) {
			v, status := e.PropOf(t, "alice", "/principals/alice/", n)
			if status != http.StatusOK {
				t.Fatalf("listed %s is %d on the principal", davtest.NameStr(n), status)
			}
			text := v.Text
			if h := v.Hrefs(); len(h) > 0 {
				text = h[0]
			}
			piece := strings.ToUpper(text[1 : len(text)-1])
			elem := `<X:` + n.Local + ` xmlns:X="` + n.Space + `"/>`
			for _, path := range []string{"/principals/", "/principals/alice/"} {
				ms := e.Do(t, "alice", "REPORT", path, search("", [2]string{elem, piece}), "Depth: 0").Multistatus(t)
				if got := ms.Hrefs(); len(got) != 1 || got[0] != "/principals/alice/" {
					t.Fatalf("%s matching %q on %s: %v", davtest.NameStr(n), piece, path, got)
				}
				if home := ms.Response(t, "/principals/alice/").Found(t, davtest.CName("calendar-home-set")).Hrefs(); len(home) != 1 || home[0] != "/calendars/alice/" {
					t.Errorf("calendar-home-set %v", home)
				}
			}
			if got := e.Do(t, "alice", "REPORT", "/principals/", search("", [2]string{elem, "no-such-value-xyz"})).Multistatus(t).Hrefs(); len(got) != 0 {
				t.Errorf("no match expected, got %v", got)
			}
		})
	}
	dn := `<D:displayname/>`
	for _, tc := range []struct {
		name   string
		body   string
		path   string
		user   string
		want   []string
		status int
	}{
		{"allof, one fails", search("", [2]string{dn, "alice"}, [2]string{dn, "nomatch"}), "/principals/", "alice", nil, 207},
		{"anyof, one matches", search(` test="anyof"`, [2]string{dn, "nomatch"}, [2]string{dn, "alice"}), "/principals/", "alice", []string{"/principals/alice/"}, 207},
		// Thunderbird finds a principal by its calendar home.
		{"by calendar-home-set", search("", [2]string{`<C:calendar-home-set/>`, "/calendars/alice/"}), "/principals/", "alice", []string{"/principals/alice/"}, 207},
		// Another user is never found, whatever is asked.
		{"another user's name", search("", [2]string{dn, "bob"}), "/principals/", "alice", nil, 207},
		{"no property-search", `<D:principal-property-search xmlns:D="DAV:"><D:prop><D:displayname/></D:prop></D:principal-property-search>`, "/principals/", "alice", nil, 400},
		{"on a calendar", search("", [2]string{dn, "alice"}), "/calendars/alice/default/", "alice", nil, 403},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.Do(t, tc.user, "REPORT", tc.path, tc.body, "Depth: 1")
			if r.Status != tc.status {
				t.Fatalf("status %d, want %d\n%s", r.Status, tc.status, r.Body)
			}
			if tc.status != 207 {
				return
			}
			if got := r.Multistatus(t).Hrefs(); !sameStrings(got, tc.want) {
				t.Errorf("hrefs %v, want %v", got, tc.want)
			}
		})
	}
}

// sameStrings reports whether a and b hold the same strings in any order.
func sameStrings(a, b []string) bool {
	a, b = slices.Clone(a), slices.Clone(b)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}
