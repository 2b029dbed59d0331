package pgcluster

import (
	"context"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
)

// TestStartRestart covers the life of one data directory: first start
// (initdb), the server's settings, exclusion of a second Start, Stop, and a
// restart that finds the data again.
func TestStartRestart(t *testing.T) {
	t.Parallel()
	dir := testDir(t)
	log, _ := testLogger(t)

	c := startCluster(t, dir, log)
	if got := psql(t, c, "postgres", "select 1"); got != "1" {
		t.Fatalf("select 1 = %q", got)
	}
	if c.SocketDir() != dir {
		t.Errorf("SocketDir() = %s, want %s", c.SocketDir(), dir)
	}
	if fi, err := os.Stat(filepath.Join(dir, socketName)); err != nil || fi.Mode()&os.ModeSocket == 0 {
		t.Errorf("socket %s: %v, %v", socketName, fi, err)
	}

	t.Run("settings", func(t *testing.T) {
		tests := []struct{ setting, want string }{
			{"listen_addresses", ""}, // no TCP listener at all
			{"unix_socket_directories", `"` + dir + `"`},
			{"server_encoding", "UTF8"},
			{"lc_collate", "C"},
			{"lc_ctype", "C"},
			{"logging_collector", "off"},
			{"autovacuum_naptime", "10s"},
			{"fsync", "off"}, // Fast
			{"synchronous_commit", "off"},
			{"full_page_writes", "off"},
		}
		for _, tt := range tests {
			if got := psql(t, c, "postgres", "show "+tt.setting); got != tt.want {
				t.Errorf("SHOW %s = %q, want %q", tt.setting, got, tt.want)
			}
		}
		if got := psql(t, c, "postgres", "select current_user"); got != superuser {
			t.Errorf("current_user = %q, want %q", got, superuser)
		}
	})

	t.Run("data directory", func(t *testing.T) {
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("mode %v, want 0700", fi.Mode().Perm())
		}
		wantUID := os.Geteuid()
		if wantUID == 0 {
			u, err := user.Lookup(systemUser)
			if err != nil {
				t.Fatal(err)
			}
			wantUID, _ = strconv.Atoi(u.Uid)
		}
		if uid := int(fi.Sys().(*syscall.Stat_t).Uid); uid != wantUID {
			t.Errorf("owner uid %d, want %d", uid, wantUID)
		}
		// PGDATA stays clean: no log files from us.
		for _, name := range []string{"postgres.log", "log", "pg_log"} {
			if _, err := os.Stat(filepath.Join(dir, name)); err == nil {
				t.Errorf("%s exists in the data directory", name)
			}
		}
	})

	t.Run("second Start refused while running", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), testTimeout)
		defer cancel()
		c2, err := Start(ctx, Options{Dir: dir, Fast: true})
		if err == nil {
			c2.Stop(ctx)
			t.Fatal("second Start on a running directory succeeded")
		}
		if !strings.Contains(err.Error(), "in use") {
			t.Errorf("error = %v, want it to say the directory is in use", err)
		}
		if got := psql(t, c, "postgres", "select 1"); got != "1" {
			t.Errorf("first cluster no longer answers: %q", got)
		}
	})

	psql(t, c, "postgres", "create table kept (x int); insert into kept values (42)")
	oldPID := c.PID()
	stopCluster(t, c)
	if err := c.Stop(t.Context()); err != nil {
		t.Errorf("second Stop: %v", err)
	}
	if processAlive(oldPID) {
		t.Errorf("postmaster %d still alive after Stop", oldPID)
	}
	select {
	case <-c.Done():
	default:
		t.Error("Done() not closed after Stop")
	}

	c = startCluster(t, dir, log)
	if got := psql(t, c, "postgres", "select x from kept"); got != "42" {
		t.Errorf("after restart, select x from kept = %q, want 42", got)
	}
}
