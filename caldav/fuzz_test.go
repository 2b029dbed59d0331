package caldav

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path/filepath"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

// FuzzValidateObject feeds ValidateObject arbitrary bodies
// (docs/architecture.md "Fuzzing the trust boundary"): it must never panic
// nor change its input, whatever it accepts has a UID and a component type
// from the allowed set, and the query engine evaluates it without error
// (evaluate: what PUT stores, every query can answer). It also checks the
// claim of scanCalendar: what it passes, go-ical decodes without error or
// panic.
func FuzzValidateObject(f *testing.F) {
	_ = filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b := sample(f, path[len("testdata/"):])
			f.Add(crlf(b), "text/calendar")
			f.Add(b, "")
		}
		return nil
	})
	f.Add(event("UID:x", `ATTENDEE;CN="A"B:mailto:a@example.com`), "text/calendar; charset=utf-8")
	f.Add(event("UID:x", "DTSTART;TZID=Europe/Berlin"), "application/octet-stream")
	f.Add([]byte("\uFEFFBEGIN:VCALENDAR\nVERSION:2.0\nBEGIN:VTODO\nUID:a\n\tb\nEND:VTODO\nEND:VCALENDAR"), "text/plain")
	for _, tc := range unevaluable {
		f.Add(tc.data, "text/calendar")
	}
	for _, tc := range accepted {
		f.Add(tc.data, "")
	}
	f.Fuzz(func(t *testing.T, data []byte, contentType string) {
		scanAgreesWithGoICal(t, data)
		orig := bytes.Clone(data)
		for _, allowed := range [][]string{DefaultComponents(), Components()} {
			info, err := ValidateObject(data, contentType, allowed)
			if !bytes.Equal(data, orig) {
				t.Fatal("ValidateObject changed its input")
			}
			if err != nil {
				continue
			}
			if info.UID == "" || !slices.Contains(allowed, info.Component) {
				t.Fatalf("accepted %+v for allowed %v", info, allowed)
			}
			if err := evaluate(data); err != nil {
				t.Fatalf("accepted, but the query engine fails: %v", err)
			}
		}
	})
}

// scanAgreesWithGoICal fails if scanCalendar passes data that go-ical
// then rejects or panics on.
func scanAgreesWithGoICal(t *testing.T, data []byte) {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, utf8BOM))
	if len(data) == 0 || !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 || scanCalendar(data, 1) != nil {
		return
	}
	defer func() {
		if r := recover(); r != nil {
			t.Fatalf("go-ical panicked on scanned data: %v", r)
		}
	}()
	dec := ical.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Decode(); err != nil {
		t.Fatalf("go-ical rejected scanned data: %v", err)
	}
	if _, err := dec.Decode(); !errors.Is(err, io.EOF) {
		t.Fatalf("go-ical found more after the scanned VCALENDAR: %v", err)
	}
}
