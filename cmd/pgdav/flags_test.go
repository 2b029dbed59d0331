package main

import (
	"io"
	"testing"
)

func TestFlagsFromEnvironment(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name     string
		args     []string
		env      map[string]string
		wantData string
		wantURL  string
		wantPos  []string
		wantErr  bool
	}{
		{"defaults", nil, nil, "./data", "", nil, false},
		{"env fills unset flags", nil, map[string]string{"PGDAV_DATA": "/srv/pgdav", "PGDAV_DATABASE_URL": "postgres://x/y"}, "/srv/pgdav", "postgres://x/y", nil, false},
		{"flag beats env", []string{"--data", "/a"}, map[string]string{"PGDAV_DATA": "/b"}, "/a", "", nil, false},
		{"flags after positionals", []string{"alice", "--data", "/a", "work"}, nil, "/a", "", []string{"alice", "work"}, false},
		{"bad env value", nil, map[string]string{"PGDAV_DB_MAX_CONNS": "lots"}, "", "", nil, true},
		{"bad flag", []string{"--nope"}, nil, "", "", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env{stderr: io.Discard, getenv: func(k string) string { return tc.env[k] }}
			var c commonConfig
			fs := newFlagSet(e, "test", "test")
			addCommon(fs, &c, "info")
			pos, err := fs.parse(e, tc.args)
			if tc.wantErr {
				if _, ok := err.(usageError); !ok {
					t.Fatalf("err = %v, want a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.dataDir != tc.wantData || c.databaseURL != tc.wantURL || len(pos) != len(tc.wantPos) {
				t.Fatalf("data %q url %q positional %q", c.dataDir, c.databaseURL, pos)
			}
			for i := range pos {
				if pos[i] != tc.wantPos[i] {
					t.Fatalf("positional %q, want %q", pos, tc.wantPos)
				}
			}
		})
	}
}

func TestCommonValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		c    commonConfig
		ok   bool
	}{
		{"good", commonConfig{dataDir: "d", logLevel: "info", logFormat: "auto"}, true},
		{"bad level", commonConfig{dataDir: "d", logLevel: "loud", logFormat: "auto"}, false},
		{"bad format", commonConfig{dataDir: "d", logLevel: "info", logFormat: "xml"}, false},
		{"no data, no url", commonConfig{logLevel: "info", logFormat: "auto"}, false},
	} {
		if err := tc.c.validate(); (err == nil) != tc.ok {
			t.Errorf("%s: validate() = %v", tc.name, err)
		}
	}
}
