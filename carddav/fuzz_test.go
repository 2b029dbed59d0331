package carddav

import (
	"bytes"
	"io/fs"
	"path/filepath"
	"testing"
)

// FuzzValidateCard feeds ValidateCard arbitrary bodies
// (docs/architecture.md "Fuzzing the trust boundary"): it must never panic
// nor change its input, and whatever it accepts has a UID, version 3.0 or
// 4.0, and a kind.
func FuzzValidateCard(f *testing.F) {
	_ = filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.IsDir() && d.Name() == "golden" {
			return filepath.SkipDir // whole answers (davtest.Golden), not cards
		}
		if err == nil && !d.IsDir() {
			b := sample(f, filepath.Base(path))
			f.Add(crlf(b), "text/vcard")
			f.Add(b, "")
		}
		return nil
	})
	f.Add(card3("FN:A", "UID:x", `X-A;X-B="a\"b":c`), "text/directory")
	f.Add(vcf("BEGIN:VCARD", "VERSION:2.1", "NOTE;ENCODING=QUOTED-PRINTABLE:a=", "b", "END:VCARD"), "text/x-vcard; charset=utf-8")
	f.Add([]byte("\uFEFFbegin:vcard\nversion:4.0\nfn:x\nuid:a\n\tb\nend:vcard"), "application/octet-stream")
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		orig := bytes.Clone(data)
		info, err := ValidateCard(data, contentType)
		if !bytes.Equal(data, orig) {
			t.Fatal("ValidateCard changed its input")
		}
		if err != nil {
			return
		}
		if info.UID == "" || (info.Version != "3.0" && info.Version != "4.0") || info.Kind == "" {
			t.Fatalf("accepted %+v", info)
		}
	})
}
