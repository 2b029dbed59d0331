package dav

import (
	"bytes"
	"testing"
)

func TestControlAt(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in   string
		at   int
		line int
		name string
	}{
		{"A:b\r\nC:d\r\n", -1, 0, ""},
		{"A:b\nC:d\n\tfolded\r", -1, 0, ""},
		{"A:b\tc\r\n", -1, 0, ""},
		{"A:b\x01\r\n", 3, 1, "A"},
		{"A:b\r\nSUMMARY;X=1:b\x1bc\r\n", 18, 2, "SUMMARY"},
		{"A:b\r\nDESCRIPTION:one\r\n two\x07\r\n", 26, 3, "DESCRIPTION"},
		{"A:b\r\nNOTE:x\r\n\ty\r\n z\x7f", 19, 4, "NOTE"},
		{"A:one\rtwo\r\n", 5, 1, "A"},
		{"A:b\r\r\n", 3, 1, "A"},
		{"X\x0b:b", 1, 1, "X"},
		{"\x00", 0, 1, ""},
	} {
		at := ControlAt([]byte(tc.in))
		if at != tc.at {
			t.Errorf("ControlAt(%q) = %d, want %d", tc.in, at, tc.at)
			continue
		}
		if at < 0 {
			continue
		}
		if line, name := ContentLineAt([]byte(tc.in), at); line != tc.line || name != tc.name {
			t.Errorf("ContentLineAt(%q, %d) = %d, %q; want %d, %q", tc.in, at, line, name, tc.line, tc.name)
		}
	}
}

// FuzzControlAt: ControlAt finds exactly the bytes the grammar forbids,
// and ContentLineAt answers for any offset without panicking.
func FuzzControlAt(f *testing.F) {
	f.Add([]byte("A:b\r\n c\x01\r\n"), 5)
	f.Add([]byte("\r"), 0)
	f.Add([]byte("\n \n\t\x7f"), -3)
	f.Fuzz(func(t *testing.T, data []byte, i int) {
		at := ControlAt(data)
		for j, c := range data {
			bad := c < 0x20 && c != '\t' && c != '\n' && !(c == '\r' && (j+1 == len(data) || data[j+1] == '\n')) || c == 0x7f
			if bad && (at < 0 || j < at) || j == at && !bad {
				t.Fatalf("ControlAt = %d; byte %d (%#x) bad=%v", at, j, c, bad)
			}
		}
		line, _ := ContentLineAt(data, i)
		if line < 1 || line > 1+bytes.Count(data, []byte{'\n'}) {
			t.Fatalf("line %d", line)
		}
	})
}
