package integration

import (
	"bufio"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// makeRun runs `make run` in the repository as a user would, with the
// data directory and listen address moved out of the way through the
// environment, and returns the URL once pgdav is ready.
type makeRun struct {
	cmd    *exec.Cmd
	stdout *lockedBuffer
	logs   *lockedBuffer
	url    string
	done   chan error
}

func startMakeRun(t *testing.T, data string) *makeRun {
	t.Helper()
	m := &makeRun{stdout: &lockedBuffer{}, logs: &lockedBuffer{}, done: make(chan error, 1)}
	m.cmd = exec.Command("make", "-s", "run")
	m.cmd.Dir = ".."
	m.cmd.Env = append(os.Environ(), "PGDAV_DATA="+data, "PGDAV_LISTEN=127.0.0.1:0", "PGDAV_LOG_FORMAT=json")
	m.cmd.Stdout = m.stdout
	pr, pw := io.Pipe()
	m.cmd.Stderr = pw
	// Its own process group, like a shell job: Ctrl-C reaches all of it.
	m.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := m.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	ready := make(chan string, 1)
	go func() {
		var addr string
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			m.logs.Write([]byte(sc.Text() + "\n"))
			var l map[string]any
			if json.Unmarshal(sc.Bytes(), &l) != nil {
				continue
			}
			switch l["msg"] {
			case "pgdav listening":
				addr, _ = l["addr"].(string)
			case "pgdav ready":
				ready <- addr
			}
		}
	}()
	go func() {
		err := m.cmd.Wait()
		pw.Close()
		m.done <- err
	}()
	t.Cleanup(func() {
		_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL)
	})
	select {
	case addr := <-ready:
		m.url = "http://" + addr
	case err := <-m.done:
		t.Fatalf("make run exited: %v\n%s\n%s", err, m.stdout, m.logs)
	case <-time.After(3 * time.Minute):
		t.Fatalf("make run not ready in time:\n%s", m.logs)
	}
	return m
}

// interrupt sends SIGINT to the whole job, as Ctrl-C in a terminal does,
// and waits for it to end.
func (m *makeRun) interrupt(t *testing.T) {
	t.Helper()
	_ = syscall.Kill(-m.cmd.Process.Pid, syscall.SIGINT)
	select {
	case <-m.done:
	case <-time.After(time.Minute):
		t.Fatalf("make run still running a minute after Ctrl-C:\n%s", m.logs)
	}
	if !strings.Contains(m.logs.String(), `"msg":"pgdav stopped"`) {
		t.Fatalf("pgdav did not stop cleanly on Ctrl-C:\n%s", m.logs)
	}
}

func (m *makeRun) authStatus(t *testing.T, password string) int {
	t.Helper()
	req, _ := http.NewRequest("PROPFIND", m.url+"/principals/demo/", nil)
	req.SetBasicAuth("demo", password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func TestMakeRun(t *testing.T) {
	if _, err := exec.LookPath("make"); err != nil {
		t.Fatal("make is not installed (.ci/run installs it)")
	}
	data := newDataDir(t)
	first := startMakeRun(t, data)
	var password string
	first.stdout.waitFor(t, "demo password", func(out string) bool {
		password = passwordLine(out)
		return password != ""
	})
	if password == "" || !strings.Contains(first.stdout.String(), "user:     demo") {
		t.Fatalf("first make run printed no demo account:\n%s", first.stdout)
	}
	if code := first.authStatus(t, password); code == 401 {
		t.Fatal("demo account refused")
	}
	first.interrupt(t)
	if _, err := os.Stat(filepath.Join(data, "postgres", "postmaster.pid")); !os.IsNotExist(err) {
		t.Fatalf("PostgreSQL still running after Ctrl-C: %v", err)
	}

	second := startMakeRun(t, data)
	if code := second.authStatus(t, password); code == 401 {
		t.Fatal("second make run lost the demo account")
	}
	second.interrupt(t)
	// After the exit all of stdout has been read (exec's Wait copies it
	// to the end), so nothing printed late can escape the check.
	if strings.Contains(second.stdout.String(), "password:") {
		t.Fatalf("second make run made a new demo account:\n%s", second.stdout)
	}
}
