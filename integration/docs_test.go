package integration

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// outsideRefs are the names of notes that live outside the repository: a
// comment or document that cites one points a reader at nothing. What the
// code relies on from them is in docs/clients.md and docs/architecture.md.
var outsideRefs = []*regexp.Regexp{
	regexp.MustCompile(`\bshared/`),
	regexp.MustCompile(`\bresearch/`),
	regexp.MustCompile(`\bSTYLE(\.md)?\b`),
	regexp.MustCompile(`\bDEVELOPERS\.md\b`),
	regexp.MustCompile(`anchors\.md`),
}

// clientsMD finds the name of docs/clients.md, which must come with its
// directory: a bare clients.md or ../clients.md is the research note.
var clientsMD = regexp.MustCompile(`clients\.md`)

// docCite is a citation of a section of one of our documents:
// docs/clients.md "Heading", docs/architecture.md ("Heading") or
// (docs/clients.md, "Heading"), after comment markers and line breaks
// are folded into spaces.
var docCite = regexp.MustCompile(`docs/([a-z]+\.md),? \(?"([^"]+)"`)

// commentBreak folds a wrapped comment into one line.
var commentBreak = regexp.MustCompile(`\n[ \t]*(//|#)?[ \t]*`)

// TestDocsPointInside keeps the rule of docs/architecture.md that no comment
// or document points to a file outside the repository: no .go or .md file
// names clients.md but as docs/clients.md, nor shared/, research/, STYLE,
// DEVELOPERS.md or the perf anchors. It also checks that every docs/X.md "Heading" citation
// names a file in docs/ and a heading it has, so the headings stay stable.
func TestDocsPointInside(t *testing.T) {
	t.Parallel()
	headings := map[string]map[string]bool{}
	heading := func(doc string) map[string]bool {
		t.Helper()
		if h, ok := headings[doc]; ok {
			return h
		}
		b, err := os.ReadFile(filepath.Join("..", "docs", doc))
		if err != nil {
			headings[doc] = nil
			return nil
		}
		h := map[string]bool{}
		for _, line := range strings.Split(string(b), "\n") {
			if title, ok := strings.CutPrefix(strings.TrimLeft(line, "#"), " "); ok && strings.HasPrefix(line, "#") {
				h[strings.TrimSpace(title)] = true
			}
		}
		headings[doc] = h
		return h
	}
	files, cites := 0, 0
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel := filepath.ToSlash(strings.TrimPrefix(path, ".."+string(filepath.Separator)))
		if d.IsDir() {
			if d.Name() == ".git" || d.Name() == "node_modules" {
				return filepath.SkipDir
			}
			return nil
		}
		// This file names the patterns it looks for.
		if ext := filepath.Ext(path); (ext != ".go" && ext != ".md") || rel == "integration/docs_test.go" {
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		text := string(b)
		for i, line := range strings.Split(text, "\n") {
			for _, m := range clientsMD.FindAllStringIndex(line, -1) {
				if !strings.HasSuffix(line[:m[0]], "docs/") {
					t.Errorf("%s:%d names a clients.md other than docs/clients.md: %s", rel, i+1, strings.TrimSpace(line))
				}
			}
			for _, re := range outsideRefs {
				if re.MatchString(line) {
					t.Errorf("%s:%d points outside the repository (%s): %s", rel, i+1, re, strings.TrimSpace(line))
				}
			}
		}
		for _, m := range docCite.FindAllStringSubmatch(commentBreak.ReplaceAllString(text, " "), -1) {
			cites++
			h := heading(m[1])
			switch {
			case h == nil:
				t.Errorf("%s cites docs/%s, which does not exist", rel, m[1])
			case !h[m[2]]:
				t.Errorf("%s cites docs/%s %q, which has no such heading", rel, m[1], m[2])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// The walk really read the tree and the citations: a wrong root or a
	// regexp that matches nothing would pass silently otherwise.
	if files < 100 || cites < 20 {
		t.Fatalf("read %d files with %d citations of docs/ sections; want the whole tree", files, cites)
	}
}
