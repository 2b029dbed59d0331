package backend

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

func TestSQLArgs(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		start sqlArgs
		add   []any
		want  []string
	}{
		{"from nothing", nil, []any{1, "a"}, []string{"$1", "$2"}},
		{"after a fixed $1", sqlArgs{int64(7)}, []any{"x", nil, true}, []string{"$2", "$3", "$4"}},
	} {
		args := tc.start
		var got []string
		for _, v := range tc.add {
			got = append(got, args.add(v))
		}
		if !slices.Equal(got, tc.want) || len(args) != len(tc.start)+len(tc.add) {
			t.Errorf("%s: placeholders %v for %d arguments, want %v", tc.name, got, len(args), tc.want)
		}
	}
}

// placeholderArithmetic finds a placeholder whose number a format verb
// supplies ("$%d", "$%[3]d"): statements are built with sqlArgs instead.
var placeholderArithmetic = regexp.MustCompile(`\$%(\[\d+\])?d`)

// TestNoPlaceholderArithmetic: no statement of the store numbers its
// placeholders with format verbs.
func TestNoPlaceholderArithmetic(t *testing.T) {
	t.Parallel()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING && placeholderArithmetic.MatchString(lit.Value) {
				t.Errorf("%s: a placeholder numbered by a format verb", fset.Position(lit.Pos()))
			}
			return true
		})
	}
}
