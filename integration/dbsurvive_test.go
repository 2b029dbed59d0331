package integration

import (
	"bytes"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The tests of issue 15 item 10: pgdav survives its database. They run the
// real binary with its embedded cluster, put it under load, take the
// database away (SIGKILL of the postmaster; a full disk), and check that
//   - while it is away every request is answered, with 503 and Retry-After
//     (507 for a write refused for lack of space), never a 500, and
//     /readyz is red;
//   - it comes back by itself, without restarting pgdav;
//   - every PUT answered 2xx is there afterwards with its exact bytes, and
//     every PUT answered 5xx is either absent or there with its exact
//     bytes: a PUT whose COMMIT reached the server before the connection
//     broke may be stored and still be answered 503, but none is half
//     stored; and the collection lists exactly the objects GET finds.

const survCollection = "/calendars/demo/default/"

// survClient bounds every request: a hang is a failure, not a wait.
var survClient = &http.Client{Timeout: 30 * time.Second}

// TestSurvivesPostmasterKill kills the postmaster of one node's embedded
// cluster while that node and a second one on the same database (an
// external database to it) are under load.
func TestSurvivesPostmasterKill(t *testing.T) {
	t.Parallel()
	data := newDataDir(t)
	s := startServer(t, data, "--demo")
	pw := s.demoPassword()
	ext := startServer(t, "", "--database", "host="+filepath.Join(data, "postgres")+" user=pgdav dbname=pgdav")
	loads := []*load{startLoad(t, s, pw, "emb", 3, 256), startLoad(t, ext, pw, "ext", 2, 256)}
	for _, l := range loads {
		await(t, "PUTs before the kill", func() bool { return l.ok.Load() >= 10 })
	}

	killPostmaster(t, data)
	for _, n := range []*server{s, ext} {
		await(t, "/readyz red", func() bool { return survStatus(t, n, pw, "GET", "/readyz") == http.StatusServiceUnavailable })
		survStatus(t, n, pw, "PROPFIND", survCollection) // 503 and Retry-After, or 207 if back already
	}
	for _, n := range []*server{s, ext} {
		await(t, "/readyz green again", func() bool { return survStatus(t, n, pw, "GET", "/readyz") == http.StatusOK })
	}
	var results []putResult
	for _, l := range loads {
		after := l.ok.Load()
		await(t, "PUTs after the restart", func() bool { return l.ok.Load() >= after+10 })
	}
	for _, l := range loads {
		r := l.finish()
		checkStatuses(t, r, http.StatusCreated, http.StatusServiceUnavailable)
		if n := countStatus(r, http.StatusServiceUnavailable); n == 0 {
			t.Errorf("%s: no PUT was answered 503 while the database was away (%d PUTs)", l.prefix, len(r))
		}
		results = append(results, r...)
	}
	if !strings.Contains(s.logs.String(), "pgcluster: postgres restarted") {
		t.Errorf("pgdav did not log the restart of its cluster; logs:\n%s", s.logs)
	}
	checkDurable(t, s, pw, results)
}

// TestSurvivesFullDisk runs the embedded cluster on a small tmpfs, fills
// it under load until writes are refused, crashes the postmaster on the
// full disk, and frees the space.
func TestSurvivesFullDisk(t *testing.T) {
	t.Parallel()
	if os.Geteuid() != 0 {
		t.Skip("mounting a small tmpfs for the data directory needs root")
	}
	data := newDataDir(t)
	if err := os.Mkdir(data, 0o755); err != nil {
		t.Fatal(err)
	}
	// A fresh data directory takes about 42 MB, 16 of them one WAL segment.
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=96m,mode=0755", "tmpfs", data).CombinedOutput(); err != nil {
		t.Skipf("cannot mount a tmpfs (a container without CAP_SYS_ADMIN?): %v: %s", err, out)
	}
	// Registered before the server's own cleanup, so it runs after it.
	t.Cleanup(func() {
		if out, err := exec.Command("umount", data).CombinedOutput(); err != nil {
			t.Errorf("umount %s: %v: %s", data, err, out)
		}
	})
	s := startServer(t, data, "--demo")
	filler := filepath.Join(data, "filler")
	fillFile(t, filler, freeBytes(t, data)-4<<20)

	// Writes of 24 KiB that do not compress fill the last 4 MB.
	l := startLoad(t, s, s.demoPassword(), "w", 2, 24<<10)
	await(t, "writes refused for lack of space", func() bool { return l.refused.Load() >= 5 })

	// A crash on the full disk: every restart fails (postgres cannot
	// write its lock file, or its crash recovery cannot write WAL) until
	// space is freed.
	fillFile(t, filler+"-rest", -1)
	killPostmaster(t, s.Data)
	await(t, "a failed restart", func() bool { return strings.Contains(s.logs.String(), "restarting postgres failed") })
	if got := survStatus(t, s, l.pw, "GET", "/readyz"); got != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database cannot start = %d, want 503", got)
	}
	if got := survStatus(t, s, l.pw, "PROPFIND", survCollection); got != http.StatusServiceUnavailable {
		t.Errorf("PROPFIND while the database cannot start = %d, want 503", got)
	}

	for _, f := range []string{filler + "-rest", filler} {
		if err := os.Remove(f); err != nil {
			t.Fatal(err)
		}
	}
	await(t, "/readyz green again", func() bool { return survStatus(t, s, l.pw, "GET", "/readyz") == http.StatusOK })
	after := l.ok.Load()
	await(t, "PUTs after space was freed", func() bool { return l.ok.Load() >= after+10 })
	results := l.finish()

	checkStatuses(t, results, http.StatusCreated, http.StatusServiceUnavailable, http.StatusInsufficientStorage)
	checkDurable(t, s, l.pw, results)
}

