package integration

// Deployment tests: pgdav behind the shipped nginx and Caddy configurations
// (deploy/nginx, deploy/caddy) with TLS, the systemd unit, the container
// files, and the backup commands README.md shows. The proxy configurations
// run as shipped: only the values on their "# EDIT" lines are replaced.

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDeploySystemdUnit checks deploy/systemd/pgdav.service with
// systemd-analyze verify when it runs here, and always checks the file
// itself: its sections, that every key is one systemd knows, and the
// settings the embedded PostgreSQL depends on.
func TestDeploySystemdUnit(t *testing.T) {
	t.Parallel()
	const path = "../deploy/systemd/pgdav.service"
	src, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	unit := pxParseUnit(t, string(src))

	known := map[string][]string{
		"Unit": {"Description", "Documentation", "After", "Wants", "Requires", "Before"},
		"Service": {"Type", "User", "Group", "DynamicUser", "StateDirectory", "StateDirectoryMode", "WorkingDirectory",
			"Environment", "EnvironmentFile", "ExecStart", "Restart", "RestartSec", "RestartPreventExitStatus",
			"KillMode", "TimeoutStopSec", "UMask", "LimitNOFILE", "NoNewPrivileges", "CapabilityBoundingSet",
			"AmbientCapabilities", "ProtectSystem", "ProtectHome", "PrivateTmp", "PrivateDevices",
			"ProtectKernelTunables", "ProtectKernelModules", "ProtectKernelLogs", "ProtectControlGroups",
			"ProtectClock", "ProtectHostname", "ProtectProc", "RestrictAddressFamilies", "RestrictNamespaces",
			"RestrictRealtime", "RestrictSUIDSGID", "LockPersonality", "SystemCallArchitectures",
			"SystemCallFilter", "SystemCallErrorNumber", "PrivateIPC", "RemoveIPC", "MemoryDenyWriteExecute"},
		"Install": {"WantedBy"},
	}
	for sec, keys := range unit {
		allowed, ok := known[sec]
		if !ok {
			t.Errorf("unknown section [%s]", sec)
			continue
		}
		for k := range keys {
			if !slices.Contains(allowed, k) {
				t.Errorf("[%s] %s= is not a key this test knows systemd has", sec, k)
			}
		}
	}
	get := func(sec, key string) []string { return unit[sec][key] }
	for _, want := range []struct{ sec, key, value string }{
		{"Service", "User", "pgdav"},
		{"Service", "DynamicUser", "no"},
		{"Service", "StateDirectory", "pgdav"},
		{"Service", "WorkingDirectory", "/var/lib/pgdav"},
		{"Service", "Environment", "PGDAV_DATA=/var/lib/pgdav"},
		{"Service", "EnvironmentFile", "-/etc/pgdav/pgdav.env"},
		{"Service", "ExecStart", "/usr/local/bin/pgdav serve"},
		{"Service", "KillMode", "mixed"},
		{"Service", "RestartPreventExitStatus", "2"},
		{"Service", "ProtectSystem", "strict"},
		{"Service", "ProtectHome", "yes"},
		{"Service", "NoNewPrivileges", "yes"},
		{"Service", "PrivateTmp", "yes"},
		{"Service", "PrivateDevices", "yes"},
		{"Service", "RestrictAddressFamilies", "AF_UNIX AF_INET AF_INET6"},
		{"Service", "LockPersonality", "yes"},
		{"Service", "PrivateIPC", "no"},
		{"Service", "RemoveIPC", "no"},
		{"Install", "WantedBy", "multi-user.target"},
	} {
		if !slices.Contains(get(want.sec, want.key), want.value) {
			t.Errorf("[%s] %s=%s missing (have %q)", want.sec, want.key, want.value, get(want.sec, want.key))
		}
	}
	// JIT needs executable memory: MemoryDenyWriteExecute=yes would break
	// expensive queries of the embedded PostgreSQL.
	if slices.Contains(get("Service", "MemoryDenyWriteExecute"), "yes") {
		t.Error("MemoryDenyWriteExecute=yes breaks PostgreSQL's JIT")
	}
	// Every PGDAV_ variable the unit and the example settings name is one
	// `pgdav serve` reads.
	envs := pxServeEnv(t)
	example, err := os.ReadFile("../deploy/systemd/pgdav.env.example")
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range append(regexp.MustCompile(`(?m)^#?(PGDAV_[A-Z_]+)=`).FindAllStringSubmatch(string(example), -1),
		regexp.MustCompile(`Environment=(PGDAV_[A-Z_]+)=`).FindAllStringSubmatch(string(src), -1)...) {
		if !envs[v[1]] {
			t.Errorf("%s is not a variable of pgdav serve", v[1])
		}
	}
	if !strings.Contains(string(example), "PGDAV_TRUSTED_PROXIES=") {
		t.Error("pgdav.env.example does not set PGDAV_TRUSTED_PROXIES")
	}

	// RestartPreventExitStatus=2: a bad setting in pgdav.env is a usage
	// error, exit status 2, found before anything starts.
	bad := exec.Command(pgdavBin, "serve", "--data", filepath.Join(t.TempDir(), "data"))
	bad.Env = append(os.Environ(), "PGDAV_TRUSTED_PROXIES=127.0.0.1,proxy.example.org")
	out, err := bad.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 2 || !strings.Contains(string(out), "proxy.example.org") {
		t.Errorf("a bad PGDAV_TRUSTED_PROXIES: %v, want exit status 2 naming the value\n%s", err, out)
	}

	sa, err := exec.LookPath("systemd-analyze")
	if err != nil {
		t.Log("systemd-analyze is not installed: checked the unit file's syntax only")
		return
	}
	// verify checks that ExecStart's binary exists: point it at the one
	// under test, in a copy.
	dir := t.TempDir()
	copyPath := filepath.Join(dir, "pgdav.service")
	if err := os.WriteFile(copyPath, []byte(strings.ReplaceAll(string(src), "/usr/local/bin/pgdav", pgdavBin)), 0o644); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	out, err = exec.CommandContext(ctx, sa, "verify", copyPath).CombinedOutput()
	if err != nil && strings.Contains(string(out), "Failed to initialize manager") {
		t.Logf("systemd-analyze verify cannot run here (%s): checked the unit file's syntax only", strings.TrimSpace(string(out)))
		return
	}
	// verify reports unknown keys and bad values as warnings with exit
	// status 0: any output is a failure.
	if err != nil || len(strings.TrimSpace(string(out))) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
}

