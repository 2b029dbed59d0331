package backend_test

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
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

// Looking up a name no user can have is "not found", not a database
// error about its encoding.
func TestLookupOfImpossibleNames(t *testing.T) {
	t.Parallel()
	s := backendtest.New(t)
	for _, name := range []string{"\xe9lise", "al\x00ice", "\xff\xfe", "a\x01b", strings.Repeat("a", 300), ""} {
		if _, err := s.GetPrincipal(t.Context(), name); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("GetPrincipal(%q): %v, want ErrNotFound", name, err)
		}
		if _, err := s.GetPrincipalCredentials(t.Context(), name, &backend.CollectionKey{Kind: backend.KindCalendar, Slug: "default"}); !errors.Is(err, backend.ErrNotFound) {
			t.Errorf("GetPrincipalCredentials(%q): %v, want ErrNotFound", name, err)
		}
	}
}
