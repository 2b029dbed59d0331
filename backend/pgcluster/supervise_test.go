package pgcluster

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestNextRestartDelay(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want time.Duration }{
		{0, time.Second},
		{time.Second, 2 * time.Second},
		{2 * time.Second, 4 * time.Second},
		{16 * time.Second, 30 * time.Second},
		{30 * time.Second, 30 * time.Second},
		{time.Hour, 30 * time.Second},
	}
	for _, tc := range tests {
		if got := nextRestartDelay(tc.in); got != tc.want {
			t.Errorf("nextRestartDelay(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// TestSuperviseRestarts: Supervise brings a killed postmaster back with
// its data, keeps trying while postgres refuses to start (here a bad
// setting, as a failed recovery on a full disk would) and succeeds once the
// cause is gone, and ends with Stop without restarting anything.
func TestSuperviseRestarts(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	log, buf := testLogger(t)
	c := startCluster(t, dir, log)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	supervised := make(chan struct{})
	go func() {
		defer close(supervised)
		c.Supervise(ctx)
	}()
	psql(t, c, "postgres", "set synchronous_commit = on; create table kept (x int); insert into kept values (1)")

	old := c.PID()
	killPostmaster(t, old)
	waitRestarted(t, c, old)
	psql(t, c, "postgres", "set synchronous_commit = on; insert into kept values (2)")

	autoConf := filepath.Join(dir, "postgresql.auto.conf")
	orig, err := os.ReadFile(autoConf)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(autoConf, append(orig, "pgcluster_bogus_setting = 1\n"...), 0o600); err != nil {
		t.Fatal(err)
	}
	old = c.PID()
	killPostmaster(t, old)
	poll(t, "a failed restart", func() bool { return strings.Contains(buf.String(), "restarting postgres failed") })
	if err := os.WriteFile(autoConf, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	waitRestarted(t, c, old)
	if got := psql(t, c, "postgres", "select string_agg(x::text, ',' order by x) from kept"); got != "1,2" {
		t.Errorf("after the restarts, kept holds %q, want 1,2", got)
	}

	stopCluster(t, c)
	<-supervised
	if processAlive(c.PID()) {
		t.Errorf("postmaster %d runs after Stop", c.PID())
	}
}

func killPostmaster(t *testing.T, pid int) {
	t.Helper()
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
}

// waitRestarted polls until a postmaster other than old accepts queries.
func waitRestarted(t *testing.T, c *Cluster, old int) {
	t.Helper()
	poll(t, "the restarted postmaster", func() bool {
		if c.PID() == old {
			return false
		}
		out, err := exec.CommandContext(t.Context(), psqlPath(t), "-X", "-d", c.ConnString("postgres"), "-Atc", "select 1").CombinedOutput()
		return err == nil && strings.TrimSpace(string(out)) == "1"
	})
}

// poll checks cond every 50 ms, at most 1200 times.
func poll(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for range 1200 {
		if cond() {
			return
		}
		<-tick.C
	}
	t.Fatalf("gave up waiting for %s", what)
}