// putResult is one PUT of the load and its answer.
type putResult struct {
	name       string
	body       []byte
	status     int // 0 when the request got no answer
	retryAfter string
	err        error
}

// load PUTs new numbered events from several goroutines and records
// every answer.
type load struct {
	pw      string
	prefix  string
	stop    chan struct{}
	wg      sync.WaitGroup
	ok      atomic.Int64 // 2xx answers
	refused atomic.Int64 // 503 and 507 answers

	mu      sync.Mutex
	results []putResult
}

// loadBudget bounds the PUTs of one worker.
const loadBudget = 4000

func startLoad(t *testing.T, s *server, pw, prefix string, workers, pad int) *load {
	t.Helper()
	l := &load{pw: pw, prefix: prefix, stop: make(chan struct{})}
	for w := range workers {
		l.wg.Go(func() {
			// After a refusal a worker waits a tick, as a client would
			// honour Retry-After, so an outage does not flood the record.
			pace := time.NewTicker(10 * time.Millisecond)
			defer pace.Stop()
			for i := range loadBudget {
				select {
				case <-l.stop:
					return
				default:
				}
				name := fmt.Sprintf("%s%d-%05d.ics", l.prefix, w, i)
				r := putResult{name: name, body: eventBody(name, pad)}
				req, err := http.NewRequestWithContext(t.Context(), "PUT", s.URL+survCollection+name, bytes.NewReader(r.body))
				if err != nil {
					panic(err)
				}
				req.SetBasicAuth("demo", l.pw)
				req.Header.Set("Content-Type", "text/calendar; charset=utf-8")
				resp, err := survClient.Do(req)
				if err != nil {
					r.err = err
				} else {
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					r.status, r.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
				}
				switch {
				case r.status/100 == 2:
					l.ok.Add(1)
				default:
					if r.status == http.StatusServiceUnavailable || r.status == http.StatusInsufficientStorage {
						l.refused.Add(1)
					}
					<-pace.C
				}
				l.mu.Lock()
				l.results = append(l.results, r)
				l.mu.Unlock()
			}
		})
	}
	t.Cleanup(func() { l.finish() })
	return l
}

// finish stops the load and returns what it recorded.
func (l *load) finish() []putResult {
	select {
	case <-l.stop:
	default:
		close(l.stop)
	}
	l.wg.Wait()
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.results
}

