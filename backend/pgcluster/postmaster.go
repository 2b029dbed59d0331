package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// readyTimeout bounds the wait for a starting server. It is long because a
// start after a crash replays WAL first.
const readyTimeout = 60 * time.Second

// launch starts the postmaster. It is started directly, not through a
// shell or pg_ctl, so that we hold its PID and its exit status, and its
// output reaches our logger.
func (c *Cluster) launch(id identity, fast bool) error {
	args := []string{
		"-D", c.dir,
		"-p", socketPort, // names the socket only
		"-c", "listen_addresses=", // no TCP at all
		"-c", "unix_socket_directories=" + quoteGUCList(c.dir),
		"-c", "unix_socket_permissions=0700",
		// Output goes to our pipe and logger: no log files in PGDATA.
		"-c", "logging_collector=off",
		// Autovacuum looks at each database every 10 s instead of every
		// minute. Until it first analyzes a calendar uploaded into a new
		// database the planner has no statistics, and plans like a table
		// of a few rows: a first sync probes objects once per event
		// instead of hashing them. A private cluster holds a few
		// databases, so the extra rounds cost nothing.
		"-c", "autovacuum_naptime=10s",
	}
	if fast {
		// Tests: durability is worthless for a throwaway cluster.
		args = append(args,
			"-c", "fsync=off",
			"-c", "synchronous_commit=off",
			"-c", "full_page_writes=off")
	}
	cmd := exec.Command(filepath.Join(c.binDir, "postgres"), args...)
	cmd.Dir = c.dir
	cmd.Env = id.env()
	cmd.SysProcAttr = id.sysProcAttr()
	cmd.Stdout, cmd.Stderr = c.out, c.out
	// Should a backend outlive the postmaster while holding the pipe, Wait
	// still returns.
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	c.pmMu.Lock()
	c.cmd, c.done, c.startedAt = cmd, done, time.Now()
	c.pmMu.Unlock()
	go func() {
		err := cmd.Wait()
		c.out.flush()
		c.pmMu.Lock()
		c.waitErr = err
		c.pmMu.Unlock()
		close(done)
	}()
	return nil
}

// waitReady waits until the server accepts connections: postmaster.pid
// names our process and says "ready" (line 8, PostgreSQL 10 and later; it
// says so only once WAL replay is done and connections are allowed), and
// the socket accepts a connection.
func (c *Cluster) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	ready := func() bool {
		select {
		case <-c.done:
			return false
		default:
		}
		return c.ready()
	}
	if waitUntil(ctx, func() bool { return ready() || c.exited() }) && !c.exited() {
		return nil
	}
	if c.exited() {
		return fmt.Errorf("postgres exited during startup (%v); its last output:\n%s", exitStatus(c.waitErr), c.out.Tail())
	}
	return fmt.Errorf("postgres did not accept connections within %v (%w); its last output:\n%s",
		readyTimeout, ctx.Err(), c.out.Tail())
}

func (c *Cluster) ready() bool {
	info, err := readLockFile(filepath.Join(c.dir, pidFileName))
	if err != nil || info.pid != c.cmd.Process.Pid || info.status != "ready" {
		return false
	}
	conn, err := net.DialTimeout("unix", filepath.Join(c.dir, socketName), time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// exited reports whether the postmaster has exited and been reaped.
func (c *Cluster) exited() bool {
	select {
	case <-c.done:
		return true
	default:
		return false
	}
}

func exitStatus(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

// halt stops the postmaster, escalating as needed, and removes the files a
// killed postmaster leaves behind.
func (c *Cluster) halt(ctx context.Context, grace time.Duration) error {
	var err error
	if !c.exited() {
		err = shutdown(ctx, c.cmd.Process.Pid, c.exited, grace)
	}
	if c.exited() {
		c.removeLeftovers()
	}
	return err
}

// removeLeftovers removes postmaster.pid, the socket and its lock file if
// they still name our (dead) postmaster: a clean shutdown removes them
// itself, a SIGKILL does not.
func (c *Cluster) removeLeftovers() {
	pid := c.cmd.Process.Pid
	for _, name := range []string{pidFileName, socketName + ".lock"} {
		path := filepath.Join(c.dir, name)
		if info, err := readLockFile(path); err == nil && info.pid == pid {
			if err := os.Remove(path); err == nil && name != pidFileName {
				os.Remove(filepath.Join(c.dir, socketName))
			} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
				c.log.Warn("pgcluster: cannot remove leftover file", "file", path, "err", err)
			}
		}
	}
}
