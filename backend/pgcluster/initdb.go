package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// superuser is the database superuser initdb creates and ConnString uses.
const superuser = "pgdav"

// initialised reports whether dir holds a cluster. initdb writes PG_VERSION
// early, so a failed initdb must not leave it behind (see initdb).
func initialised(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "PG_VERSION"))
	return err == nil
}

// initdb creates the cluster in dir. created says whether Start made dir;
// if initdb fails, dir is removed again, or emptied if it existed (it was
// empty then: anything else is refused below), because a half-initialised
// directory with PG_VERSION would block every later start.
func (c *Cluster) initdb(ctx context.Context, id identity, fast, created bool) (err error) {
	entries, err := os.ReadDir(c.dir)
	if err != nil {
		return err
	}
	if len(entries) > 0 {
		return fmt.Errorf("%s is not empty but holds no PostgreSQL cluster (no PG_VERSION): refusing to initialise over its contents; empty it or choose another directory", c.dir)
	}
	c.log.Info("pgcluster: initialising a new PostgreSQL cluster", "dir", c.dir)
	args := []string{
		"-D", c.dir,
		"--username=" + superuser,
		// Trust on the socket is safe: the socket lives in the 0700 data
		// directory and has mode 0700 itself, so only its owner (and
		// root) can reach it. TCP is rejected, and not even listened on.
		"--auth-local=trust",
		"--auth-host=reject",
		"--encoding=UTF8",
		// C locale: collation independent of the system's libc locales,
		// identical on every machine, and no OS locale needed.
		"--locale=C",
	}
	if fast {
		args = append(args, "--no-sync") // tests: the cluster is thrown away
	}
	out := newOutputLog(c.log, "initdb")
	cmd := exec.CommandContext(ctx, filepath.Join(c.binDir, "initdb"), args...)
	cmd.Dir = c.dir
	cmd.Env = id.env()
	cmd.SysProcAttr = id.sysProcAttr()
	cmd.Stdout, cmd.Stderr = out, out
	// On cancellation kill initdb's whole group: the bootstrap postgres
	// it runs would otherwise keep writing into the directory we clean.
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	cmd.WaitDelay = 5 * time.Second
	err = cmd.Run()
	out.flush()
	if err == nil {
		return nil
	}
	if ctxErr := ctx.Err(); ctxErr != nil {
		err = fmt.Errorf("%w (%v)", ctxErr, err)
	}
	if rmErr := c.removeFailedInit(created); rmErr != nil {
		err = fmt.Errorf("%w; cleaning up: %v", err, rmErr)
	}
	return fmt.Errorf("%w; initdb output:\n%s", err, out.Tail())
}

// removeFailedInit undoes what a failed initdb created.
func (c *Cluster) removeFailedInit(created bool) error {
	if created {
		return os.RemoveAll(c.dir)
	}
	entries, err := os.ReadDir(c.dir)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	var errs []error
	for _, e := range entries {
		errs = append(errs, os.RemoveAll(filepath.Join(c.dir, e.Name())))
	}
	return errors.Join(errs...)
}
