package davtest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files of davtest.Golden with the answers the server gives now")

// volatile are the parts of an answer that differ from run to run or from
// machine to machine, each with what the golden files hold instead: sync
// tokens carry the database's random identity, and dates the clock's.
var volatile = []struct {
	re   *regexp.Regexp
	with string
}{
	{regexp.MustCompile(`(<(?:[\w-]+:)?sync-token(?: [^>]*)?>)[^<]*(</)`), "${1}TOKEN${2}"},
	{regexp.MustCompile(`(<(?:[\w-]+:)?getlastmodified(?: [^>]*)?>)[^<]*(</)`), "${1}DATE${2}"},
	{regexp.MustCompile(`(<(?:[\w-]+:)?creationdate(?: [^>]*)?>)[^<]*(</)`), "${1}DATE${2}"},
}

var (
	responseRe = regexp.MustCompile(`(?s)<(?:[\w-]+:)?response>.*?</(?:[\w-]+:)?response>`)
	hrefRe     = regexp.MustCompile(`<(?:[\w-]+:)?href>([^<]*)</`)
)

// Normalize replaces the volatile parts of an answer, sorts its responses
// by href (a REPORT's members come in no particular order, RFC 4791 7.8
// asks for none) and puts each element on its own line, so that golden
// files are stable and diffs readable. The line breaks go only between a
// closing '>' and an opening '<', where the answer has no character data.
func Normalize(body []byte) []byte {
	for _, v := range volatile {
		body = v.re.ReplaceAll(body, []byte(v.with))
	}
	body = sortResponses(body)
	return bytes.ReplaceAll(body, []byte("><"), []byte(">\n<"))
}

// sortResponses sorts the DAV:response elements of a multistatus, which
// follow each other without anything between them, by their first href.
func sortResponses(body []byte) []byte {
	loc := responseRe.FindAllIndex(body, -1)
	if len(loc) < 2 {
		return body
	}
	blocks := make([][]byte, len(loc))
	for i, l := range loc {
		blocks[i] = body[l[0]:l[1]]
	}
	key := func(b []byte) string {
		if m := hrefRe.FindSubmatch(b); m != nil {
			return string(m[1])
		}
		return ""
	}
	slices.SortStableFunc(blocks, func(a, b []byte) int { return strings.Compare(key(a), key(b)) })
	out := slices.Clone(body[:loc[0][0]])
	for i, b := range blocks {
		if i > 0 {
			// Keep whatever separated the responses as sent.
			out = append(out, body[loc[i-1][1]:loc[i][0]]...)
		}
		out = append(out, b...)
	}
	return append(out, body[loc[len(loc)-1][1]:]...)
}

// Golden compares the normalized body of r with testdata/golden/name; with
// -update it writes the file instead. The whole answer is compared, byte
// for byte after Normalize: what pgdav sends is what clients parse.
func Golden(t *testing.T, name string, r *Resp) {
	t.Helper()
	path := filepath.Join("testdata", "golden", name)
	got := Normalize(r.Body)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run the test with -update to write it)", err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("%s: the answer differs from %s (run with -update to accept it):\n--- got\n%s\n--- want\n%s", r.Req, path, got, want)
	}
}
