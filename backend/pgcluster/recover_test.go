package pgcluster

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// writeLockFiles fakes what a postmaster that died without cleaning up
// leaves: postmaster.pid in PostgreSQL's format and the socket lock file.
func writeLockFiles(t *testing.T, dir string, pid int) {
	t.Helper()
	pidFile := fmt.Sprintf("%d\n%s\n%d\n%s\n%s\n\n  5432001     32768\nready   \n",
		pid, dir, time.Now().Unix(), socketPort, dir)
	sockLock := fmt.Sprintf("%d\n%s\n%d\n%s\n%s\n", pid, dir, time.Now().Unix(), socketPort, dir)
	for name, content := range map[string]string{pidFileName: pidFile, socketName + ".lock": sockLock} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

// deadPID returns the PID of a process that has exited and been reaped.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command("true")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// TestStaleLockFiles: lock files naming a dead process (crash) or a live
// unrelated one (PID reused after a reboot) must not block the start.
func TestStaleLockFiles(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	log, _ := testLogger(t)
	stopCluster(t, startCluster(t, dir, log)) // initdb, then a clean stop

	tests := []struct {
		name string
		pid  func(t *testing.T) int
	}{
		{"dead pid", deadPID},
		{"unrelated live pid", func(*testing.T) int { return os.Getpid() }},
		{"garbage", func(*testing.T) int { return 0 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pid := tt.pid(t)
			writeLockFiles(t, dir, pid)
			c := startCluster(t, dir, log)
			if c.PID() == pid {
				t.Fatalf("new postmaster has the fake PID %d", pid)
			}
			if got := psql(t, c, "postgres", "select 1"); got != "1" {
				t.Errorf("select 1 = %q", got)
			}
			if pid == os.Getpid() && !processAlive(pid) {
				t.Error("the unrelated process was harmed")
			}
			stopCluster(t, c)
		})
	}
}

// helperDirEnv makes the test binary act as a pgdav that starts a cluster
// and then dies without stopping it (see TestHelperProcess).
const helperDirEnv = "PGCLUSTER_TEST_ORPHAN_DIR"

// TestHelperProcess is not a test: run by TestOrphanedPostgres in a child
// process, it starts a cluster, reports the postmaster's PID and waits to be
// killed with SIGKILL, never calling Stop.
func TestHelperProcess(t *testing.T) {
	dir := os.Getenv(helperDirEnv)
	if dir == "" {
		t.Skip("helper process for TestOrphanedPostgres")
	}
	ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
	defer cancel()
	c, err := Start(ctx, Options{Dir: dir, Fast: true})
	if err != nil {
		fmt.Printf("ERROR %q\n", err.Error())
		os.Exit(1)
	}
	fmt.Printf("PID %d\n", c.PID())
	time.Sleep(testTimeout) // bounded: the parent kills us long before
	os.Exit(2)
}

// TestOrphanedPostgres: pgdav was killed with SIGKILL, leaving its postgres
// running (it has its own process group). The next Start stops that orphan
// and serves with a new postmaster.
func TestOrphanedPostgres(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	log, logBuf := testLogger(t)

	helper := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	helper.Env = append(os.Environ(), helperDirEnv+"="+dir)
	helper.Stderr = os.Stderr
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		helper.Process.Kill()
		helper.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(stdout)
		for s.Scan() {
			if strings.HasPrefix(s.Text(), "PID ") || strings.HasPrefix(s.Text(), "ERROR ") {
				line <- s.Text()
				break
			}
		}
		close(line)
	}()
	var orphan int
	select {
	case l := <-line:
		if orphan, err = strconv.Atoi(strings.TrimPrefix(l, "PID ")); err != nil {
			t.Fatalf("helper: %s", l)
		}
	case <-time.After(testTimeout):
		t.Fatal("helper did not start a cluster in time")
	}
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		// Whatever happened, leave no postgres behind.
		if processAlive(orphan) && isPostmasterFor(orphan, realDir) {
			syscall.Kill(-orphan, syscall.SIGKILL)
		}
	})

	// pgdav dies hard.
	if err := helper.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	helper.Wait()
	if !processAlive(orphan) || !isPostmasterFor(orphan, realDir) {
		t.Fatalf("postmaster %d did not survive its parent; the test simulates nothing", orphan)
	}

	c := startCluster(t, dir, log)
	if processAlive(orphan) {
		t.Errorf("orphaned postmaster %d still alive", orphan)
	}
	if c.PID() == orphan {
		t.Errorf("new cluster reports the orphan's PID %d", orphan)
	}
	if got := psql(t, c, "postgres", "select 1"); got != "1" {
		t.Errorf("select 1 = %q", got)
	}
	if got := psql(t, c, "postgres", "select pg_backend_pid() > 0 and "+
		"(select count(*) from pg_stat_activity where pid = "+strconv.Itoa(orphan)+") = 0"); got != "t" {
		t.Errorf("orphan still visible to the new server: %q", got)
	}
	if !strings.Contains(logBuf.String(), "orphaned postgres stopped") {
		t.Error("stopping the orphan was not logged")
	}
}
