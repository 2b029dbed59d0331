package integration

import (
	"os/exec"
	"slices"
	"strings"
	"testing"
)

// TestLayering enforces the import rules of docs/architecture.md ("Packages
// and what each may import"): imports point one way, cmd/pgdav →
// internal/server → caldav/carddav → internal/dav → backend; backend knows
// SQL and nothing of HTTP, XML, iCalendar or vCard; caldav/carddav know the
// RFCs and nothing of SQL.
func TestLayering(t *testing.T) {
	t.Parallel()
	const mod = "github.com/pgdav/pgdav/"
	out, err := exec.Command("go", "list", "-f", `{{.ImportPath}}:{{join .Imports " "}}`, "../...").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	imports := map[string][]string{}
	for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pkg, deps, _ := strings.Cut(line, ":")
		imports[strings.TrimPrefix(pkg, mod)] = strings.Fields(deps)
	}
	const (
		pgx   = "github.com/jackc/pgx"
		ical  = "github.com/emersion/go-ical"
		vcard = "github.com/emersion/go-vcard"
	)
	forbidden := map[string][]string{
		"backend":             {"net/http", "encoding/xml", ical, vcard, mod + "internal/", mod + "caldav", mod + "carddav", mod + "cmd/"},
		"backend/backendtest": {mod + "internal/", mod + "caldav", mod + "carddav"},
		"internal/dav":        {pgx, ical, vcard, mod + "caldav", mod + "carddav", mod + "internal/server", mod + "cmd/"},
		"caldav":              {pgx, mod + "carddav", mod + "internal/server", mod + "cmd/"},
		"carddav":             {pgx, mod + "caldav", mod + "internal/server", mod + "cmd/"},
		"internal/server":     {pgx, mod + "cmd/"},
		"internal/davtest":    {mod + "cmd/"},
	}
	// Leaf packages with an allow-list instead: the standard library and
	// the modules listed. The time engine knows iCalendar and nothing of
	// dav, backend or caldav, which call it; the TEXT escapes it shares
	// with both protocols live in a leaf below all three.
	onlyStdlib := map[string][]string{
		"backend/pgcluster":                 nil,
		"migrations":                        nil,
		"caldav/internal/ictime":            {ical, mod + "internal/ictext"},
		"internal/ictext":                   nil,
		"caldav/internal/ictime/ictimetest": nil,
	}
	if len(imports) < 6 {
		t.Fatalf("go list found only %d packages: %v", len(imports), imports)
	}
	for pkg, deps := range imports {
		for _, d := range deps {
			// davtest starts a whole server: tests import it (go list's
			// .Imports leaves test files out), code never does.
			if d == mod+"internal/davtest" {
				t.Errorf("%s imports %s: only tests may", pkg, d)
			}
			for _, bad := range forbidden[pkg] {
				if strings.HasPrefix(d, bad) {
					t.Errorf("%s imports %s: forbidden by the layering rules", pkg, d)
				}
			}
			if allowed, leaf := onlyStdlib[pkg]; leaf && strings.Contains(strings.Split(d, "/")[0], ".") &&
				!slices.ContainsFunc(allowed, func(a string) bool { return strings.HasPrefix(d, a) }) {
				t.Errorf("%s imports %s: it may use only the standard library%s", pkg, d, strings.Join(append([]string{""}, allowed...), " and "))
			}
		}
	}
}
