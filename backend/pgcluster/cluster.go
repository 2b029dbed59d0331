package pgcluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
)

// Options configure a cluster.
type Options struct {
	Dir    string       // the cluster directory (PGDATA); created if missing. The socket lives in it too.
	BinDir string       // optional; where initdb and postgres are. Empty: FindBinDir().
	Logger *slog.Logger // optional; nil discards. postgres's output goes here at debug level.
	Fast   bool         // tests: initdb --no-sync, fsync=off, synchronous_commit=off, full_page_writes=off
}

// Cluster is a running postgres serving one data directory.
type Cluster struct {
	dir    string
	binDir string
	log    *slog.Logger
	out    *outputLog
	lock   *os.File // flock on dir, held until Stop

	id   identity
	fast bool

	// The current postmaster; Supervise replaces it after a crash. They
	// change only under stopMu, and pmMu guards them for PID and Done.
	pmMu      sync.Mutex
	cmd       *exec.Cmd
	done      chan struct{} // closed once the postmaster has exited and been reaped
	waitErr   error         // the postmaster's exit; valid once done is closed
	startedAt time.Time

	stopMu   sync.Mutex
	stopped  bool
	stopErr  error
	stopping chan struct{} // closed by Stop: Supervise ends
}

// Start makes sure the cluster exists (initdb on first start), recovers from
// a previous unclean exit (an orphaned postgres, stale lock files), starts
// postgres and waits until it accepts connections: at most about a minute,
// less if ctx ends sooner. On error nothing is left running.
func Start(ctx context.Context, opts Options) (*Cluster, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if opts.Dir == "" {
		return nil, errors.New("pgcluster: Options.Dir is empty")
	}
	dir, err := filepath.Abs(opts.Dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: data directory: %w", err)
	}
	if err := checkDirPath(dir); err != nil {
		return nil, fmt.Errorf("pgcluster: data directory: %w", err)
	}
	binDir := opts.BinDir
	if binDir == "" {
		if binDir, err = FindBinDir(); err != nil {
			return nil, fmt.Errorf("pgcluster: %w", err)
		}
	} else if !hasServerBinaries(binDir) {
		return nil, fmt.Errorf("pgcluster: %w in %s: point --pg-bindir at the directory holding them, or install them, e.g. \"apt-get install postgresql\"", ErrNoBinaries, binDir)
	}
	id, err := resolveIdentity()
	if err != nil {
		return nil, fmt.Errorf("pgcluster: %w", err)
	}
	created, err := prepareDir(dir, id)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, fmt.Errorf("pgcluster: data directory: %w", err)
	}
	c := &Cluster{
		dir:      dir,
		binDir:   binDir,
		log:      log,
		out:      newOutputLog(log, "postgres"),
		lock:     lock,
		id:       id,
		fast:     opts.Fast,
		stopping: make(chan struct{}),
	}
	if err := c.start(ctx, created); err != nil {
		lock.Close()
		return nil, err
	}
	log.Info("pgcluster: postgres ready", "dir", dir, "pid", c.PID(), "bin", binDir)
	return c, nil
}

// start runs the steps after the directory is ours: recovery, initdb,
// launch, wait.
func (c *Cluster) start(ctx context.Context, created bool) error {
	realDir, err := filepath.EvalSymlinks(c.dir)
	if err != nil {
		return fmt.Errorf("pgcluster: data directory: %w", err)
	}
	if err := recoverStale(ctx, c.dir, realDir, c.log); err != nil {
		return fmt.Errorf("pgcluster: recover from previous run: %w", err)
	}
	if !initialised(c.dir) {
		if err := c.initdb(ctx, c.id, c.fast, created); err != nil {
			return fmt.Errorf("pgcluster: initdb: %w", err)
		}
	}
	if err := c.launch(c.id, c.fast); err != nil {
		return fmt.Errorf("pgcluster: start postgres: %w", err)
	}
	if err := c.waitReady(ctx); err != nil {
		// Do not leave a half-started server behind; ctx may be done
		// already, so the halt gets its own short bound.
		haltCtx, cancel := context.WithTimeout(context.Background(), escalateWait)
		defer cancel()
		if herr := c.halt(haltCtx, escalateWait); herr != nil {
			err = fmt.Errorf("%w; stopping it: %v", err, herr)
		}
		return fmt.Errorf("pgcluster: start postgres: %w", err)
	}
	return nil
}

// SocketDir is the directory of the Unix socket: the data directory.
func (c *Cluster) SocketDir() string { return c.dir }

// PID is the current postmaster's process ID.
func (c *Cluster) PID() int {
	c.pmMu.Lock()
	defer c.pmMu.Unlock()
	return c.cmd.Process.Pid
}

// Done is closed when the current postmaster has exited, whether through
// Stop or not; a server can watch it to notice its database going away.
// After Supervise has restarted postgres, Done is a new channel.
func (c *Cluster) Done() <-chan struct{} {
	c.pmMu.Lock()
	defer c.pmMu.Unlock()
	return c.done
}

// ConnString returns a libpq keyword/value conninfo for database dbname on
// the socket, as the superuser, e.g.
// "host=/path port=5432 user=pgdav dbname=pgdav sslmode=disable". The port
// is explicit so a PGPORT in the client's environment cannot pick another
// socket name. Values are quoted as libpq requires.
func (c *Cluster) ConnString(dbname string) string { return ConnString(c.dir, dbname) }

// ConnString returns the conninfo of Cluster.ConnString for a cluster in
// dir that another process started and still runs: an admin command uses
// it to reach the running server's cluster without starting its own. dir
// must be absolute.
func ConnString(dir, dbname string) string {
	return "host=" + quoteConnValue(dir) +
		" port=" + socketPort +
		" user=" + quoteConnValue(superuser) +
		" dbname=" + quoteConnValue(dbname) +
		" sslmode=disable"
}

// Stop shuts postgres down cleanly: SIGINT (fast shutdown) and wait for it
// to exit. If ctx ends first (or after two minutes at most), it escalates to
// SIGQUIT (immediate shutdown), then SIGKILL, and reports that. Afterwards
// the socket and postmaster.pid are gone and the directory lock is
// released. Stop is safe to call more than once, also concurrently; later
// calls return the first call's result.
func (c *Cluster) Stop(ctx context.Context) error {
	c.stopMu.Lock()
	defer c.stopMu.Unlock()
	if c.stopped {
		return c.stopErr
	}
	c.stopped = true
	close(c.stopping)
	defer c.lock.Close()
	if c.exited() {
		c.removeLeftovers()
		c.stopErr = fmt.Errorf("pgcluster: stop postgres: it had already exited (%s); its last output:\n%s",
			exitStatus(c.waitErr), c.out.Tail())
		return c.stopErr
	}
	start := time.Now()
	if err := c.halt(ctx, fastShutdownLimit); err != nil {
		c.stopErr = fmt.Errorf("pgcluster: stop postgres: %w", err)
		return c.stopErr
	}
	c.log.Info("pgcluster: postgres stopped", "dir", c.dir, "took", time.Since(start).Round(time.Millisecond))
	return nil
}
