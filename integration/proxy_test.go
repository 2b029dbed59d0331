package integration

// Deployment tests: pgdav behind the shipped nginx and Caddy configurations
// (deploy/nginx, deploy/caddy) with TLS, the systemd unit, the container
// files, and the backup commands README.md shows. The proxy configurations
// run as shipped: only the values on their "# EDIT" lines are replaced.

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/json"
	"encoding/pem"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// pxSite is pgdav as a client sees it through a proxy: the public origin
// and the path prefix (--base-path) of every DAV URL.
type pxSite struct {
	t       *testing.T
	proxy   string // "nginx" or "caddy"
	origin  string // https://127.0.0.1:PORT
	prefix  string // "" or "/dav"
	user    string
	pass    string
	srv     *server
	trusted bool // pgdav runs with --trusted-proxies 127.0.0.1
	client  *http.Client
	hrefs   []string // every href of every multistatus answer
}

// TestProxy runs a client's discovery and a sync session through nginx and
// Caddy with the shipped configuration files, in front of pgdav at the
// root of a host and under /dav/, and checks that every href and redirect
// carries the public prefix, that MOVE/COPY accept Destination URLs on the
// public https origin, and that the access log shows the client address
// from X-Forwarded-For only when pgdav trusts the proxy.
func TestProxy(t *testing.T) {
	t.Parallel()
	nginx := pxLook(t, "nginx")
	caddy := pxLook(t, "caddy")
	if nginx == "" && caddy == "" {
		t.Skip("neither nginx nor caddy is installed (.ci/run installs both)")
	}
	cert, key, pool := pxCertificate(t)
	for _, tc := range []struct {
		name     string
		base     string
		nginxCfg string
		trusted  bool
	}{
		{"root", "", "pgdav.conf", true},
		{"subpath", "/dav", "pgdav-subpath.conf", true},
		{"untrusted", "", "pgdav.conf", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := []string{"--demo"}
			if tc.base != "" {
				args = append(args, "--base-path", tc.base)
			}
			if tc.trusted {
				args = append(args, "--trusted-proxies", "127.0.0.1")
			}
			s := startServer(t, newDataDir(t), args...)
			password := s.demoPassword()
			site := func(t *testing.T, proxy, origin string) *pxSite {
				return &pxSite{t: t, proxy: proxy, origin: origin, prefix: tc.base, user: "demo", pass: password,
					srv: s, trusted: tc.trusted, client: pxClient(pool)}
			}
			t.Run("nginx", func(t *testing.T) {
				if nginx == "" {
					t.Skip("nginx is not installed (.ci/run installs it)")
				}
				httpsOrigin, httpOrigin := pxNginx(t, nginx, tc.nginxCfg, pxUpstream(s), cert, key)
				p := site(t, "nginx", httpsOrigin)
				p.checkHTTPRedirect(httpOrigin)
				if tc.trusted {
					p.flow()
				} else {
					p.untrustedFlow()
				}
			})
			t.Run("caddy", func(t *testing.T) {
				if caddy == "" {
					t.Skip("caddy is not installed (.ci/run installs it)")
				}
				if !tc.trusted {
					t.Skip("the untrusted case is covered with nginx")
				}
				site(t, "caddy", pxCaddy(t, caddy, tc.base != "", pxUpstream(s), cert, key)).flow()
			})
		})
	}
}

func pxUpstream(s *server) string { return strings.TrimPrefix(s.URL, "http://") }

// pxLook finds a proxy binary on PATH or in the sbin directories.
func pxLook(t *testing.T, name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, dir := range []string{"/usr/sbin", "/usr/local/sbin", "/sbin"} {
		if p := filepath.Join(dir, name); pxIsExec(p) {
			return p
		}
	}
	t.Logf("%s: not installed", name)
	return ""
}

func pxIsExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// pxClient trusts only the test certificate and never follows redirects:
// the test follows them itself, keeping method and body as CalDAV
// clients do (Go's client would turn a redirected PROPFIND into a GET).
func pxClient(pool *x509.CertPool) *http.Client {
	return &http.Client{
		Timeout:       30 * time.Second,
		Transport:     &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}, ForceAttemptHTTP2: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// pxCertificate writes a throwaway self-signed certificate for 127.0.0.1
// and ::1 and returns its files and a pool that trusts it.
func pxCertificate(t *testing.T) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "pgdav proxy test"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		DNSNames:              []string{"localhost"},
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool = x509.NewCertPool()
	pool.AddCert(c)
	pk, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk}), 0o600); err != nil {
		t.Fatal(err)
	}
	return certFile, keyFile, pool
}

// pxFreePort returns a loopback TCP port that was free a moment ago.
func pxFreePort(t *testing.T, network, addr string) int {
	t.Helper()
	ln, err := net.Listen(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// pxIPv6 reports whether [::1] can be listened on.
func pxIPv6() bool {
	ln, err := net.Listen("tcp6", "[::1]:0")
	if err != nil {
		return false
	}
	ln.Close()
	return true
}

var nginxEdit = regexp.MustCompile(`^(\s*)(\S+)\s+(.*?);\s*# EDIT ([\w-]+)`)

// pxNginx runs nginx with a shipped configuration from deploy/nginx,
// its "# EDIT" lines set for this test, and returns the HTTPS and HTTP
// origins it listens on.
func pxNginx(t *testing.T, bin, name, upstream, cert, key string) (httpsOrigin, httpOrigin string) {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "deploy", "nginx", name))
	if err != nil {
		t.Fatal(err)
	}
	httpsPort := pxFreePort(t, "tcp4", "127.0.0.1:0")
	httpPort := pxFreePort(t, "tcp4", "127.0.0.1:0")
	ipv6 := pxIPv6()
	values := map[string]string{
		"upstream":            upstream,
		"listen":              fmt.Sprintf("127.0.0.1:%d", httpsPort),
		"listen6":             fmt.Sprintf("[::1]:%d", httpsPort),
		"listen-http":         fmt.Sprintf("127.0.0.1:%d", httpPort),
		"listen-http6":        fmt.Sprintf("[::1]:%d", httpPort),
		"server_name":         "127.0.0.1",
		"ssl_certificate":     cert,
		"ssl_certificate_key": key,
	}
	seen := map[string]bool{}
	var out []string
	for line := range strings.SplitSeq(string(src), "\n") {
		m := nginxEdit.FindStringSubmatch(line)
		if m == nil {
			if strings.Contains(line, "# EDIT") && !strings.HasPrefix(strings.TrimSpace(line), "#") {
				t.Fatalf("%s: unreadable EDIT line %q", name, line)
			}
			out = append(out, line)
			continue
		}
		indent, directive, args, what := m[1], m[2], m[3], m[4]
		v, ok := values[what]
		if !ok {
			t.Fatalf("%s: unknown EDIT line %q", name, line)
		}
		seen[what] = true
		if strings.HasSuffix(what, "6") && !ipv6 {
			t.Logf("%s: no IPv6 loopback here: dropping %q", name, strings.TrimSpace(line))
			continue
		}
		// Replace the first argument, keep the others (ssl, http2...).
		_, rest, _ := strings.Cut(args, " ")
		out = append(out, strings.TrimRight(indent+directive+" "+v+" "+strings.TrimSpace(rest), " ")+";")
	}
	for what := range values {
		if !seen[what] {
			t.Fatalf("%s has no \"# EDIT %s\" line", name, what)
		}
	}
	dir := t.TempDir()
	for _, d := range []string{"logs", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	site := filepath.Join(dir, "site.conf")
	if err := os.WriteFile(site, []byte(strings.Join(out, "\n")), 0o644); err != nil {
		t.Fatal(err)
	}
	wrapper, err := os.ReadFile("testdata/proxy/nginx.conf")
	if err != nil {
		t.Fatal(err)
	}
	user := ""
	if os.Geteuid() == 0 {
		user = "user root;"
	}
	mainConf := strings.NewReplacer("{{USER}}", user, "{{DIR}}", dir, "{{SITE}}", site).Replace(string(wrapper))
	conf := filepath.Join(dir, "nginx.conf")
	if err := os.WriteFile(conf, []byte(mainConf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-e", "stderr", "-p", dir, "-c", conf,
		"-g", "daemon off; pid "+filepath.Join(dir, "nginx.pid")+"; error_log stderr;")
	httpsOrigin = fmt.Sprintf("https://127.0.0.1:%d", httpsPort)
	pxRun(t, "nginx", cmd, fmt.Sprintf("127.0.0.1:%d", httpsPort), syscall.SIGQUIT)
	return httpsOrigin, fmt.Sprintf("http://127.0.0.1:%d", httpPort)
}

// pxCaddy runs Caddy with deploy/caddy/Caddyfile, the lines after its
// "# EDIT" comments set for this test, and returns the HTTPS origin of the
// site asked for (subpath or not). The other site of the file runs too,
// on a port of its own, with no upstream behind it.
func pxCaddy(t *testing.T, bin string, subpath bool, upstream, cert, key string) string {
	t.Helper()
	src, err := os.ReadFile(filepath.Join("..", "deploy", "caddy", "Caddyfile"))
	if err != nil {
		t.Fatal(err)
	}
	port, other := pxFreePort(t, "tcp4", "127.0.0.1:0"), pxFreePort(t, "tcp4", "127.0.0.1:0")
	rootPort, subPort, rootUp, subUp := port, other, upstream, "127.0.0.1:1"
	if subpath {
		rootPort, subPort, rootUp, subUp = other, port, "127.0.0.1:1", upstream
	}
	values := map[string]func(string) string{
		"site":             func(string) string { return fmt.Sprintf("https://127.0.0.1:%d {", rootPort) },
		"site-subpath":     func(string) string { return fmt.Sprintf("https://127.0.0.1:%d {", subPort) },
		"tls":              func(l string) string { return pxIndent(l) + "tls " + cert + " " + key },
		"tls-subpath":      func(l string) string { return pxIndent(l) + "tls " + cert + " " + key },
		"upstream":         func(l string) string { return pxIndent(l) + "reverse_proxy " + rootUp + " {" },
		"upstream-subpath": func(l string) string { return pxIndent(l) + "reverse_proxy " + subUp + " {" },
	}
	lines := strings.Split(string(src), "\n")
	seen := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		c := strings.TrimSpace(lines[i])
		what, ok := strings.CutPrefix(c, "# EDIT ")
		if !ok {
			continue
		}
		what, _, _ = strings.Cut(what, ":")
		f, ok := values[what]
		if !ok || i+1 >= len(lines) {
			t.Fatalf("Caddyfile: unknown EDIT comment %q", c)
		}
		seen[what] = true
		lines[i+1] = f(lines[i+1])
		i++
	}
	for what := range values {
		if !seen[what] {
			t.Fatalf("Caddyfile has no \"# EDIT %s\" comment", what)
		}
	}
	dir := t.TempDir()
	// Test-only global options first: the shipped file has no global
	// block.
	global, err := os.ReadFile("testdata/proxy/caddy-global.caddyfile")
	if err != nil {
		t.Fatal(err)
	}
	conf := string(global) + strings.Join(lines, "\n")
	file := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(file, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "run", "--adapter", "caddyfile", "--config", file)
	cmd.Env = append(os.Environ(), "HOME="+dir, "XDG_DATA_HOME="+dir, "XDG_CONFIG_HOME="+dir)
	pxRun(t, "caddy", cmd, fmt.Sprintf("127.0.0.1:%d", port), syscall.SIGTERM)
	return fmt.Sprintf("https://127.0.0.1:%d", port)
}

func pxIndent(line string) string { return line[:len(line)-len(strings.TrimLeft(line, " \t"))] }

// pxRun starts a proxy, waits (bounded) until addr accepts connections,
// and stops it with sig, then SIGKILL, when the test ends.
func pxRun(t *testing.T, name string, cmd *exec.Cmd, addr string, sig syscall.Signal) {
	t.Helper()
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(sig)
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		if t.Failed() {
			t.Logf("%s output:\n%s", name, out)
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		select {
		case <-done:
			t.Fatalf("%s exited at start:\n%s", name, out)
		default:
		}
		if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
			c.Close()
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s did not listen on %s within 20 s:\n%s", name, addr, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// do sends a request to the public origin. path is a path (the prefix
// included) or an absolute URL.
func (p *pxSite) do(method, path string, auth bool, header map[string]string, body string) (*http.Response, string) {
	p.t.Helper()
	u := path
	if !strings.Contains(path, "://") {
		u = p.origin + path
	}
	ctx, cancel := context.WithTimeout(p.t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, strings.NewReader(body))
	if err != nil {
		p.t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	if body != "" && req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/xml; charset=utf-8")
	}
	if auth {
		req.SetBasicAuth(p.user, p.pass)
	}
	resp, err := p.client.Do(req)
	if err != nil {
		p.t.Fatalf("%s %s: %v", method, u, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		p.t.Fatalf("%s %s: reading the body: %v", method, u, err)
	}
	if resp.StatusCode == http.StatusMultiStatus {
		p.hrefs = append(p.hrefs, pxHrefs(p.t, string(b), "")...)
	}
	return resp, string(b)
}

// want fails unless resp has the status.
func (p *pxSite) want(resp *http.Response, body string, status int) {
	p.t.Helper()
	if resp.StatusCode != status {
		p.t.Fatalf("%s %s: %d, want %d\n%s", resp.Request.Method, resp.Request.URL, resp.StatusCode, status, body)
	}
}

func (p *pxSite) path(s string) string { return p.prefix + s }

const pxDiscoverBody = `<?xml version="1.0" encoding="UTF-8"?>
<A:propfind xmlns:A="DAV:"><A:prop><A:current-user-principal/><A:principal-URL/><A:resourcetype/></A:prop></A:propfind>`

// flow is the session every client has: discovery from the well-known
// URL, listing, writing, moving, querying; then the log check.
func (p *pxSite) flow() {
	t := p.t
	root := p.path("/")

	// RFC 6764: the well-known URIs at the root of the public host
	// redirect, unauthenticated, to the public prefix; Apple repeats the
	// PROPFIND there.
	for _, wk := range []string{"/.well-known/caldav", "/.well-known/carddav"} {
		resp, body := p.do("PROPFIND", wk, false, map[string]string{"Depth": "0"}, pxDiscoverBody)
		p.want(resp, body, http.StatusMovedPermanently)
		if loc := resp.Header.Get("Location"); loc != root {
			t.Fatalf("PROPFIND %s: Location %q, want %q", wk, loc, root)
		}
	}
	if p.prefix != "" {
		// pgdav's own well-known handler below the prefix.
		resp, body := p.do("PROPFIND", p.path("/.well-known/caldav"), false, map[string]string{"Depth": "0"}, pxDiscoverBody)
		p.want(resp, body, http.StatusMovedPermanently)
		if loc := resp.Header.Get("Location"); loc != root {
			t.Fatalf("PROPFIND %s: Location %q, want %q", p.path("/.well-known/caldav"), loc, root)
		}
	}
	resp, _ := p.do("PROPFIND", p.origin+"/.well-known/caldav", false, map[string]string{"Depth": "0"}, pxDiscoverBody)
	target := resp.Request.URL.ResolveReference(&url.URL{Path: resp.Header.Get("Location")}).String()
	resp, body := p.do("PROPFIND", target, false, map[string]string{"Depth": "0"}, pxDiscoverBody)
	p.want(resp, body, http.StatusUnauthorized)
	if !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Basic ") {
		t.Fatalf("401 without a Basic challenge: %q", resp.Header.Get("WWW-Authenticate"))
	}
	resp, body = p.do("PROPFIND", target, true, map[string]string{"Depth": "0"}, pxDiscoverBody)
	p.want(resp, body, http.StatusMultiStatus)
	principal := pxOne(t, pxHrefs(t, body, "current-user-principal"), p.path("/principals/demo/"))

	resp, body = p.do("PROPFIND", principal, true, map[string]string{"Depth": "0"}, `<?xml version="1.0"?>
<D:propfind xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav" xmlns:R="urn:ietf:params:xml:ns:carddav">
<D:prop><C:calendar-home-set/><R:addressbook-home-set/><D:principal-URL/><D:displayname/></D:prop></D:propfind>`)
	p.want(resp, body, http.StatusMultiStatus)
	calHome := pxOne(t, pxHrefs(t, body, "calendar-home-set"), p.path("/calendars/demo/"))
	cardHome := pxOne(t, pxHrefs(t, body, "addressbook-home-set"), p.path("/addressbooks/demo/"))

	listing := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:resourcetype/><D:displayname/><D:getetag/></D:prop></D:propfind>`
	for home, want := range map[string]string{calHome: calHome + "default/", cardHome: cardHome + "default/"} {
		resp, body = p.do("PROPFIND", home, true, map[string]string{"Depth": "1"}, listing)
		p.want(resp, body, http.StatusMultiStatus)
		if hs := pxHrefs(t, body, ""); !slices.Contains(hs, want) {
			t.Fatalf("PROPFIND %s Depth 1: hrefs %q, no %s", home, hs, want)
		}
	}

	// PUT with a name that nginx or Caddy would mangle if they decoded
	// and re-encoded the path ("+" literal, "%20" a space).
	cal := calHome + "default/"
	name := p.proxy + "-x+y%20z.ics"
	uid := fmt.Sprintf("proxy-%s-%d@example.org", p.proxy, time.Now().UnixNano())
	event := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//proxy test//EN\r\nBEGIN:VEVENT\r\nUID:" + uid +
		"\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nDTEND:20260301T110000Z\r\nSUMMARY:Through " + p.proxy +
		"\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	resp, body = p.do("PUT", cal+name, true, map[string]string{"Content-Type": "text/calendar; charset=utf-8"}, event)
	p.want(resp, body, http.StatusCreated)
	if loc := resp.Header.Get("Location"); loc != cal+name {
		t.Fatalf("PUT: Location %q, want %q", loc, cal+name)
	}
	resp, body = p.do("PROPFIND", cal, true, map[string]string{"Depth": "1"}, listing)
	p.want(resp, body, http.StatusMultiStatus)
	if hs := pxHrefs(t, body, ""); !slices.Contains(hs, cal+name) {
		t.Fatalf("PROPFIND %s Depth 1: hrefs %q, no %s", cal, hs, cal+name)
	}

	// MOVE and COPY with absolute Destination URLs on the public https
	// origin, the prefix included.
	moved, copied := p.proxy+"-moved.ics", p.proxy+"-copied.ics"
	resp, body = p.do("MOVE", cal+name, true, map[string]string{"Destination": p.origin + cal + moved, "Overwrite": "F"}, "")
	p.want(resp, body, http.StatusCreated)
	if loc := resp.Header.Get("Location"); loc != cal+moved {
		t.Fatalf("MOVE: Location %q, want %q", loc, cal+moved)
	}
	resp, body = p.do("GET", cal+moved, true, nil, "")
	p.want(resp, body, http.StatusOK)
	resp, body = p.do("GET", cal+name, true, nil, "")
	p.want(resp, body, http.StatusNotFound)
	// A second calendar (MKCALENDAR's Location carries the prefix too),
	// to COPY into: a copy in the same calendar would repeat the UID.
	cal2 := calHome + p.proxy + "-second/"
	resp, body = p.do("MKCALENDAR", cal2, true, nil, "")
	p.want(resp, body, http.StatusCreated)
	if loc := resp.Header.Get("Location"); loc != cal2 {
		t.Fatalf("MKCALENDAR: Location %q, want %q", loc, cal2)
	}
	resp, body = p.do("COPY", cal+moved, true, map[string]string{"Destination": p.origin + cal2 + copied}, "")
	p.want(resp, body, http.StatusCreated)
	if loc := resp.Header.Get("Location"); loc != cal2+copied {
		t.Fatalf("COPY: Location %q, want %q", loc, cal2+copied)
	}
	// Another host is another server (RFC 4918 9.9.4).
	resp, body = p.do("COPY", cal+moved, true, map[string]string{"Destination": "https://elsewhere.example.org" + cal + "x.ics"}, "")
	p.want(resp, body, http.StatusBadGateway)
	if p.prefix != "" {
		// The public path of a resource includes the prefix; without
		// it, the Destination is outside pgdav.
		resp, body = p.do("COPY", cal+moved, true, map[string]string{"Destination": p.origin + strings.TrimPrefix(cal, p.prefix) + "x.ics"}, "")
		p.want(resp, body, http.StatusForbidden)
	}

	// The REPORTs, once they exist.
	p.report(cal, "calendar-query", `<?xml version="1.0" encoding="utf-8"?>
<C:calendar-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav"><D:prop><D:getetag/></D:prop>
<C:filter><C:comp-filter name="VCALENDAR"><C:comp-filter name="VEVENT"/></C:comp-filter></C:filter></C:calendar-query>`,
		cal+moved)
	p.report(cal, "sync-collection", `<?xml version="1.0" encoding="utf-8"?>
<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:prop><D:getetag/></D:prop></D:sync-collection>`,
		cal+moved)

	// Every href of every answer is a path below the public prefix.
	if len(p.hrefs) < 10 {
		t.Fatalf("only %d hrefs seen", len(p.hrefs))
	}
	for _, h := range p.hrefs {
		if !strings.HasPrefix(h, root) || strings.HasPrefix(h, "//") {
			t.Errorf("href %q is not a path below %s", h, root)
		}
	}

	p.checkClientAddress()
}

// report runs a REPORT on coll, or logs that pgdav does not support it yet
// (403 supported-report): the REPORTs are being implemented.
func (p *pxSite) report(coll, name, body, want string) {
	p.t.Helper()
	resp, answer := p.do("REPORT", coll, true, map[string]string{"Depth": "1"}, body)
	switch {
	case resp.StatusCode == http.StatusForbidden && strings.Contains(answer, "supported-report"):
		p.t.Logf("REPORT %s: not supported by pgdav yet (403 supported-report): step skipped", name)
	case resp.StatusCode == http.StatusMultiStatus:
		if hs := pxHrefs(p.t, answer, ""); !slices.Contains(hs, want) {
			p.t.Errorf("REPORT %s: hrefs %q, no %s", name, hs, want)
		}
	default:
		p.t.Errorf("REPORT %s: %d\n%s", name, resp.StatusCode, answer)
	}
}

// checkClientAddress sends a request whose X-Forwarded-For claims
// 203.0.113.77 and reads the access log line pgdav wrote for it.
//
// The test's client is itself on 127.0.0.1, the address pgdav trusts, so
// with nginx (which appends to X-Forwarded-For) the walk from the right
// passes it and reaches the claim: the log shows 203.0.113.77. Caddy
// replaces X-Forwarded-For from clients it does not trust, so pgdav sees
// only 127.0.0.1. Untrusted, pgdav logs the proxy's own address.
func (p *pxSite) checkClientAddress() {
	t := p.t
	probe := p.path(fmt.Sprintf("/xff-probe-%s-%d", p.proxy, time.Now().UnixNano()))
	resp, body := p.do("PROPFIND", probe, false, map[string]string{"X-Forwarded-For": "203.0.113.77"}, "")
	p.want(resp, body, http.StatusUnauthorized)
	want := "127.0.0.1"
	if p.trusted && p.proxy == "nginx" {
		want = "203.0.113.77"
	}
	var found map[string]any
	var foundLine string
	p.srv.logs.waitFor(t, "access log line for "+probe, func(logs string) bool {
		for line := range strings.SplitSeq(logs, "\n") {
			var m map[string]any
			if json.Unmarshal([]byte(line), &m) == nil && m["msg"] == "request" && m["path"] == probe {
				found, foundLine = m, line
				return true
			}
		}
		return false
	})
	if found == nil {
		t.Fatalf("no access log line for %s", probe)
	}
	if found["remote"] != want {
		t.Fatalf("access log: remote %v for the probe, want %s (trusted: %v)\n%s", found["remote"], want, p.trusted, foundLine)
	}
}

// untrustedFlow: pgdav without --trusted-proxies behind nginx. Discovery
// and absolute Destination URLs still work (nginx passes the Host header
// on); the log shows the proxy's address, and says once why.
func (p *pxSite) untrustedFlow() {
	resp, body := p.do("PROPFIND", "/.well-known/caldav", false, nil, pxDiscoverBody)
	p.want(resp, body, http.StatusMovedPermanently)
	if loc := resp.Header.Get("Location"); loc != "/" {
		p.t.Fatalf("Location %q", loc)
	}
	cal := "/calendars/demo/default/"
	resp, body = p.do("PUT", cal+"u.ics", true, map[string]string{"Content-Type": "text/calendar"},
		"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//y//EN\r\nBEGIN:VEVENT\r\nUID:u@example.org\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260301T100000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	p.want(resp, body, http.StatusCreated)
	resp, body = p.do("MOVE", cal+"u.ics", true, map[string]string{"Destination": p.origin + cal + "v.ics"}, "")
	p.want(resp, body, http.StatusCreated)
	p.checkClientAddress()
	if !strings.Contains(p.srv.logs.String(), "not in --trusted-proxies") {
		p.t.Error("no log line explains that forwarded headers were ignored")
	}
}

// checkHTTPRedirect: the plain-HTTP server block only redirects to https,
// path and query kept.
func (p *pxSite) checkHTTPRedirect(origin string) {
	resp, body := p.do("PROPFIND", origin+p.path("/calendars/?a=b"), true, nil, "")
	p.want(resp, body, http.StatusMovedPermanently)
	if loc := resp.Header.Get("Location"); loc != "https://127.0.0.1"+p.path("/calendars/?a=b") {
		p.t.Fatalf("http → https redirect: Location %q", loc)
	}
}

// pxHrefs returns the DAV:href texts of an XML body: all of them, or only
// those inside an element with the local name inside.
func pxHrefs(t *testing.T, body, inside string) []string {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(body))
	var out []string
	depthInside, inHref := 0, false
	var text strings.Builder
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("bad XML: %v\n%s", err, body)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if inside != "" && (tok.Name.Local == inside || depthInside > 0) {
				depthInside++
			}
			if tok.Name.Space == "DAV:" && tok.Name.Local == "href" {
				inHref = true
				text.Reset()
			}
		case xml.CharData:
			if inHref {
				text.Write(tok)
			}
		case xml.EndElement:
			if tok.Name.Space == "DAV:" && tok.Name.Local == "href" {
				inHref = false
				if inside == "" || depthInside > 0 {
					out = append(out, strings.TrimSpace(text.String()))
				}
			}
			if depthInside > 0 {
				depthInside--
			}
		}
	}
}

// pxOne checks that hrefs is exactly [want] and returns it.
func pxOne(t *testing.T, hrefs []string, want string) string {
	t.Helper()
	if len(hrefs) != 1 || hrefs[0] != want {
		t.Fatalf("hrefs %q, want [%s]", hrefs, want)
	}
	return want
}
