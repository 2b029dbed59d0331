package dav

import (
	"bufio"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestEscapeText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"plain text", "plain text"},
		{"a&b<c>d\"e'f", "a&amp;b&lt;c&gt;d&quot;e'f"},
		{"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n", "BEGIN:VCALENDAR&#13;\nEND:VCALENDAR&#13;\n"},
		{"tab\tand\nnewline", "tab\tand\nnewline"},
		{"nul\x00bell\x07esc\x1b", "nul\uFFFDbell\uFFFDesc\uFFFD"},
		{"del\x7f", "del\x7f"}, // U+007F is an XML 1.0 character
		{"grüße 日本 🎉", "grüße 日本 🎉"},
		{"bad\xffutf8\xc3", "bad\uFFFDutf8\uFFFD"},
		{"\uFFFE\uFFFF\uFFFD", "\uFFFD\uFFFD\uFFFD"},
		{"/calendars/a&b/x.ics", "/calendars/a&amp;b/x.ics"},
	} {
		if got := EscapeText(tc.in); got != tc.want {
			t.Errorf("EscapeText(%q) = %q, want %q", tc.in, got, tc.want)
		}
		var b strings.Builder
		if err := WriteEscaped(&b, tc.in); err != nil || b.String() != tc.want {
			t.Errorf("WriteEscaped(%q) = %q, %v; want %q", tc.in, b.String(), err, tc.want)
		}
	}
}

func TestEscapeAttr(t *testing.T) {
	if got, want := escapeAttr("a\tb\nc\rd\"e"), "a&#9;b&#10;c&#13;d&quot;e"; got != want {
		t.Errorf("escapeAttr = %q, want %q", got, want)
	}
}

func TestEscapeTextNoAlloc(t *testing.T) {
	clean := strings.Repeat("/calendars/alice/work/0A1B2C3D.ics ", 20)
	if n := testing.AllocsPerRun(100, func() { _ = EscapeText(clean) }); n != 0 {
		t.Errorf("EscapeText of clean text: %v allocations, want 0", n)
	}
	dirty := strings.Repeat("SUMMARY:a & b\r\n", 20)
	bw := bufio.NewWriter(io.Discard)
	if n := testing.AllocsPerRun(100, func() { _ = WriteEscaped(bw, dirty) }); n != 0 {
		t.Errorf("WriteEscaped: %v allocations, want 0", n)
	}
}

// xmlClean is an independent statement of what XML 1.0 §2.2 allows, with
// everything else replaced as EscapeText does.
func xmlClean(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return r
		case r < 0x20, r == 0xFFFE, r == 0xFFFF:
			return utf8.RuneError
		}
		return r
	}, s) // strings.Map turns each invalid UTF-8 byte into U+FFFD
}

func FuzzEscapeText(f *testing.F) {
	for _, s := range []string{"", "a&b", "x\r\ny", "\x00", "\xff\xfe", "\uFFFE", "]]>", "<![CDATA[", "&#13;"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		esc := EscapeText(s)
		want := xmlClean(s)
		var text struct {
			Text string `xml:",chardata"`
			Attr string `xml:"b,attr"`
		}
		doc := "<a b=\"" + escapeAttr(s) + "\">" + esc + "</a>"
		if err := xml.Unmarshal([]byte(doc), &text); err != nil {
			t.Fatalf("%q does not parse: %v", doc, err)
		}
		if text.Text != want {
			t.Errorf("text round trip of %q: got %q, want %q", s, text.Text, want)
		}
		if text.Attr != want {
			t.Errorf("attribute round trip of %q: got %q, want %q", s, text.Attr, want)
		}
		if want == s && !strings.ContainsAny(s, "&<>\"\r") && esc != s {
			t.Errorf("clean %q was changed to %q", s, esc)
		}
	})
}
