package dav

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// The one access decision (access.go): a user reaches the unowned places
// and their own, whatever the case of the user segment, and is refused
// another user's with DAV:need-privileges naming the request's resource
// and the method's privilege.
func TestAuthorize(t *testing.T) {
	t.Parallel()
	h := NewHandler(Config{}, nil)
	alice := backend.Principal{ID: 1, Name: "alice"}
	for _, tc := range []struct {
		method, path string
		user         string
		allowed      bool
		body         string // need-privileges body when refused
	}{
		{"PROPFIND", "/", "", true, ""},
		{"PROPFIND", "/principals/", "", true, ""},
		{"PROPFIND", "/principals/alice/", "alice", true, ""},
		{"PUT", "/calendars/Alice/work/a.ics", "Alice", true, ""},
		{"PROPFIND", "/principals/bob/", "bob", false, "<D:resource><D:href>/principals/bob/</D:href><D:privilege><D:read/></D:privilege></D:resource>"},
		{"PUT", "/calendars/bob/work/a.ics", "bob", false, "<D:resource><D:href>/calendars/bob/work/a.ics</D:href><D:privilege><D:write-content/></D:privilege></D:resource>"},
		{"DELETE", "/calendars/bob/work/a.ics", "bob", false, "<D:resource><D:href>/calendars/bob/work/</D:href><D:privilege><D:unbind/></D:privilege></D:resource>"},
		{"MKCALENDAR", "/calendars/bob/new/", "bob", false, "<D:resource><D:href>/calendars/bob/</D:href><D:privilege><D:bind/></D:privilege></D:resource>"},
	} {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			t.Parallel()
			tg := target{kind: KindPrincipal, user: tc.user}
			if got := mayReach(alice, tg); got != tc.allowed {
				t.Fatalf("mayReach(alice, %q) = %v, want %v", tc.user, got, tc.allowed)
			}
			err := h.authorize(httptest.NewRequestWithContext(t.Context(), tc.method, tc.path, strings.NewReader("")), tg, alice)
			if tc.allowed {
				if err != nil {
					t.Fatalf("authorize: %v, want nil", err)
				}
				return
			}
			de := AsError(err)
			if de.Status != http.StatusForbidden || de.Condition != DAVName("need-privileges") || de.ConditionBody != tc.body {
				t.Fatalf("authorize = %d %v %q, want 403 need-privileges %q", de.Status, de.Condition, de.ConditionBody, tc.body)
			}
		})
	}
}
