package dav

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// fixtureBody returns the request body of a client fixture in
// testdata/fixtures: everything after the first empty line, with the
// "# body-prefix:" bytes the real client sends in front of it.
func fixtureBody(t testing.TB, name string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", "fixtures", name))
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	_, body, ok := strings.Cut(s, "\n\n")
	if !ok {
		t.Fatalf("%s: no body", name)
	}
	for line := range strings.Lines(s) {
		if v, ok := strings.CutPrefix(line, "# body-prefix:"); ok {
			var prefix string
			if err := json.Unmarshal([]byte(strings.TrimSpace(v)), &prefix); err != nil {
				t.Fatalf("%s: body-prefix: %v", name, err)
			}
			body = prefix + body
		}
	}
	return body
}
