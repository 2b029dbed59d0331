package backend_test

import (
	"context"
	"errors"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

// TestClassifyServerErrors feeds Classify errors that a real server and
// driver produce and checks which count as an outage.
func TestClassifyServerErrors(t *testing.T) {
	t.Parallel()
	s := backendtest.New(t)
	raise := func(code string) string {
		return `DO $$ BEGIN RAISE EXCEPTION 'test' USING ERRCODE = '` + code + `'; END $$`
	}
	cancelled, cancel := context.WithCancel(t.Context())
	cancel()
	tests := []struct {
		name string
		ctx  context.Context
		sql  string
		want error // nil: not an outage
	}{
		{"disk full", nil, raise("53100"), backend.ErrStorageFull},
		{"out of memory", nil, raise("53200"), backend.ErrUnavailable},
		{"too many connections", nil, raise("53300"), backend.ErrUnavailable},
		{"admin shutdown", nil, raise("57P01"), backend.ErrUnavailable},
		{"crash shutdown", nil, raise("57P02"), backend.ErrUnavailable},
		{"cannot connect now", nil, raise("57P03"), backend.ErrUnavailable},
		{"connection failure", nil, raise("08006"), backend.ErrUnavailable},
		{"read-only transaction", nil, `BEGIN READ ONLY; CREATE TEMP TABLE t (x int); COMMIT`, backend.ErrUnavailable},
		{"unique violation", nil, raise("23505"), nil},
		{"syntax error", nil, `SELEC 1`, nil},
		{"division by zero", nil, `SELECT 1/0`, nil},
		{"caller's context ended", cancelled, `SELECT 1`, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ctx := tc.ctx
			if ctx == nil {
				ctx = t.Context()
			}
			_, err := s.Pool().Exec(ctx, tc.sql)
			if err == nil {
				t.Fatalf("%s: no error", tc.sql)
			}
			checkClassified(t, err, tc.want)
		})
	}
}

// TestClassifyBrokenSession: a session the server ends (as it does when
// the postmaster dies) and the next use of that connection are outages.
func TestClassifyBrokenSession(t *testing.T) {
	t.Parallel()
	s := backendtest.New(t)
	conn, err := s.Pool().Acquire(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Release()
	_, err = conn.Exec(t.Context(), `SELECT pg_terminate_backend(pg_backend_pid())`)
	if err == nil {
		t.Fatal("terminating our own backend did not fail")
	}
	checkClassified(t, err, backend.ErrUnavailable)
	_, err = conn.Exec(t.Context(), `SELECT 1`)
	if err == nil {
		t.Fatal("query on a terminated session did not fail")
	}
	checkClassified(t, err, backend.ErrUnavailable)
	// Plain errors pass unchanged.
	for _, e := range []error{pgx.ErrNoRows, backend.ErrNotFound, errors.New("boom")} {
		if got := backend.Classify(e); got != e {
			t.Errorf("Classify(%v) = %v, want it unchanged", e, got)
		}
	}
	if backend.Classify(nil) != nil {
		t.Error("Classify(nil) is not nil")
	}
}

// TestOpenUnreachable: connecting to no server, or to one that accepts
// and never answers, fails with an outage, and the second within the
// connect timeout pgdav sets, not when the caller gives up.
func TestOpenUnreachable(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		listen bool
	}{
		{"no server", false},
		{"server never answers", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if tc.listen {
				// The kernel completes connects into the backlog; nobody
				// ever reads the startup message.
				ln, err := net.Listen("unix", filepath.Join(dir, ".s.PGSQL.5432"))
				if err != nil {
					t.Fatal(err)
				}
				defer ln.Close()
			}
			// A safety net only: the store's own timeout must end it first.
			ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
			defer cancel()
			_, err := backend.Open(ctx, "host="+dir+" port=5432 user=nobody dbname=nothing sslmode=disable", backend.PoolOptions{}, nil)
			if err == nil {
				t.Fatal("Open succeeded without a server")
			}
			if ctx.Err() != nil {
				t.Fatalf("Open returned only when the caller's context ended: %v", err)
			}
			checkClassified(t, err, backend.ErrUnavailable)
		})
	}
}

func checkClassified(t *testing.T, err, want error) {
	t.Helper()
	got := backend.Classify(err)
	if want == nil {
		if errors.Is(got, backend.ErrUnavailable) {
			t.Errorf("Classify(%v) = %v, want no outage", err, got)
		}
		return
	}
	if !errors.Is(got, want) || !errors.Is(got, backend.ErrUnavailable) {
		t.Errorf("Classify(%v) = %v, want %v", err, got, want)
	}
	if !errors.Is(got, err) && got != err {
		t.Errorf("Classify(%v) lost the cause: %v", err, got)
	}
}
