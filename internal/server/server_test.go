package server

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pgdav/pgdav/backend"
	"github.com/pgdav/pgdav/backend/backendtest"
)

func TestMain(m *testing.M) { backendtest.Main(m) }

// syncBuffer is a log sink safe for concurrent handlers.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type fixture struct {
	store *backend.Store
	srv   *Server
	logs  *syncBuffer
}

func newFixture(t *testing.T, ttl time.Duration) *fixture {
	t.Helper()
	store := backendtest.New(t)
	logs := &syncBuffer{}
	logger := slog.New(slog.NewJSONHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	srv := New(Config{AuthCacheTTL: ttl, Logger: logger}, store)
	srv.SetReady()
	return &fixture{store: store, srv: srv, logs: logs}
}

func (f *fixture) addUser(t *testing.T, name, password string) {
	t.Helper()
	hash, err := backend.HashPassword(password)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.store.CreatePrincipal(t.Context(), backend.Principal{Name: name}, hash, nil); err != nil {
		t.Fatal(err)
	}
}

func (f *fixture) do(t *testing.T, method, path, user, password string) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, path, nil)
	if user != "" {
		r.SetBasicAuth(user, password)
	}
	w := httptest.NewRecorder()
	f.srv.ServeHTTP(w, r)
	return w
}

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	store := backendtest.New(t)
	srv := New(Config{}, store)
	for _, tc := range []struct {
		path  string
		ready bool
		want  int
	}{
		{"/healthz", false, 200},
		{"/readyz", false, 503},
		{"/principals/x/", false, 503}, // DAV waits for migrations
		{"/healthz", true, 200},
		{"/readyz", true, 200},
	} {
		if tc.ready {
			srv.SetReady()
		}
		w := httptest.NewRecorder()
		srv.ServeHTTP(w, httptest.NewRequest("GET", tc.path, nil))
		if w.Code != tc.want {
			t.Errorf("GET %s (ready=%v) = %d, want %d", tc.path, tc.ready, w.Code, tc.want)
		}
	}
	// readyz turns red when the database goes away.
	store.Close()
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	if w.Code != 503 {
		t.Errorf("readyz with a closed store = %d, want 503", w.Code)
	}
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	f.addUser(t, "alice", "s3cret")
	for _, tc := range []struct {
		name, user, password string
		want                 int
	}{
		{"no credentials", "", "", 401},
		{"wrong password", "alice", "nope", 401},
		{"unknown user", "mallory", "s3cret", 401},
		{"right", "alice", "s3cret", 207},
		{"name in other case", "ALICE", "s3cret", 207},
	} {
		w := f.do(t, "PROPFIND", "/principals/alice/", tc.user, tc.password)
		if w.Code != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, w.Code, tc.want)
		}
		if tc.want == 401 && w.Header().Get("WWW-Authenticate") != `Basic realm="pgdav", charset="UTF-8"` {
			t.Errorf("%s: WWW-Authenticate = %q", tc.name, w.Header().Get("WWW-Authenticate"))
		}
	}
	if !strings.Contains(f.logs.String(), `"msg":"authentication failed"`) {
		t.Error("failed logins were not logged")
	}
}

