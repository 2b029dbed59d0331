package integration

import (
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"
)

// TestReadme keeps README.md true: it opens with the two set-up commands,
// and documents every flag and environment variable the binary has.
func TestReadme(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	readme := string(b)
	// The first code block holds exactly the two commands.
	block := regexp.MustCompile("(?s)```sh\n(.*?)```").FindStringSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no sh code block")
	}
	var cmds []string
	for _, line := range strings.Split(strings.TrimSpace(block[1]), "\n") {
		cmd, _, _ := strings.Cut(line, "#")
		cmds = append(cmds, strings.TrimSpace(cmd))
	}
	if len(cmds) != 2 || cmds[0] != "make run" || cmds[1] != "make test" {
		t.Fatalf("README.md's first commands are %q, want make run and make test", cmds)
	}
	if i := strings.Index(readme, "make run"); i < 0 || i > 1500 {
		t.Fatal("README.md does not open with the set-up commands")
	}

	flagLine := regexp.MustCompile(`^\s+-([a-z-]+)`)
	envName := regexp.MustCompile(`\(env (PGDAV_[A-Z_]+)\)`)
	for _, args := range [][]string{{"serve", "-h"}, {"user", "add", "-h"}, {"calendar", "add", "-h"}, {"migrate", "-h"}} {
		out, _ := exec.Command(pgdavBin, args...).CombinedOutput()
		flags := 0
		for _, line := range strings.Split(string(out), "\n") {
			if m := flagLine.FindStringSubmatch(line); m != nil {
				flags++
				if !strings.Contains(readme, "--"+m[1]) {
					t.Errorf("pgdav %s has --%s, which README.md does not mention", args[0], m[1])
				}
			}
			for _, m := range envName.FindAllStringSubmatch(line, -1) {
				if !strings.Contains(readme, m[1]) {
					t.Errorf("README.md does not mention %s", m[1])
				}
			}
		}
		if flags < 3 {
			t.Fatalf("pgdav %v -h listed %d flags:\n%s", args, flags, out)
		}
	}
}
