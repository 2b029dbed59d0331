package pgcluster

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestUncleanStopAndFailedStart: Stop escalates when its ctx is done, the
// next start recovers the data (WAL replay after the immediate shutdown),
// and a postgres that exits during startup yields an error with its output
// and leaves nothing running.
func TestUncleanStopAndFailedStart(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	log, _ := testLogger(t)
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()

	c, err := Start(ctx, Options{Dir: dir, Fast: true, Logger: log})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Stop(context.WithoutCancel(t.Context())) })
	// Fast mode commits asynchronously; this commit must reach the WAL
	// before the immediate shutdown below.
	psql(t, c, "postgres", "set synchronous_commit = on; create table kept (x int); insert into kept values (7)")

	// A ctx that is already done leaves no time for a fast shutdown.
	done, cancelDone := context.WithCancel(t.Context())
	cancelDone()
	err = c.Stop(done)
	if err != nil && !errors.Is(err, context.Canceled) {
		t.Fatalf("Stop(cancelled ctx) = %v; want nil or an escalation wrapping context.Canceled", err)
	}
	t.Logf("Stop(cancelled ctx): %v", err)
	if processAlive(c.PID()) {
		t.Fatalf("postmaster %d alive after Stop", c.PID())
	}
	if err2 := c.Stop(ctx); err2 != err {
		t.Errorf("second Stop = %v, want the first result %v", err2, err)
	}
	for _, name := range []string{pidFileName, socketName, socketName + ".lock"} {
		if _, err := os.Lstat(filepath.Join(dir, name)); err == nil {
			t.Errorf("%s still exists after Stop", name)
		}
	}

	// postgres refuses to start with a bad setting and exits.
	autoConf := filepath.Join(dir, "postgresql.auto.conf")
	orig, err := os.ReadFile(autoConf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(autoConf, append(orig, "pgcluster_bogus_setting = 1\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err = Start(ctx, Options{Dir: dir, Fast: true, Logger: log})
	if err == nil {
		t.Fatal("Start with a bad setting succeeded")
	}
	t.Logf("Start with a bad setting: %v", err)
	for _, want := range []string{"pgcluster: start postgres: ", "exited during startup", "pgcluster_bogus_setting"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not contain %q", err, want)
		}
	}
	if err := os.WriteFile(autoConf, orig, 0o600); err != nil {
		t.Fatal(err)
	}

	// The failed start released the directory; the data survived.
	c2 := startCluster(t, dir, log)
	if got := psql(t, c2, "postgres", "select x from kept"); got != "7" {
		t.Errorf("select x from kept = %q, want 7", got)
	}
}
