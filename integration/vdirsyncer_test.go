package integration

import (
	"crypto/sha256"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// needProgram fails (not skips) when a client program the tests drive is
// missing: CI installs it (.ci/run).
func needProgram(t *testing.T, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is not installed: run `bash .ci/run` (as root it installs the Debian packages the tests need: vdirsyncer python3-caldav litmus)", name)
	}
	return p
}

var uidRe = regexp.MustCompile(`(?m)^UID:(.*?)\r?$`)

// normItem is an item's content for comparison: LF line ends, no
// trailing blank lines.
func normItem(s string) string {
	return strings.TrimRight(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
}

func itemHash(s string) string {
	return fmt.Sprintf("%x", sha256.Sum256([]byte(normItem(s))))
}

// TestVdirsyncer syncs a local folder of 200 events and one of 200
// contacts with pgdav using the real vdirsyncer, three rounds of
// creations, modifications and deletions on both sides, and checks after
// every round that both sides hold the same items (UIDs and content
// hashes): nothing lost, nothing duplicated.
func TestVdirsyncer(t *testing.T) {
	t.Parallel()
	bin := needProgram(t, "vdirsyncer")
	data := newDataDir(t)
	mustCLI(t, data, "vds-pw\n", "user", "add", "vds", "--email", "vds@example.org", "--password-stdin")
	s := startServer(t, data)
	c := &trapClient{t: t, s: s, client: &http.Client{Timeout: 60 * time.Second}}
	c.user, c.pass = "vds", "vds-pw"

	dir := t.TempDir()
	calDir, cardDir := filepath.Join(dir, "cal"), filepath.Join(dir, "cards")
	for _, d := range []string{calDir, cardDir, filepath.Join(dir, "status")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cfg := fmt.Sprintf(`[general]
status_path = "%[1]s/status/"

[pair cal]
a = "cal_local"
b = "cal_remote"
collections = null
conflict_resolution = "a wins"

[storage cal_local]
type = "filesystem"
path = "%[2]s"
fileext = ".ics"

[storage cal_remote]
type = "caldav"
url = "%[4]s/calendars/vds/default/"
username = "vds"
password = "vds-pw"

[pair card]
a = "card_local"
b = "card_remote"
collections = null
conflict_resolution = "a wins"

[storage card_local]
type = "filesystem"
path = "%[3]s"
fileext = ".vcf"

[storage card_remote]
type = "carddav"
url = "%[4]s/addressbooks/vds/default/"
username = "vds"
password = "vds-pw"
`, dir, calDir, cardDir, s.URL)
	cfgPath := filepath.Join(dir, "config")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	run := func(args ...string) {
		t.Helper()
		cmd := exec.Command(bin, append([]string{"-c", cfgPath}, args...)...)
		cmd.Stdin = strings.NewReader(strings.Repeat("y\n", 10))
		cmd.Env = append(os.Environ(), "LC_ALL=C.UTF-8", "LANG=C.UTF-8")
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("vdirsyncer %v: %v\n%s", args, err, out)
		}
		if strings.Contains(string(out), "error:") {
			t.Fatalf("vdirsyncer %v reported errors:\n%s", args, out)
		}
	}
	event := func(uid, summary string) string {
		return "BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//pgdav//vdirsyncer test//EN\nBEGIN:VEVENT\nUID:" + uid +
			"\nDTSTAMP:20250101T000000Z\nDTSTART:20250301T100000Z\nDURATION:PT1H\nSUMMARY:" + summary + "\nEND:VEVENT\nEND:VCALENDAR\n"
	}
	card := func(uid, name string) string {
		return "BEGIN:VCARD\nVERSION:3.0\nUID:" + uid + "\nFN:" + name + "\nN:" + name + ";;;;\nEND:VCARD\n"
	}
	type kind struct {
		local, remote, ext, ctype string
		make                      func(uid, text string) string
	}
	kinds := []kind{
		{calDir, "/calendars/vds/default/", ".ics", "text/calendar", event},
		{cardDir, "/addressbooks/vds/default/", ".vcf", "text/vcard", card},
	}
	// want: per kind, UID → content hash both sides must hold.
	want := []map[string]string{{}, {}}
	for ki, k := range kinds {
		for i := range 200 {
			uid := fmt.Sprintf("vds-%s-%03d", strings.TrimPrefix(k.ext, "."), i)
			body := k.make(uid, "item "+uid)
			if err := os.WriteFile(filepath.Join(k.local, uid+k.ext), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
			want[ki][uid] = itemHash(body)
		}
	}
	run("discover")
	run("sync")
	compare := func(round int) {
		t.Helper()
		for ki, k := range kinds {
			local := map[string]string{}
			files, _ := filepath.Glob(filepath.Join(k.local, "*"+k.ext))
			for _, f := range files {
				b, err := os.ReadFile(f)
				if err != nil {
					t.Fatal(err)
				}
				m := uidRe.FindStringSubmatch(string(b))
				if m == nil {
					t.Fatalf("%s: no UID", f)
				}
				if _, dup := local[m[1]]; dup {
					t.Errorf("round %d: UID %s twice in the local folder", round, m[1])
				}
				local[m[1]] = itemHash(string(b))
			}
			remote := c.fetchAll(k.remote)
			for _, side := range []struct {
				name string
				m    map[string]string
			}{{"local", local}, {"pgdav", remote}} {
				if len(side.m) != len(want[ki]) {
					t.Errorf("round %d %s: %s holds %d items, want %d", round, k.ext, side.name, len(side.m), len(want[ki]))
				}
				for uid, h := range want[ki] {
					if side.m[uid] != h {
						t.Errorf("round %d %s: %s: item %s missing or with other content", round, k.ext, side.name, uid)
					}
				}
			}
		}
	}
	compare(0)
	for round := 1; round <= 3; round++ {
		for ki, k := range kinds {
			base := (round - 1) * 40
			ext := strings.TrimPrefix(k.ext, ".")
			index := c.uidIndex(k.remote)
			for i := range 10 {
				// Local side: modify, delete, create.
				uid := fmt.Sprintf("vds-%s-%03d", ext, base+i)
				body := k.make(uid, fmt.Sprintf("local edit %d", round))
				if err := os.WriteFile(filepath.Join(k.local, uid+k.ext), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				want[ki][uid] = itemHash(body)
				uid = fmt.Sprintf("vds-%s-%03d", ext, base+10+i)
				if err := os.Remove(filepath.Join(k.local, uid+k.ext)); err != nil {
					t.Fatal(err)
				}
				delete(want[ki], uid)
				uid = fmt.Sprintf("vds-%s-local-%d-%d", ext, round, i)
				body = k.make(uid, "new local")
				if err := os.WriteFile(filepath.Join(k.local, uid+k.ext), []byte(body), 0o644); err != nil {
					t.Fatal(err)
				}
				want[ki][uid] = itemHash(body)
				// pgdav side: modify, delete, create (as another client would).
				uid = fmt.Sprintf("vds-%s-%03d", ext, base+20+i)
				body = k.make(uid, fmt.Sprintf("server edit %d", round))
				href := index[uid]
				if resp, rb := c.do("PUT", href, true, map[string]string{"Content-Type": k.ctype}, strings.ReplaceAll(body, "\n", "\r\n")); resp.StatusCode/100 != 2 {
					t.Fatalf("PUT %s: %s %s", href, resp.Status, rb)
				}
				want[ki][uid] = itemHash(body)
				uid = fmt.Sprintf("vds-%s-%03d", ext, base+30+i)
				href = index[uid]
				if resp, _ := c.do("DELETE", href, true, nil, ""); resp.StatusCode/100 != 2 {
					t.Fatalf("DELETE %s: %s", href, resp.Status)
				}
				delete(want[ki], uid)
				uid = fmt.Sprintf("vds-%s-server-%d-%d", ext, round, i)
				body = k.make(uid, "new on server")
				if resp, rb := c.do("PUT", k.remote+uid+k.ext, true, map[string]string{"Content-Type": k.ctype, "If-None-Match": "*"}, strings.ReplaceAll(body, "\n", "\r\n")); resp.StatusCode != 201 {
					t.Fatalf("PUT new: %s %s", resp.Status, rb)
				}
				want[ki][uid] = itemHash(body)
			}
		}
		run("sync")
		compare(round)
	}
}

// fetchAll returns UID → content hash of every object in a collection.
func (c *trapClient) fetchAll(coll string) map[string]string {
	c.t.Helper()
	out := map[string]string{}
	for _, href := range c.members(coll) {
		resp, body := c.do("GET", href, true, nil, "")
		if resp.StatusCode != 200 {
			c.t.Fatalf("GET %s: %s", href, resp.Status)
		}
		m := uidRe.FindStringSubmatch(body)
		if m == nil {
			c.t.Fatalf("%s: no UID", href)
		}
		if _, dup := out[m[1]]; dup {
			c.t.Errorf("UID %s twice in %s", m[1], coll)
		}
		out[m[1]] = itemHash(body)
	}
	return out
}

// members lists the member hrefs of a collection.
func (c *trapClient) members(coll string) []string {
	c.t.Helper()
	resp, body := c.do("PROPFIND", coll, true, map[string]string{"Depth": "1"}, `<propfind xmlns="DAV:"><prop><getetag/></prop></propfind>`)
	if resp.StatusCode != 207 {
		c.t.Fatalf("PROPFIND %s: %s", coll, resp.Status)
	}
	doc, err := parseXML([]byte(body))
	if err != nil {
		c.t.Fatal(err)
	}
	var hrefs []string
	for _, r := range doc.children("DAV:", "response") {
		if h := r.child("DAV:", "href").text(); !strings.HasSuffix(h, "/") {
			hrefs = append(hrefs, hrefPath(h))
		}
	}
	return hrefs
}

// uidIndex maps each UID in a collection to its href (vdirsyncer names
// uploads itself).
func (c *trapClient) uidIndex(coll string) map[string]string {
	c.t.Helper()
	out := map[string]string{}
	for _, href := range c.members(coll) {
		_, body := c.do("GET", href, true, nil, "")
		if m := uidRe.FindStringSubmatch(body); m != nil {
			out[m[1]] = href
		}
	}
	return out
}