// pxParseUnit reads a systemd unit file into section → key → values,
// failing on lines that are neither comments, sections nor KEY=VALUE.
func pxParseUnit(t *testing.T, src string) map[string]map[string][]string {
	t.Helper()
	unit := map[string]map[string][]string{}
	sec := ""
	for i, line := range strings.Split(src, "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			sec = line[1 : len(line)-1]
			if _, dup := unit[sec]; dup {
				t.Errorf("line %d: section [%s] twice", i+1, sec)
			}
			unit[sec] = map[string][]string{}
		default:
			k, v, ok := strings.Cut(line, "=")
			if !ok || sec == "" || k == "" || strings.ContainsAny(k, " \t") || strings.HasSuffix(line, "\\") {
				t.Errorf("line %d: not KEY=VALUE in a section: %q", i+1, line)
				continue
			}
			unit[sec][k] = append(unit[sec][k], v)
		}
	}
	for _, s := range []string{"Unit", "Service", "Install"} {
		if _, ok := unit[s]; !ok {
			t.Errorf("no [%s] section", s)
		}
	}
	return unit
}

// pxServeEnv is the set of environment variables `pgdav serve -h` lists.
func pxServeEnv(t *testing.T) map[string]bool {
	t.Helper()
	out, _ := exec.Command(pgdavBin, "serve", "-h").CombinedOutput()
	envs := map[string]bool{}
	for _, m := range regexp.MustCompile(`\(env (PGDAV_[A-Z_]+)\)`).FindAllStringSubmatch(string(out), -1) {
		envs[m[1]] = true
	}
	if !envs["PGDAV_TRUSTED_PROXIES"] || !envs["PGDAV_DATABASE_URL"] {
		t.Fatalf("pgdav serve -h lists %v", envs)
	}
	return envs
}
