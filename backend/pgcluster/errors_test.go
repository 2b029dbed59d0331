package pgcluster

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestCheckDirPath(t *testing.T) {
	limit := maxSocketPath - len("/"+socketName)
	tests := []struct {
		dir     string
		wantErr string
	}{
		{"/tmp/a", ""},
		{"/" + strings.Repeat("a", limit-1), ""}, // socket path exactly 107 bytes
		{"/" + strings.Repeat("a", limit), strconv.Itoa(maxSocketPath)},
		{"/tmp/new\nline", "line break"},
	}
	for _, tt := range tests {
		err := checkDirPath(tt.dir)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("checkDirPath(len %d): %v", len(tt.dir), err)
		case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("checkDirPath(len %d) = %v, want error containing %q", len(tt.dir), err, tt.wantErr)
		}
	}
}

func TestSocketPathTooLong(t *testing.T) {
	base := testDir(t) // not created
	dir := filepath.Join(base, strings.Repeat("x", 100))
	_, err := Start(t.Context(), Options{Dir: dir, Fast: true})
	if err == nil {
		t.Fatal("Start succeeded")
	}
	for _, want := range []string{"pgcluster: ", "107", dir} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if _, err := os.Stat(base); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Start created %s: %v", base, err)
	}
}

func TestAncestorNotTraversable(t *testing.T) {
	asRoot(t)
	base, err := os.MkdirTemp("/tmp", "pgcluster-") // mode 0700, owned by root
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	dir := filepath.Join(base, "sub", "data")
	_, err = Start(t.Context(), Options{Dir: dir, Fast: true})
	t.Logf("Start below a 0700 root directory: %v", err)
	if err == nil || !strings.Contains(err.Error(), "directory "+base+" ") || !strings.Contains(err.Error(), "not traversable") {
		t.Fatalf("Start = %v; want an error naming %s as not traversable", err, base)
	}
	if _, err := os.Stat(filepath.Join(base, "sub")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("Start created directories before refusing: %v", err)
	}
	if fi, _ := os.Stat(base); fi.Mode().Perm() != 0o700 {
		t.Errorf("Start changed the mode of %s to %v", base, fi.Mode().Perm())
	}
}

func TestMissingSystemUser(t *testing.T) {
	asRoot(t)
	old := systemUser
	systemUser = "pgcluster-no-such-user"
	t.Cleanup(func() { systemUser = old })
	_, err := Start(t.Context(), Options{Dir: testDir(t), Fast: true})
	if err == nil {
		t.Fatal("Start succeeded")
	}
	for _, want := range []string{systemUser, "does not exist", "create it", "normal user"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
}

// TestFailedInitdbCleansUp interrupts a real initdb once it has written
// PG_VERSION, the marker of an initialised cluster: what it wrote must go,
// or the next start would take the debris for a cluster.
func TestFailedInitdbCleansUp(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name      string
		preCreate bool // the directory exists (empty) before Start
	}{
		{"directory created by Start", false},
		{"existing empty directory", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			dir := testDir(t)
			if tt.preCreate {
				if err := os.Mkdir(dir, 0o700); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
			defer cancel()
			go func() {
				waitFor(testTimeout, func() bool {
					_, err := os.Stat(filepath.Join(dir, "PG_VERSION"))
					return err == nil
				})
				cancel()
			}()
			_, err := Start(ctx, Options{Dir: dir, Fast: true})
			if err == nil {
				t.Fatal("Start succeeded despite the cancelled initdb")
			}
			t.Logf("Start with initdb interrupted: %v", err)
			if !strings.HasPrefix(err.Error(), "pgcluster: initdb: ") || !errors.Is(err, context.Canceled) {
				t.Fatalf("error = %v; want a wrapped context.Canceled from initdb", err)
			}
			entries, err := os.ReadDir(dir)
			switch {
			case !tt.preCreate && !errors.Is(err, fs.ErrNotExist):
				t.Errorf("directory Start created is still there: %v, %d entries", err, len(entries))
			case tt.preCreate && (err != nil || len(entries) > 0):
				t.Errorf("existing directory not emptied: %v, %d entries", err, len(entries))
			}

			log, _ := testLogger(t)
			c := startCluster(t, dir, log)
			if got := psql(t, c, "postgres", "select 1"); got != "1" {
				t.Errorf("select 1 = %q", got)
			}
		})
	}
}

// TestInitdbRefusesForeignContent: a non-empty directory without a cluster
// is left alone, not initialised over and not cleaned.
func TestInitdbRefusesForeignContent(t *testing.T) {
	dir := testDir(t)
	if err := os.Mkdir(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	precious := filepath.Join(dir, "precious.txt")
	if err := os.WriteFile(precious, []byte("keep"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	_, err := Start(ctx, Options{Dir: dir, Fast: true})
	if err == nil || !strings.Contains(err.Error(), "not empty") {
		t.Fatalf("Start = %v; want a refusal of the non-empty directory", err)
	}
	if _, err := os.Stat(precious); err != nil {
		t.Errorf("foreign file lost: %v", err)
	}
}
