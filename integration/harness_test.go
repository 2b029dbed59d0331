package integration

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// pgdavBin is the binary under test, built once by TestMain.
var pgdavBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "pgdavbin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pgdavBin = filepath.Join(dir, "pgdav")
	build := exec.Command("go", "build", "-o", pgdavBin, "../cmd/pgdav")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "building pgdav:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// newDataDir returns a fresh data directory. Its parent is world-searchable
// because, run as root, the embedded cluster runs as the postgres user.
func newDataDir(t *testing.T) string {
	t.Helper()
	parent, err := os.MkdirTemp("", "pgdavit")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(parent, 0o755); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(parent) })
	return filepath.Join(parent, "data")
}

// lockedBuffer collects a process's output while it runs.
type lockedBuffer struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{} // closed at the next Write
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.wrote != nil {
		close(l.wrote)
		l.wrote = nil
	}
	return l.b.Write(p)
}

// waitFor waits until ok holds for the buffer's contents, checking again
// after every write rather than at intervals, and returns them. The timer
// only bounds a broken test.
func (l *lockedBuffer) waitFor(t *testing.T, what string, ok func(string) bool) (string, bool) {
	t.Helper()
	timeout := time.After(60 * time.Second)
	for {
		l.mu.Lock()
		s := l.b.String()
		if ok(s) {
			l.mu.Unlock()
			return s, true
		}
		if l.wrote == nil {
			l.wrote = make(chan struct{})
		}
		wrote := l.wrote
		l.mu.Unlock()
		select {
		case <-wrote:
		case <-timeout:
			t.Errorf("%s: not written in time", what)
			return s, false
		}
	}
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// server is a running `pgdav serve`.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	URL    string // http://127.0.0.1:PORT
	Data   string
	stdout *lockedBuffer
	logs   *lockedBuffer // stderr: JSON log lines
	done   chan struct{}
	err    error
}

// startServer runs `pgdav serve --listen 127.0.0.1:0` with extra args and
// waits until it reports ready. It is stopped with SIGTERM when t ends.
func startServer(t *testing.T, data string, extra ...string) *server {
	t.Helper()
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--log-level", "debug"}, extra...)
	if data != "" {
		args = append(args, "--data", data)
	}
	s := &server{t: t, Data: data, stdout: &lockedBuffer{}, logs: &lockedBuffer{}, done: make(chan struct{})}
	s.cmd = exec.Command(pgdavBin, args...)
	s.cmd.Stdout = s.stdout
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addr := make(chan string, 1)
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			s.logs.Write([]byte(line + "\n"))
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) != nil {
				continue
			}
			switch m["msg"] {
			case "pgdav listening":
				addr <- m["addr"].(string)
			case "pgdav ready":
				close(ready)
			}
		}
	}()
	go func() {
		s.err = s.cmd.Wait()
		pw.Close()
		close(s.done)
	}()
	t.Cleanup(func() { s.stop() })
	timeout := time.After(90 * time.Second)
	select {
	case a := <-addr:
		s.URL = "http://" + a
	case <-s.done:
		t.Fatalf("pgdav serve exited: %v\nstdout:\n%s\nlogs:\n%s", s.err, s.stdout, s.logs)
	case <-timeout:
		t.Fatalf("pgdav serve did not listen in time; logs:\n%s", s.logs)
	}
	select {
	case <-ready:
	case <-s.done:
		t.Fatalf("pgdav serve exited: %v\nlogs:\n%s", s.err, s.logs)
	case <-timeout:
		t.Fatalf("pgdav serve not ready in time; logs:\n%s", s.logs)
	}
	return s
}

// stop sends SIGTERM and waits for the process to exit; it returns the
// exit error (nil for status 0).
func (s *server) stop() error {
	select {
	case <-s.done:
		return s.err
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.done:
	case <-time.After(60 * time.Second):
		_ = syscall.Kill(-s.cmd.Process.Pid, syscall.SIGKILL)
		<-s.done
		s.t.Errorf("pgdav did not stop within 60 s of SIGTERM; logs:\n%s", s.logs)
	}
	return s.err
}

// kill ends pgdav with SIGKILL, leaving its PostgreSQL running as an
// orphan, as a crash or OOM kill would.
func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// demoPassword is the password `serve --demo` printed.
// Stdout arrives through a pipe, possibly after the "ready" log line.
func (s *server) demoPassword() string {
	s.t.Helper()
	var password string
	s.stdout.waitFor(s.t, "demo password", func(out string) bool {
		password = passwordLine(out)
		return password != ""
	})
	if password == "" {
		s.t.Fatalf("no demo password printed; stdout:\n%s", s.stdout)
	}
	return password
}

// do sends a request with Basic credentials when user is not empty.
func (s *server) do(method, path, user, password string, body io.Reader) (*http.Response, string) {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), method, s.URL+path, body)
	if err != nil {
		s.t.Fatal(err)
	}
	if user != "" {
		req.SetBasicAuth(user, password)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// cliResult is what an admin command printed and how it exited.
type cliResult struct {
	stdout, stderr string
	code           int
}

// cli runs `pgdav ARGS...` with stdin, with the given data directory.
func cli(t *testing.T, data, stdin string, args ...string) cliResult {
	t.Helper()
	if data != "" {
		args = append(args, "--data", data)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, pgdavBin, args...)
	cmd.Stdin = strings.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("pgdav %v: %v", args, err)
	}
	return cliResult{out.String(), errb.String(), code}
}

// mustCLI runs a command that must succeed.
func mustCLI(t *testing.T, data, stdin string, args ...string) string {
	t.Helper()
	r := cli(t, data, stdin, args...)
	if r.code != 0 {
		t.Fatalf("pgdav %v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r.stdout
}

// passwordLine returns the value of out's "password:" line, or "".
func passwordLine(out string) string {
	for line := range strings.SplitSeq(out, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "password:"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