// The credential cache saves the hash on repeated requests, yet a
// password change or a disabled account takes effect at once.
func TestCredentialCache(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	f := newFixture(t, time.Minute)
	f.addUser(t, "bob", "one")
	for range 5 {
		if w := f.do(t, "GET", "/calendars/bob/", "bob", "one"); w.Code == 401 {
			t.Fatal("valid credentials refused")
		}
	}
	if n := f.srv.auth.checks.Load(); n != 1 {
		t.Fatalf("5 requests cost %d password hashes, want 1", n)
	}
	for k := range f.srv.auth.cache {
		if bytes.Contains(k[:], []byte("one")) {
			t.Fatal("cache key contains the password")
		}
	}

	hash, _ := backend.HashPassword("two")
	if err := f.store.SetPasswordHash(ctx, "bob", hash); err != nil {
		t.Fatal(err)
	}
	if w := f.do(t, "GET", "/calendars/bob/", "bob", "one"); w.Code != 401 {
		t.Fatalf("old password after passwd: %d, want 401", w.Code)
	}
	if w := f.do(t, "GET", "/calendars/bob/", "bob", "two"); w.Code == 401 {
		t.Fatal("new password refused")
	}
	if err := f.store.SetPrincipalDisabled(ctx, "bob", true); err != nil {
		t.Fatal(err)
	}
	if w := f.do(t, "GET", "/calendars/bob/", "bob", "two"); w.Code != 401 {
		t.Fatalf("disabled user: %d, want 401", w.Code)
	}
	if err := f.store.SetPrincipalDisabled(ctx, "bob", false); err != nil {
		t.Fatal(err)
	}
	if w := f.do(t, "GET", "/calendars/bob/", "bob", "two"); w.Code == 401 {
		t.Fatal("re-enabled user refused")
	}

	// With the cache off every request pays the hash.
	g := newFixture(t, 0)
	g.addUser(t, "carol", "pw")
	for range 3 {
		g.do(t, "GET", "/", "carol", "pw")
	}
	if n := g.srv.auth.checks.Load(); n != 3 {
		t.Fatalf("without cache: %d hashes for 3 requests", n)
	}
}

func TestAccessLog(t *testing.T) {
	t.Parallel()
	f := newFixture(t, time.Minute)
	f.addUser(t, "erin", "pw")
	f.do(t, "PROPFIND", "/calendars/erin/", "erin", "pw")
	var line map[string]any
	for _, l := range strings.Split(strings.TrimSpace(f.logs.String()), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == "request" {
			line = m
		}
	}
	if line == nil {
		t.Fatalf("no access log line in %s", f.logs.String())
	}
	for key, want := range map[string]any{"method": "PROPFIND", "path": "/calendars/erin/", "status": float64(207), "user": "erin"} {
		if line[key] != want {
			t.Errorf("log %s = %v, want %v", key, line[key], want)
		}
	}
	for _, key := range []string{"duration", "bytes", "request_id", "remote"} {
		if _, ok := line[key]; !ok {
			t.Errorf("log line lacks %s", key)
		}
	}
}

func TestPanicBecomes500(t *testing.T) {
	t.Parallel()
	s := &Server{logger: slog.New(slog.DiscardHandler)}
	h := s.recoverPanics(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }))
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/", nil))
	if w.Code != 500 {
		t.Fatalf("status %d, want 500", w.Code)
	}
}

// Shutdown lets a request that is in flight finish, then Run returns.
func TestRunGracefulShutdown(t *testing.T) {
	t.Parallel()
	inner, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ln := &closeSignal{Listener: inner, closed: make(chan struct{})}
	started := make(chan struct{})
	release := make(chan struct{})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		<-release
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	runErr := make(chan error, 1)
	go func() { runErr <- Run(ctx, ln, h, 10*time.Second, slog.New(slog.DiscardHandler)) }()

	type result struct {
		body string
		err  error
	}
	got := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			got <- result{err: err}
			return
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		got <- result{string(b), err}
	}()
	<-started
	cancel() // SIGTERM arrives while the request is in flight
	// Shutdown closes the listener first; wait for that instead of a while.
	select {
	case <-ln.closed:
	case <-time.After(10 * time.Second): // bounds a broken test only
		t.Fatal("the listener was not closed after shutdown began")
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("new connections still accepted during shutdown")
	}
	close(release)
	r := <-got
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: %q, %v", r.body, r.err)
	}
	select {
	case err := <-runErr:
		if err != nil {
			t.Fatalf("Run: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not return after shutdown")
	}
}

// closeSignal is a listener that tells when it was closed.
type closeSignal struct {
	net.Listener
	once   sync.Once
	closed chan struct{}
}

func (l *closeSignal) Close() error {
	err := l.Listener.Close()
	l.once.Do(func() { close(l.closed) })
	return err
}
