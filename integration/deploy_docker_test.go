package integration

// Deployment tests: pgdav behind the shipped nginx and Caddy configurations
// (deploy/nginx, deploy/caddy) with TLS, the systemd unit, the container
// files, and the backup commands README.md shows. The proxy configurations
// run as shipped: only the values on their "# EDIT" lines are replaced.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestDeployDocker lints deploy/docker without a Docker engine: the
// compose file's structure (parsed as the YAML subset it is written in),
// the Dockerfile's key lines, and its HEALTHCHECK command, run with bash
// against a real pgdav.
func TestDeployDocker(t *testing.T) {
	t.Parallel()
	envs := pxServeEnv(t)

	// compose.yaml
	src, err := os.ReadFile("../deploy/docker/compose.yaml")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := pxYAML(string(src))
	if err != nil {
		t.Fatalf("compose.yaml: %v", err)
	}
	at := func(path ...string) any {
		var n any = doc
		for _, k := range path {
			m, ok := n.(map[string]any)
			if !ok {
				t.Fatalf("compose.yaml: %s is not a mapping", strings.Join(path, "."))
			}
			n = m[k]
		}
		return n
	}
	str := func(path ...string) string {
		s, ok := at(path...).(string)
		if !ok {
			t.Fatalf("compose.yaml: %s is not a string", strings.Join(path, "."))
		}
		return s
	}
	if img := str("services", "postgres", "image"); !strings.HasPrefix(img, "postgres:") {
		t.Errorf("postgres image %q", img)
	}
	if hc := fmt.Sprint(at("services", "postgres", "healthcheck", "test")); !strings.Contains(hc, "pg_isready") {
		t.Errorf("postgres healthcheck %q does not use pg_isready", hc)
	}
	if c := str("services", "pgdav", "depends_on", "postgres", "condition"); c != "service_healthy" {
		t.Errorf("pgdav depends_on postgres condition %q, want service_healthy", c)
	}
	env, _ := at("services", "pgdav", "environment").(map[string]any)
	for k := range env {
		if !envs[k] {
			t.Errorf("compose.yaml sets %s, which pgdav serve does not read", k)
		}
	}
	// Compose substitutes ${VAR} and ${VAR:?message}: the URL's password
	// must be the variable that sets POSTGRES_PASSWORD.
	composeVar := regexp.MustCompile(`\$\{([A-Z_]+)[^}]*\}`)
	rawURL := str("services", "pgdav", "environment", "PGDAV_DATABASE_URL")
	dbURL, err := url.Parse(composeVar.ReplaceAllString(rawURL, "$1"))
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := dbURL.User.Password()
	pwVar := composeVar.FindStringSubmatch(str("services", "postgres", "environment", "POSTGRES_PASSWORD"))
	if dbURL.Hostname() != "postgres" || dbURL.User.Username() != str("services", "postgres", "environment", "POSTGRES_USER") ||
		strings.TrimPrefix(dbURL.Path, "/") != str("services", "postgres", "environment", "POSTGRES_DB") ||
		pwVar == nil || pw != pwVar[1] {
		t.Errorf("PGDAV_DATABASE_URL %s does not match the postgres service", rawURL)
	}
	subnet, err := netip.ParsePrefix(fmt.Sprint(at("networks", "pgdav", "ipam", "config").([]any)[0].(map[string]any)["subnet"]))
	if err != nil {
		t.Fatal(err)
	}
	for item := range strings.SplitSeq(str("services", "pgdav", "environment", "PGDAV_TRUSTED_PROXIES"), ",") {
		a, err := netip.ParseAddr(strings.TrimSpace(item))
		if err != nil || !subnet.Contains(a) {
			t.Errorf("PGDAV_TRUSTED_PROXIES item %q is not an address of the compose network %s", item, subnet)
		}
	}
	for _, svc := range []string{"postgres", "pgdav"} {
		for _, v := range pxList(at("services", svc, "volumes")) {
			name, _, _ := strings.Cut(v, ":")
			if !strings.HasPrefix(name, ".") && !strings.HasPrefix(name, "/") {
				if _, ok := at("volumes").(map[string]any)[name]; !ok {
					t.Errorf("service %s uses volume %q, not declared", svc, name)
				}
			}
		}
		for _, n := range pxList(at("services", svc, "networks")) {
			if _, ok := at("networks").(map[string]any)[n]; !ok {
				t.Errorf("service %s uses network %q, not declared", svc, n)
			}
		}
	}
	for _, p := range pxList(at("services", "pgdav", "ports")) {
		if !strings.HasPrefix(p, "127.0.0.1:") {
			t.Errorf("pgdav publishes %q beyond loopback: the proxy must be the only way in", p)
		}
	}
	ctxDir := filepath.Join("../deploy/docker", str("services", "pgdav", "build", "context"))
	if _, err := os.Stat(filepath.Join(ctxDir, "go.mod")); err != nil {
		t.Errorf("build context %s is not the repository root: %v", ctxDir, err)
	}
	if _, err := os.Stat(filepath.Join(ctxDir, str("services", "pgdav", "build", "dockerfile"))); err != nil {
		t.Errorf("build dockerfile: %v", err)
	}

	// Dockerfile
	df, err := os.ReadFile("../deploy/docker/Dockerfile")
	if err != nil {
		t.Fatal(err)
	}
	var ins [][2]string // instruction, arguments
	for _, l := range strings.Split(regexp.MustCompile(`\\\n`).ReplaceAllString(string(df), " "), "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		op, args, _ := strings.Cut(l, " ")
		ins = append(ins, [2]string{strings.ToUpper(op), strings.TrimSpace(args)})
	}
	var froms []string
	final := map[string][]string{} // instructions of the last stage
	for _, in := range ins {
		if in[0] == "FROM" {
			froms = append(froms, in[1])
			final = map[string][]string{}
		}
		final[in[0]] = append(final[in[0]], in[1])
	}
	gomod, _ := os.ReadFile("../go.mod")
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(string(gomod))
	if len(froms) != 2 || goVersion == nil || !strings.HasPrefix(froms[0], "golang:"+goVersion[1]+"-") ||
		!strings.HasSuffix(froms[0], " AS build") || !strings.HasPrefix(froms[1], "debian:") {
		t.Errorf("stages %q: want golang:%s-… AS build, then debian:…", froms, goVersion)
	}
	text := string(df)
	for _, want := range []string{"CGO_ENABLED=0", "go build", "./cmd/pgdav", "COPY --from=build /out/pgdav /usr/local/bin/pgdav",
		"create_main_cluster = false", " postgresql ", `ENTRYPOINT ["/usr/local/bin/pgdav"]`, `CMD ["serve"]`} {
		if !strings.Contains(text, want) {
			t.Errorf("Dockerfile lacks %q", want)
		}
	}
	if u := final["USER"]; len(u) != 1 || u[0] == "root" || u[0] == "0" {
		t.Errorf("runtime USER %q: want one non-root user", u)
	}
	if !slices.Equal(final["EXPOSE"], []string{"8080"}) || !slices.Equal(final["VOLUME"], []string{"/data"}) {
		t.Errorf("EXPOSE %q VOLUME %q", final["EXPOSE"], final["VOLUME"])
	}
	for _, m := range regexp.MustCompile(`(PGDAV_[A-Z_]+)=`).FindAllStringSubmatch(strings.Join(final["ENV"], " "), -1) {
		if !envs[m[1]] {
			t.Errorf("ENV %s is not read by pgdav serve", m[1])
		}
	}
	if !strings.Contains(strings.Join(final["ENV"], " "), "PGDAV_LISTEN=0.0.0.0:8080") {
		t.Error("the image does not listen on 0.0.0.0:8080")
	}
	if _, err := os.Stat("../deploy/docker/Dockerfile.dockerignore"); err != nil {
		t.Error(err)
	}
	if len(final["HEALTHCHECK"]) != 1 {
		t.Fatalf("HEALTHCHECK %q", final["HEALTHCHECK"])
	}
	_, cmdJSON, ok := strings.Cut(final["HEALTHCHECK"][0], "CMD ")
	var hc []string
	if !ok || json.Unmarshal([]byte(cmdJSON), &hc) != nil || len(hc) < 2 {
		t.Fatalf("HEALTHCHECK is not CMD [exec form]: %q", final["HEALTHCHECK"][0])
	}
	if strings.Contains(cmdJSON, "curl") || strings.Contains(cmdJSON, "wget") {
		t.Error("HEALTHCHECK needs a tool the image does not have")
	}
	// Run the health check as Docker would, against a real pgdav.
	s := startServer(t, newDataDir(t))
	run := func(listen string) error {
		ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
		defer cancel()
		c := exec.CommandContext(ctx, hc[0], hc[1:]...)
		c.Env = append(os.Environ(), "PGDAV_LISTEN="+listen)
		out, err := c.CombinedOutput()
		if err != nil {
			return fmt.Errorf("%v: %s", err, out)
		}
		return nil
	}
	if err := run("0.0.0.0:" + strings.Split(pxUpstream(s), ":")[1]); err != nil {
		t.Errorf("HEALTHCHECK against a ready pgdav: %v", err)
	}
	if err := run(fmt.Sprintf("0.0.0.0:%d", pxFreePort(t, "tcp4", "127.0.0.1:0"))); err == nil {
		t.Error("HEALTHCHECK passes with nothing listening")
	}
}

