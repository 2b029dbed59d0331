package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// procDir is where process information lives (Linux).
const procDir = "/proc"

// processAlive reports whether pid names a live process. kill(pid, 0)
// probes without signalling: as root it works for any owner; as another
// user EPERM still proves the process exists. A zombie counts as dead: an
// orphaned postmaster that exited may linger unreaped if PID 1 does not
// reap, and it no longer holds anything.
func processAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	if err := syscall.Kill(pid, 0); err != nil && !errors.Is(err, syscall.EPERM) {
		return false
	}
	state, _, ok := procStat(pid)
	return !ok || state != 'Z'
}

// procStat returns the state letter and process group of pid from
// /proc/PID/stat.
func procStat(pid int) (state byte, pgrp int, ok bool) {
	data, err := os.ReadFile(filepath.Join(procDir, strconv.Itoa(pid), "stat"))
	if err != nil {
		return 0, 0, false
	}
	// "pid (comm) state ppid pgrp ...": comm may contain spaces and
	// parentheses, so split after the last ')'.
	i := strings.LastIndexByte(string(data), ')')
	if i < 0 {
		return 0, 0, false
	}
	f := strings.Fields(string(data[i+1:]))
	if len(f) < 3 || len(f[0]) != 1 {
		return 0, 0, false
	}
	pgrp, err = strconv.Atoi(f[2])
	if err != nil {
		return 0, 0, false
	}
	return f[0][0], pgrp, true
}

// isPostmasterFor reports whether pid runs the postgres binary with realDir
// (the data directory, symlinks resolved) as its working directory: the
// postmaster chdirs into its data directory, and unlike the command line,
// the working directory is absolute and immune to ps-title rewriting. A
// process we may not inspect (another user's, when not root) cannot be a
// postgres we started, because ours runs as us.
func isPostmasterFor(pid int, realDir string) bool {
	base := filepath.Join(procDir, strconv.Itoa(pid))
	exe, err := os.Readlink(filepath.Join(base, "exe"))
	if err != nil {
		return false
	}
	// After a package upgrade the running binary shows as deleted.
	exe = strings.TrimSuffix(exe, " (deleted)")
	if name := filepath.Base(exe); name != "postgres" && name != "postmaster" {
		return false
	}
	cwd, err := os.Readlink(filepath.Join(base, "cwd"))
	return err == nil && cwd == realDir
}

// Bounds of the shutdown escalation.
const (
	fastShutdownLimit = 2 * time.Minute // longest wait for a fast shutdown, even with no ctx deadline
	escalateWait      = 5 * time.Second // wait after SIGQUIT, and after SIGKILL
	pollInterval      = 20 * time.Millisecond
)

// shutdown stops the postmaster pid: SIGINT asks for a fast shutdown
// (sessions are ended, a checkpoint is written, files are removed). If it
// has not exited when ctx is done or grace has passed, SIGQUIT requests an
// immediate shutdown (the next start replays WAL), and if even that does not
// work, SIGKILL ends its whole process group, backends included. gone
// reports, without blocking, whether the process has exited. The error is
// nil only if the fast shutdown completed.
func shutdown(ctx context.Context, pid int, gone func() bool, grace time.Duration) error {
	if err := sendSignal(pid, syscall.SIGINT); err != nil {
		return err
	}
	graceCtx, cancel := context.WithTimeout(ctx, grace)
	defer cancel()
	if waitUntil(graceCtx, gone) {
		return nil
	}
	why := graceCtx.Err()
	if ctx.Err() != nil {
		why = ctx.Err()
	}
	if err := sendSignal(pid, syscall.SIGQUIT); err != nil {
		return err
	}
	if waitFor(escalateWait, gone) {
		return fmt.Errorf("fast shutdown did not finish (%w): sent SIGQUIT (immediate shutdown)", why)
	}
	// The postmaster leads its process group (we start it with Setpgid),
	// so -pid reaches its backends too; a group that does not exist is
	// harmless.
	sendSignal(-pid, syscall.SIGKILL)
	if err := sendSignal(pid, syscall.SIGKILL); err != nil {
		return err
	}
	if waitFor(escalateWait, gone) {
		return fmt.Errorf("fast shutdown did not finish (%w), nor did SIGQUIT work: sent SIGKILL", why)
	}
	return fmt.Errorf("postgres (pid %d) is still running after SIGINT, SIGQUIT and SIGKILL", pid)
}

// sendSignal sends sig, treating an already gone process as success.
func sendSignal(pid int, sig syscall.Signal) error {
	if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
		return fmt.Errorf("send %v to pid %d: %w", sig, pid, err)
	}
	return nil
}

// waitFor polls cond until it holds or d has passed.
func waitFor(d time.Duration, cond func() bool) bool {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	return waitUntil(ctx, cond)
}

// waitUntil polls cond until it holds or ctx is done; it checks once more
// at the end so a late success is not reported as failure.
func waitUntil(ctx context.Context, cond func() bool) bool {
	t := time.NewTicker(pollInterval)
	defer t.Stop()
	for {
		if cond() {
			return true
		}
		select {
		case <-ctx.Done():
			return cond()
		case <-t.C:
		}
	}
}
