package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/pgcluster"
)

// embeddedDatabase is the name of pgdav's database inside the embedded cluster.
const embeddedDatabase = "pgdav"

// lockWait is how long `serve` waits for another pgdav process (an admin
// command) to release the data directory.
const lockWait = 30 * time.Second

// database is an open store plus, for the embedded cluster, what must be
// released after it: the cluster (when this process started it) and the
// data directory lock.
type database struct {
	store   *backend.Store
	cluster *pgcluster.Cluster
	lock    *os.File
	logger  *slog.Logger
}

// openDatabase opens the store. With --database it connects to that server.
// Otherwise it uses the embedded cluster in --data: the process that holds
// the data directory's lock file owns the cluster (starts and stops it). A
// `serve` waits to become the owner; an admin command finding a running
// owner (a server) connects to that owner's cluster instead, so the CLI
// works whether or not a server is running. The lock is an flock, released
// by the kernel when its holder dies, so a postgres still running without a
// lock holder is an orphan of a killed pgdav, and Start recovers it.
func openDatabase(ctx context.Context, c *commonConfig, logger *slog.Logger, isServer bool) (*database, error) {
	if c.databaseURL != "" {
		store, err := backend.Open(ctx, c.databaseURL, c.pool, logger)
		if err != nil {
			return nil, err
		}
		return &database{store: store, logger: logger}, nil
	}
	dir, err := filepath.Abs(c.dataDir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	if os.Geteuid() == 0 {
		// The cluster runs as the postgres user, which must be able to
		// enter the data directory (but not read pgdav's own files).
		if fi, err := os.Stat(dir); err == nil && fi.Mode().Perm()&0o001 == 0 {
			if err := os.Chmod(dir, fi.Mode().Perm()|0o011); err != nil {
				return nil, fmt.Errorf("data directory: %w", err)
			}
		}
	}
	d := &database{logger: logger}
	owner, err := d.lockDataDir(ctx, dir, isServer)
	if err != nil {
		return nil, err
	}
	clusterDir := filepath.Join(dir, "postgres")
	if owner {
		d.cluster, err = pgcluster.Start(ctx, pgcluster.Options{Dir: clusterDir, BinDir: c.pgBinDir, Logger: logger})
		if err != nil {
			d.unlock()
			return nil, err
		}
		if err := backend.EnsureDatabase(ctx, d.cluster.ConnString("postgres"), embeddedDatabase); err != nil {
			d.Close(ctx)
			return nil, err
		}
		d.store, err = backend.Open(ctx, d.cluster.ConnString(embeddedDatabase), c.pool, logger)
	} else {
		logger.Debug("using the embedded cluster of the running pgdav server", "dir", clusterDir)
		d.store, err = backend.Open(ctx, pgcluster.ConnString(clusterDir, embeddedDatabase), c.pool, logger)
	}
	if err != nil {
		d.Close(ctx)
		return nil, err
	}
	return d, nil
}

// lockDataDir takes the data directory's lock and reports whether this
// process now owns the cluster.
func (d *database) lockDataDir(ctx context.Context, dir string, isServer bool) (bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, "pgdav.lock"), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return false, fmt.Errorf("data directory lock: %w", err)
	}
	deadline := time.Now().Add(lockWait)
	for waited := false; ; waited = true {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return false, fmt.Errorf("data directory lock: %w", err)
		}
		holder, _ := os.ReadFile(f.Name())
		if !isServer {
			f.Close()
			return false, nil // a server owns the cluster: use it
		}
		if time.Now().After(deadline) {
			f.Close()
			return false, fmt.Errorf("data directory %s is in use by another pgdav process (pid %s)", dir, holder)
		}
		if !waited {
			d.logger.Info("waiting for another pgdav process to release the data directory", "dir", dir, "pid", string(holder))
		}
		select {
		case <-ctx.Done():
			f.Close()
			return false, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
	_ = f.Truncate(0)
	_, _ = f.WriteAt([]byte(strconv.Itoa(os.Getpid())), 0)
	d.lock = f
	return true, nil
}

func (d *database) unlock() {
	if d.lock != nil {
		_ = d.lock.Truncate(0)
		_ = d.lock.Close() // closing the descriptor releases the flock
		d.lock = nil
	}
}

// Close closes the store, stops the cluster if this process started it, and
// releases the data directory.
func (d *database) Close(ctx context.Context) {
	if d.store != nil {
		d.store.Close()
	}
	if d.cluster != nil {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 60*time.Second)
		defer cancel()
		if err := d.cluster.Stop(sctx); err != nil {
			d.logger.Error("stopping embedded PostgreSQL", "err", err)
		}
	}
	d.unlock()
}

// supervise restarts the embedded cluster, when this process owns it,
// whenever its postmaster exits on its own, until ctx ends. An external
// server needs nothing: the pool replaces broken connections as requests
// ask for them, and requests answer 503 until it is back.
func (d *database) supervise(ctx context.Context) {
	if d.cluster != nil {
		go d.cluster.Supervise(ctx)
	}
}

// prepareWhenAvailable runs prepare, trying again with back-off while the
// database is unavailable (restarting, recovering), so that an outage
// during startup delays readiness instead of ending the server.
func prepareWhenAvailable(ctx context.Context, e env, store *backend.Store, demo bool, logger *slog.Logger) error {
	delay := time.Second
	for {
		err := prepare(ctx, e, store, demo)
		if err == nil || ctx.Err() != nil || !errors.Is(backend.Classify(err), backend.ErrUnavailable) {
			return err
		}
		logger.Warn("database unavailable; migrating later", "err", err, "retry_in", delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		delay = min(2*delay, 30*time.Second)
	}
}
