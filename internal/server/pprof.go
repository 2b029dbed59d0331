package server

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"time"
)

// Profiling: `serve --pprof-listen 127.0.0.1:6060` serves Go's
// /debug/pprof/ on its own listener, never on the DAV one. It is off by
// default, unauthenticated, and therefore refused on anything but a
// loopback address.

// CheckPprofAddr accepts host:port whose host is a loopback IP address or
// "localhost".
func CheckPprofAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("%q is not a loopback address: the profiler has no authentication", host)
	}
	return nil
}

// PprofHandler serves /debug/pprof/ and its profiles on its own mux.
// (Importing net/http/pprof also registers them on http.DefaultServeMux,
// which pgdav never serves.)
func PprofHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	return mux
}

// RunPprof serves PprofHandler on ln until ctx ends.
func RunPprof(ctx context.Context, ln net.Listener, logger *slog.Logger) {
	srv := &http.Server{Handler: PprofHandler(), ReadHeaderTimeout: 10 * time.Second,
		ErrorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn)}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	logger.Info("pprof listening", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && err != http.ErrServerClosed {
		logger.Warn("pprof server stopped", "err", err)
	}
}
