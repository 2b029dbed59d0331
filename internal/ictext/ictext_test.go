package ictext

import (
	"strings"
	"testing"
)

// TestUnescape: values that differ only in their TEXT escapes read the
// same (UIDs among them name one recurrence set), an unknown escape and a
// trailing backslash stay as written, and a plain value allocates nothing.
func TestUnescape(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`a@b`, `a@b`},
		{``, ``},
		{`a\,b`, `a,b`},
		{`a\;b\\c`, `a;b\c`},
		{`x\ny\N`, "x\ny\n"},
		{`a\\,b`, `a\,b`},
		{`a\qb\`, `a\qb\`},
		{`\\\\`, `\\`},
		{`\`, `\`},
	} {
		if got := Unescape(tc.in); got != tc.want {
			t.Errorf("%q: got %q, want %q", tc.in, got, tc.want)
		}
	}
	if n := testing.AllocsPerRun(100, func() { _ = Unescape("040000008200E00074C5B7101A82E008@example.com") }); n != 0 {
		t.Errorf("a plain UID costs %v allocations", n)
	}
}

// replacer is the form the time engine used before the escapes had one
// home; FuzzUnescape holds the loop to it, so merging the two changed
// nothing.
var replacer = strings.NewReplacer(`\\`, `\`, `\;`, ";", `\,`, ",", `\n`, "\n", `\N`, "\n")

// escape is the inverse carddav writes (RFC 6350 3.4) for a value
// without CR.
var escape = strings.NewReplacer(`\`, `\\`, ",", `\,`, ";", `\;`, "\n", `\n`)

func FuzzUnescape(f *testing.F) {
	for _, s := range []string{`a@b`, `a\,b\;c\\d\ne\N`, `a\qb\`, `\\\`, "x\ny", ``} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := Unescape(s)
		if want := replacer.Replace(s); got != want {
			t.Fatalf("Unescape(%q) = %q, the replacer gives %q", s, got, want)
		}
		if len(got) > len(s) {
			t.Fatalf("Unescape(%q) = %q is longer than its input", s, got)
		}
		if !strings.Contains(s, "\r") {
			if back := Unescape(escape.Replace(s)); back != s {
				t.Fatalf("Unescape(escape(%q)) = %q", s, back)
			}
		}
	})
}
