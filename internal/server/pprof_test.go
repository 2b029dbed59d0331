package server

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"testing"
)

func TestCheckPprofAddr(t *testing.T) {
	t.Parallel()
	for addr, ok := range map[string]bool{
		"127.0.0.1:6060": true, "[::1]:6060": true, "localhost:6060": true, "127.0.0.2:0": true,
		"0.0.0.0:6060": false, ":6060": false, "192.0.2.1:6060": false, "[::]:6060": false, "example.org:6060": false, "6060": false,
	} {
		if err := CheckPprofAddr(addr); (err == nil) != ok {
			t.Errorf("CheckPprofAddr(%q) = %v, want ok=%v", addr, err, ok)
		}
	}
}

func TestPprofOnItsOwnListenerOnly(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { RunPprof(ctx, ln, slog.New(slog.DiscardHandler)); close(done) }()
	defer func() { cancel(); <-done }()

	resp, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "goroutine") {
		t.Fatalf("pprof listener: GET /debug/pprof/ = %d %.200s", resp.StatusCode, body)
	}

	// The DAV handler knows nothing of it, even for an authenticated user.
	f := newFixture(t, 0)
	f.addUser(t, "alice", "pw")
	for _, user := range []string{"", "alice"} {
		w := f.do(t, "GET", "/debug/pprof/", user, "pw")
		if w.Code == 200 || strings.Contains(w.Body.String(), "goroutine") {
			t.Errorf("main handler (user %q) answered /debug/pprof/ with %d %.200s", user, w.Code, w.Body.String())
		}
	}
}
