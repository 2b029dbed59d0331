// Package backendtest gives tests a real PostgreSQL database each.
//
// Main, called from a test binary's TestMain, starts one private cluster
// for the whole binary (backend/pgcluster, the code `pgdav serve` uses) and
// migrates a template database once. New then hands each test a fresh
// database copied from that template and drops it when the test ends, so
// tests may run in parallel and never see each other's rows.
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
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/pgcluster"
)

var (
	adminConn string // connection string of the maintenance database
	template  string // name of the migrated template database
)

// Main runs m against a private PostgreSQL cluster and exits with m's code.
func Main(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	ctx := context.Background()
	if ext := os.Getenv("PGDAV_TEST_DATABASE"); ext != "" {
		adminConn = ext
	} else {
		dir, err := os.MkdirTemp("", "pgdavtest")
		if err != nil {
			fmt.Fprintln(os.Stderr, "backendtest:", err)
			return 1
		}
		defer os.RemoveAll(dir)
		// As root the cluster runs as the postgres user, which must reach it.
		if err := os.Chmod(dir, 0o755); err != nil {
			fmt.Fprintln(os.Stderr, "backendtest:", err)
			return 1
		}
		cluster, err := pgcluster.Start(ctx, pgcluster.Options{Dir: dir + "/pg", Fast: true})
		if err != nil {
			fmt.Fprintln(os.Stderr, "backendtest:", err)
			return 1
		}
		defer func() {
			sctx, cancel := context.WithTimeout(ctx, 30*time.Second)
			defer cancel()
			_ = cluster.Stop(sctx)
		}()
		adminConn = cluster.ConnString("postgres")
	}
	template = "pgdav_tmpl_" + randomSuffix()
	if err := createTemplate(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "backendtest:", err)
		return 1
	}
	defer dropDatabase(ctx, template)
	return m.Run()
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
	if template == "" {
		t.Fatal("backendtest: call backendtest.Main from TestMain")
	}
	name := "t_" + randomSuffix()
	ctx := context.Background()
	err := adminExec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{template}.Sanitize())
	if err != nil {
		t.Fatalf("backendtest: %v", err)
	}
	t.Cleanup(func() { dropDatabase(context.Background(), name) })
	return WithDatabase(adminConn, name)
}

// NewEmptyDatabase creates a database for t with no schema at all, dropped
// when t ends, and returns its connection string.
func NewEmptyDatabase(t testing.TB) string {
	t.Helper()
	name := "t_" + randomSuffix()
	if err := adminExec(context.Background(), "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatalf("backendtest: %v", err)
	}
	t.Cleanup(func() { dropDatabase(context.Background(), name) })
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
	store, err := backend.Open(context.Background(), connString, backend.PoolOptions{MaxConns: 4}, logger)
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
