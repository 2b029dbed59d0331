package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Restart back-off: the first restart comes this soon after a crash, each
// failed attempt doubles the wait up to the cap, and a postmaster that
// then runs for stableRun starts the count again.
const (
	minRestartDelay = time.Second
	maxRestartDelay = 30 * time.Second
	stableRun       = time.Minute
)

// nextRestartDelay doubles d, capped at maxRestartDelay.
func nextRestartDelay(d time.Duration) time.Duration {
	return min(max(2*d, minRestartDelay), maxRestartDelay)
}

var errStopped = errors.New("pgcluster: stopped")

// Supervise restarts postgres whenever the postmaster exits without Stop
// (killed, out of memory, or its crash recovery failed, e.g. on a full
// disk), until ctx ends or Stop is called. A restart that fails is tried
// again with back-off and never given up: once the cause is gone (space
// freed), the cluster comes back without restarting the process that owns
// it. Run it in its own goroutine, once per Cluster.
func (c *Cluster) Supervise(ctx context.Context) {
	delay := minRestartDelay
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.stopping:
			return
		case <-c.Done():
		}
		if c.isStopped() {
			return
		}
		c.pmMu.Lock()
		pid, ran, status := c.cmd.Process.Pid, time.Since(c.startedAt), exitStatus(c.waitErr)
		c.pmMu.Unlock()
		if ran >= stableRun {
			delay = minRestartDelay
		}
		c.log.Error("pgcluster: postgres exited unexpectedly; restarting it", "dir", c.dir, "pid", pid,
			"status", status, "ran", ran.Round(time.Millisecond), "retry_in", delay, "output", c.out.Tail())
		for {
			t := time.NewTimer(delay)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-c.stopping:
				t.Stop()
				return
			case <-t.C:
			}
			delay = nextRestartDelay(delay)
			err := c.restart(ctx)
			if err == nil {
				c.log.Info("pgcluster: postgres restarted", "dir", c.dir, "pid", c.PID())
				break
			}
			if errors.Is(err, errStopped) || ctx.Err() != nil {
				return
			}
			c.log.Warn("pgcluster: restarting postgres failed; trying again", "dir", c.dir, "err", err, "retry_in", delay)
		}
	}
}

func (c *Cluster) isStopped() bool {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	return c.stopped
}

// restart starts a new postmaster after the last one exited. It holds
// stopMu, so Stop waits for it and then stops what it started.
func (c *Cluster) restart(ctx context.Context) error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if c.stopped {
		return errStopped
	}
	if !c.exited() {
		return nil
	}
	// The backends of a killed postmaster notice its death and exit; one
	// that has not yet would keep the shared memory the new one needs.
	if err := c.killOrphans(); err != nil {
		return err
	}
	c.removeLeftovers()
	return c.start(ctx, false)
}

// killOrphans ends, with SIGKILL, what is left of the dead postmaster's
// process group: processes in the group it led that run postgres in our
// data directory (a PID reused by anything else does not match both).
func (c *Cluster) killOrphans() error {
	realDir, err := filepath.EvalSymlinks(c.dir)
	if err != nil {
		return fmt.Errorf("pgcluster: data directory: %w", err)
	}
	pgid := c.cmd.Process.Pid
	left := func() []int {
		var pids []int
		entries, _ := os.ReadDir(procDir)
		for _, e := range entries {
			pid, err := strconv.Atoi(e.Name())
			if err != nil {
				continue
			}
			if _, pgrp, ok := procStat(pid); ok && pgrp == pgid && processAlive(pid) && isPostmasterFor(pid, realDir) {
				pids = append(pids, pid)
			}
		}
		return pids
	}
	pids := left()
	if len(pids) == 0 {
		return nil
	}
	c.log.Warn("pgcluster: killing processes left by the dead postmaster", "pids", pids)
	for _, pid := range pids {
		_ = sendSignal(pid, syscall.SIGKILL)
	}
	if !waitFor(escalateWait, func() bool { return len(left()) == 0 }) {
		return fmt.Errorf("pgcluster: processes of the dead postmaster %d still run: %v", pgid, left())
	}
	return nil
}
