package integration

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestDavloadSmoke builds cmd/davload, runs every scenario briefly against
// a fresh pgdav at N=200 events / M=100 cards, and fails on any wrong or
// failed answer: davload checks each one against its own ground truth.
func TestDavloadSmoke(t *testing.T) {
	dir := t.TempDir()
	bin := filepath.Join(dir, "davload")
	build := exec.Command("go", "build", "-o", bin, "../cmd/davload")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building davload: %v\n%s", err, out)
	}
	s := startServer(t, newDataDir(t), "--demo")
	password := s.demoPassword()
	out := filepath.Join(dir, "davload.json")
	cmd := exec.Command(bin, "-url", s.URL+"/", "-user", "demo", "-n", "200", "-m", "100",
		"-c", "1,4", "-ops", "8", "-duration", "2s", "-pid", strconv.Itoa(s.cmd.Process.Pid), "-json", out)
	cmd.Env = append(os.Environ(), "DAVLOAD_PASSWORD="+password)
	stdout, err := cmd.CombinedOutput()
	t.Logf("davload output:\n%s", stdout)
	if err != nil {
		t.Fatalf("davload: %v", err)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	var res struct {
		Wrong, Failed int
		Scenarios     []struct {
			Name string
			Ops  int
			OK   int
		}
	}
	if err := json.Unmarshal(b, &res); err != nil {
		t.Fatal(err)
	}
	if res.Wrong != 0 || res.Failed != 0 {
		t.Fatalf("davload: %d wrong, %d failed answers", res.Wrong, res.Failed)
	}
	if len(res.Scenarios) != 22 { // 11 scenarios at 2 levels
		t.Fatalf("davload ran %d scenario levels, want 22", len(res.Scenarios))
	}
	for _, sc := range res.Scenarios {
		if sc.Ops == 0 || sc.OK != sc.Ops {
			t.Errorf("scenario %s: %d of %d right", sc.Name, sc.OK, sc.Ops)
		}
	}
}

// TestServePprofListen: --pprof-listen serves /debug/pprof/ on its own
// loopback listener only; a non-loopback address is a usage error.
func TestServePprofListen(t *testing.T) {
	out, err := exec.Command(pgdavBin, "serve", "--pprof-listen", "0.0.0.0:6060", "--data", t.TempDir()).CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "loopback") {
		t.Fatalf("serve --pprof-listen 0.0.0.0:6060: %v %s; want exit 2 naming loopback", err, out)
	}
	s := startServer(t, newDataDir(t), "--demo", "--pprof-listen", "127.0.0.1:0")
	var addr string
	for _, line := range strings.Split(s.logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "pprof listening" {
			addr, _ = m["addr"].(string)
		}
	}
	if addr == "" {
		t.Fatalf("no pprof listening line in the log:\n%s", s.logs)
	}
	resp, err := http.Get("http://" + addr + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("pprof listener: %d %.200s", resp.StatusCode, body)
	}
	r, b := s.do("GET", "/debug/pprof/", "demo", s.demoPassword(), nil)
	if r.StatusCode == 200 || strings.Contains(b, "goroutine") {
		t.Fatalf("main listener answered /debug/pprof/: %d %.200s", r.StatusCode, b)
	}
}
