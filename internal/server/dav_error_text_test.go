package server

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/backend"
)

// TestBackendErrorTextNotEchoed: what the store refuses as malformed is
// answered with a message written for the client; the store's own text
// (its rules, its names for things) stays in the log.
func TestBackendErrorTextNotEchoed(t *testing.T) {
	t.Parallel()
	e := newDAVEnv(t, envConfig{}, "alice")
	alice := e.users["alice"]
	cal, err := e.store.GetCollection(t.Context(), alice.ID, backend.KindCalendar, "default")
	if err != nil {
		t.Fatal(err)
	}
	longObject := strings.Repeat("x", 600) + ".ics"
	longSlug := strings.Repeat("y", 200)
	for _, tc := range []struct {
		name       string
		method     string
		path, body string
		headers    []string
		status     int
		// backend does what the request makes the store do, and
		// returns the store's error.
		backend func() error
	}{
		{"PUT, object name too long", "PUT", "/calendars/alice/default/" + longObject, event("long-1", "Long"), []string{ctCal},
			http.StatusBadRequest, func() error {
				_, _, err := e.store.PutObject(t.Context(), backend.ObjectWrite{CollectionID: cal.ID, Name: longObject,
					Data: []byte(event("long-1", "Long")), UID: "long-1", Component: "VEVENT", ContentType: "text/calendar"}, backend.Conditions{})
				return err
			}},
		{"MKCOL, collection name too long", "MKCOL", "/addressbooks/alice/" + longSlug + "/",
			`<D:mkcol xmlns:D="DAV:" xmlns:CR="urn:ietf:params:xml:ns:carddav"><D:set><D:prop><D:resourcetype><D:collection/><CR:addressbook/></D:resourcetype></D:prop></D:set></D:mkcol>`,
			nil, http.StatusForbidden, func() error {
				_, err := e.store.CreateCollection(t.Context(), alice.ID, backend.Collection{Kind: backend.KindAddressBook, Slug: longSlug}, nil)
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			berr := tc.backend()
			if !errors.Is(berr, backend.ErrInvalid) {
				t.Fatalf("the store accepts what the test expects it to refuse: %v", berr)
			}
			text := strings.TrimPrefix(berr.Error(), backend.ErrInvalid.Error()+": ")
			r := e.do(t, "alice", tc.method, tc.path, tc.body, tc.headers...).want(t, tc.status)
			body := string(r.Body)
			if strings.Contains(body, text) || strings.Contains(body, berr.Error()) {
				t.Errorf("the body echoes the store's error %q:\n%s", berr, body)
			}
			if strings.TrimSpace(body) == "" {
				t.Error("the body has no message for the client")
			}
		})
	}
}
