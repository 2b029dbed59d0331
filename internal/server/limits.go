package server

import (
	"errors"
	"io"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/pgdav/pgdav/internal/dav"
)

// Limits bound what one slow or hostile client can hold of the server:
// goroutines, connections, memory, database connections.
type Limits struct {
	// ReadHeaderTimeout is how long a request's headers may take to
	// arrive; a connection that sends them slower is closed (slowloris).
	ReadHeaderTimeout time.Duration
	// ReadTimeout is how long a request's body may take to arrive,
	// counted from the request's start. It ends once the body is read, so
	// a long answer is never cut by it. 0: no limit.
	ReadTimeout time.Duration
	// WriteTimeout is how long one write of an answer may wait for the
	// client to take bytes: a stall, not the answer's total time, since a
	// multistatus streams for as long as it has rows. 0: no limit.
	WriteTimeout time.Duration
	// IdleTimeout is how long a kept-alive connection may wait for its
	// next request.
	IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header block.
	MaxHeaderBytes int
	// MaxConnsPerClient bounds the open connections from one peer
	// address; connections from a trusted proxy are not counted (the
	// proxy carries every client). 0: no limit.
	MaxConnsPerClient int
	// MaxRequestsPerClient bounds the requests in progress for one
	// client address (a trusted proxy's client's, see proxy.go); more are
	// answered 429 with Retry-After. 0: no limit.
	MaxRequestsPerClient int
}

// DefaultLimits fit Apple's and DAVx5's clients behind nginx: they open a
// handful of connections and send each request at once; nginx buffers a
// request's headers and passes bodies on as they come.
func DefaultLimits() Limits {
	return Limits{
		ReadHeaderTimeout:    10 * time.Second,
		ReadTimeout:          5 * time.Minute,
		WriteTimeout:         2 * time.Minute,
		IdleTimeout:          2 * time.Minute,
		MaxHeaderBytes:       64 << 10,
		MaxConnsPerClient:    128,
		MaxRequestsPerClient: 64,
	}
}

// retryAfterBusy is the Retry-After of a 429 or 503 for a client over its
// share: its requests in progress end within seconds.
const retryAfterBusy = 2

// clientLimiter counts the requests in progress per client address; a nil
// one limits nothing.
type clientLimiter struct {
	max int
	mu  sync.Mutex
	n   map[string]int
}

func newClientLimiter(max int) *clientLimiter {
	if max <= 0 {
		return nil
	}
	return &clientLimiter{max: max, n: map[string]int{}}
}

func (c *clientLimiter) acquire(addr string) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[addr] >= c.max {
		return false
	}
	c.n[addr]++
	return true
}

func (c *clientLimiter) release(addr string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n[addr]--; c.n[addr] <= 0 {
		delete(c.n, addr)
	}
}

// limitRequests applies the per-request limits: a client's share of
// requests in progress, a deadline for reading the body and a cap on its
// size (the DAV handler caps each body it reads lower; this one holds for
// any reader), and a stall deadline for each write.
func (s *Server) limitRequests(next http.Handler) http.Handler {
	lim := s.cfg.Limits
	maxBody := max(s.cfg.MaxResourceSize, dav.MaxReportBody)
	clients := s.clients
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if clients != nil && r.URL.Path != "/healthz" && r.URL.Path != "/readyz" {
			ip := remoteIP(r)
			if !clients.acquire(ip) {
				s.logger.Warn("too many requests in progress from one client", "remote", ip, "limit", lim.MaxRequestsPerClient)
				w.Header().Set("Retry-After", strconv.Itoa(retryAfterBusy))
				http.Error(w, "too many requests in progress from your address", http.StatusTooManyRequests)
				return
			}
			defer clients.release(ip)
		}
		rc := http.NewResponseController(w)
		if lim.ReadTimeout > 0 && r.Body != nil && r.Body != http.NoBody {
			// Cleared at the body's end: net/http then starts reading the
			// connection in the background, and a deadline left behind
			// would cancel the request's context in the middle of a long
			// answer. A body the handler left unread keeps it: net/http
			// reads the rest after the handler, and a client that never
			// sends it must not hold the connection.
			_ = rc.SetReadDeadline(time.Now().Add(lim.ReadTimeout))
			r.Body = &deadlineBody{ReadCloser: r.Body, rc: rc}
		}
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = http.MaxBytesReader(w, r.Body, maxBody)
		}
		if lim.WriteTimeout > 0 {
			w = &stallWriter{ResponseWriter: w, rc: rc, timeout: lim.WriteTimeout}
			// net/http keeps the connection's deadline for the next
			// request on it, which would then fail at once.
			defer func() { _ = rc.SetWriteDeadline(time.Time{}) }()
		}
		next.ServeHTTP(w, r)
	})
}

// deadlineBody clears the read deadline when the body has been read.
type deadlineBody struct {
	io.ReadCloser
	rc   *http.ResponseController
	done bool
}

func (b *deadlineBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if errors.Is(err, io.EOF) && !b.done {
		b.done = true
		_ = b.rc.SetReadDeadline(time.Time{})
	}
	return n, err
}

// stallWriter gives each write of the answer its own deadline, so a
// client that stops reading releases its handler (and the database
// connection a streamed answer holds) while a slow but steady one is
// served to the end.
type stallWriter struct {
	http.ResponseWriter
	rc      *http.ResponseController
	timeout time.Duration
}

func (sw *stallWriter) Write(p []byte) (int, error) {
	_ = sw.rc.SetWriteDeadline(time.Now().Add(sw.timeout))
	return sw.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach Flush and deadlines.
func (sw *stallWriter) Unwrap() http.ResponseWriter { return sw.ResponseWriter }
