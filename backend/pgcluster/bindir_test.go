package pgcluster

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// fakeInstall makes root/<version>/bin directories holding executable files
// named initdb and postgres (only their presence matters to FindBinDir),
// and returns root.
func fakeInstall(t *testing.T, versions ...string) string {
	t.Helper()
	root := t.TempDir()
	for _, v := range versions {
		bin := filepath.Join(root, v, "bin")
		if err := os.MkdirAll(bin, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, name := range []string{"initdb", "postgres"} {
			if err := os.WriteFile(filepath.Join(bin, name), []byte("#!/bin/sh\nexit 1\n"), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	return root
}

func TestFindBinDir(t *testing.T) {
	realBin, err := FindBinDir()
	if err != nil {
		t.Skipf("no PostgreSQL installed: %v", err)
	}
	// A PATH directory with symlinks into the real installation, like
	// /usr/local/bin/initdb -> /usr/lib/postgresql/15/bin/initdb.
	linkDir := t.TempDir()
	for _, name := range []string{"initdb", "postgres"} {
		if err := os.Symlink(filepath.Join(realBin, name), filepath.Join(linkDir, name)); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name     string
		path     string // PATH
		globRoot string // binGlobRoot
		want     string // "" means ErrNoBinaries
	}{
		{"on PATH", os.Getenv("PATH"), binGlobRoot, realBin},
		{"symlinks on PATH resolved", linkDir, t.TempDir(), realBin},
		{"highest version in glob root", "", fakeInstall(t, "9.6", "16", "15", "9"), "16"},
		{"versions compare numerically", "", fakeInstall(t, "9", "10"), "10"},
		{"none", "", t.TempDir(), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("PATH", tt.path)
			old := binGlobRoot
			binGlobRoot = tt.globRoot
			t.Cleanup(func() { binGlobRoot = old })

			got, err := FindBinDir()
			if tt.want == "" {
				if !errors.Is(err, ErrNoBinaries) {
					t.Fatalf("FindBinDir() = %q, %v; want ErrNoBinaries", got, err)
				}
				msg := err.Error()
				if strings.Contains(msg, "\n") || !strings.Contains(msg, tt.globRoot) || !strings.Contains(msg, "install") {
					t.Errorf("error should be one line naming %s and how to fix it: %q", tt.globRoot, msg)
				}
				return
			}
			if err != nil {
				t.Fatalf("FindBinDir(): %v", err)
			}
			want := tt.want
			if !filepath.IsAbs(want) {
				want = filepath.Join(tt.globRoot, want, "bin")
			}
			if got != want {
				t.Errorf("FindBinDir() = %s, want %s", got, want)
			}
		})
	}
	t.Run("incomplete installation", func(t *testing.T) {
		// A bin directory with initdb only is skipped for a complete
		// lower version.
		root := fakeInstall(t, "14")
		if err := os.MkdirAll(filepath.Join(root, "17", "bin"), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(root, "17", "bin", "initdb"), nil, 0o755); err != nil {
			t.Fatal(err)
		}
		t.Setenv("PATH", "")
		old := binGlobRoot
		binGlobRoot = root
		t.Cleanup(func() { binGlobRoot = old })
		if got, err := FindBinDir(); err != nil || got != filepath.Join(root, "14", "bin") {
			t.Errorf("FindBinDir() = %q, %v; want %s", got, err, filepath.Join(root, "14", "bin"))
		}
	})
}

func TestSortByVersionDesc(t *testing.T) {
	dirs := []string{"/r/9/bin", "/r/devel/bin", "/r/16/bin", "/r/9.6/bin", "/r/10/bin"}
	sortByVersionDesc(dirs)
	want := []string{"/r/16/bin", "/r/10/bin", "/r/9.6/bin", "/r/9/bin", "/r/devel/bin"}
	if !slices.Equal(dirs, want) {
		t.Errorf("got %v, want %v", dirs, want)
	}
}
