package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/pgdav/pgdav/internal/dav"
)

type logInfoKey struct{}

// logInfo collects what the access log line reports about a request that
// only inner handlers know.
type logInfo struct {
	user string
}

func setLogUser(ctx context.Context, user string) {
	if li, ok := ctx.Value(logInfoKey{}).(*logInfo); ok {
		li.user = user
	}
}

// statusRecorder remembers the status and counts the bytes of a response.
type statusRecorder struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (sr *statusRecorder) WriteHeader(code int) {
	if sr.status == 0 {
		sr.status = code
	}
	sr.ResponseWriter.WriteHeader(code)
}

func (sr *statusRecorder) Write(b []byte) (int, error) {
	if sr.status == 0 {
		sr.status = http.StatusOK
	}
	n, err := sr.ResponseWriter.Write(b)
	sr.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (sr *statusRecorder) Unwrap() http.ResponseWriter { return sr.ResponseWriter }

// logRequests writes one access log line per request: method, path,
// status, duration, user, bytes and a request ID that is also sent back in
// the X-Request-Id header, so a user's report can be matched to the log.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := newRequestID()
		w.Header().Set("X-Request-Id", id)
		li := &logInfo{}
		rec := &statusRecorder{ResponseWriter: w}
		ctx := context.WithValue(r.Context(), logInfoKey{}, li)
		ctx = dav.WithLogger(ctx, s.logger.With("request_id", id))
		defer func() {
			status := rec.status
			if status == 0 {
				status = http.StatusOK
			}
			s.logger.LogAttrs(ctx, slog.LevelInfo, "request",
				slog.String("method", r.Method),
				slog.String("path", r.URL.Path),
				slog.Int("status", status),
				slog.Duration("duration", time.Since(start)),
				slog.String("user", li.user),
				slog.Int64("bytes", rec.bytes),
				slog.String("remote", remoteIP(r)),
				slog.String("request_id", id),
			)
		}()
		next.ServeHTTP(rec, r.WithContext(ctx))
	})
}

// recoverPanics turns a handler panic into a logged 500 instead of a
// dropped connection, except for http.ErrAbortHandler, which is how a
// streaming handler deliberately breaks a response it cannot finish.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			v := recover()
			if v == nil {
				return
			}
			if v == http.ErrAbortHandler {
				panic(v)
			}
			s.logger.Error("panic in handler", "panic", v, "path", r.URL.Path, "stack", string(debug.Stack()))
			http.Error(w, "internal server error", http.StatusInternalServerError)
		}()
		next.ServeHTTP(w, r)
	})
}

func newRequestID() string {
	b := make([]byte, 8)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
