package dav

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestEncodePath(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/", "/"},
		{"/calendars/alice/work/", "/calendars/alice/work/"},
		{"/calendars/alice/work/davx5-test@pgdav.test.ics", "/calendars/alice/work/davx5-test@pgdav.test.ics"},
		{"/calendars/alice/work/conf+2025.vdirsyncer-test.ics", "/calendars/alice/work/conf+2025.vdirsyncer-test.ics"},
		{"/calendars/alice/work/a1b2c3d4-0000-4000-8000-00000000000a_pgdav.test.ics", "/calendars/alice/work/a1b2c3d4-0000-4000-8000-00000000000a_pgdav.test.ics"},
		{"/c/a:b;c=d&e,f$g!h'i(j)k*l~m", "/c/a:b;c=d&e,f$g!h'i(j)k*l~m"},
		{"/c/with space.ics", "/c/with%20space.ics"},
		{"/c/100%.ics", "/c/100%25.ics"},
		{"/c/%41", "/c/%2541"},
		{"/c/grüße.ics", "/c/gr%C3%BC%C3%9Fe.ics"},
		{"/c/what?#x", "/c/what%3F%23x"},
		{`/c/"<>\^` + "`{|}", "/c/%22%3C%3E%5C%5E%60%7B%7C%7D"},
		{"/c/tab\t", "/c/tab%09"},
	} {
		if got := EncodePath(tc.in); got != tc.want {
			t.Errorf("EncodePath(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestDecodeHref(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		slash    bool
	}{
		{"/", "/", true},
		{"/calendars/alice/work/", "/calendars/alice/work/", true},
		{"/calendars/alice/work", "/calendars/alice/work", false},
		{"/calendars/alice/work/davx5-test%40pgdav.test.ics", "/calendars/alice/work/davx5-test@pgdav.test.ics", false},
		{"/calendars/alice/work/davx5-test@pgdav.test.ics", "/calendars/alice/work/davx5-test@pgdav.test.ics", false},
		{"/c/conf%2B2025.vdirsyncer-test.ics", "/c/conf+2025.vdirsyncer-test.ics", false},
		{"/c/conf+2025.vdirsyncer-test.ics", "/c/conf+2025.vdirsyncer-test.ics", false},
		{"/c/20250301T110000Z-4242-1000-1000-0%40pgdav.test.ics", "/c/20250301T110000Z-4242-1000-1000-0@pgdav.test.ics", false},
		{"/c/a%3Ab.ics", "/c/a:b.ics", false},
		{"/c/a1b2c3d4-0000-4000-8000-00000000000a_pgdav.test.ics", "/c/a1b2c3d4-0000-4000-8000-00000000000a_pgdav.test.ics", false},
		{"/c/with%20space.ics", "/c/with space.ics", false},
		{"/c/with space.ics", "/c/with space.ics", false},
		{"/c/gr%C3%BC%C3%9Fe.ics", "/c/grüße.ics", false},
		{"/c/gr%c3%bc%c3%9fe.ics", "/c/grüße.ics", false},
		{"/c/grüße.ics", "/c/grüße.ics", false},
		{"/c/100%.ics", "/c/100%.ics", false},
		{"/c/100%2", "/c/100%2", false},
		{"/c/%zz", "/c/%zz", false},
		{"/c/%2541", "/c/%41", false},
		{"//calendars///alice//work//", "/calendars/alice/work/", true},
		{"/c/a%2Fb", "/c/a/b", false},
		{"/c/x.ics?query=1#frag", "/c/x.ics", false},
		{"/c/?x", "/c/", true},
		{"https://dav.example.com:8443/calendars/alice/work/x.ics", "/calendars/alice/work/x.ics", false},
		{"http://user@[::1]:5232/calendars/alice/?x=/y", "/calendars/alice/", true},
		{"HTTPS://dav.example.com", "/", true},
		{"https://dav.example.com?x", "/", true},
		{"  \n/c/x.ics\n ", "/c/x.ics", false},
		{"/c/...ics", "/c/...ics", false},
		{"/c/.hidden", "/c/.hidden", false},
		{"/c/a:b", "/c/a:b", false},
	} {
		got, slash, err := DecodeHref(tc.in)
		if err != nil || got != tc.want || slash != tc.slash {
			t.Errorf("DecodeHref(%q) = %q, %v, %v; want %q, %v", tc.in, got, slash, err, tc.want, tc.slash)
		}
	}
}

func TestDecodeHrefErrors(t *testing.T) {
	for _, in := range []string{
		"", "relative/x.ics", "x.ics", "mailto:alice@example.com", "urn:uuid:1234",
		"/c/../etc/passwd", "/c/./x", "/c/..", "/c/%2E%2E/x", "/c/.%2e/x", "/c/%2e",
		"/c/nul%00", "/c/nul\x00", "/c/ctl%01", "/c/del%7F", "/c/c1%C2%85", "/c/tab\tx",
		"/c/bad%FF", "/c/bad\xff", "/c/%EF%BF%BE", "https://host/c/../x",
	} {
		_, _, err := DecodeHref(in)
		if err == nil {
			t.Errorf("DecodeHref(%q) succeeded", in)
			continue
		}
		wantStatus(t, err, http.StatusBadRequest)
	}
}

func TestSplitPath(t *testing.T) {
	for in, want := range map[string][]string{
		"/":                       nil,
		"":                        nil,
		"/calendars/alice/work/":  {"calendars", "alice", "work"},
		"/calendars/alice/x.ics":  {"calendars", "alice", "x.ics"},
		"//a//b/":                 {"a", "b"},
		"/c/with space/grüße.ics": {"c", "with space", "grüße.ics"},
	} {
		if got := SplitPath(in); !slices.Equal(got, want) {
			t.Errorf("SplitPath(%q) = %q, want %q", in, got, want)
		}
	}
}

// cleanPath reports whether p is a path DecodeHref can return: absolute,
// no empty, "." or ".." segments, valid UTF-8 without control characters
// or U+FFFE/U+FFFF.
func cleanPath(p string) bool {
	if !strings.HasPrefix(p, "/") || strings.Contains(p, "//") || !utf8.ValidString(p) {
		return false
	}
	for _, r := range p {
		if unicode.IsControl(r) || r == 0xFFFE || r == 0xFFFF {
			return false
		}
	}
	for _, seg := range strings.Split(p, "/") {
		if seg == "." || seg == ".." {
			return false
		}
	}
	return true
}

func FuzzHref(f *testing.F) {
	for _, s := range []string{
		"/", "/calendars/alice/work/", "/c/davx5-test@pgdav.test.ics", "/c/conf+2025.vdirsyncer-test",
		"/c/with space", "/c/grüße", "/c/100%", "/c/%41", "/c/?#", "https://h:1/x", "/c/../x", "\x00", "//a//",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		// Any decoded path without forbidden segments survives the
		// canonical encoding.
		if cleanPath(s) {
			enc := EncodePath(s)
			got, slash, err := DecodeHref(enc)
			if err != nil || got != s || slash != strings.HasSuffix(s, "/") {
				t.Fatalf("DecodeHref(EncodePath(%q)) = %q, %v, %v", s, got, slash, err)
			}
			for i := 0; i < len(enc); i++ {
				if c := enc[i]; c >= 0x80 || c <= ' ' || strings.IndexByte(`"<>\^`+"`{|}?#", c) >= 0 {
					t.Fatalf("EncodePath(%q) = %q leaves %q unencoded", s, enc, c)
				}
			}
		}
		// Whatever a client sends, an accepted href decodes to a clean
		// path whose canonical form decodes back to it.
		p, slash, err := DecodeHref(s)
		if err != nil {
			return
		}
		if !cleanPath(p) || slash != strings.HasSuffix(p, "/") {
			t.Fatalf("DecodeHref(%q) = %q, %v: not clean", s, p, slash)
		}
		again, _, err := DecodeHref(EncodePath(p))
		if err != nil || again != p {
			t.Fatalf("DecodeHref(EncodePath(%q)) = %q, %v", p, again, err)
		}
	})
}
