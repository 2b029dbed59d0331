package dav_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/internal/davtest"
)

// TestPluginsAnswerThroughEngine: caldav and carddav write no multistatus
// of their own and name none of the engine's live properties: every
// answer that lists members goes through dav.MemberAnswer, which knows
// which properties are live.
func TestPluginsAnswerThroughEngine(t *testing.T) {
	t.Parallel()
	// Live properties of objects the engine computes (internal/dav).
	engineLive := map[string]bool{"getetag": true, "getcontenttype": true, "getcontentlength": true,
		"getlastmodified": true, "creationdate": true, "resourcetype": true, "owner": true}
	for _, dir := range []string{"../../caldav", "../../carddav"} {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			name := e.Name()
			if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
				continue
			}
			path := filepath.Join(dir, name)
			fset := token.NewFileSet()
			f, err := parser.ParseFile(fset, path, nil, 0)
			if err != nil {
				t.Fatal(err)
			}
			ast.Inspect(f, func(n ast.Node) bool {
				call, ok := n.(*ast.CallExpr)
				if !ok {
					return true
				}
				sel, ok := call.Fun.(*ast.SelectorExpr)
				if !ok {
					return true
				}
				switch sel.Sel.Name {
				case "NewMultistatus":
					t.Errorf("%s: the plugin writes a multistatus of its own", fset.Position(call.Pos()))
				case "DAVName":
					if lit, ok := call.Args[0].(*ast.BasicLit); ok {
						if local, err := strconv.Unquote(lit.Value); err == nil && engineLive[local] {
							t.Errorf("%s: the plugin names the engine's live property %s", fset.Position(call.Pos()), local)
						}
					}
				}
				return true
			})
		}
	}
}

// TestMultigetRefusedHrefsOnce: both multigets answer an href outside the
// request's collection once, in the canonical encoding, however often and
// however spelled the client named it (RFC 4918 13: one response per
// resource); calendar-multiget answered each spelling before.
func TestMultigetRefusedHrefsOnce(t *testing.T) {
	t.Parallel()
	e := davtest.New(t, davtest.Config{}, "alice", "bob")
	for _, tc := range []struct {
		name, path, root, ns, prop string
	}{
		{"calendar-multiget", "/calendars/alice/default/", "calendar-multiget", "urn:ietf:params:xml:ns:caldav", "calendar-data"},
		{"addressbook-multiget", "/addressbooks/alice/default/", "addressbook-multiget", "urn:ietf:params:xml:ns:carddav", "address-data"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hrefs := []string{
				e.Href("/calendars/bob/default/a%20b.ics"), // another user's: 403
				e.Href("/calendars/bob/default/a b.ics"),   // the same, unencoded
				e.HTTP.URL + e.Href("/calendars/bob/default/a%20b.ics"),
				e.Href("/elsewhere/x"), // outside the DAV space: 404
				e.Href("/elsewhere/x"),
			}
			var b strings.Builder
			b.WriteString(`<X:` + tc.root + ` xmlns:D="DAV:" xmlns:X="` + tc.ns + `"><D:prop><D:getetag/><X:` + tc.prop + `/></D:prop>`)
			for _, h := range hrefs {
				b.WriteString("<D:href>" + h + "</D:href>")
			}
			b.WriteString(`</X:` + tc.root + `>`)
			ms := e.Do(t, "alice", "REPORT", tc.path, b.String(), "Depth: 1").Want(t, http.StatusMultiStatus).Multistatus(t)
			got := map[string]int{}
			for _, r := range ms.Responses {
				if _, dup := got[r.Href]; dup {
					t.Errorf("%s answered twice:\n%s", r.Href, ms.Raw)
				}
				got[r.Href] = r.Status
			}
			want := map[string]int{e.Href("/calendars/bob/default/a%20b.ics"): http.StatusForbidden, e.Href("/elsewhere/x"): http.StatusNotFound}
			if len(got) != len(want) {
				t.Errorf("responses %v, want %v", got, want)
			}
			for h, st := range want {
				if got[h] != st {
					t.Errorf("%s: %d, want %d", h, got[h], st)
				}
			}
		})
	}
}