// pxList returns a YAML sequence of scalars as strings (nil if absent).
func pxList(n any) []string {
	l, _ := n.([]any)
	var out []string
	for _, v := range l {
		out = append(out, fmt.Sprint(v))
	}
	return out
}

// pxYAML parses the block-style YAML subset compose files are written in:
// mappings, sequences, plain and quoted scalars, flow sequences of quoted
// strings, comments. Anything else (tabs in indentation, anchors, a key
// twice, bad indentation) is an error.
func pxYAML(src string) (any, error) {
	type line struct {
		n      int
		indent int
		text   string
	}
	var lines []line
	for i, l := range strings.Split(src, "\n") {
		if strings.Contains(l[:len(l)-len(strings.TrimLeft(l, " \t"))], "\t") {
			return nil, fmt.Errorf("line %d: tab in indentation", i+1)
		}
		text := strings.TrimSpace(pxStripComment(l))
		if text == "" {
			continue
		}
		if strings.ContainsAny(text[:1], "&*!|>{") {
			return nil, fmt.Errorf("line %d: %q is beyond the subset", i+1, text)
		}
		lines = append(lines, line{i + 1, len(l) - len(strings.TrimLeft(l, " ")), text})
	}
	scalar := func(s string) (any, error) {
		s = strings.TrimSpace(s)
		switch {
		case strings.HasPrefix(s, "["):
			var l []any
			if err := json.Unmarshal([]byte(s), &l); err != nil {
				return nil, fmt.Errorf("flow sequence %s: %v", s, err)
			}
			return l, nil
		case strings.HasPrefix(s, `"`):
			var v string
			err := json.Unmarshal([]byte(s), &v)
			return v, err
		case strings.HasPrefix(s, "'"):
			if !strings.HasSuffix(s, "'") || len(s) < 2 {
				return nil, fmt.Errorf("unterminated %s", s)
			}
			return strings.ReplaceAll(s[1:len(s)-1], "''", "'"), nil
		}
		return s, nil
	}
	var block func(i, indent int) (any, int, error)
	block = func(i, indent int) (any, int, error) {
		if i >= len(lines) || lines[i].indent != indent {
			return nil, i, fmt.Errorf("line %d: bad indentation", lines[min(i, len(lines)-1)].n)
		}
		if strings.HasPrefix(lines[i].text, "- ") || lines[i].text == "-" {
			var seq []any
			for i < len(lines) && lines[i].indent == indent && strings.HasPrefix(lines[i].text, "-") {
				item := strings.TrimSpace(strings.TrimPrefix(lines[i].text, "-"))
				if k, _, isMap := pxKey(item); isMap && k != "" {
					// "- key: value" opens a mapping indented past the dash.
					lines[i].text, lines[i].indent = item, indent+2
					v, next, err := block(i, indent+2)
					if err != nil {
						return nil, i, err
					}
					seq, i = append(seq, v), next
					continue
				}
				v, err := scalar(item)
				if err != nil {
					return nil, i, fmt.Errorf("line %d: %v", lines[i].n, err)
				}
				seq, i = append(seq, v), i+1
			}
			return seq, i, nil
		}
		m := map[string]any{}
		for i < len(lines) && lines[i].indent == indent {
			k, rest, ok := pxKey(lines[i].text)
			if !ok {
				return nil, i, fmt.Errorf("line %d: %q is not key: value", lines[i].n, lines[i].text)
			}
			if _, dup := m[k]; dup {
				return nil, i, fmt.Errorf("line %d: key %q twice", lines[i].n, k)
			}
			if rest != "" {
				v, err := scalar(rest)
				if err != nil {
					return nil, i, fmt.Errorf("line %d: %v", lines[i].n, err)
				}
				m[k], i = v, i+1
				continue
			}
			i++
			if i < len(lines) && lines[i].indent > indent {
				v, next, err := block(i, lines[i].indent)
				if err != nil {
					return nil, i, err
				}
				m[k], i = v, next
			} else {
				m[k] = nil
			}
		}
		if i < len(lines) && lines[i].indent > indent {
			return nil, i, fmt.Errorf("line %d: bad indentation", lines[i].n)
		}
		return m, i, nil
	}
	v, next, err := block(0, 0)
	if err == nil && next != len(lines) {
		err = fmt.Errorf("line %d: bad indentation", lines[next].n)
	}
	return v, err
}

