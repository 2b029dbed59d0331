package pgcluster

import "testing"

func TestConnString(t *testing.T) {
	tests := []struct {
		dir, db, want string
	}{
		{"/tmp/x/data", "pgdav", "host=/tmp/x/data port=5432 user=pgdav dbname=pgdav sslmode=disable"},
		{"/tmp/with space/data", "postgres", "host='/tmp/with space/data' port=5432 user=pgdav dbname=postgres sslmode=disable"},
		{`/tmp/it's\here`, "my db", `host='/tmp/it\'s\\here' port=5432 user=pgdav dbname='my db' sslmode=disable`},
		{"/tmp/x", "", "host=/tmp/x port=5432 user=pgdav dbname='' sslmode=disable"},
	}
	for _, tt := range tests {
		c := &Cluster{dir: tt.dir}
		if got := c.ConnString(tt.db); got != tt.want {
			t.Errorf("ConnString(%q) with dir %q = %s, want %s", tt.db, tt.dir, got, tt.want)
		}
	}
}

func TestQuoteGUCList(t *testing.T) {
	tests := map[string]string{
		"/tmp/a":      `"/tmp/a"`,
		"/tmp/a, b":   `"/tmp/a, b"`,
		`/tmp/"q"`:    `"/tmp/""q"""`,
		" /tmp/lead ": `" /tmp/lead "`,
	}
	for in, want := range tests {
		if got := quoteGUCList(in); got != want {
			t.Errorf("quoteGUCList(%q) = %s, want %s", in, got, want)
		}
	}
}