// eventBody is a VEVENT whose UID is its name, with pad bytes of random
// text (incompressible) folded into its DESCRIPTION.
func eventBody(name string, pad int) []byte {
	var desc strings.Builder
	for desc.Len() < pad {
		desc.WriteString(rand.Text())
	}
	var b strings.Builder
	b.WriteString("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pgdav//survive test//EN\r\nBEGIN:VEVENT\r\n")
	b.WriteString("UID:" + name + "\r\nDTSTAMP:20260101T000000Z\r\nDTSTART:20260102T100000Z\r\nDTEND:20260102T110000Z\r\n")
	b.WriteString("SUMMARY:" + name + "\r\n")
	line := "DESCRIPTION:" + desc.String()
	for len(line) > 74 {
		b.WriteString(line[:74] + "\r\n ")
		line = line[74:]
	}
	b.WriteString(line + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
	return []byte(b.String())
}

// checkStatuses: every PUT was answered, with one of allowed, and every
// 503 carries Retry-After.
func checkStatuses(t *testing.T, results []putResult, allowed ...int) {
	t.Helper()
	seen := map[int]int{}
	for _, r := range results {
		seen[r.status]++
		switch {
		case r.err != nil:
			t.Errorf("PUT %s got no answer: %v", r.name, r.err)
		case !containsInt(allowed, r.status):
			t.Errorf("PUT %s answered %d, want one of %v", r.name, r.status, allowed)
		case r.status == http.StatusServiceUnavailable && r.retryAfter == "":
			t.Errorf("PUT %s answered 503 without Retry-After", r.name)
		}
	}
	t.Logf("%d PUTs, by status: %v", len(results), seen)
}

func containsInt(list []int, v int) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

func countStatus(results []putResult, status int) int {
	n := 0
	for _, r := range results {
		if r.status == status {
			n++
		}
	}
	return n
}

var hrefRE = regexp.MustCompile(`<D:href>([^<]*)</D:href>`)

// checkDurable: each 2xx PUT is stored with its exact bytes, each other
// one is absent or stored with its exact bytes, and the collection lists
// exactly the stored ones.
func checkDurable(t *testing.T, s *server, pw string, results []putResult) {
	t.Helper()
	stored := map[string]bool{}
	for _, r := range results {
		status, body := survGet(t, s, pw, survCollection+r.name)
		switch {
		case status == http.StatusOK && bytes.Equal(body, r.body):
			stored[r.name] = true
		case status == http.StatusOK:
			t.Errorf("PUT %s (answered %d): GET returns other bytes (%d, want %d)", r.name, r.status, len(body), len(r.body))
		case r.status/100 == 2:
			t.Errorf("PUT %s answered %d, but GET answers %d", r.name, r.status, status)
		case status != http.StatusNotFound:
			t.Errorf("PUT %s (answered %d): GET answers %d, want 404 or its bytes", r.name, r.status, status)
		}
	}
	req, err := http.NewRequestWithContext(t.Context(), "PROPFIND", s.URL+survCollection, strings.NewReader(
		`<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/></D:prop></D:propfind>`))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("demo", pw)
	req.Header.Set("Depth", "1")
	resp, err := survClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	listing, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusMultiStatus {
		t.Fatalf("PROPFIND %s = %d", survCollection, resp.StatusCode)
	}
	listed := 0
	for _, m := range hrefRE.FindAllStringSubmatch(string(listing), -1) {
		name, ok := strings.CutPrefix(m[1], survCollection)
		if !ok || name == "" {
			continue
		}
		listed++
		if !stored[name] {
			t.Errorf("PROPFIND lists %s, which GET does not return as sent", name)
		}
	}
	if listed != len(stored) {
		t.Errorf("PROPFIND lists %d objects, GET returns %d", listed, len(stored))
	}
	t.Logf("%d of %d PUTs stored", len(stored), len(results))
}

func survGet(t *testing.T, s *server, pw, path string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), "GET", s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("demo", pw)
	resp, err := survClient.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
	return resp.StatusCode, body
}

// survStatus sends a request without a body and returns its status; a 503
// must carry Retry-After, and no answer is a 500.
func survStatus(t *testing.T, s *server, pw, method, path string) int {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, s.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth("demo", pw)
	req.Header.Set("Depth", "0")
	resp, err := survClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode >= 500 && resp.StatusCode != http.StatusServiceUnavailable && resp.StatusCode != http.StatusInsufficientStorage {
		t.Errorf("%s %s = %d: %s", method, path, resp.StatusCode, body)
	}
	if resp.StatusCode == http.StatusServiceUnavailable && path != "/readyz" && resp.Header.Get("Retry-After") == "" {
		t.Errorf("%s %s = 503 without Retry-After", method, path)
	}
	return resp.StatusCode
}

// killPostmaster sends SIGKILL to the embedded cluster's postmaster, as
// an OOM killer or a crash would end it.
func killPostmaster(t *testing.T, data string) {
	t.Helper()
	pidFile, err := os.ReadFile(filepath.Join(data, "postgres", "postmaster.pid"))
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(strings.SplitN(string(pidFile), "\n", 2)[0]))
	if err != nil {
		t.Fatalf("postmaster.pid: %v", err)
	}
	if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
		t.Fatalf("kill postmaster %d: %v", pid, err)
	}
}

func freeBytes(t *testing.T, dir string) int64 {
	t.Helper()
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		t.Fatal(err)
	}
	return int64(st.Bavail) * st.Bsize
}

// fillFile writes size bytes to path, or, for a negative size, as many
// as fit (until ENOSPC).
func fillFile(t *testing.T, path string, size int64) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	chunk := make([]byte, 1<<20)
	for written := int64(0); size < 0 || written < size; {
		n := int64(len(chunk))
		if size >= 0 {
			n = min(n, size-written)
		}
		m, err := f.Write(chunk[:n])
		written += int64(m)
		if errors.Is(err, syscall.ENOSPC) && size < 0 {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}

// await polls cond every 20 ms, at most 3000 times.
func await(t *testing.T, what string, cond func() bool) {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for range 3000 {
		if cond() {
			return
		}
		<-tick.C
	}
	t.Fatalf("gave up waiting for %s", what)
}