// pxKey splits "key: value" (value may be empty); keys are plain or quoted.
func pxKey(s string) (key, rest string, ok bool) {
	if strings.HasPrefix(s, `"`) || strings.HasPrefix(s, "'") {
		q := s[:1]
		end := strings.Index(s[1:], q)
		if end < 0 || !strings.HasPrefix(s[end+2:], ":") {
			return "", "", false
		}
		return s[1 : end+1], strings.TrimSpace(s[end+3:]), true
	}
	i := strings.Index(s, ": ")
	if strings.HasSuffix(s, ":") && (i < 0 || i == len(s)-1) {
		return s[:len(s)-1], "", !strings.ContainsAny(s[:len(s)-1], " [\"'")
	}
	if i <= 0 || strings.ContainsAny(s[:i], " [\"'") {
		return "", "", false
	}
	return s[:i], strings.TrimSpace(s[i+2:]), true
}

// pxStripComment removes a "#" comment that is outside quotes.
func pxStripComment(l string) string {
	var q byte
	for i := 0; i < len(l); i++ {
		switch c := l[i]; {
		case q != 0 && c == q:
			q = 0
		case q == 0 && (c == '"' || c == '\''):
			q = c
		case q == 0 && c == '#' && (i == 0 || l[i-1] == ' '):
			return l[:i]
		}
	}
	return l
}
