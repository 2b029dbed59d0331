package pgcluster

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// testTimeout bounds every start, stop and psql call in the tests.
const testTimeout = 60 * time.Second

// testDir returns a not yet existing data directory path under a fresh
// directory in /tmp. The parent is 0755 so the postgres user can reach it
// when the tests run as root (t.TempDir's parents are 0700), and /tmp keeps
// the socket path short.
func testDir(t *testing.T) string {
	t.Helper()
	base, err := os.MkdirTemp("/tmp", "pgcluster-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(base, "data")
}

// syncBuffer is a goroutine-safe log sink: postgres output arrives from
// exec's copying goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// testLogger collects the package's log, postgres output included, and
// shows it if the test fails. It writes to a buffer rather than t.Log,
// which must not be called once the test has finished.
func testLogger(t *testing.T) (*slog.Logger, *syncBuffer) {
	t.Helper()
	buf := &syncBuffer{}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("pgcluster log:\n%s", buf)
		}
	})
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// startCluster starts a Fast cluster in dir and stops it at cleanup.
func startCluster(t *testing.T, dir string, log *slog.Logger) *Cluster {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	c, err := Start(ctx, Options{Dir: dir, Fast: true, Logger: log})
	if err != nil {
		t.Fatalf("Start(%s): %v", dir, err)
	}
	t.Cleanup(func() { stopCluster(t, c) })
	return c
}

// stopCluster stops c and checks that it cleaned up after itself.
func stopCluster(t *testing.T, c *Cluster) {
	t.Helper()
	// Called at cleanup, when t's context is already canceled.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(t.Context()), testTimeout)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Errorf("Stop: %v", err)
	}
	for _, name := range []string{pidFileName, socketName, socketName + ".lock"} {
		if _, err := os.Lstat(filepath.Join(c.dir, name)); err == nil {
			t.Errorf("%s still exists after Stop", name)
		}
	}
}

// psqlPath prefers the psql next to the server binaries over Debian's
// /usr/bin/psql wrapper script.
func psqlPath(t *testing.T) string {
	t.Helper()
	if dir, err := FindBinDir(); err == nil {
		if p := filepath.Join(dir, "psql"); isExecutable(p) {
			return p
		}
	}
	p, err := exec.LookPath("psql")
	if err != nil {
		t.Skip("psql not installed")
	}
	return p
}

// psql runs one SQL command against c as a separate client process, the way
// any libpq client would reach the socket.
func psql(t *testing.T, c *Cluster, dbname, sql string) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	out, err := exec.CommandContext(ctx, psqlPath(t), "-X", "-v", "ON_ERROR_STOP=1",
		"-d", c.ConnString(dbname), "-Atc", sql).CombinedOutput()
	if err != nil {
		t.Fatalf("psql %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}

// asRoot skips tests of the root-only path (running postgres as the
// postgres user) when the tests run as a normal user.
func asRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("exercises running as root")
	}
}
