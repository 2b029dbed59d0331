package integration

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestServeDemoAccountRestartAndCrash(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startServer(t, data, "--demo")
	password := s.demoPassword()
	if len(password) < 16 {
		t.Fatalf("demo password %q is too short to be random", password)
	}

	for path, want := range map[string]int{"/healthz": 200, "/readyz": 200} {
		if resp, _ := s.do("GET", path, "", "", nil); resp.StatusCode != want {
			t.Errorf("GET %s = %d, want %d", path, resp.StatusCode, want)
		}
	}
	resp, _ := s.do("PROPFIND", "/principals/demo/", "", "", nil)
	if resp.StatusCode != 401 || resp.Header.Get("WWW-Authenticate") == "" ||
		!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Basic realm="pgdav"`) {
		t.Fatalf("unauthenticated PROPFIND: %d, WWW-Authenticate %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if resp, _ := s.do("PROPFIND", "/principals/demo/", "demo", "wrong", nil); resp.StatusCode != 401 {
		t.Fatalf("wrong password: %d", resp.StatusCode)
	}
	if resp, _ := s.do("PROPFIND", "/principals/demo/", "demo", password, nil); resp.StatusCode == 401 {
		t.Fatal("demo credentials refused")
	}
	// The access log line is written when the response is done, which
	// may be just after the client has read it.
	s.logs.waitFor(t, "access log line", func(logs string) bool { return hasAccessLine(logs, "PROPFIND", "demo") })
	checkAccessLog(t, s.logs.String())

	// SIGTERM: clean exit, embedded PostgreSQL stopped.
	if err := s.stop(); err != nil {
		t.Fatalf("exit after SIGTERM: %v\nlogs:\n%s", err, s.logs)
	}
	pidFile := filepath.Join(data, "postgres", "postmaster.pid")
	if _, err := os.Stat(pidFile); !os.IsNotExist(err) {
		t.Fatalf("postmaster.pid left after a clean stop: %v", err)
	}

	// A second start reuses the data: no new demo account, same password.
	s2 := startServer(t, data, "--demo")
	if strings.Contains(s2.stdout.String(), "password:") {
		t.Fatalf("second start printed a demo password again:\n%s", s2.stdout)
	}
	if resp, _ := s2.do("PROPFIND", "/principals/demo/", "demo", password, nil); resp.StatusCode == 401 {
		t.Fatal("demo credentials refused after restart")
	}

	// kill -9 leaves postgres running without its owner; the next start
	// recovers without manual steps.
	s2.kill()
	s3 := startServer(t, data)
	if resp, _ := s3.do("PROPFIND", "/principals/demo/", "demo", password, nil); resp.StatusCode == 401 {
		t.Fatal("demo credentials refused after kill -9 and restart")
	}
	if out := mustCLI(t, data, "", "user", "list"); !strings.Contains(out, "demo") {
		t.Fatalf("user list after recovery:\n%s", out)
	}
	if os.Geteuid() == 0 {
		// initdb and postgres refuse root: the cluster belongs to postgres.
		fi, err := os.Stat(filepath.Join(data, "postgres"))
		if err != nil {
			t.Fatal(err)
		}
		if owner := fi.Sys().(*syscall.Stat_t).Uid; owner == 0 {
			t.Fatal("running as root, the cluster directory is owned by root")
		}
	}
}

// hasAccessLine reports whether logs hold the access line of a request
// with method by user (not just any line naming the user, such as a
// failed login's warning).
func hasAccessLine(logs, method, user string) bool {
	for _, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" && m["method"] == method && m["user"] == user {
			return true
		}
	}
	return false
}

// checkAccessLog finds one JSON log line per request with its attributes.
func checkAccessLog(t *testing.T, logs string) {
	t.Helper()
	found := false
	for _, line := range strings.Split(logs, "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) != nil || m["msg"] != "request" {
			continue
		}
		if m["method"] == "PROPFIND" && m["user"] == "demo" {
			found = true
			for _, k := range []string{"path", "status", "duration", "bytes"} {
				if _, ok := m[k]; !ok {
					t.Errorf("access log line lacks %q: %s", k, line)
				}
			}
		}
	}
	if !found {
		t.Errorf("no access log line for the authenticated PROPFIND in:\n%s", logs)
	}
}

func TestMigrateCommand(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	out := mustCLI(t, data, "", "migrate", "--status")
	if !strings.Contains(out, "0001_init.sql\tpending") {
		t.Fatalf("status on a fresh cluster:\n%s", out)
	}
	if out := mustCLI(t, data, "", "migrate"); !strings.Contains(out, "applied 0001_init.sql") {
		t.Fatalf("migrate:\n%s", out)
	}
	if out := mustCLI(t, data, "", "migrate", "--status"); !strings.Contains(out, "0001_init.sql\tapplied ") {
		t.Fatalf("status after migrate:\n%s", out)
	}
	if out := mustCLI(t, data, "", "migrate"); !strings.Contains(out, "schema is up to date") {
		t.Fatalf("second migrate:\n%s", out)
	}
}

func TestMissingPostgresBinaries(t *testing.T) {
	t.Parallel()
	r := cli(t, newDataDir(t), "", "serve", "--listen", "127.0.0.1:0", "--pg-bindir", "/nonexistent/bin")
	if r.code == 0 {
		t.Fatal("serve started without PostgreSQL binaries")
	}
	lines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	last := lines[len(lines)-1]
	if len(lines) != 1 || !strings.Contains(last, "initdb") || !strings.Contains(last, "/nonexistent/bin") || !strings.Contains(last, "apt-get install postgresql") {
		t.Fatalf("error does not say what is missing: %q", r.stderr)
	}
}

// A second node on the first one's PostgreSQL: --database and the
// environment variable, with pool flags.
func TestExternalDatabase(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	first := startServer(t, data, "--demo")
	password := first.demoPassword()
	conn := "host=" + filepath.Join(data, "postgres") + " user=pgdav dbname=pgdav"

	second := startServer(t, "", "--database", conn, "--db-max-conns", "3", "--db-min-conns", "1")
	if resp, _ := second.do("PROPFIND", "/principals/demo/", "demo", password, nil); resp.StatusCode == 401 {
		t.Fatal("second node refused the first node's user")
	}

	// The CLI reaches the same database through PGDAV_DATABASE_URL.
	cmd := exec.Command(pgdavBin, "user", "add", "frank", "--password-stdin")
	cmd.Env = append(os.Environ(), "PGDAV_DATABASE_URL="+conn)
	cmd.Stdin = strings.NewReader("frank-pw\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("user add via PGDAV_DATABASE_URL: %v\n%s", err, out)
	}
	for _, s := range []*server{first, second} {
		if resp, _ := s.do("GET", "/calendars/frank/", "frank", "frank-pw", nil); resp.StatusCode == 401 {
			t.Fatalf("%s refused a user created on the shared database", s.URL)
		}
	}

	if r := cli(t, "", "", "user", "list", "--database", "postgres://nobody@127.0.0.1:1/none"); r.code == 0 || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Fatalf("unreachable database: exit %d, stderr %q", r.code, r.stderr)
	}
	if r := cli(t, "", "", "serve", "--database", conn, "--db-max-conns", "0"); r.code != 2 {
		t.Fatalf("--db-max-conns 0: exit %d, want 2", r.code)
	}
}

func TestHealthEndpointsNeedNoAuth(t *testing.T) {
	t.Parallel()
	s := startServer(t, newDataDir(t))
	client := &http.Client{Timeout: 10 * time.Second}
	for _, path := range []string{"/healthz", "/readyz"} {
		resp, err := client.Get(s.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Errorf("%s = %d", path, resp.StatusCode)
		}
	}
}
