package ictime

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/emersion/go-ical"
)

// The engine's own fixtures are in testdata/time; the RFC 4791 Appendix B
// objects and the client samples are caldav's, shared with its tests.
const caldavTestdata = "../../testdata"

// sample reads a fixture: "time/…" from the engine's testdata, any other
// name from caldav's.
func sample(t testing.TB, name string) []byte {
	t.Helper()
	dir := caldavTestdata
	if strings.HasPrefix(name, "time/") {
		dir = "testdata"
	}
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// decode parses one VCALENDAR with go-ical, as caldav's decoder does
// after its own checks: data that is not UTF-8 or holds NUL is refused
// first (caldav never stores it), and a go-ical panic is an error.
func decode(data []byte) (cal *ical.Calendar, err error) {
	data = bytes.TrimSpace(bytes.TrimPrefix(data, []byte("\uFEFF")))
	if !utf8.Valid(data) || bytes.IndexByte(data, 0) >= 0 || len(data) == 0 {
		return nil, fmt.Errorf("not UTF-8 text")
	}
	defer func() {
		if r := recover(); r != nil {
			cal, err = nil, fmt.Errorf("go-ical: %v", r)
		}
	}()
	return ical.NewDecoder(bytes.NewReader(data)).Decode()
}
