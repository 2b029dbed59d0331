package integration

// Deployment tests: pgdav behind the shipped nginx and Caddy configurations
// (deploy/nginx, deploy/caddy) with TLS, the systemd unit, the container
// files, and the backup commands README.md shows. The proxy configurations
// run as shipped: only the values on their "# EDIT" lines are replaced.

import (
	"context"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestBackupRestore runs the backup and restore commands README.md shows
// for the embedded cluster, as written there (the data directory and the
// user aside), against a running `pgdav serve`: pg_dump, data lost,
// pg_restore, pgdav restarted, data back.
func TestBackupRestore(t *testing.T) {
	t.Parallel()
	pgDump := pxPGTool(t, "pg_dump")
	readme, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	command := func(tool string) string {
		for line := range strings.SplitSeq(string(readme), "\n") {
			if strings.HasPrefix(line, "sudo -u pgdav "+tool+" ") && strings.Contains(line, "-h /var/lib/pgdav/postgres") {
				return line
			}
		}
		t.Fatalf("README.md shows no line \"sudo -u pgdav %s … -h /var/lib/pgdav/postgres …\"", tool)
		return ""
	}
	backup, restore := command("pg_dump"), command("pg_restore")

	data := newDataDir(t)
	s := startServer(t, data, "--demo")
	password := s.demoPassword()
	const obj = "/calendars/demo/default/backup.ics"
	event := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:backup@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	if resp, body := s.do("PUT", obj, "demo", password, strings.NewReader(event)); resp.StatusCode != http.StatusCreated {
		t.Fatalf("PUT: %d %s", resp.StatusCode, body)
	}
	// The test runs as the user pgdav runs as (or as root), so no sudo.
	run := func(line string) {
		t.Helper()
		line = strings.ReplaceAll(strings.TrimPrefix(line, "sudo -u pgdav "), "/var/lib/pgdav", data)
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "bash", "-euo", "pipefail", "-c", line)
		cmd.Dir = filepath.Dir(data)
		cmd.Env = append(os.Environ(), "PATH="+filepath.Dir(pgDump)+":"+os.Getenv("PATH"))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		t.Logf("ran: %s", line)
	}
	run(backup)
	if st, err := os.Stat(filepath.Join(filepath.Dir(data), "pgdav.dump")); err != nil || st.Size() == 0 {
		t.Fatalf("no dump written: %v", err)
	}
	if resp, _ := s.do("DELETE", obj, "demo", password, nil); resp.StatusCode != http.StatusNoContent {
		t.Fatalf("DELETE: %d", resp.StatusCode)
	}
	run(restore)
	if err := s.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	s = startServer(t, data)
	resp, body := s.do("GET", obj, "demo", password, nil)
	if resp.StatusCode != http.StatusOK || body != event {
		t.Fatalf("GET after restore: %d %q", resp.StatusCode, body)
	}
}

// pxPGTool finds a PostgreSQL client program.
func pxPGTool(t *testing.T, name string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if m, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name); len(m) > 0 {
		slices.Sort(m)
		return m[len(m)-1]
	}
	t.Skipf("%s is not installed", name)
	return ""
}
