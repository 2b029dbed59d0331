// Package backendtest gives tests a real PostgreSQL database each.
//
// The first test that asks for a database starts one private cluster for
// the whole binary (backend/pgcluster, the code `pgdav serve` uses) and
// migrates a template database once; Main, called from the binary's
// TestMain, stops it when the tests are done. Tests that never ask start
// nothing. New then hands each test a fresh database copied from that
// template and drops it when the test ends, so tests may run in parallel
// and never see each other's rows.
//
// PGDAV_TEST_DATABASE, when set, names an existing server to use instead of
// a private cluster (a connection URL whose user may create databases).
//
// It may import backend, backend/pgcluster and testing; never a DAV package.
package backendtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/pgcluster"
)

var (
	adminConn string // connection string of the maintenance database
	template  string // name of the migrated template database

	// The cluster starts on the first test that asks for a database, so a
	// package's pure unit tests never pay for PostgreSQL.
	startOnce sync.Once
	startErr  error
	stop      []func() // undoes what start did, last first
	inMain    bool     // Main is running, so it will call shutdown
)

// Main runs m and exits with m's code. The private PostgreSQL cluster is
// started by the first call to New, NewDatabase or NewEmptyDatabase and
// stopped here when m is done.
func Main(m *testing.M) {
	inMain = true
	code := m.Run()
	shutdown()
	os.Exit(code)
}

func shutdown() {
	for i := len(stop) - 1; i >= 0; i-- {
		stop[i]()
	}
	stop = nil
}

// ensure starts the cluster and migrates the template once for the whole
// binary; every later call returns the first call's result.
func ensure(t testing.TB) {
	t.Helper()
	if !inMain {
		// Without Main nobody would stop the cluster.
		t.Fatal("backendtest: call backendtest.Main from TestMain")
	}
	startOnce.Do(func() { startErr = start() })
	if startErr != nil {
		t.Fatalf("backendtest: %v", startErr)
	}
}

func start() error {
	// The cluster outlives every test, so it cannot use a test's context.
	ctx := context.Background()
	if ext := os.Getenv("PGDAV_TEST_DATABASE"); ext != "" {
		adminConn = ext
	} else {
		dir, err := os.MkdirTemp("", "pgdavtest")
		if err != nil {
			return err
		}
		stop = append(stop, func() { os.RemoveAll(dir) })
		// As root the cluster runs as the postgres user, which must reach it.
		if err := os.Chmod(dir, 0o755); err != nil {
			return err
		}
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir + "/pg", Fast: true})
		if err != nil {
			return err
		}
		stop = append(stop, func() {
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_ = cluster.Stop(sctx)
		})
		adminConn = cluster.ConnString("postgres")
	}
	template = "pgdav_tmpl_" + randomSuffix()
	if err := createTemplate(ctx); err != nil {
		return err
	}
	stop = append(stop, func() { dropDatabase(ctx, template) })
	return nil
}

func createTemplate(ctx context.Context) error {
	if err := adminExec(ctx, "CREATE DATABASE "+pgx.Identifier{template}.Sanitize()); err != nil {
		return err
	}
	store, err := backend.Open(ctx, WithDatabase(adminConn, template), backend.PoolOptions{MaxConns: 2}, nil)
	if err != nil {
		return err
	}
	defer store.Close()
	_, err = store.Migrate(ctx)
	return err
}

func adminExec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, adminConn)
	if err != nil {
		return fmt.Errorf("connect to maintenance database: %w", err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql); err != nil {
		return fmt.Errorf("%s: %w", sql, err)
	}
	return nil
}

func dropDatabase(ctx context.Context, name string) {
	_ = adminExec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
}

// NewDatabase creates a fresh, migrated database for t, dropped when t
// ends, and returns its connection string.
func NewDatabase(t testing.TB) string {
	t.Helper()
	ensure(t)
	name := "t_" + randomSuffix()
	err := adminExec(t.Context(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
	if err != nil {
		t.Fatalf("backendtest: %v", err)
	}
	// At cleanup t's context is already canceled.
	t.Cleanup(func() { dropDatabase(context.WithoutCancel(t.Context()), name) })
	return WithDatabase(adminConn, name)
}

// NewEmptyDatabase creates a database for t with no schema at all, dropped
// when t ends, and returns its connection string.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	ensure(t)
	name := "t_" + randomSuffix()
	if err := adminExec(t.Context(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("backendtest: %v", err)
	}
	// At cleanup t's context is already canceled.
	t.Cleanup(func() { dropDatabase(context.WithoutCancel(t.Context()), name) })
	return WithDatabase(adminConn, name)
}

// New returns a Store on a fresh, migrated database for t.
func New(t testing.TB) *backend.Store {
	t.Helper()
	return Open(t, NewDatabase(t))
}

// Open returns a Store on connString, closed when t ends.
func Open(t testing.TB, connString string) *backend.Store {
	t.Helper()
	logger := slog.New(slog.DiscardHandler)
	store, err := backend.Open(t.Context(), connString, backend.PoolOptions{MaxConns: 4}, logger)
	if err != nil {
		t.Fatalf("backendtest: %v", err)
	}
	t.Cleanup(store.Close)
	return store
}

// WithDatabase returns connString with its database replaced by name; it
// understands both URLs and keyword/value strings.
func WithDatabase(connString, name string) string {
	if strings.HasPrefix(connString, "postgres://") || strings.HasPrefix(connString, "postgresql://") {
		u, err := url.Parse(connString)
		if err == nil {
			u.Path = "/" + name
			return u.String()
		}
	}
	// In a keyword/value string a later keyword overrides an earlier one.
	return connString + " dbname='" + name + "'"
}

func randomSuffix() string {
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
