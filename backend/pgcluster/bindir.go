package pgcluster

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// ErrNoBinaries reports that no directory holding both initdb and postgres
// was found. FindBinDir and Start wrap it, so test with errors.Is.
var ErrNoBinaries = errors.New("PostgreSQL server binaries (initdb, postgres) not found")

// binGlobRoot is where distributions install versioned server binaries
// (Debian/Ubuntu: /usr/lib/postgresql/15/bin). A variable so tests can point
// it at an empty directory.
var binGlobRoot = "/usr/lib/postgresql"

// FindBinDir finds the directory holding initdb and postgres: first through
// PATH, following symlinks (so /usr/local/bin/initdb ->
// /usr/lib/postgresql/15/bin/initdb yields the latter's directory, where the
// matching postgres lives), else the highest-version
// /usr/lib/postgresql/*/bin. The error wraps ErrNoBinaries and is one line,
// because it is what a user without PostgreSQL installed sees.
func FindBinDir() (string, error) {
	// initdb and postgres must come from the same installation (initdb
	// refuses a postgres of another version), so a candidate directory must
	// hold both; try each name's resolved directory.
	for _, name := range []string{"initdb", "postgres"} {
		p, err := exec.LookPath(name)
		if err != nil {
			continue
		}
		real, err := filepath.EvalSymlinks(p)
		if err != nil {
			continue
		}
		if dir := filepath.Dir(real); hasServerBinaries(dir) {
			return dir, nil
		}
	}
	pattern := filepath.Join(binGlobRoot, "*", "bin")
	dirs, _ := filepath.Glob(pattern) // only ErrBadPattern, impossible here
	sortByVersionDesc(dirs)
	for _, dir := range dirs {
		if hasServerBinaries(dir) {
			return dir, nil
		}
	}
	return "", fmt.Errorf("%w on PATH or in %s: install them, e.g. \"apt-get install postgresql\", or pass --database URL",
		ErrNoBinaries, pattern)
}

// hasServerBinaries reports whether dir holds executable initdb and postgres.
func hasServerBinaries(dir string) bool {
	return isExecutable(filepath.Join(dir, "initdb")) && isExecutable(filepath.Join(dir, "postgres"))
}

func isExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// sortByVersionDesc orders .../<version>/bin directories newest first,
// comparing versions numerically ("16" > "9.6" > "9"); names that are not
// versions go last.
func sortByVersionDesc(dirs []string) {
	key := func(dir string) []int {
		v, ok := parseVersion(filepath.Base(filepath.Dir(dir)))
		if !ok {
			return []int{-1}
		}
		return v
	}
	slices.SortStableFunc(dirs, func(a, b string) int {
		return slices.Compare(key(b), key(a))
	})
}

func parseVersion(s string) ([]int, bool) {
	var v []int
	for part := range strings.SplitSeq(s, ".") {
		n, err := strconv.Atoi(part)
		if err != nil || n < 0 {
			return nil, false
		}
		v = append(v, n)
	}
	return v, true
}
