package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"
)

const (
	pidFileName = "postmaster.pid"
	// orphanGrace bounds the fast shutdown of an orphaned postmaster.
	orphanGrace = 30 * time.Second
)

// lockFileInfo is what postgres records in postmaster.pid (and, line 1
// only, in the socket's .lock file).
type lockFileInfo struct {
	pid     int
	dataDir string // line 2; empty in a socket lock file
	status  string // line 8 since PostgreSQL 10: "starting", "ready", "stopping", ...
}

// readLockFile parses a postmaster.pid or socket lock file. A file whose
// first line is not a PID yields pid 0: it is garbage, hence stale.
func readLockFile(path string) (lockFileInfo, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return lockFileInfo{}, err
	}
	lines := strings.Split(string(data), "\n")
	line := func(i int) string {
		if i < len(lines) {
			return strings.TrimSpace(lines[i])
		}
		return ""
	}
	pid, _ := strconv.Atoi(line(0))
	return lockFileInfo{pid: max(pid, 0), dataDir: line(1), status: line(7)}, nil
}

// recoverStale deals with what an earlier run left in dir: we hold the
// directory lock, so no live pgdav owns it.
//
// A live postmaster serving dir is an orphan, typically left running when
// pgdav was killed (postgres sits in its own process group, so it survives
// that): it is shut down. A lock file naming a dead or unrelated process
// (after a crash, or a reboot that reused the PID) is removed, because
// postgres would otherwise refuse to start: as another user it cannot tell
// EPERM from a live postmaster, and a reused PID looks alive. Recovering the
// data itself is PostgreSQL's job, by WAL replay on the next start.
func recoverStale(ctx context.Context, dir, realDir string, log *slog.Logger) error {
	files := []string{filepath.Join(dir, pidFileName), filepath.Join(dir, socketName+".lock")}
	var stopped []int
	for _, path := range files {
		info, err := readLockFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if slices.Contains(stopped, info.pid) || !processAlive(info.pid) || !isPostmasterFor(info.pid, realDir) {
			continue
		}
		log.Info("pgcluster: stopping orphaned postgres left running by an earlier pgdav",
			"pid", info.pid, "dir", dir, "recorded_dir", info.dataDir)
		gone := func() bool { return !processAlive(info.pid) }
		if err := shutdown(ctx, info.pid, gone, orphanGrace); err != nil {
			if !gone() {
				return fmt.Errorf("stop orphaned postgres (pid %d): %w", info.pid, err)
			}
			log.Warn("pgcluster: orphaned postgres did not shut down cleanly", "pid", info.pid, "err", err)
		}
		stopped = append(stopped, info.pid)
		log.Info("pgcluster: orphaned postgres stopped", "pid", info.pid, "dir", dir)
	}
	// Whatever lock files remain name no live postmaster of ours.
	for _, path := range files {
		info, err := readLockFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		if processAlive(info.pid) && isPostmasterFor(info.pid, realDir) {
			return fmt.Errorf("postgres (pid %d) still serves %s", info.pid, dir)
		}
		log.Info("pgcluster: removing stale lock file", "file", path, "pid", info.pid, "recorded_dir", info.dataDir)
		if err := os.Remove(path); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		if filepath.Base(path) == socketName+".lock" {
			// The socket of a dead server; postgres would replace it, but
			// it must not outlive its lock.
			os.Remove(filepath.Join(dir, socketName))
		}
	}
	return nil
}
