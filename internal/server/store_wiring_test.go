package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pgdav/pgdav/caldav"
	"github.com/pgdav/pgdav/carddav"
	"github.com/pgdav/pgdav/internal/dav"
)

// TestStoreNamesEveryInterface: Store includes every interface a part of
// the server reads from the store, so a store that lacks a method is a
// compile error in New, not a 501 at run time.
func TestStoreNamesEveryInterface(t *testing.T) {
	t.Parallel()
	store := reflect.TypeFor[Store]()
	for _, tc := range []struct {
		name  string
		iface reflect.Type
	}{
		{"dav.Store", reflect.TypeFor[dav.Store]()},
		{"dav.SyncStore", reflect.TypeFor[dav.SyncStore]()},
		{"dav.HomeSyncStore", reflect.TypeFor[dav.HomeSyncStore]()},
		{"caldav.Store", reflect.TypeFor[caldav.Store]()},
		{"carddav.Store", reflect.TypeFor[carddav.Store]()},
		{"credentialStore", reflect.TypeFor[credentialStore]()},
		{"failureStore", reflect.TypeFor[failureStore]()},
		{"TombstonePruner", reflect.TypeFor[TombstonePruner]()},
	} {
		if !store.Implements(tc.iface) {
			t.Errorf("server.Store does not include %s", tc.name)
		}
	}
}

// TestNoStoreTypeAssertions: no code of the server, the engine or the
// plugins decides at run time, by a type assertion, what a store can do.
func TestNoStoreTypeAssertions(t *testing.T) {
	t.Parallel()
	for _, dir := range []string{".", "../dav", "../../caldav", "../../carddav", "../../cmd/pgdav"} {
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
				ta, ok := n.(*ast.TypeAssertExpr)
				if ok && ta.Type != nil && (mentionsStore(ta.X) || mentionsStore(ta.Type)) {
					t.Errorf("%s: a type assertion on a store", fset.Position(ta.Pos()))
				}
				return true
			})
		}
	}
}

// mentionsStore reports whether an expression names a store: an
// identifier or selector whose name contains "store" in any case.
func mentionsStore(x ast.Expr) bool {
	found := false
	ast.Inspect(x, func(n ast.Node) bool {
		if id, ok := n.(*ast.Ident); ok && strings.Contains(strings.ToLower(id.Name), "store") {
			found = true
		}
		return !found
	})
	return found
}
