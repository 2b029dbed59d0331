package main

import (
	"io"
	"testing"
	"time"

	"github.com/pgdav/pgdav/internal/server"
)

// The limits of slow and hostile clients come from flags or the
// environment, default to server.DefaultLimits, and refuse values that
// would turn the header guard off.
func TestLimitFlags(t *testing.T) {
	t.Parallel()
	def := server.DefaultLimits()
	for _, tc := range []struct {
		name    string
		args    []string
		env     map[string]string
		want    func(*server.Limits)
		wantErr bool
	}{
		{name: "defaults", want: func(*server.Limits) {}},
		{name: "flags", args: []string{"--read-header-timeout", "5s", "--read-timeout", "10m", "--write-timeout", "0",
			"--idle-timeout", "1m", "--max-header-bytes", "16384", "--max-conns-per-client", "0", "--max-requests-per-client", "8"},
			want: func(l *server.Limits) {
				l.ReadHeaderTimeout, l.ReadTimeout, l.WriteTimeout, l.IdleTimeout = 5*time.Second, 10*time.Minute, 0, time.Minute
				l.MaxHeaderBytes, l.MaxConnsPerClient, l.MaxRequestsPerClient = 16384, 0, 8
			}},
		{name: "environment", env: map[string]string{"PGDAV_READ_HEADER_TIMEOUT": "3s", "PGDAV_MAX_REQUESTS_PER_CLIENT": "200",
			"PGDAV_MAX_CONNS_PER_CLIENT": "300", "PGDAV_READ_TIMEOUT": "1m", "PGDAV_WRITE_TIMEOUT": "30s", "PGDAV_IDLE_TIMEOUT": "10s",
			"PGDAV_MAX_HEADER_BYTES": "8192"},
			want: func(l *server.Limits) {
				l.ReadHeaderTimeout, l.ReadTimeout, l.WriteTimeout, l.IdleTimeout = 3*time.Second, time.Minute, 30*time.Second, 10*time.Second
				l.MaxHeaderBytes, l.MaxConnsPerClient, l.MaxRequestsPerClient = 8192, 300, 200
			}},
		{name: "no header timeout", args: []string{"--read-header-timeout", "0"}, wantErr: true},
		{name: "negative read timeout", args: []string{"--read-timeout", "-1s"}, wantErr: true},
		{name: "tiny header cap", args: []string{"--max-header-bytes", "100"}, wantErr: true},
		{name: "negative request cap", env: map[string]string{"PGDAV_MAX_REQUESTS_PER_CLIENT": "-1"}, wantErr: true},
		{name: "not a number", env: map[string]string{"PGDAV_MAX_CONNS_PER_CLIENT": "many"}, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env{stderr: io.Discard, getenv: func(k string) string { return tc.env[k] }}
			var l server.Limits
			fs := newFlagSet(e, "test", "test")
			addLimits(fs, &l)
			_, err := fs.parse(e, tc.args)
			if err == nil {
				err = validateLimits(l)
			}
			if tc.wantErr {
				if _, ok := err.(usageError); !ok {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := def
			tc.want(&want)
			if l != want {
				t.Fatalf("limits %+v, want %+v", l, want)
			}
		})
	}
}
