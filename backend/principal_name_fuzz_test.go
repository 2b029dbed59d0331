package backend_test

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pgdav/pgdav/backend"
)

// A name that ValidatePrincipalName accepts is one PostgreSQL can store
// and compare: valid UTF-8, no NUL or other control byte, at most 64
// bytes. Lookups rely on that to answer any other name "not found"
// without asking the database.
func FuzzPrincipalName(f *testing.F) {
	for _, s := range []string{"alice", "alice@example.org", "A.b_c+d-e", "\xe9lise", "al\x00ice", "\xff\xfe", "", ".x", strings.Repeat("a", 65)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if backend.ValidatePrincipalName(s) != nil {
			return
		}
		if !utf8.ValidString(s) || len(s) > 64 || strings.ContainsFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r > 0x7e }) {
			t.Fatalf("accepted %q", s)
		}
	})
}
